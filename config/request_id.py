"""Give every request an id, reuse a well-formed incoming one, and echo it back."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

# Ids from a proxy or client are logged and echoed, so only a short, plain token is
# accepted: anything else could inject fake log fields or header lines.
_VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"


def resolve_request_id(raw: str | None) -> str:
    if raw and _VALID_ID.fullmatch(raw):
        return raw
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets ``request.request_id`` and the ``X-Request-ID`` response header.

    It runs before django-structlog's middleware, which binds the id (from the same
    META key) to the logging context and hands it to Celery tasks enqueued here.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self, get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _prepare(self, request: HttpRequest) -> str:
        request_id = resolve_request_id(request.META.get(META_KEY))
        request.META[META_KEY] = request_id
        request.request_id = request_id  # type: ignore[attr-defined]
        return request_id

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if self.is_async:
            return self.__acall__(request)
        request_id = self._prepare(request)
        response = self.get_response(request)
        response[HEADER] = request_id  # type: ignore[index]
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        request_id = self._prepare(request)
        response = await self.get_response(request)  # type: ignore[misc]
        response[HEADER] = request_id
        return response
