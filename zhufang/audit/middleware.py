"""Middleware that records where a request came from for the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from zhufang.audit.context import RequestContext, reset_context, set_context


def client_ip(request: HttpRequest) -> str | None:
    """The peer address. Behind a reverse proxy, configure it to set REMOTE_ADDR (we do not trust
    X-Forwarded-For, which any client can forge)."""
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:36] or uuid.uuid4().hex
        token = set_context(RequestContext(ip=client_ip(request), request_id=request_id))
        try:
            response = self.get_response(request)
        finally:
            reset_context(token)
        response["X-Request-ID"] = request_id
        return response
