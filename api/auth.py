"""Who is calling: a personal API token (``Authorization: Bearer op_...``) or the
browser's session (with CSRF for writes, ninja's ``SessionAuth``).

A token's person is bound to the token's organization for the rest of the request
(``organizations.access.bind_to_organization``): every check of the access rule, in the
API and in the services it calls, sees that one membership, so the token never reaches
another organization of its person. Each token has its own rate limit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from api.errors import ApiError
from api.models import ApiToken
from api.tokens import authenticate
from organizations import access
from organizations.log_context import note_organization
from organizations.ratelimit import consume

INVALID_TOKEN = "The token is not valid: unknown, expired or revoked."  # noqa: S105


def bind_request(request: HttpRequest, token: ApiToken) -> None:
    """The request acts as the token's person, in the token's organization only."""
    request.user = token.user
    request.api_token = token  # type: ignore[attr-defined]
    access.bind_to_organization(token.user, token.organization_id)
    note_organization(token.organization_id)


def check_rate(token: ApiToken) -> None:
    result = consume(token.organization_id, settings.API_RATE_LIMIT, "api-token", token.pk)
    if not result.allowed:
        raise ApiError(
            429,
            f"This token may make {settings.API_RATE_LIMIT} requests. Try again later.",
            details={"retry_after": result.retry_after},
            headers={"Retry-After": str(result.retry_after)},
        )


def token_from(request: HttpRequest, raw: str) -> ApiToken:
    """The token behind ``raw``, bound to the request and counted; 401 or 429 otherwise."""
    token = authenticate(raw)
    if token is None:
        raise ApiError(401, INVALID_TOKEN, code="invalid_token")
    check_rate(token)
    bind_request(request, token)
    return token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return token_from(request, token)


class BrowserSessionAuth(SessionAuth):
    """The signed-in browser; ninja checks CSRF on it for every unsafe method."""

    def __call__(self, request: HttpRequest) -> Any:
        # Not signed in: no session to protect, so no CSRF verdict either (401, not 403).
        if getattr(request, "api_token", None) is not None or not request.user.is_authenticated:
            return None
        return super().__call__(request)


AUTH = [TokenAuth(), BrowserSessionAuth()]
