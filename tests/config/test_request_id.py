from __future__ import annotations

import re

import pytest
import structlog
from django.http import HttpResponse
from django.test import RequestFactory

from config.request_id import RequestIdMiddleware, resolve_request_id


def test_generated_when_missing(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_valid_incoming_id_is_reused(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health/live", headers={"X-Request-ID": "edge-4f1c2a9b-0001"})
    assert response["X-Request-ID"] == "edge-4f1c2a9b-0001"


@pytest.mark.parametrize(
    "bad",
    ["", "short", "has space in it", "x" * 200, "line\r\nInjected: 1", "<script>alert(1)</script>"],
)
def test_malformed_incoming_id_is_replaced(bad: str) -> None:
    assert resolve_request_id(bad) != bad
    assert re.fullmatch(r"[0-9a-f]{32}", resolve_request_id(bad))


def test_id_is_bound_to_the_logging_context() -> None:
    seen: dict[str, object] = {}

    def view(request):  # type: ignore[no-untyped-def]
        seen.update(structlog.contextvars.get_contextvars())
        return HttpResponse("ok")

    from django_structlog.middlewares import RequestMiddleware

    chain = RequestIdMiddleware(RequestMiddleware(view))
    request = RequestFactory().get("/", headers={"X-Request-ID": "trace-abcdef123456"})
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = chain(request)
    assert response["X-Request-ID"] == "trace-abcdef123456"
    assert seen["request_id"] == "trace-abcdef123456"
