"""A variant of ``secure_documents.views.serve`` that the benchmarks measure beside the real
view, to check what the changes proposed in docs/benchmarks.md would gain. The site never
routes it; only bench/urls.py does, under /documents/bench/candidate/.

It calls the same helpers in the same order as the real view (permission check, ETag,
Range, audit row, response headers) and differs in three ways:
1. the user comes from ``request.user``, which the middleware has already loaded
   (``await request.auser()`` keeps a separate cache and loads the user a second time);
2. the check, the audit row and, for a file that fits in one chunk, the file read happen
   in ONE ``sync_to_async`` call; such a file is sent as a plain HttpResponse instead of
   an async generator (one thread hop instead of five);
3. the database connection goes back to the pool before the response is sent, instead of
   being held until the whole download has been transferred.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from secure_documents import services
from secure_documents.access import access_document_for_download
from secure_documents.serving import (
    CHUNK_SIZE,
    RangeNotSatisfiable,
    build_response,
    etag_matches,
    not_modified,
    parse_range,
    range_not_satisfiable,
    security_headers,
)
from secure_documents.storage import secure_storage


def _check_and_record(request: HttpRequest, document_id: int, filename: str) -> Any:
    try:
        document = access_document_for_download(request.user, document_id)
        if document.filename != filename:
            raise Http404
        if etag_matches(request.headers.get("If-None-Match"), document.etag):
            return not_modified(document)
        range_header = request.headers.get("Range")
        if_range = request.headers.get("If-Range")
        if if_range and if_range.strip() != document.etag:
            range_header = None
        size = int(document.file_size or 0)
        try:
            byte_range = parse_range(range_header, size)
        except RangeNotSatisfiable:
            return range_not_satisfiable(document)
        services.document_record_download(
            user=request.user,
            document=document,
            byte_range=f"{byte_range.start}-{byte_range.end}" if byte_range else "",
        )
        head = request.method == "HEAD"
        if byte_range is None and not head and size <= CHUNK_SIZE:
            with secure_storage.open(document.file.name, "rb") as handle:
                body = handle.read()
            response = HttpResponse(body, content_type=document.content_type)
            response["Content-Length"] = str(len(body))
            return security_headers(response, document)
        return build_response(document, byte_range=byte_range, head=head)
    finally:
        connection.close()  # back to the pool now, not after the transfer


@require_http_methods(["GET", "HEAD"])
async def serve(request: HttpRequest, document_id: int, document_filename: str) -> HttpResponse:
    return await sync_to_async(_check_and_record)(request, document_id, document_filename)
