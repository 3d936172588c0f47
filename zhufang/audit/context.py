"""Request context for audit rows: address and request id, set by the middleware per request.

Services are given the actor explicitly; where the action happened (IP, request id) comes from
here, so a service called from a command or a job simply records no address.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    request_id: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "zhufang_request_context",
    default=RequestContext(),  # noqa: B039 - immutable dataclass
)


def current_context() -> RequestContext:
    return _current.get()


def set_context(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset_context(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
