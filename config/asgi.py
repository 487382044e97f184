"""ASGI entry point: HTTP goes to Django, websockets through Channels.

Websockets are authenticated from the session cookie and must come from an origin in
ALLOWED_HOSTS (``AllowedHostsOriginValidator``), which stops cross-site websocket
hijacking with a victim's cookie.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, BinaryIO

import django
from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# Django must be set up before anything imports models (consumers, auth middleware).
django.setup(set_prefix=False)

from config.request_threads import RequestThreads  # noqa: E402
from config.zero_copy import EXTENSION as ZERO_COPY  # noqa: E402
from secure_documents.serving import CHUNK_SIZE, FileSlice, FileStreamingResponse  # noqa: E402

logger = logging.getLogger(__name__)


class _ZeroCopySend:
    """The server's ``send``, marked as accepting ``http.response.zerocopysend`` (Django
    hands ``send_response`` the callable but not the scope that says so)."""

    __slots__ = ("send",)

    def __init__(self, send: Any) -> None:
        self.send = send

    async def __call__(self, message: Any) -> None:
        await self.send(message)


class OrgPortalASGIHandler(ASGIHandler):
    """Django's handler, with these changes:

    - The sync part of a request runs on a worker thread reused from earlier requests
      (config/request_threads.py), not on a new thread per request.
    - The middleware stack is built in sync mode and entered once (``load_middleware``).
    - A local file streamed by the document view (``FileStreamingResponse``) is sent by
      the server with ``sendfile`` when it offers the zero-copy extension
      (config/zero_copy.py): no byte passes through Python.
    - Otherwise each part of a streamed response goes out as one ASGI message. Django cuts
      every part into 64 KiB messages (``chunk_bytes`` slices, so copies, each piece),
      which for a download read in 256 KiB chunks meant four copies and four trips
      through the server per chunk. The server does its own socket writes.
    """

    chunk_size = CHUNK_SIZE

    def __init__(self) -> None:
        super().__init__()
        self.request_threads = RequestThreads()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.request_threads.acquire()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        except BaseException:
            # The request did not end normally (an error while sending, or this task
            # cancelled): its view may still be running and ``request_finished`` may not
            # have run. The thread is not lent again; once its queued work is done it
            # returns its database connection to the pool and ends.
            self.request_threads.discard(executor)
            raise
        self.request_threads.release(executor)

    def load_middleware(self, is_async: bool = False) -> None:
        """The whole stack in sync mode, entered once per request.

        Django builds an ASGI handler's stack from the inside out in async mode and adapts
        at every change: the sync-only organization middlewares, with async-capable ones
        on either side and an async view getter inside, meant a hop from the worker thread
        back to the event loop and out again for each ``MiddlewareMixin`` step below
        them and for the view, five or more thread switches per request. Built as for
        WSGI (the mode the test client runs it in), a request enters one worker thread,
        runs every middleware and the (sync) view there, and comes back. An async view
        still works: Django runs it with ``async_to_sync`` on the event loop."""
        super().load_middleware(is_async=False)
        self._middleware_chain = self.adapt_method_mode(True, self._middleware_chain, False)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        if ZERO_COPY in (scope.get("extensions") or {}):
            send = _ZeroCopySend(send)
        await super().handle(scope, receive, send)

    async def send_response(self, response: Any, send: Any) -> None:
        file_slice = _sendable_slice(response) if isinstance(send, _ZeroCopySend) else None
        if file_slice is None:
            await super().send_response(response, send)
            return
        try:
            handle = await _open(file_slice.path)
        except OSError as exc:
            # Gone since the check: the chunk reader meets the same error after the
            # headers, as it would without the extension.
            logger.warning("document file unreadable: %s", type(exc).__name__)
            await super().send_response(response, send)
            return
        try:
            await send(_start_message(response))
            await send(
                {
                    "type": ZERO_COPY,
                    "file": handle,
                    "offset": file_slice.offset,
                    "count": file_slice.count,
                    "more_body": False,
                }
            )
        finally:
            handle.close()


def _sendable_slice(response: Any) -> FileSlice | None:
    """The file and byte range to send with the extension, when the response's headers
    still describe exactly those bytes. A middleware that changed the body (compression,
    for one) changes them too, and then the response's own content is sent. The content
    wrappers of such middleware do not run on this path: django-structlog's
    ``streaming_started``/``streaming_finished`` events are not logged for these transfers
    (its ``request_finished`` is)."""
    if not isinstance(response, FileStreamingResponse) or response.file_slice is None:
        return None
    file_slice = response.file_slice
    if response.has_header("Content-Encoding") or response.get("Content-Length") != str(
        file_slice.count
    ):
        return None
    return file_slice


async def _open(path: str) -> BinaryIO:
    # Opened in a thread (a slow disk must not hold the event loop); if the request is
    # cancelled meanwhile, the file is closed when the thread is done with it.
    opening = asyncio.ensure_future(asyncio.to_thread(open, path, "rb"))
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        opening.add_done_callback(_close_result)
        raise


def _close_result(opening: asyncio.Future[BinaryIO]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()


def _start_message(response: Any) -> dict[str, Any]:
    # As Django's send_response builds it: header case kept, cookies as Set-Cookie.
    headers = [
        (
            bytes(name.encode("ascii") if isinstance(name, str) else name),
            bytes(value.encode("latin1") if isinstance(value, str) else value),
        )
        for name, value in response.items()
    ]
    headers += [
        (b"Set-Cookie", cookie.output(header="").encode("ascii").strip())
        for cookie in response.cookies.values()
    ]
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}


django_asgi_app = OrgPortalASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402

http_app = django_asgi_app
if settings.DEBUG:
    # Production serves static files from nginx; uvicorn in development does it here.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
