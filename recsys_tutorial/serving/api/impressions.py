"""The impression log: one JSON line per response, appended by a writer thread of its own.

What a service showed, to whom, when and why is the raw material of the next training set
(log-and-wait: train on the features the service actually served, and training–serving skew
is gone by construction) and of off-policy evaluation (chapter 11), which needs each shown
item's propensity.

Nothing of it runs on the event loop. The request path's thread turns the response into a line
(`ImpressionLog.line`: JSON encoding is CPU work, and the loop must stay free to read and answer
other requests) and puts it on a bounded queue; the writer thread appends whatever is queued to
the file, a few times a second. If the writer falls behind and the queue is full, the line is
dropped and counted (`ImpressionLog.dropped`, and the service's ``/metrics``): a slow disk must
never slow every request down. `ImpressionLog.close` writes everything queued.

Each line is one response, a JSON object: ``request`` (its number in the process),
``process`` (the process id: ``(process, request)`` names a request, even when several
processes append to one log), ``bundle_id``, ``at`` (the request's time, UTC), ``served_at``
(Unix seconds by the wall clock, when the response was ready), ``user_id``, ``k``, ``items``,
``scores``, ``fallback``, ``timings_ms``, ``features`` (one list per served item, a missing value
as null; null when the ranker did not order the list), ``feature_columns`` (the names of the
features' columns, the same on every line of one bundle) and ``propensities`` (one per item).
Every line carries the column names, so that any line read alone (after a log rotation, or a
``grep``) says what its numbers are; they cost about a sixth of a ranked line.

The policy is deterministic: the same request at the same time gets the same list, so each
shown item's propensity (the probability that this policy shows it) is 1.0. An estimator that
divides by propensities needs a stochastic logging policy (chapter 11's ε-greedy) to learn about
the items this one never shows.

Several processes may append to one log: each writes whole lines with one ``write`` call on a
file opened for appending, which Linux keeps in one piece.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
from pathlib import Path

import numpy as np

__all__ = ["ImpressionLog", "PROPENSITY"]

log = logging.getLogger(__name__)

#: The propensity of each shown item: the policy is deterministic.
PROPENSITY = 1.0
_STOP = object()


class ImpressionLog:
    """Appends impression lines to ``path`` from a writer thread fed by a bounded queue.

    Parameters
    ----------
    path : str or Path
        The JSON-lines file (created if absent, appended to otherwise).
    columns : list of str
        The names of the served features' columns (the ranker's, in its order).
    max_queued : int
        Lines waiting for the writer at most; beyond, a line is dropped and counted. Only
        affects memory and what a stalled disk costs, not what is written otherwise.
    linger_s : float
        After the first line of a batch, the writer waits this long for more, then writes them
        all at once: a few writes a second instead of one per request. Affects speed, not what
        is written (`close` writes everything queued).
    on_dropped : callable, optional
        Called with the number of lines dropped, each time some are (a metric's counter).

    Attributes
    ----------
    written : int
        Lines written to the file so far (after `open`).
    dropped : int
        Lines dropped: the queue was full, or the file could not be written.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "impressions.jsonl"
    >>> impressions = ImpressionLog(path, ["x"]).open()
    >>> features = np.array([[0.5], [np.nan]])
    >>> record = {"request": 1, "items": [3, 1], "features": features}
    >>> impressions.put(impressions.line(record))
    True
    >>> impressions.close()
    >>> logged = json.loads(path.read_text())
    >>> logged["features"], logged["feature_columns"], logged["propensities"]
    ([[0.5], [None]], ['x'], [1.0, 1.0])
    """

    def __init__(self, path, columns, max_queued: int = 10_000, linger_s: float = 0.05, on_dropped=None):
        self.path = path
        self.columns = columns
        self.max_queued = max_queued
        self.linger_s = linger_s
        self.on_dropped = on_dropped

    def open(self) -> ImpressionLog:
        """Open the file (appending) and start the writer thread; returns the log."""
        self.written, self.dropped = 0, 0
        self._columns = list(self.columns)
        self._queue = queue.Queue(maxsize=self.max_queued)
        self._file = open(Path(self.path), "ab", buffering=0)  # each write() goes to the file whole
        self._thread = threading.Thread(target=self._run, name="impression-log", daemon=True)
        self._thread.start()
        return self

    def line(self, record: dict) -> bytes:
        """One response's line: ``record`` with its ``features`` array as lists (NaN as null), the
        feature columns, and a propensity per shown item; JSON, newline-terminated."""
        features = record.get("features")
        if features is not None:
            array = np.asarray(features, dtype=np.float64)  # (n_items, n_features)
            features = array.tolist()
            if not np.isfinite(array).all():  # a value the store does not have: null, as JSON has no NaN
                features = [[value if math.isfinite(value) else None for value in row] for row in features]
        line = {**record, "features": features, "feature_columns": self._columns,
                "propensities": [PROPENSITY] * len(record.get("items", ()))}  # fmt: skip
        return json.dumps(line, separators=(",", ":"), allow_nan=False).encode() + b"\n"

    def put(self, line: bytes) -> bool:
        """Queue one line (never blocks); False if the queue was full and the line was dropped."""
        try:
            self._queue.put_nowait(line)
            return True
        except queue.Full:
            self._drop(1)
            return False

    def close(self) -> None:
        """Write what is queued, then stop the writer and close the file."""
        self._queue.put(_STOP)  # blocks only while the writer drains a full queue
        self._thread.join()
        self._file.close()

    def _run(self) -> None:
        """The writer thread: wait for a line, linger for more, append them all with one write."""
        while True:
            batch = [self._queue.get()]
            if batch[0] is not _STOP:
                time.sleep(self.linger_s)
            while len(batch) < self.max_queued:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            lines = [line for line in batch if line is not _STOP]
            try:
                view = memoryview(b"".join(lines))
                while view:
                    view = view[self._file.write(view) :]
                self.written += len(lines)
            except Exception:  # a full disk must not kill the writer: say so, and keep serving
                log.exception("impression log %s: %d lines lost", self.path, len(lines))
                self._drop(len(lines))
            if len(lines) < len(batch):
                return

    def _drop(self, n: int) -> None:
        self.dropped += n
        if self.on_dropped is not None:
            self.on_dropped(n)
