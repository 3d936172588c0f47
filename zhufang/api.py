"""REST API under /api/v1 (django-ninja; OpenAPI docs at /api/v1/docs, served offline).

Authentication: a session cookie (with CSRF for writes) or ``Authorization: Bearer <token>`` for an
integration. Either way ``request.auth`` is the principal, and every handler reads domain objects
through the same data-scope mechanism as the pages.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from zhufang.accounts.services import authenticate_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer zf_…`` for integrations (110 CAD export, water company …)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return authenticate_token(token)


class SessionPrincipalAuth(SessionAuth):
    """The logged-in user, unless they still have to change an initial password."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and not getattr(user, "must_change_password", False):
            return user
        return None


api = NinjaAPI(
    title="zhufang 主防 API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionPrincipalAuth()],
    docs_url="/docs",
)


def principal_of(request: HttpRequest) -> Any:
    principal = getattr(request, "auth", None)
    if principal is None:
        raise HttpError(401, "not authenticated")
    return principal


def _register_routers() -> None:
    from zhufang.accounts.api import router as accounts_router
    from zhufang.audit.api import router as audit_router
    from zhufang.inspections.api import router as inspections_router
    from zhufang.instructions.api import router as instructions_router
    from zhufang.notifications.api import router as notifications_router
    from zhufang.org.api import router as org_router
    from zhufang.registry.api import router as registry_router
    from zhufang.registry.dedup_api import router as registry_dedup_router
    from zhufang.registry.quality_api import router as registry_quality_router
    from zhufang.workdays.api import router as workdays_router

    api.add_router("/org", org_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/audit", audit_router)
    api.add_router("/registry", registry_router)
    api.add_router("/registry/duplicates", registry_dedup_router)
    api.add_router("/registry/quality", registry_quality_router)
    api.add_router("/workdays", workdays_router)
    api.add_router("/inspections", inspections_router)
    api.add_router("/instructions", instructions_router)
    api.add_router("/notifications", notifications_router)


_register_routers()


def _validation_error(request: HttpRequest, exc: Any) -> Any:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": "invalid input", "errors": errors}, status=422)


def _permission_denied(request: HttpRequest, exc: Any) -> Any:
    return api.create_response(request, {"detail": str(exc) or "permission denied"}, status=403)


def _install_handlers() -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(PermissionDenied, _permission_denied)


_install_handlers()
