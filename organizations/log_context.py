"""Every log line names the tenant where it is known: request, download, websocket, task.

Requests are logged by django-structlog's ``RequestMiddleware``. It writes
``request_started`` before the organization middleware has checked the membership, so
that line carries the request id, the user id and the client address; everything logged
later in the request carries ``organization_id`` too (``OrganizationMiddleware`` binds it
while the view runs), and the receivers here bind it again for the ``request_finished`` /
``request_failed`` line, which is written after that middleware has unbound it.

- A download (``/documents/<id>/...``) has no organization in its URL: the serve view names
  it (``note_organization``) once the access rule has allowed the download.
- Websockets: ``WebsocketLogMiddleware`` wraps each consumer, binds the handshake's request
  id, the user id and, for a member, the organization named by ``?org=`` for the socket's
  lifetime, and writes ``websocket_connected`` / ``websocket_closed`` lines.
- Celery tasks: django-structlog carries the request's context in the task headers; a
  task sent without one (beat) still names its ``organization_id`` argument.
"""

from __future__ import annotations

import contextlib
import time
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs

import structlog
from celery.signals import task_failure, task_retry, task_success
from django.dispatch import receiver
from django_structlog import signals
from django_structlog.celery import signals as task_signals

from config.request_id import resolve_request_id
from organizations.models import Membership

logger = structlog.get_logger("organizations.websocket")


# The organization of the document a request downloaded. Not a structlog binding: the
# organization middleware unbinds organization_id when the view returns, before the
# finishing line is written.
_downloaded_from: ContextVar[int | None] = ContextVar("downloaded_from", default=None)


def _organization_id(request: Any) -> int | None:
    organization = getattr(request, "organization", None)
    if organization is not None:
        return int(organization.pk)
    downloaded = _downloaded_from.get()
    if downloaded is not None:
        _downloaded_from.set(None)
        return downloaded
    return None


def note_organization(organization_id: int) -> None:
    """For views whose URL names no organization (file downloads): the organization the
    request turned out to be about, for its log lines (the finishing one included)."""
    _downloaded_from.set(int(organization_id))
    structlog.contextvars.bind_contextvars(organization_id=organization_id)


@receiver(signals.bind_extra_request_finished_metadata, dispatch_uid="log_context.finished")
def _bind_finished(request: Any, logger: Any, response: Any, log_kwargs: Any, **_: Any) -> None:
    organization_id = _organization_id(request)
    if organization_id is not None:
        structlog.contextvars.bind_contextvars(organization_id=organization_id)


@receiver(signals.bind_extra_request_failed_metadata, dispatch_uid="log_context.failed")
def _bind_failed(request: Any, logger: Any, exception: Any, log_kwargs: Any, **_: Any) -> None:
    organization_id = _organization_id(request)
    if organization_id is not None:
        structlog.contextvars.bind_contextvars(organization_id=organization_id)


def _bind_task_organization(task: Any) -> None:
    kwargs = getattr(getattr(task, "request", None), "kwargs", None) or {}
    organization_id = kwargs.get("organization_id")
    if organization_id is not None:
        structlog.contextvars.bind_contextvars(organization_id=organization_id)


@receiver(task_signals.bind_extra_task_metadata, dispatch_uid="log_context.task")
def _bind_task(task: Any, logger: Any, **_: Any) -> None:
    _bind_task_organization(task)


# A tenant task unbinds its organization when its body returns (organizations/task_base.py);
# django-structlog's task_succeeded / task_failed / task_retrying lines come after. These
# receivers are connected when Django is set up (organizations' ready()), before
# django-structlog's (the worker connects those when it starts), so they run first.
@task_success.connect(dispatch_uid="log_context.task_success")
@task_failure.connect(dispatch_uid="log_context.task_failure")
@task_retry.connect(dispatch_uid="log_context.task_retry")
def _rebind_task(sender: Any = None, **_: Any) -> None:
    _bind_task_organization(sender)


def _member_organization_id(user_id: int, slug: str) -> int | None:
    return (
        Membership.objects.filter(user_id=user_id, organization__slug=slug)
        .values_list("organization_id", flat=True)
        .first()
    )


class WebsocketLogMiddleware:
    """ASGI middleware for one websocket consumer: the socket's log context and its
    connect/close lines. Whether the socket may stream anything is the consumer's
    decision (the access rule); this only names who and which organization."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope.get("type") != "websocket":
            return await self.inner(scope, receive, send)
        # Channels' wrapper hands the connection back when the call ends: the socket
        # may stay open for hours, and a connection left with the thread is held as long.
        from channels.db import database_sync_to_async

        headers = dict(scope.get("headers") or [])
        request_id = resolve_request_id(
            (headers.get(b"x-request-id") or b"").decode("latin-1") or None
        )
        user = scope.get("user")
        user_id = user.pk if user is not None and user.is_authenticated else None
        slug = (parse_qs((scope.get("query_string") or b"").decode()).get("org") or [""])[0]
        organization_id = None
        if user_id is not None and slug:
            organization_id = await database_sync_to_async(_member_organization_id)(user_id, slug)
        context = {"request_id": request_id, "user_id": user_id, "path": scope.get("path")}
        if organization_id is not None:
            context["organization_id"] = organization_id
        opened = time.monotonic()
        state: dict[str, Any] = {"accepted": False, "code": None}

        async def logging_send(message: dict[str, Any]) -> None:
            kind = message.get("type")
            if kind == "websocket.accept":
                state["accepted"] = True
                logger.info("websocket_connected")
            elif kind == "websocket.close":
                state["code"] = message.get("code", 1000)
            await send(message)

        async def logging_receive() -> dict[str, Any]:
            message = await receive()
            if message.get("type") == "websocket.disconnect" and state["code"] is None:
                state["code"] = message.get("code", 1005)
            return dict(message)

        with structlog.contextvars.bound_contextvars(**context):
            try:
                return await self.inner(scope, logging_receive, logging_send)
            finally:
                with contextlib.suppress(Exception):
                    logger.info(
                        "websocket_closed" if state["accepted"] else "websocket_refused",
                        code=state["code"],
                        seconds=round(time.monotonic() - opened, 3),
                    )
