"""The bodies of ``POST /recommend``: what a client may send, and what it gets back.

The request is validated strictly: no type is coerced (``"7"``, ``7.0`` and ``true`` are not
the user 7), unknown fields are refused, and every bound is checked, so that whatever reaches
the request path is what the schema says. A refused request gets a 422 naming each field and
why, never the value sent (see `validation_error_body`).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..assemble import naive_utc

__all__ = ["RecommendRequest", "RecommendResponse", "MAX_K", "MAX_USER_ID", "validation_error_body"]

#: The longest list one request may ask for (items; a larger ``k`` gets a 422).
MAX_K = 100
#: The largest user id a request may name: ids are int64 in the package (a larger one gets a 422;
#: any id the bundle does not know, up to this one, gets the popular items).
MAX_USER_ID = 2**63 - 1


class RecommendRequest(BaseModel):
    """The body of ``POST /recommend``: ``{"user_id": 7, "k": 10, "at": "2024-07-01T09:30:00Z"}``.

    ``at`` is the request's time, ISO-8601 text (without a zone: UTC); omitted, the service's
    clock gives it. A time before the bundle's snapshot gets a 422: the bundle's features
    describe a later moment.
    """

    model_config = ConfigDict(extra="forbid", strict=True)
    user_id: int = Field(ge=0, le=MAX_USER_ID, description="The user's id; ids the bundle does not know get "
                                                           "popular items")  # fmt: skip
    k: int = Field(default=10, ge=1, le=MAX_K, description="How many items to return")
    # Strict mode would take only a Python datetime, which JSON cannot carry: the text is parsed
    # here (lax), after `_iso_text` has refused anything that is not text (such as a number).
    at: datetime | None = Field(default=None, strict=False, description="The request's time (ISO-8601; "
                                                                        "UTC without a zone)")  # fmt: skip

    @field_validator("at", mode="before")
    @classmethod
    def _iso_text(cls, value):
        if value is not None and not isinstance(value, str):
            raise ValueError("the request time must be ISO-8601 text, such as '2024-07-01T09:30:00Z'")
        return value

    @field_validator("at")
    @classmethod
    def _representable(cls, value):
        # The package's timestamps are nanoseconds since 1970 in 64 bits: 1677-09-21 to 2262-04-11.
        if value is not None:
            stamp = naive_utc(value)
            if not pd.Timestamp.min <= stamp <= pd.Timestamp.max:
                raise ValueError(f"the request time must lie between {pd.Timestamp.min:%Y-%m-%d} and "
                                 f"{pd.Timestamp.max:%Y-%m-%d}")
        return value


class RecommendResponse(BaseModel):
    """The body of a ``POST /recommend`` response.

    ``items`` best first; ``scores`` the ranker's (retrieval's when the ranker did not order the
    list; null for popular items); ``fallback`` what the request path did instead of the normal
    path (null: nothing); ``timings_ms`` each stage's time; ``bundle_id`` the bundle that
    answered; ``at`` the request's time (UTC), as given or by the service's clock.
    """

    items: list[int]
    scores: list[float | None]
    fallback: str | None
    timings_ms: dict[str, float]
    bundle_id: str
    at: str


def validation_error_body(errors, known_fields=tuple(RecommendRequest.model_fields)) -> dict:
    """The body of a 422: where each error is and why, never the value sent.

    Echoing input back would put a client's text (``"<script>…"``) into a response, and a value
    such as ``1e400`` (infinity) cannot be written back as JSON at all. A field name the schema
    does not know is the client's text too: it is shown as ``"(unknown field)"``.
    """
    detail = []
    for error in errors:
        loc = [part if isinstance(part, int) or part == "body" or part in known_fields else "(unknown field)"
               for part in error["loc"]]  # fmt: skip
        detail.append({"loc": loc, "msg": error["msg"], "type": error["type"]})
    return {"detail": detail}
