"""Content checks: the extension is allowed and the bytes are what the extension says."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO

import magic
from django.conf import settings
from django.core.exceptions import ValidationError

from secure_documents.filenames import clean_filename, extension_of

SNIFF_BYTES = 64 * 1024
OOXML = {"application/zip", "application/octet-stream"}
# What libmagic may call each allowed extension.
EXPECTED_TYPES: dict[str, set[str]] = {
    "pdf": {"application/pdf"},
    "txt": {"text/plain"},
    "md": {"text/plain", "text/markdown"},
    "csv": {"text/plain", "text/csv", "application/csv"},
    "docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"} | OOXML,
    "xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} | OOXML,
    "pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation"} | OOXML,
    "odt": {"application/vnd.oasis.opendocument.text", "application/zip"},
    "ods": {"application/vnd.oasis.opendocument.spreadsheet", "application/zip"},
    "png": {"image/png"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "gif": {"image/gif"},
    "webp": {"image/webp"},
    "zip": {"application/zip"},
}
# Markup a browser would run if it ever rendered the file as HTML: polyglots hide it in
# image chunks or text files.
MARKUP = re.compile(
    rb"<\s*(script|html|body|iframe|svg|object|embed|img[^>]*on\w+\s*=)|<!doctype\s+html|javascript:",
    re.IGNORECASE,
)
# PDF names that run something or carry something to run: scripts, launching programs,
# Flash/3D media, attached files, XFA forms (scriptable), additional actions (/AA: on
# open, on page view, on field focus...). A name ends at a delimiter, not at a word
# boundary: "/EmbeddedFiles" must not hide behind "/EmbeddedFile".
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|RichMedia|EmbeddedFiles?|XFA|AA)(?![A-Za-z0-9#])")
# An action run when the file opens that goes to a URI (a link alone is not active).
PDF_OPEN_ACTION = re.compile(rb"/OpenAction(?![A-Za-z0-9#])")
PDF_URI = re.compile(rb"/URI(?![A-Za-z0-9#])")
COMPRESSED = {"docx", "xlsx", "pptx", "odt", "ods", "zip"}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    extension: str
    size: int
    content_type: str
    active_content: bool


def _sniff(file: IO[bytes]) -> tuple[bytes, bytes]:
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0, 2)
    end = file.tell()
    file.seek(max(0, end - SNIFF_BYTES))
    tail = file.read(SNIFF_BYTES)
    file.seek(0)
    return head, tail


def _scan_whole(file: IO[bytes], pattern: re.Pattern[bytes], chunk: int = 1024 * 1024) -> bool:
    """Search the whole file in overlapping chunks (never all of it in memory)."""
    file.seek(0)
    previous = b""
    while block := file.read(chunk):
        if pattern.search(previous[-256:] + block):
            file.seek(0)
            return True
        previous = block
    file.seek(0)
    return False


def pdf_has_active_content(file: IO[bytes]) -> bool:
    """Scripts, launches, embedded files, XFA, additional actions, an open action that
    goes to a URI, or HTML markup (an HTML/PDF polyglot): served only as an attachment."""
    return (
        _scan_whole(file, PDF_ACTIVE)
        or (_scan_whole(file, PDF_OPEN_ACTION) and _scan_whole(file, PDF_URI))
        or _scan_whole(file, MARKUP)
    )


def check_upload(*, name: str | None, file: IO[bytes], size: int) -> CheckedFile:
    """Validate one uploaded file; ValidationError names the first problem found."""
    clean = clean_filename(name)
    extension = extension_of(clean)
    allowed = {ext.lower() for ext in settings.DOCUMENT_ALLOWED_EXTENSIONS}
    if extension not in allowed:
        raise ValidationError(
            f"Files of type .{extension} are not accepted. Allowed: "
            + ", ".join(f".{ext}" for ext in sorted(allowed))
            + ".",
            code="extension",
        )
    if size <= 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > settings.DOCUMENT_MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"The file is larger than the limit of {settings.DOCUMENT_MAX_UPLOAD_BYTES} bytes.",
            code="too_large",
        )
    head, _tail = _sniff(file)
    detected = magic.from_buffer(head, mime=True)
    expected = EXPECTED_TYPES.get(extension, set())
    if detected not in expected:
        raise ValidationError(
            f"The content of the file ({detected}) does not match its extension .{extension}.",
            code="content_mismatch",
        )
    if extension not in COMPRESSED and extension != "pdf" and _scan_whole(file, MARKUP):
        raise ValidationError(
            "The file contains HTML or script markup and is not accepted.", code="markup"
        )
    active = extension == "pdf" and pdf_has_active_content(file)
    return CheckedFile(
        name=clean, extension=extension, size=size, content_type=detected, active_content=active
    )
