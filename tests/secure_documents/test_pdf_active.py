"""Active content in PDFs: such files are stored but only ever served as attachments."""

from __future__ import annotations

import io

import pytest

from secure_documents.validation import check_upload
from tests.secure_documents.files import PDF


def _pdf(catalog_extra: bytes, trailer: bytes = b"") -> bytes:
    return PDF.replace(b"/Type /Catalog", b"/Type /Catalog " + catalog_extra) + trailer


ACTIVE = {
    "open action to a URI": _pdf(b"/OpenAction << /S /URI /URI (https://evil.example/) >>"),
    "open action by reference to a URI": _pdf(
        b"/OpenAction 9 0 R", b"9 0 obj << /S /URI /URI (https://evil.example/) >> endobj\n"
    ),
    "launch": _pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
    "additional actions": _pdf(b"/AA << /WC << /S /JavaScript /JS (x) >> >>"),
    "additional actions alone": _pdf(b"/AA << /O 7 0 R >>"),
    "embedded files": _pdf(b"/Names << /EmbeddedFiles << /Names [] >> >>"),
    "rich media": _pdf(b"/RichMedia << >>"),
    "XFA form": _pdf(b"/AcroForm << /XFA 8 0 R >>"),
    "HTML polyglot": _pdf(b"", b"<html><body><script>alert(1)</script></body></html>\n"),
}
PASSIVE = {
    "plain": PDF,
    "a link annotation": _pdf(
        b"", b"5 0 obj << /Type /Annot /A << /S /URI /URI (https://x/) >> >>\n"
    ),
    "a name that starts like one": _pdf(b"/AAPL 1 /XFAX 2 /URIs 3"),
}


@pytest.mark.parametrize("content", ACTIVE.values(), ids=ACTIVE.keys())
def test_active_pdfs_are_flagged(content: bytes) -> None:
    checked = check_upload(name="file.pdf", file=io.BytesIO(content), size=len(content))
    assert checked.active_content is True


@pytest.mark.parametrize("content", PASSIVE.values(), ids=PASSIVE.keys())
def test_passive_pdfs_are_not(content: bytes) -> None:
    checked = check_upload(name="file.pdf", file=io.BytesIO(content), size=len(content))
    assert checked.active_content is False
