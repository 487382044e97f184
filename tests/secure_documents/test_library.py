"""The portal's documents library: table, filters, delete, isolation."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import AuditEvent
from organizations.roles import Role
from secure_documents.models import ProcessingStatus, SecureDocument
from tests.secure_documents.conftest import make_document
from tests.secure_documents.files import PDF, png_bytes
from tests.tenants import MARKER_A

pytestmark = pytest.mark.django_db
URL = "/o/alpha/documents/"


@pytest.fixture
def documents(org_a):  # type: ignore[no-untyped-def]
    return [
        make_document(org_a, "budget.pdf", PDF),
        make_document(org_a, "photo.png", png_bytes(), status=ProcessingStatus.PENDING),
        make_document(
            org_a, f"minutes {MARKER_A}.txt", b"minutes\n", status=ProcessingStatus.REJECTED
        ),
    ]


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.MEMBER, Role.VIEWER])
def test_members_see_the_library(client, org_a, documents, role: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[role])
    body = client.get(URL).content.decode()
    assert "budget" in body
    assert "photo" in body
    assert "of 1.0" in body  # storage used of quota
    assert ("documents-upload" in body) is (role != Role.VIEWER)


def test_search_status_type_filters_and_sort(client, org_a, documents) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    assert "photo" not in client.get(URL, {"q": "budget"}).content.decode()
    pending = client.get(URL, {"status": "pending"}).content.decode()
    assert "photo" in pending
    assert "budget" not in pending
    images = client.get(URL, {"type": "image"}).content.decode()
    assert "photo" in images
    assert "budget" not in images
    ordered = client.get(URL, {"sort": "title"}).content.decode()
    assert ordered.index("budget") < ordered.index("photo")
    assert client.get(URL, {"status": "nonsense"}).status_code == 200


def test_htmx_requests_get_the_table_fragment(client, org_a, documents) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    response = client.get(
        URL, {"q": "budget"}, headers={"HX-Request": "true", "HX-Target": "documents-results"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "budget" in body


def test_pagination_keeps_the_query_count(client, org_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    for i in range(5):
        make_document(org_a, f"d{i}.txt", b"text\n")

    def count() -> int:
        client.get(URL)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    few = count()
    for i in range(55):
        make_document(org_a, f"e{i}.txt", b"text\n")
    assert count() == few
    assert client.get(URL, {"page": "3"}).status_code == 200


def test_other_organization_and_anonymous(client, org_a, org_b, documents) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL).status_code == 302
    client.force_login(org_b.users[Role.OWNER])
    response = client.get(URL)
    assert response.status_code == 404
    assert MARKER_A not in response.content.decode()
    doc = documents[0]
    delete = client.post(f"/o/alpha/documents/{doc.public_id}/delete/")
    assert delete.status_code == 404
    own = client.post(f"/o/bravo/documents/{doc.public_id}/delete/")
    assert own.status_code == 404
    assert SecureDocument.objects.filter(pk=doc.pk).exists()


def test_delete_removes_row_then_file_and_is_audited(
    client, org_a, documents, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    doc = documents[0]
    path = Path(doc.file.path)
    client.force_login(org_a.users[Role.EDITOR])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/alpha/documents/{doc.public_id}/delete/")
    assert response.status_code == 303
    assert not SecureDocument.objects.filter(pk=doc.pk).exists()
    assert not path.exists()
    assert AuditEvent.objects.filter(action="document.deleted", target_id=str(doc.pk)).exists()


def test_members_delete_only_their_own(client, org_a, documents) -> None:  # type: ignore[no-untyped-def]
    doc = documents[0]  # uploaded by the editor
    client.force_login(org_a.users[Role.MEMBER])
    assert client.post(f"/o/alpha/documents/{doc.public_id}/delete/").status_code == 403
    client.force_login(org_a.users[Role.VIEWER])
    assert client.post(f"/o/alpha/documents/{doc.public_id}/delete/").status_code == 403
    assert SecureDocument.objects.filter(pk=doc.pk).exists()
