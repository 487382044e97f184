"""``/api/v1/``: the REST API (django-ninja), its OpenAPI schema and interactive docs.

Errors of every kind answer in one shape (api/errors.py); the access rule decides every
organization endpoint (api/context.py); writes go through the services of the apps.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from api.auth import AUTH
from api.context import organization_access
from api.endpoints import announcements, audit, documents, people
from api.errors import ApiError, error_response
from api.registry import NAMESPACE, rule_for

logger = structlog.get_logger(__name__)

# Service errors that mean "the current state does not allow it" rather than bad input.
CONFLICT_CODES = frozenset({"gone"})
CONFLICT_WORDS = ("already", "must keep an owner")

api = NinjaAPI(
    title="Org Portal API",
    version="1",
    description=(
        "Organizations, members, invitations, documents, announcements and the audit log. "
        "Authenticate with `Authorization: Bearer <token>` (tokens are made in the "
        "portal, under an organization's API tokens) or the browser's session (with "
        'the CSRF token for writes). Errors: `{"error": {"code", "message", "details"}}`.'
    ),
    auth=AUTH,
    urls_namespace=NAMESPACE,
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("", people.router)
api.add_router("", documents.router)
api.add_router("", announcements.router)
api.add_router("", audit.router)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(
        exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers
    )


def _access_first(request: HttpRequest) -> None:
    """Input is judged after the access rule: an organization the caller may not enter
    is a 404 (and a capability their role lacks a 403) whatever the body says, as for a
    valid body. The capability is the registry's for the URL (api/registry.py)."""
    match = request.resolver_match
    slug = match.kwargs.get("org_slug") if match else None
    rule = rule_for(match.view_name) if match else None
    capability = rule.capability_for(request.method or "GET") if rule is not None else None
    if slug and capability is not None:
        organization_access(request, str(slug), capability)


@api.exception_handler(SchemaValidationError)
def _schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    try:
        _access_first(request)
    except ApiError as refusal:
        return _api_error(request, refusal)
    details = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())[1:])
            or ".".join(str(part) for part in error.get("loc", ())),
            "message": str(error.get("msg", "")),
        }
        for error in exc.errors
    ]
    return error_response(400, "The request is not valid.", details=details)


@api.exception_handler(ValidationError)
def _service_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details: Any = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    message = " ".join(exc.messages)
    codes = {error.code for error in getattr(exc, "error_list", [])}
    conflict = bool(codes & CONFLICT_CODES) or any(w in message for w in CONFLICT_WORDS)
    return error_response(409 if conflict else 400, message, details=details)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(403, str(exc) or "")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # a body that cannot be parsed: access first, as above
        try:
            _access_first(request)
        except ApiError as refusal:
            return _api_error(request, refusal)
    return error_response(exc.status_code, str(exc))


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable: a 503, as for pages (decision 33).
        logger.error("api_database_unavailable", path=request.path, error=repr(exc))
        return error_response(503, headers={"Retry-After": "30"})
    logger.exception("api_error", path=request.path)
    return error_response(500)
