from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.roles import Role
from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.services import document_create


def make_document(
    tenant: Any,
    name: str = "report.pdf",
    content: bytes | None = None,
    *,
    status: str = ProcessingStatus.CLEAN,
) -> SecureDocument:
    from tests.secure_documents.files import PDF

    document = document_create(
        acting_user=tenant.users[Role.EDITOR],
        organization=tenant.organization,
        uploaded_file=SimpleUploadedFile(name, content if content is not None else PDF),
    )
    SecureDocument.objects.filter(pk=document.pk).update(status=status)
    document.refresh_from_db()
    return document


@pytest.fixture
def doc_a(org_a) -> SecureDocument:  # type: ignore[no-untyped-def]
    return make_document(org_a, "alpha-report.txt", b"Alpha secret ZEBRA-ALPHA-7731 " * 100)
