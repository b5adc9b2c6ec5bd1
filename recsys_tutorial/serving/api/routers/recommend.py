"""``POST /recommend``: a user's top ``k`` items at the request's time."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from ...assemble import naive_utc
from ..dependencies import ServiceDep
from ..schemas import RecommendRequest, RecommendResponse

__all__ = ["router"]

#: The router of ``POST /recommend``.
router = APIRouter(prefix="/recommend", tags=["recommend"])


@router.post("", response_model=RecommendResponse,
             responses={413: {"description": "The body is too large"},
                        422: {"description": "Malformed, or the request time is before the bundle's snapshot"}})
async def recommend(request: RecommendRequest, service: ServiceDep):
    """The top ``k`` items for ``user_id`` at time ``at`` (default: the service's clock).

    A well-formed request always gets a 200: an unknown user or a failing stage is a fallback,
    named in the response.
    """
    at = None
    if request.at is not None:
        at = naive_utc(request.at)  # the schema checked it is a representable time
        if at < service.path.as_of:
            service.metrics.refused()
            raise HTTPException(status_code=422, detail=[{
                "loc": ["body", "at"], "type": "before_snapshot",
                "msg": f"the request time is before the bundle's snapshot ({service.path.as_of.isoformat()}): "
                       "the bundle's features describe a later moment",
            }])  # fmt: skip
    result = await service.recommend(request.user_id, request.k, at)
    # Already the response model's shape: JSONResponse skips FastAPI's second validation.
    return JSONResponse({"items": result.items, "scores": result.scores, "fallback": result.fallback,
                         "timings_ms": result.timings_ms, "bundle_id": service.bundle_id,
                         "at": result.at.isoformat()})  # fmt: skip
