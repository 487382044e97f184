"""The organization (and request facts) of the current unit of work.

A request, a Celery task and a websocket consumer each set these for their duration and
reset them afterwards; log lines, audit events and task headers read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import structlog


@dataclass(frozen=True)
class RequestFacts:
    ip: str | None = None
    request_id: str | None = None


current_organization_id: ContextVar[int | None] = ContextVar(
    "current_organization_id", default=None
)
# RequestFacts is a frozen dataclass, so sharing one default instance is safe.
current_request: ContextVar[RequestFacts] = ContextVar("current_request", default=RequestFacts())  # noqa: B039


@contextmanager
def organization_context(organization_id: int | None) -> Iterator[None]:
    """Bind the organization for logs and task headers, and always unbind it afterwards."""
    token = current_organization_id.set(organization_id)
    structlog.contextvars.bind_contextvars(organization_id=organization_id)
    try:
        yield
    finally:
        current_organization_id.reset(token)
        structlog.contextvars.unbind_contextvars("organization_id")


@contextmanager
def request_context(facts: RequestFacts) -> Iterator[None]:
    token = current_request.set(facts)
    try:
        yield
    finally:
        current_request.reset(token)
