"""The service's routers: `recommend` (``POST /recommend``) and `health` (``GET /health``, ``GET /metrics``)."""

__all__ = []
