"""uvicorn's httptools protocol with the ASGI "Zero Copy Send" extension.

An application that sees ``"http.response.zerocopysend"`` in ``scope["extensions"]`` may
send ``{"type": "http.response.zerocopysend", "file": <open file>, "offset": int,
"count": int, "more_body": bool}`` instead of body messages; the server then moves the
bytes from the file to the socket with ``os.sendfile``, in the kernel (the extension is
part of the ASGI spec; uvicorn does not implement it). Streaming a document through
Python otherwise copies every byte through user space twice, which costs the worker
about 18 times what nginx spends on a static file (docs/benchmarks.md, "Large files").

Select it with ``uvicorn --http config.zero_copy:ZeroCopyHttpToolsProtocol`` (what
``docker/start_server.sh`` and ``make run`` do). Only responses with a Content-Length take
the kernel path; chunked responses fall back to reading the file in chunks. The extension
is not offered on TLS connections: ``sendfile`` would put plaintext into the TLS stream
(the deployment ends TLS in front of uvicorn, so this only matters for ``--ssl-*``).

Disk reads: ``sendfile`` runs on the event loop, like every other socket call here, and
reads the page cache; a file that is not cached is read from disk during the call, as
nginx does without ``aio threads``. Each call is capped at ``SENDFILE_MAX`` and the file
is marked sequential, so the kernel reads ahead of the socket and a call rarely waits for
the disk.

Waiting for the socket: uvloop (like asyncio) refuses a writer callback on a descriptor
that a transport owns, and uvloop has no ``loop.sendfile``. While a transfer waits, a
duplicate of the socket's descriptor is registered for writability instead; it refers to
the same socket, and it is removed and closed before the send returns, so it never keeps
a closed connection's socket alive (uvloop and asyncio both take a descriptor out of
epoll when its writer is removed; libuv's optional io_uring mode, off by default and not
enabled here, would defer that).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
from typing import Any, BinaryIO

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.utils import is_ssl

logger = logging.getLogger(__name__)

EXTENSION = "http.response.zerocopysend"
# Bytes per os.sendfile call (the kernel stops earlier when the socket buffer is full):
# bounds how long one call can keep the event loop when the file is not in the page cache.
SENDFILE_MAX = 1024 * 1024
FALLBACK_CHUNK = 256 * 1024


class ZeroCopyCycle(RequestResponseCycle):
    """A request-response cycle that also accepts ``http.response.zerocopysend``."""

    async def send(self, message: Any) -> None:
        if message["type"] != EXTENSION or not self.response_started or self.response_complete:
            # Everything else, and misuse (before the headers, after the end), is upstream's
            # to handle or to refuse.
            await super().send(message)
            return
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        file: BinaryIO = message["file"]
        offset = int(message.get("offset") or 0)
        count = message.get("count")
        if count is None:
            count = os.fstat(file.fileno()).st_size - offset
        more_body = bool(message.get("more_body", False))
        if self.scope["method"] == "HEAD":
            # No body on the wire; upstream's body handling does the bookkeeping.
            await super().send({"type": "http.response.body", "body": b"", "more_body": more_body})
            return
        if self.chunked_encoding:
            await self._send_by_reading(file, offset, int(count), more_body)
            return
        if count > self.expected_content_length:
            raise RuntimeError("Response content longer than Content-Length")
        try:
            await sendfile(self.transport, file.fileno(), offset, int(count))
        except OSError as exc:
            # The client went away (or the file shrank under us): the response cannot be
            # completed, so the connection ends, as it would with a failed body write.
            if exc.errno == errno.EIO:
                logger.warning("file shorter than the response's Content-Length; closing")
            self.disconnected = True
            self.transport.close()
            return
        self.expected_content_length -= count
        if not more_body:
            # Upstream's completion: checks the length, keep-alive or close, next request.
            await super().send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_by_reading(
        self, file: BinaryIO, offset: int, count: int, more_body: bool
    ) -> None:
        fd = file.fileno()
        while count > 0:
            chunk = await asyncio.to_thread(os.pread, fd, min(FALLBACK_CHUNK, count), offset)
            if not chunk:
                break
            count -= len(chunk)
            offset += len(chunk)
            await super().send({"type": "http.response.body", "body": chunk, "more_body": True})
        await super().send({"type": "http.response.body", "body": b"", "more_body": more_body})


class ZeroCopyHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, advertising and serving the zero-copy extension."""

    def on_headers_complete(self) -> None:
        # The scope is complete once the headers are; the cycle made from it by upstream
        # starts running on the next loop iteration (or waits in the pipeline queue as the
        # same object), after its class is swapped here.
        if is_ssl(self.transport):
            super().on_headers_complete()
            return
        self.scope.setdefault("extensions", {})[EXTENSION] = {}
        previous = self.cycle
        super().on_headers_complete()
        if self.cycle is not previous and type(self.cycle) is RequestResponseCycle:
            self.cycle.__class__ = ZeroCopyCycle


async def sendfile(transport: asyncio.Transport, file_fd: int, offset: int, count: int) -> None:
    """Send ``count`` bytes of ``file_fd`` from ``offset`` to the transport's socket, after
    whatever the transport still holds (the response headers). Raises OSError when the peer
    is gone or the file ends early."""
    loop = asyncio.get_running_loop()
    sock_fd = transport.get_extra_info("socket").fileno()
    with contextlib.suppress(OSError):
        os.posix_fadvise(file_fd, offset, count, os.POSIX_FADV_SEQUENTIAL)
    waiter_fd: int | None = None
    try:
        while count > 0:
            if transport.is_closing():
                raise ConnectionResetError("connection closed during the transfer")
            if transport.get_write_buffer_size() == 0:
                try:
                    sent = os.sendfile(sock_fd, file_fd, offset, min(count, SENDFILE_MAX))
                except BlockingIOError:
                    sent = None
                if sent == 0:
                    raise OSError(errno.EIO, "the file ended before the promised length")
                if sent:
                    offset += sent
                    count -= sent
                    continue
            if waiter_fd is None:
                waiter_fd = os.dup(sock_fd)
            await _writable(loop, waiter_fd)
    finally:
        if waiter_fd is not None:
            os.close(waiter_fd)


async def _writable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    ready = loop.create_future()
    loop.add_writer(fd, _set_done, ready)
    try:
        await ready
    finally:
        with contextlib.suppress(Exception):
            loop.remove_writer(fd)


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
