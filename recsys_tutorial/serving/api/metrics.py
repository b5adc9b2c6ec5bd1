"""The service's Prometheus metrics: requests by outcome, and each request-path stage's latency.

Several worker processes (``recsys-tutorial serve --workers N``) count together: with
``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client keeps each process's values in files in that
folder, and `ServiceMetrics.render` adds up every process's.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from ..path import STAGES, Recommendation

__all__ = ["ServiceMetrics", "BUCKETS", "CONTENT_TYPE"]

#: Latency histogram buckets (seconds): fine below 10 ms, where a healthy request path lives.
BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1.0)
#: The media type of ``GET /metrics`` (Prometheus' text format).
CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServiceMetrics:
    """One service process's metrics, in a registry of their own (two apps in one process, as in
    tests, never share counts).

    * ``recsys_requests_total{outcome}``: the requests served, ``ok`` or ``fallback`` (not by
      the normal path);
    * ``recsys_refused_requests_total{status}``: the requests refused (413: too large; 422:
      malformed, or before the bundle's snapshot), which never reach the request path;
    * ``recsys_stage_seconds{stage}``: a histogram per request-path stage and in ``total``;
    * ``recsys_impressions_dropped_total``: impressions the log could not keep up with.
    """

    def __init__(self):
        self.registry = CollectorRegistry()
        requests = Counter("recsys_requests", "Recommendation requests served, by outcome", ["outcome"],
                           registry=self.registry)  # fmt: skip
        self._refused = Counter("recsys_refused_requests", "Requests refused, by HTTP status", ["status"],
                                registry=self.registry)  # fmt: skip
        stage_seconds = Histogram("recsys_stage_seconds", "Time spent in each request-path stage", ["stage"],
                                  buckets=BUCKETS, registry=self.registry)  # fmt: skip
        self._dropped = Counter("recsys_impressions_dropped", "Impressions dropped (the log's queue was full, or "
                                "the file could not be written)", registry=self.registry)  # fmt: skip
        # Label lookups cost a dictionary and a lock each: done once, here.
        self._outcomes = {outcome: requests.labels(outcome) for outcome in ("ok", "fallback")}
        self._stages = {stage: stage_seconds.labels(stage) for stage in (*STAGES, "total")}

    def observe(self, result: Recommendation) -> None:
        """Count one served request and record its stages' times."""
        self._outcomes["fallback" if result.fallback else "ok"].inc()
        for stage, ms in result.timings_ms.items():
            self._stages[stage].observe(ms / 1000.0)

    def refused(self, status: int = 422) -> None:
        """Count one refused request (its HTTP status)."""
        self._refused.labels(str(status)).inc()

    def impressions_dropped(self, n: int = 1) -> None:
        """Count impressions the log dropped."""
        self._dropped.inc(n)

    def render(self) -> bytes:
        """The metrics in Prometheus' text format: this process's, or every worker's when they share a folder."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
