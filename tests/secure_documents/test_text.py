"""Text extraction (secure_documents/text.py) and its use by processing: every allowed
office and PDF type gives its words, broken and hostile files give "" without an error,
and the task stores the text of clean documents only, in the search index too."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.roles import Role
from secure_documents import text
from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.scanners import ScanResult
from secure_documents.services import document_create
from secure_documents.tasks import process_document
from tests.secure_documents.text_files import (
    W,
    docx_bytes,
    encrypted_pdf_bytes,
    odt_bytes,
    pdf_bytes,
    pptx_bytes,
    xlsx_bytes,
    zip_bomb_docx,
    zip_parts,
)

SAMPLES = {
    "pdf": (pdf_bytes("Quarterly pelican budget", "Second page walrus"), ["pelican", "walrus"]),
    "docx": (
        docx_bytes("Minutes of the pelican board", "Café walrus", header="Header heron"),
        ["pelican", "Café walrus", "cell value", "heron"],
    ),
    "pptx": (pptx_bytes("Slide pelican", "Slide walrus"), ["pelican", "walrus"]),
    "odt": (odt_bytes("Open pelican paragraph"), ["Heading", "pelican paragraph span"]),
    "xlsx": (xlsx_bytes([["Item", "Cost"], ["pelican chairs", 120.5]]), ["pelican chairs 120.5"]),
    "txt": (b"plain pelican text\x00 with a NUL", ["pelican", "with a NUL"]),
}


@pytest.mark.parametrize("extension", sorted(SAMPLES))
@pytest.mark.parametrize("isolated", [False, True], ids=["in-process", "child-process"])
def test_each_type_gives_its_words(extension: str, isolated: bool) -> None:
    data, expected = SAMPLES[extension]
    extract = text.extract_text_isolated if isolated else text.extract_text
    found = extract(data, extension)
    for words in expected:
        assert words in found, (extension, found)
    assert "\x00" not in found


def test_word_field_codes_are_not_text() -> None:
    assert "fieldcode" not in text.extract_text(docx_bytes("Body"), "docx")


def test_pages_run_in_order_and_stop_at_the_page_limit() -> None:
    data = pdf_bytes("first apple", "second banana", "third cherry")
    limited = text.extract_text(data, "pdf", text.Limits(max_parts=2))
    assert limited.index("apple") < limited.index("banana")
    assert "cherry" not in limited
    slides = text.extract_text(pptx_bytes(*[f"slide{n}" for n in range(1, 12)]), "pptx")
    assert slides.split() == [f"slide{n}" for n in range(1, 12)]  # 10 after 9


def test_text_is_cut_at_the_character_limit() -> None:
    data = docx_bytes(*["pelican walrus heron"] * 1000)
    found = text.extract_text(data, "docx", text.Limits(max_chars=500))
    assert 0 < len(found) <= 500
    assert len(text.extract_text(b"x" * 10_000, "txt", text.Limits(max_chars=100))) == 100


@pytest.mark.parametrize(
    ("extension", "data"),
    [
        ("pdf", b"%PDF-1.4\n garbage, no objects, no trailer"),
        ("pdf", pdf_bytes("half a file")[:200]),
        ("pdf", encrypted_pdf_bytes("secret pelican")),
        ("docx", b"PK\x03\x04 not really a zip"),
        ("xlsx", docx_bytes("a word file named .xlsx")),
        ("pptx", b""),
        ("odt", odt_bytes("x").replace(b"content.xml", b"contentXxml")),
        ("docx", zip_bomb_docx()),
        ("png", b"\x89PNG\r\n\x1a\n"),
        ("zip", docx_bytes("a zip is not read")),
    ],
    ids=[
        "pdf-garbage",
        "pdf-truncated",
        "pdf-encrypted",
        "docx-not-zip",
        "xlsx-wrong-kind",
        "empty",
        "odt-no-content",
        "docx-zip-bomb",
        "image",
        "zip",
    ],
)
def test_broken_encrypted_and_hostile_files_give_no_text(extension: str, data: bytes) -> None:
    started = time.monotonic()
    assert text.extract_text(data, extension) == ""
    assert text.extract_text_isolated(data, extension) == ""
    assert time.monotonic() - started < 10


def test_xml_entities_are_refused() -> None:
    # A "billion laughs" document: defusedxml refuses the DTD, so no text and no blow-up.
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {name} "{("&" + previous + ";") * 10}">'
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    body = f'<!DOCTYPE d [{entities}]><w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&i;'
    bomb = zip_parts({"word/document.xml": body + "</w:t></w:r></w:p></w:body></w:document>"})
    assert text.extract_text(bomb, "docx") == ""
    assert text.extract_text_isolated(bomb, "docx") == ""


def test_a_child_that_runs_too_long_gives_no_text() -> None:
    data = pdf_bytes(*[f"page {n}" for n in range(200)])
    assert text.extract_text_isolated(data, "pdf", text.Limits(timeout_seconds=0.01)) == ""


def test_a_child_out_of_memory_gives_no_text() -> None:
    # The child caps its own address space before parsing: a parser that needs more dies.
    data = pdf_bytes("pelican")
    assert text.extract_text_isolated(data, "pdf", text.Limits(memory_bytes=32 * 1024 * 1024)) == ""
    assert "pelican" in text.extract_text_isolated(data, "pdf")


def test_files_over_the_byte_limit_are_not_read() -> None:
    data = pdf_bytes("pelican")
    assert text.extract_text_isolated(data, "pdf", text.Limits(max_bytes=len(data) - 1)) == ""


# --- processing ------------------------------------------------------------------------------


def _upload(tenant, name: str, content: bytes) -> SecureDocument:  # type: ignore[no-untyped-def]
    return document_create(
        acting_user=tenant.users[Role.MEMBER],
        organization=tenant.organization,
        uploaded_file=SimpleUploadedFile(name, content),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("extension", ["pdf", "docx", "xlsx", "pptx", "odt"])
def test_processing_stores_the_text_and_indexes_it(org_a, extension: str) -> None:  # type: ignore[no-untyped-def]
    data, expected = SAMPLES[extension]
    document = _upload(org_a, f"upload.{extension}", data)
    assert process_document(document.pk, organization_id=org_a.organization.pk) == "clean"
    document.refresh_from_db()
    assert expected[0] in document.extracted_text
    found = SecureDocument.objects.filter(organization=org_a.organization).search("pelican")
    assert [hit.pk for hit in found] == [document.pk]


@pytest.mark.django_db
def test_a_broken_file_is_still_processed_without_text(org_a) -> None:  # type: ignore[no-untyped-def]
    document = _upload(org_a, "broken.pdf", b"%PDF-1.4\n pelican but no objects\n")
    assert process_document(document.pk, organization_id=org_a.organization.pk) == "clean"
    document.refresh_from_db()
    assert document.status == ProcessingStatus.CLEAN
    assert document.extracted_text == ""


@pytest.mark.django_db
def test_a_rejected_file_keeps_no_text(org_a, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class Infected:
        def scan(self, handle):  # type: ignore[no-untyped-def]
            return ScanResult(scanned=True, clean=False, reason="Test-Signature FOUND")

    monkeypatch.setattr("secure_documents.tasks.get_scanner", lambda: Infected())
    document = _upload(org_a, "infected.pdf", SAMPLES["pdf"][0])
    assert process_document(document.pk, organization_id=org_a.organization.pk) == "rejected"
    document.refresh_from_db()
    assert document.extracted_text == ""
    assert not SecureDocument.objects.search("pelican")


@pytest.mark.django_db
def test_extraction_can_be_switched_off(org_a, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENT_TEXT_MAX_CHARS = 0
    document = _upload(org_a, "upload.pdf", SAMPLES["pdf"][0])
    process_document(document.pk, organization_id=org_a.organization.pk)
    document.refresh_from_db()
    assert document.status == ProcessingStatus.CLEAN
    assert document.extracted_text == ""


@pytest.mark.django_db
def test_the_character_limit_setting_applies(org_a, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENT_TEXT_MAX_CHARS = 50
    document = _upload(org_a, "long.docx", docx_bytes(*["pelican walrus heron"] * 100))
    process_document(document.pk, organization_id=org_a.organization.pk)
    document.refresh_from_db()
    assert 0 < len(document.extracted_text) <= 50


@pytest.mark.django_db
def test_the_command_fills_documents_processed_before(org_a, settings) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    settings.DOCUMENT_TEXT_MAX_CHARS = 0  # as before text extraction existed
    old = _upload(org_a, "old.pdf", SAMPLES["pdf"][0])
    process_document(old.pk, organization_id=org_a.organization.pk)
    rejected = _upload(org_a, "rejected.docx", SAMPLES["docx"][0])
    SecureDocument.objects.filter(pk=rejected.pk).update(status=ProcessingStatus.REJECTED)
    assert not SecureDocument.objects.search("pelican")
    settings.DOCUMENT_TEXT_MAX_CHARS = 100_000
    out = StringIO()
    call_command("extract_document_text", stdout=out)
    assert "1 of 1 document(s)" in out.getvalue()
    assert [hit.pk for hit in SecureDocument.objects.search("pelican")] == [old.pk]
    rejected.refresh_from_db()
    assert rejected.extracted_text == ""
