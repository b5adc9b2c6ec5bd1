"""A limit on the size of request bodies, checked before a body is parsed.

Starlette reads a body whole, whatever its size, before FastAPI parses it: a client could make
the service hold and parse megabytes per request. `BodySizeLimit` answers 413 at once when the
declared ``Content-Length`` is too large, and stops reading a body sent without one (chunked)
as soon as it grows past the limit.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.responses import JSONResponse

__all__ = ["BodySizeLimit", "MAX_BODY_BYTES"]

#: The largest request body accepted (bytes). A request for recommendations is under 100 bytes.
MAX_BODY_BYTES = 4_096


class BodySizeLimit:
    """ASGI middleware: a request whose body exceeds ``max_bytes`` gets a 413.

    ``on_refused`` (optional) is called for each request refused: a metric's counter.

    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> app.add_middleware(BodySizeLimit, max_bytes=1_024)
    """

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, on_refused=None):
        self.app = app
        self.max_bytes = max_bytes
        self.on_refused = on_refused

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    return await JSONResponse({"detail": "malformed Content-Length header"}, status_code=400)(
                        scope, receive, send)  # fmt: skip
                if len(value) > 15 or int(value) > self.max_bytes:
                    return await self._refuse(scope, receive, send)
                break
        received = 0

        async def receive_within_limit():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # a chunked body growing past the limit
                    self._count()
                    raise HTTPException(status_code=413, detail=self._detail())
            return message

        await self.app(scope, receive_within_limit, send)

    async def _refuse(self, scope, receive, send):
        self._count()
        await JSONResponse({"detail": self._detail()}, status_code=413)(scope, receive, send)

    def _count(self) -> None:
        if self.on_refused is not None:
            self.on_refused()

    def _detail(self) -> str:
        return f"the request body is larger than {self.max_bytes:,} bytes"
