"""What the routes depend on: the `Service` the lifespan loads, handed to them by `get_service`.

A route declares ``service: ServiceDep`` and FastAPI calls `get_service` for it: the routes
never reach for a global, and a test can serve any `Service` it likes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import pandas as pd
from fastapi import Depends, Request

from ..bundle import load_bundle
from ..path import Recommendation, RequestPath
from .impressions import ImpressionLog
from .metrics import ServiceMetrics

__all__ = ["Service", "load_service", "get_service", "ServiceDep"]

log = logging.getLogger(__name__)


@dataclass
class Service:
    """What a running service holds: the request path over one verified bundle, its metrics,
    the impression log (or None), the thread the request path runs on (or None: the event
    loop), a description of its clock, the number of requests served and the process id.

    With a thread (``executor``), `recommend` runs the request path there, off the event loop:
    the loop goes on reading, parsing and answering other requests meanwhile (FAISS, LightGBM
    and SQLite release Python's lock while they work), which is what a lone process needs. One
    such thread: a second would mostly wait for Python's lock; more throughput comes from more
    processes (``serve --workers``), and a process per core has no idle core for its loop to
    use: there the hand-over between two threads costs more than it gives, and the request path
    runs on the loop itself (see `load_service`).
    """

    path: RequestPath
    manifest: dict
    metrics: ServiceMetrics
    impressions: ImpressionLog | None
    executor: ThreadPoolExecutor | None
    clock: str
    served: int = 0
    process: int = field(default_factory=os.getpid)

    @property
    def bundle_id(self) -> str:
        """The id of the bundle being served."""
        return self.manifest["bundle_id"]

    async def recommend(self, user_id: int, k: int, at: pd.Timestamp | None) -> Recommendation:
        """`RequestPath.recommend` on the request path's thread (or the loop), its impression logged; the metrics."""
        if self.executor is None:
            result = self._serve(user_id, k, at)
        else:
            result = await asyncio.get_running_loop().run_in_executor(self.executor, self._serve, user_id, k, at)
        self.metrics.observe(result)
        return result

    def _serve(self, user_id: int, k: int, at: pd.Timestamp | None) -> Recommendation:
        """The recommendation, and its impression line: encoded here, with the request path (JSON
        encoding is CPU work: off the event loop when the path is), written by the log's thread."""
        result = self.path.recommend(user_id, k, at)
        self.served += 1
        if self.impressions is not None:
            self.impressions.put(self.impressions.line({
                "request": self.served, "process": self.process, "bundle_id": self.bundle_id,
                "at": result.at.isoformat(), "served_at": time.time(), "user_id": user_id, "k": k,
                "items": result.items, "scores": result.scores, "fallback": result.fallback,
                "timings_ms": result.timings_ms, "features": result.features,
            }))  # fmt: skip
        return result

    def close(self) -> None:
        """Finish the requests in flight, flush and close the impression log, close the store."""
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        if self.impressions is not None:
            self.impressions.close()
            log.info("impression log closed: %d written, %d dropped", self.impressions.written,
                     self.impressions.dropped)  # fmt: skip
        self.path.bundle.store.close()


def load_service(bundle_dir, impressions_path=None, budget_ms: float | None = 50.0, faults=None, clock=None,
                 path_thread: bool = True) -> Service:  # fmt: skip
    """Load and verify the bundle at ``bundle_dir`` and set up everything a service holds.

    ``clock`` is None (the system clock, UTC), ``"snapshot"`` (every request without a time is
    answered at the bundle's snapshot time: reproducible answers, for tests and benchmarks), a
    fixed time, or a function returning the time. A bad bundle raises its `bundle.BundleError`;
    a clock before the bundle's snapshot raises a ValueError (every request would be refused).

    ``path_thread`` runs the request path on a thread of its own (True: a lone process) or on
    the event loop (False: one process per core, ``serve --workers 2`` on two cores). Measured
    with two processes on two cores and wrk beside them (the load of
    ``benchmarks/bench_serving.py``, three alternating 10 s runs): 1,040 requests/s with the
    thread, 1,165 without it, at 1.85 and 1.65 ms of CPU per request. Affects speed, not results.
    """
    import faiss

    faiss.omp_set_num_threads(1)  # one request at a time per thread: more threads would only contend
    bundle = load_bundle(bundle_dir)
    snapshot = isinstance(clock, str) and clock == "snapshot"
    path = RequestPath(bundle, budget_ms=budget_ms, faults=faults,
                       clock=bundle.manifest["as_of"] if snapshot else clock)  # fmt: skip
    now = path.clock()
    if now < path.as_of:
        bundle.store.close()
        raise ValueError(f"the service's clock says {now}, before the bundle's snapshot ({path.as_of}): every "
                         "request would be refused; serve a bundle built from older data, or fix the clock")
    if clock is None:
        described = "system (UTC)"
    elif snapshot:
        described = f"fixed at the snapshot, {path.as_of.isoformat()}"
    elif callable(clock):
        described = f"{getattr(clock, '__name__', 'a function')}()"
    else:
        described = f"fixed at {now.isoformat()}"
    metrics = ServiceMetrics()
    impressions = None
    if impressions_path is not None:
        impressions = ImpressionLog(Path(impressions_path), list(path.features),
                                    on_dropped=metrics.impressions_dropped).open()  # fmt: skip
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="request-path") if path_thread else None
    return Service(path=path, manifest=bundle.manifest, metrics=metrics, impressions=impressions, executor=executor,
                   clock=described)  # fmt: skip


async def get_service(request: Request) -> Service:
    """The `Service` the lifespan loaded (a dependency: ``service: ServiceDep``).

    ``async``, though it awaits nothing: FastAPI runs a plain ``def`` dependency on a worker
    thread, a hand-over that cost more than the rest of the HTTP layer.
    """
    return request.app.state.service


#: A route's parameter annotated with this gets the running `Service`.
ServiceDep = Annotated[Service, Depends(get_service)]
