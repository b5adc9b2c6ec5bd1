"""``GET /health`` (the bundle being served, the clock, counts) and ``GET /metrics`` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ..dependencies import ServiceDep
from ..metrics import CONTENT_TYPE

__all__ = ["router"]

#: The router of ``GET /health`` and ``GET /metrics``.
router = APIRouter(tags=["health"])

#: The manifest's entries ``/health`` shows.
_BUNDLE_FACTS = ("as_of", "dataset", "n_users", "n_items", "n_indexed_items", "index", "index_kind")


@router.get("/health")
async def health(service: ServiceDep) -> dict:
    """The bundle being served (its id and snapshot time), the clock, and what this process served so far.

    With several worker processes, the counts are those of the process that answered (named
    by ``process``); ``/metrics`` adds up all of them.
    """
    impressions = service.impressions
    return {
        "status": "ok",
        "bundle": {"bundle_id": service.bundle_id,
                   **{key: service.manifest[key] for key in _BUNDLE_FACTS if key in service.manifest}},
        "clock": service.clock,
        "process": service.process,
        "requests_served": service.served,
        "impressions": None if impressions is None else {"written": impressions.written,
                                                         "dropped": impressions.dropped},
    }


@router.get("/metrics")
async def metrics(service: ServiceDep) -> Response:
    """Prometheus' text format: requests by outcome, a latency histogram per stage."""
    return Response(service.metrics.render(), media_type=CONTENT_TYPE)
