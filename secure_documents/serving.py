"""Protected file responses: headers that keep a file from ever running in our origin,
single byte ranges, conditional requests, and three ways to send the bytes without
holding the file in memory.

Under ASGI, Django's FileResponse (and Wagtail's own document serving) turns a sync
iterator into a list before sending, so a 200 MB file costs 200 MB per download. Here a
local file is streamed in fixed chunks by an async iterator (ASGI) or a sync one (WSGI),
a small file is read in one go, or the transfer is handed to nginx (X-Accel-Redirect) or
to object storage (a presigned URL issued after the check).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    StreamingHttpResponse,
)

from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.storage import content_disposition, secure_storage

# What the serving functions answer: a whole body, or chunks streamed from storage.
FileResponse = HttpResponse | StreamingHttpResponse

logger = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
INLINE_TYPES = frozenset({"application/pdf"})
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """A single ``bytes=`` range, or None for "send it all" (absent, several ranges or a
    malformed header, which RFC 9110 lets a server ignore)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(0, size - length), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable
    return ByteRange(start, min(end, size - 1))


@dataclass(frozen=True)
class StoredFile:
    """What a response needs to know about a protected file, whatever its model."""

    storage: Any
    name: str  # the storage name
    filename: str  # what the person's browser saves it as
    size: int
    content_type: str
    etag: str
    inline: bool = False
    # Members-only files: private; files of a published site may be cached by anyone.
    cache_control: str = "private, max-age=0, must-revalidate"


def document_file(document: SecureDocument) -> StoredFile:
    return StoredFile(
        storage=secure_storage,
        name=document.file.name or "",
        filename=document.filename,
        size=int(document.file_size or 0),
        content_type=document.content_type or "application/octet-stream",
        etag=document.etag,
        inline=is_inline(document),
    )


def is_inline(document: SecureDocument) -> bool:
    return (
        document.content_type in INLINE_TYPES
        and not document.active_content
        and document.status == ProcessingStatus.CLEAN
    )


def security_headers(response: FileResponse, stored: StoredFile) -> FileResponse:
    disposition = "inline" if stored.inline else "attachment"
    response["Content-Disposition"] = content_disposition(disposition, stored.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = stored.cache_control
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["ETag"] = stored.etag
    response["Accept-Ranges"] = "bytes"
    if stored.cache_control.startswith("private"):
        response["Vary"] = "Cookie"
    return response


async def _async_chunks(stored: StoredFile, start: int, length: int) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(stored.storage.open, stored.name, "rb")
    try:
        if start:
            await asyncio.to_thread(handle.seek, start)
        remaining = length
        while remaining > 0:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


def _sync_chunks(stored: StoredFile, start: int, length: int) -> Iterator[bytes]:
    with stored.storage.open(stored.name, "rb") as handle:
        if start:
            handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def not_modified(stored: StoredFile) -> FileResponse:
    return security_headers(HttpResponseNotModified(), stored)


def range_not_satisfiable(stored: StoredFile) -> FileResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{stored.size}"
    return security_headers(response, stored)


def build_response(
    request: HttpRequest,
    stored: StoredFile,
    *,
    byte_range: ByteRange | None,
    mode: str | None = None,
    accel_prefix: str | None = None,
) -> FileResponse:
    """The response that sends ``stored`` (or ``byte_range`` of it) after the check."""
    mode = mode or settings.DOCUMENT_SERVE_MODE
    head = request.method == "HEAD"
    if mode == "s3":
        url = stored.storage.presigned_url(
            stored.name, filename=stored.filename, inline=stored.inline
        )
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = "private, no-store"
        redirect["Referrer-Policy"] = "no-referrer"
        return redirect
    if mode == "accel":
        # nginx serves the internal location itself, Range requests included.
        response: FileResponse = HttpResponse(content_type=stored.content_type)
        prefix = accel_prefix or settings.DOCUMENT_ACCEL_PREFIX
        response["X-Accel-Redirect"] = prefix + quote(stored.name)
        response["X-Accel-Buffering"] = "no"
        return security_headers(response, stored)
    start, length, status = 0, stored.size, 200
    if byte_range is not None:
        start, length, status = byte_range.start, byte_range.length, 206
    if head:
        response = HttpResponse(content_type=stored.content_type, status=status)
    elif length <= CHUNK_SIZE:
        try:
            with stored.storage.open(stored.name, "rb") as handle:
                handle.seek(start)
                body = handle.read(length)
        except FileNotFoundError:
            # A row whose file is gone (the sweep reports these): nothing to send.
            logger.warning("stored file missing", extra={"storage_name": stored.name})
            raise Http404 from None
        response = HttpResponse(body, content_type=stored.content_type, status=status)
    else:
        # Django's ASGI handler consumes an async iterator chunk by chunk, but buffers a
        # sync one whole; its WSGI handler wants a sync one.
        chunks: Any = (
            _async_chunks(stored, start, length)
            if isinstance(request, ASGIRequest)
            else _sync_chunks(stored, start, length)
        )
        response = StreamingHttpResponse(chunks, content_type=stored.content_type, status=status)
    response["Content-Length"] = str(length)
    if byte_range is not None:
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{stored.size}"
    return security_headers(response, stored)


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


def file_response(request: HttpRequest, stored: StoredFile, **kwargs: Any) -> FileResponse:
    """Conditional and Range handling, then ``build_response``."""
    if etag_matches(request.headers.get("If-None-Match"), stored.etag):
        return not_modified(stored)
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range and if_range.strip() != stored.etag:
        range_header = None  # the client's partial copy is stale: send everything
    try:
        byte_range = parse_range(range_header, stored.size)
    except RangeNotSatisfiable:
        return range_not_satisfiable(stored)
    return build_response(request, stored, byte_range=byte_range, **kwargs)
