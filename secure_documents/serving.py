"""Document responses: headers that keep a file from ever running in our origin, single
byte ranges, and three ways to send the bytes without holding the file in memory.

Under ASGI, Django's FileResponse (and Wagtail's own document serving) turns a sync
iterator into a list before sending, so a 200 MB file costs 200 MB per download. Here the
filesystem is read in fixed chunks by an async generator (a file of at most one chunk in a
single read), or the transfer is handed to nginx (X-Accel-Redirect) or to object storage
(a presigned URL issued after the check).

A streamed local file also names its path and byte range (``FileStreamingResponse``):
when the server offers the ASGI zero-copy extension (config/zero_copy.py), the ASGI
handler (config/asgi.py) has the kernel send the bytes with ``sendfile`` and the chunk
generator is never started.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    StreamingHttpResponse,
)

from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.storage import content_disposition, secure_storage

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


def is_inline(document: SecureDocument) -> bool:
    return (
        document.content_type in INLINE_TYPES
        and not document.active_content
        and document.status == ProcessingStatus.CLEAN
    )


def security_headers(response: HttpResponse, document: SecureDocument) -> HttpResponse:
    disposition = "inline" if is_inline(document) else "attachment"
    response["Content-Disposition"] = content_disposition(disposition, document.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["ETag"] = document.etag
    response["Accept-Ranges"] = "bytes"
    response["Vary"] = "Cookie"
    return response


async def _chunks(name: str, start: int, length: int) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(secure_storage.open, name, "rb")
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


@dataclass(frozen=True)
class FileSlice:
    path: str
    offset: int
    count: int


class FileStreamingResponse(StreamingHttpResponse):
    """A streamed local file that also says which bytes of which file it streams, so a
    server that can send files itself does so (``file_slice``)."""

    def __init__(self, file_slice: FileSlice | None, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.file_slice = file_slice


def _local_path(name: str) -> str | None:
    try:
        return secure_storage.path(name)
    except NotImplementedError:  # object storage: no file on this machine
        return None


def not_modified(document: SecureDocument) -> HttpResponse:
    return security_headers(HttpResponseNotModified(), document)


def range_not_satisfiable(document: SecureDocument) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{document.file_size}"
    return security_headers(response, document)


def build_response(
    document: SecureDocument, *, byte_range: ByteRange | None, head: bool, mode: str | None = None
) -> HttpResponse:
    mode = mode or settings.DOCUMENT_SERVE_MODE
    size = int(document.file_size or 0)
    content_type = document.content_type or "application/octet-stream"
    if mode == "s3":
        url = secure_storage.presigned_url(
            document.file.name, filename=document.filename, inline=is_inline(document)
        )
        response: HttpResponse = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
    if mode == "accel":
        # nginx serves the internal location itself, Range requests included.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.DOCUMENT_ACCEL_PREFIX + quote(document.file.name)
        response["X-Accel-Buffering"] = "no"
        return security_headers(response, document)
    start, length, status = 0, size, 200
    if byte_range is not None:
        start, length, status = byte_range.start, byte_range.length, 206
    if head:
        response = HttpResponse(content_type=content_type, status=status)
    elif length <= CHUNK_SIZE:
        # One chunk's worth: read it here (the view runs in a worker thread) and send a
        # plain response, skipping the async iterator's thread hops per open/read/close.
        try:
            body = secure_storage.read_bytes(document.file.name, start, length)
        except FileNotFoundError:
            # A row whose file is gone (the sweep reports these): nothing to send.
            logger.warning("document file missing", extra={"document_id": document.pk})
            raise Http404 from None
        response = HttpResponse(body, content_type=content_type, status=status)
    else:
        path = _local_path(document.file.name)
        response = FileStreamingResponse(
            FileSlice(path, start, length) if path else None,
            _chunks(document.file.name, start, length),
            content_type=content_type,
            status=status,
        )
    response["Content-Length"] = str(length)
    if byte_range is not None:
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    return security_headers(response, document)


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}
