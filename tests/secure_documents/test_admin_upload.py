"""Wagtail admin uploads go through the same service as the portal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.models import AuditEvent, Organization
from organizations.roles import Role
from secure_documents.models import SecureDocument
from tests.secure_documents.files import HTML

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, org_a):  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.EDITOR])
    return org_a


def test_single_upload_is_validated_stored_privately_and_audited(client, editor) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/admin/documents/add/",
        {"title": "Minutes", "file": SimpleUploadedFile("minutes.txt", b"minutes\n")},
    )
    assert response.status_code == 302
    document = SecureDocument.objects.get()
    assert document.file.name.startswith(f"{editor.organization.public_id}/")
    assert AuditEvent.objects.filter(action="document.uploaded").count() == 1


def test_single_upload_bad_file_is_a_form_error(client, editor) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/admin/documents/add/",
        {"title": "Page", "file": SimpleUploadedFile("page.html", HTML)},
    )
    assert response.status_code == 200
    assert b"not allowed" in response.content
    assert not SecureDocument.objects.exists()


def test_multiple_upload_reports_errors_as_json_and_keeps_nothing(client, editor) -> None:  # type: ignore[no-untyped-def]
    good = client.post(
        "/admin/documents/multiple/add/",
        {"files[]": SimpleUploadedFile("good.txt", b"fine\n")},
    )
    assert good.json()["success"] is True
    bad = client.post(
        "/admin/documents/multiple/add/",
        {"files[]": SimpleUploadedFile("fake.pdf", HTML)},
    )
    assert bad.json()["success"] is False
    assert "does not match" in bad.json()["error_message"]
    assert SecureDocument.objects.count() == 1
    from wagtail.models import UploadedFile

    assert not UploadedFile.objects.exists()


def test_admin_upload_respects_the_quota(client, editor) -> None:  # type: ignore[no-untyped-def]
    Organization.objects.filter(pk=editor.organization.pk).update(storage_quota_bytes=10)
    response = client.post(
        "/admin/documents/multiple/add/",
        {"files[]": SimpleUploadedFile("big.txt", b"more than ten bytes\n")},
    )
    assert response.json()["success"] is False
    assert "quota" in response.json()["error_message"]
    assert not SecureDocument.objects.exists()


def test_files_cannot_be_replaced_in_the_admin(client, editor) -> None:  # type: ignore[no-untyped-def]
    client.post(
        "/admin/documents/add/",
        {"title": "Minutes", "file": SimpleUploadedFile("minutes.txt", b"minutes\n")},
    )
    document = SecureDocument.objects.get()
    form = client.get(f"/admin/documents/edit/{document.pk}/").content.decode()
    assert 'type="file"' not in form


def test_admin_uploads_refuse_names_the_portal_refuses(client, editor) -> None:  # type: ignore[no-untyped-def]
    # Django's parser would drop the override character and store "notesfdp.txt".
    response = client.post(
        "/admin/documents/multiple/add/",
        {"files[]": SimpleUploadedFile("notes\u202efdp.txt", b"notes\n")},
    )
    assert response.json()["success"] is False
    assert "right-to-left" in response.json()["error_message"]
    single = client.post(
        "/admin/documents/add/",
        {"title": "Notes", "file": SimpleUploadedFile("CON.txt", b"notes\n")},
    )
    assert single.status_code == 200
    assert b"reserved" in single.content
    assert not SecureDocument.objects.exists()
