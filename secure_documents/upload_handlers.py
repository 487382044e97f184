"""Upload parsing for documents: size limits while streaming, and the client's own names.

Content-Length can be missing (chunked uploads) or lie, so the limit is counted on the
bytes actually received: a file that grows past it is dropped at once (SkipFile) and
reported; more files than allowed in one request stop the upload (StopUpload).

Django's multipart parser quietly rewrites file names (drops directories and
non-printable characters). A name like ``../../x.txt`` or one with a right-to-left
override should be refused with a reason, not silently accepted as something else, so
``RecordingParser`` keeps the name as sent and the handler attaches it to the file
(``raw_name``) for ``secure_documents.filenames.clean_filename`` to judge.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import SkipFile, StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParser

from secure_documents.filenames import clean_filename


class LimitedUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, request: Any = None, *, max_bytes: int, max_files: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.files_seen = 0
        self.received = 0
        self.rejected: list[tuple[str, str]] = []
        self.too_many = False
        self.pending_raw_name: str | None = None
        self.raw_name: str | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.files_seen += 1
        if self.files_seen > self.max_files:
            self.too_many = True
            raise StopUpload(connection_reset=False)
        self.received = 0
        self.raw_name, self.pending_raw_name = self.pending_raw_name, None
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.rejected.append(
                (
                    self.raw_name or self.file_name or "",
                    f"The file is larger than the limit of {self.max_bytes} bytes.",
                )
            )
            self.file.close()
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> Any:
        uploaded = super().file_complete(file_size)
        if uploaded is not None:
            uploaded.raw_name = self.raw_name  # type: ignore[attr-defined]
        return uploaded


class RecordingParser(MultiPartParser):
    def __init__(self, *args: Any, handler: LimitedUploadHandler, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handler = handler

    def sanitize_file_name(self, file_name: str) -> str | None:
        sanitized = super().sanitize_file_name(file_name)
        if sanitized is None and file_name:
            # Django would drop this part silently ("..", "."): say why instead.
            try:
                clean_filename(file_name)
            except ValidationError as exc:
                self.handler.rejected.append((file_name, " ".join(exc.messages)))
            else:
                self.handler.rejected.append((file_name, "The file name is not usable."))
        self.handler.pending_raw_name = file_name
        return sanitized


def install(request: HttpRequest, *, max_bytes: int, max_files: int) -> LimitedUploadHandler:
    """Use the limiting handler and the name-keeping parser for this request's body."""
    handler = LimitedUploadHandler(request, max_bytes=max_bytes, max_files=max_files)
    request.upload_handlers = [handler]

    def parse_file_upload(meta: Any, post_data: Any) -> Any:
        parser = RecordingParser(
            meta, post_data, request.upload_handlers, request.encoding, handler=handler
        )
        return parser.parse()

    request.parse_file_upload = parse_file_upload  # type: ignore[method-assign,assignment]
    return handler
