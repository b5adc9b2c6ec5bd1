"""Run the service in a background process, for notebooks, tests and benchmarks.

`BackgroundService` starts ``recsys-tutorial serve`` as a child process, waits until ``/health``
answers, and offers small JSON helpers. The child never outlives its parent:

* the parent passes its process id to the child, whose `exit_with_parent` thread ends the child
  (SIGTERM, so that the impression log is flushed; SIGKILL-like exit if that hangs) as soon as
  its parent is another process: the parent died, even by SIGKILL, and the child was adopted;
* `BackgroundService.stop` runs at the latest when the object is collected or the parent's
  interpreter exits (a weakref finalizer), so a failing notebook cell leaves no service behind.

The child is started with a plain ``subprocess.Popen``: no ``preexec_fn``, which is unsafe in a
parent with threads (a Jupyter kernel, a test run), and no Linux-only ``prctl``. It leads a
session of its own, so that `BackgroundService.kill` ends it and its worker processes at once,
as a crash of the machine would.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref

__all__ = ["BackgroundService", "exit_with_parent"]

log = logging.getLogger(__name__)


class BackgroundService:
    """``recsys-tutorial serve`` in a child process.

    Parameters
    ----------
    bundle_dir : str or Path
        The bundle folder to serve.
    port : int, optional
        Default: a free port.
    impressions : str or Path, optional
        The impression log (``--impressions``).
    faults : dict, optional
        Stage → ``"error"`` or ``"slow"`` (``--fault``).
    budget_ms : float
        The request path's time budget (``--budget-ms``).
    now : None, "snapshot" or str
        The clock (``--now``): the system clock, the bundle's snapshot time, or a fixed time.
    workers : int
        Server processes (``--workers``); each loads the bundle.
    startup_timeout : float
        Seconds to wait for ``/health`` before giving up.

    >>> with BackgroundService("bundle", now="snapshot") as service:  # doctest: +SKIP
    ...     service.post("/recommend", {"user_id": 7, "k": 5})
    """

    def __init__(self, bundle_dir, port: int | None = None, impressions=None, faults=None, budget_ms: float = 50.0,
                 now=None, workers: int = 1, startup_timeout: float = 120.0):  # fmt: skip
        self.bundle_dir = str(bundle_dir)
        self.port = port or _free_port()
        self.impressions = impressions
        self.faults = dict(faults or {})
        self.budget_ms = budget_ms
        self.now = now
        self.workers = workers
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BackgroundService:
        """Start the service and wait until it answers ``/health``; raises RuntimeError with the
        service's own reason if it exits first (a refused bundle, a port in use)."""
        command = [sys.executable, "-m", "recsys_tutorial.serving.cli", "serve", self.bundle_dir,
                   "--port", str(self.port), "--budget-ms", str(self.budget_ms), "--workers", str(self.workers),
                   "--parent-pid", str(os.getpid())]  # fmt: skip
        if self.impressions:
            command += ["--impressions", str(self.impressions)]
        if self.now is not None:
            command += ["--now", str(self.now)]
        for stage, kind in self.faults.items():
            command += ["--fault", f"{stage}={kind}"]
        self._log = tempfile.TemporaryFile()  # the service's log: a file, so it never blocks on a full pipe
        self.process = subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": "1"}, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=self._log)  # fmt: skip
        self._finalizer = weakref.finalize(self, _terminate, self.process)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._finalizer.detach()
                raise RuntimeError(f"the service exited with code {self.process.returncode}: {self._reason()}")
            try:
                self.get("/health")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"the service did not answer /health within {self.startup_timeout:g} s")

    def stop(self) -> int | None:
        """Stop the service (SIGTERM: it finishes its requests and flushes its log; SIGKILL to
        all its processes after 10 s); its exit code."""
        if self.process is None:
            return None
        code = _terminate(self.process)
        self._finalizer.detach()
        return code

    def kill(self) -> None:
        """End the service and its worker processes at once (SIGKILL), as a crash would."""
        _kill_session(self.process)
        self.process.wait()
        self._finalizer.detach()

    def get(self, path: str) -> dict | str:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            body = response.read().decode()
            return json.loads(body) if response.headers.get_content_type() == "application/json" else body

    def post(self, path: str, body) -> tuple[int, dict]:
        """``(status, JSON body)``; ``body`` is sent as JSON, or as it is when it is ``bytes``."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def __enter__(self) -> BackgroundService:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _reason(self) -> str:
        """The service's own last words: the command's refusal, or the exception's line."""
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        for line in reversed(lines):
            if line.startswith("recsys-tutorial ") or ("Error: " in line and not line.startswith("ERROR:")):
                return line.strip()
        return lines[-1].strip() if lines else "no message"


def exit_with_parent(parent_pid: int, interval: float = 0.5) -> threading.Thread:
    """Start a daemon thread that ends this process once its parent is no longer ``parent_pid``.

    A process whose parent dies is adopted (by init, or a sub-reaper), so ``os.getppid()``
    changes; checking against the pid the parent passed also catches a parent that died before
    this thread started. The process gets SIGTERM, which a server handles by shutting down
    cleanly (the impression log is flushed); if it is still alive 10 s later, it exits at once.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        log.warning("parent process %d is gone: shutting down", parent_pid)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
        os._exit(1)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread


def _terminate(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _kill_session(process)
            process.wait()
    return process.returncode


def _kill_session(process: subprocess.Popen) -> None:
    """SIGKILL to the child and every process of its session (its workers)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # already gone, and its workers with it
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
