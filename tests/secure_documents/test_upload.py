"""Uploads through the portal: every bad input gets a clear message and stores nothing."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from organizations.models import AuditEvent, Organization
from organizations.roles import Role
from secure_documents.models import SecureDocument
from tests.secure_documents.files import (
    HTML,
    PDF,
    PDF_WITH_JS,
    SVG,
    XHTML,
    docx_bytes,
    png_bytes,
    png_html_polyglot,
    upload,
)

pytestmark = pytest.mark.django_db
URL = "/o/alpha/documents/upload/"


def stored_files() -> list[Path]:
    root = Path(settings.SECURE_DOCUMENTS_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _raw_multipart(name: str, content: bytes, boundary: str = "XyZ") -> bytes:
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{quoted}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def send(client, name: str, content: bytes, *, single: bool = True):  # type: ignore[no-untyped-def]
    """A hand-built multipart body, so the file name arrives exactly as written (Django's
    test client would strip directories from it first)."""
    headers = {"X-Upload": "file"} if single else {}
    return client.generic(
        "POST",
        URL,
        _raw_multipart(name, content),
        content_type="multipart/form-data; boundary=XyZ",
        headers=headers,
    )


@pytest.fixture
def member(client, org_a):  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    return org_a


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", PDF),
        ("notes.txt", b"plain notes\n"),
        ("table.csv", b"a,b\n1,2\n"),
        ("photo.png", png_bytes()),
        ("letter.docx", docx_bytes()),
    ],
)
def test_good_files_are_stored_under_generated_paths(
    client, member, name: str, content: bytes
) -> None:  # type: ignore[no-untyped-def]
    response = send(client, name, content)
    assert response.status_code == 201, response.content
    document = SecureDocument.objects.get()
    organization = member.organization
    assert document.file.name == f"{organization.public_id}/{document.public_id}/{name}"
    assert document.organization == organization
    assert document.uploaded_by_user == member.users[Role.MEMBER]
    assert document.file_size == len(content)
    assert len(document.sha256) == 64
    assert [p.read_bytes() for p in stored_files()] == [content]
    assert AuditEvent.objects.filter(
        action="document.uploaded", target_id=str(document.pk)
    ).exists()


BAD = [
    ("page.html", HTML, "not allowed"),
    ("drawing.svg", SVG, "not allowed"),
    ("page.xhtml", XHTML, "not allowed"),
    ("shell.php", b"<?php system($_GET['c']); ?>", "not allowed"),
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "not allowed"),
    ("a.pdf.html", HTML, "not allowed"),
    ("a.html.pdf", PDF, "not allowed"),
    ("fake.pdf", HTML, "does not match"),
    ("polyglot.png", png_html_polyglot(), "markup"),
    ("notes.txt", b"hello <script>alert(1)</script>", "does not match|markup"),
    ("report.pdf.", PDF, "end with a dot"),
    ("report.pdf ", PDF, "space"),
    ("report%00.pdf", PDF, "null byte"),
    ("report\x00.pdf", PDF, "null byte|no name"),
    ("cod\u202efdp.pdf", PDF, "right-to-left"),
    ("x" * 300 + ".pdf", PDF, "longer than"),
    ("../../etc/passwd.txt", b"root", "path"),
    ("..\\..\\boot.txt", b"x", "path"),
    ("/etc/passwd.txt", b"x", "path"),
    ("%2e%2e%2fescape.txt", b"x", "path"),
    ("line\r\nbreak.pdf", PDF, "control|quotes"),
    ('quote".pdf', PDF, "quotes"),
    ("", PDF, "no name|choose at least one"),
    (".htaccess", b"Options +ExecCGI", "hidden"),
    ("CON.txt", b"x", "reserved"),
    ("empty.txt", b"", "empty"),
]


@pytest.mark.parametrize(
    ("name", "content", "message"), BAD, ids=[b[0][:30] or "empty-name" for b in BAD]
)
def test_bad_uploads_get_a_clear_message_and_store_nothing(
    client, member, name: str, content: bytes, message: str
) -> None:  # type: ignore[no-untyped-def]
    import re

    response = send(client, name, content)
    assert 400 <= response.status_code < 500
    assert re.search(message, response.content.decode(), re.IGNORECASE), response.content
    assert not SecureDocument.objects.exists()
    assert stored_files() == []


def test_pdf_with_javascript_is_stored_but_never_inline(client, member) -> None:  # type: ignore[no-untyped-def]
    assert send(client, "active.pdf", PDF_WITH_JS).status_code == 201
    document = SecureDocument.objects.get()
    assert document.active_content is True
    document.status = "clean"
    document.save()
    response = client.get(document.url)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_size_limit_exactly_at_and_one_byte_over(client, member, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENT_MAX_UPLOAD_BYTES = 1000
    assert send(client, "at-limit.txt", b"a" * 1000).status_code == 201
    over = send(client, "over.txt", b"a" * 1001)
    assert over.status_code == 413
    assert b"larger than" in over.content
    assert list(SecureDocument.objects.values_list("file_size", flat=True)) == [1000]
    assert len(stored_files()) == 1


@pytest.mark.parametrize("declared", ["missing", "understated"])
def test_limit_holds_when_content_length_is_missing_or_wrong(
    member, settings, declared: str, rf
) -> None:  # type: ignore[no-untyped-def]
    """The handler counts received bytes; Content-Length is not trusted."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    from organizations.middleware import OrganizationMiddleware
    from secure_documents.views import upload as upload_view

    settings.DOCUMENT_MAX_UPLOAD_BYTES = 1000
    body = _raw_multipart("big.txt", b"a" * 5000)
    request = rf.generic(
        "POST",
        URL,
        data=body,
        content_type="multipart/form-data; boundary=XyZ",
        headers={"X-Upload": "file"},
    )
    if declared == "missing":
        del request.META["CONTENT_LENGTH"]
        request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
        # Django reads up to CONTENT_LENGTH; a chunked body arrives with none. The
        # handler still sees every byte the parser feeds it.
        request.META["CONTENT_LENGTH"] = str(len(body))
    else:
        request.META["CONTENT_LENGTH"] = str(len(body))
        request.META["HTTP_X_DECLARED_LENGTH"] = "100"
    request.user = member.users[Role.MEMBER]
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request._dont_enforce_csrf_checks = True
    request.htmx = False

    def view(req):  # type: ignore[no-untyped-def]
        return upload_view(req, org_slug="alpha")

    response = OrganizationMiddleware(view)(request)
    assert response.status_code == 413
    assert not SecureDocument.objects.exists()
    assert stored_files() == []


def test_too_many_files_in_one_request(client, member, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENT_MAX_FILES_PER_REQUEST = 3
    files = [upload(f"n{i}.txt", b"hello") for i in range(5)]
    response = client.post(URL, {"file": files})
    assert response.status_code == 400
    assert b"at most 3 files" in response.content
    assert not SecureDocument.objects.exists()
    assert stored_files() == []


def test_several_files_without_javascript_report_each(client, member) -> None:  # type: ignore[no-untyped-def]
    files = [upload("good.txt", b"fine"), upload("bad.html", HTML)]
    response = client.post(URL, {"file": files})
    assert response.status_code == 400
    body = response.content.decode()
    assert "good.txt" in body
    assert "not allowed" in body
    assert list(SecureDocument.objects.values_list("title", flat=True)) == ["good"]


def test_quota_is_enforced(client, member) -> None:  # type: ignore[no-untyped-def]
    Organization.objects.filter(pk=member.organization.pk).update(storage_quota_bytes=100)
    assert send(client, "a.txt", b"a" * 60).status_code == 201
    response = send(client, "b.txt", b"b" * 60)
    assert response.status_code == 400
    assert b"quota" in response.content
    assert SecureDocument.objects.count() == 1
    assert len(stored_files()) == 1


def test_rate_limit(client, member, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENT_UPLOAD_RATE = "3/m"
    codes = [send(client, f"r{i}.txt", b"some text").status_code for i in range(5)]
    assert codes == [201, 201, 201, 400, 400]
    assert SecureDocument.objects.count() == 3


@pytest.mark.parametrize("role", [Role.VIEWER])
def test_roles_without_upload_capability_are_refused(client, org_a, role: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[role])
    assert send(client, "a.txt", b"x").status_code == 403
    assert not SecureDocument.objects.exists()


def test_other_organizations_members_get_404(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_b.users[Role.OWNER])
    assert send(client, "a.txt", b"x").status_code == 404
    assert not SecureDocument.objects.exists()


def test_anonymous_is_sent_to_login(client, org_a) -> None:  # type: ignore[no-untyped-def]
    response = send(client, "a.txt", b"x")
    assert response.status_code == 302
    assert not SecureDocument.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_cannot_overshoot_the_quota(org_a) -> None:  # type: ignore[no-untyped-def]
    Organization.objects.filter(pk=org_a.organization.pk).update(storage_quota_bytes=1500)
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def worker(index: int) -> None:
        client = Client()
        client.force_login(org_a.users[Role.MEMBER])
        barrier.wait()
        response = client.post(
            URL, {"file": upload(f"p{index}.txt", b"x" * 1000)}, headers={"X-Upload": "file"}
        )
        codes.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [201, 400]
    assert SecureDocument.objects.count() == 1
    assert len(stored_files()) == 1


def test_no_file_in_the_request(client, member) -> None:  # type: ignore[no-untyped-def]
    response = client.post(URL, {}, headers={"X-Upload": "file"})
    assert response.status_code == 400
    assert b"Choose at least one file" in response.content


def test_failed_row_write_removes_the_file(client, member, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from organizations import audit

    def boom(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr("secure_documents.services.audit_record", boom)
    client.raise_request_exception = False
    response = send(client, "a.txt", b"hello")
    assert response.status_code == 500
    assert not SecureDocument.objects.exists()
    assert stored_files() == []
    assert audit  # the real module is untouched
    assert os.environ  # keep imports used
