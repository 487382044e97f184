from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from api.models import Scope
from api.services import token_create
from dashboards.announcements import announcement_create
from organizations.roles import Role
from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.services import document_create
from tests.tenants import MARKER_A, MARKER_B


def make_token(
    tenant: Any, role: str = Role.OWNER, *, scope: str = Scope.WRITE, user: Any = None, **kw: Any
) -> str:
    _token, plaintext = token_create(
        acting_user=user or tenant.users[role],
        organization=tenant.organization,
        name=f"{role} token",
        scope=scope,
        **kw,
    )
    return plaintext


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def document(tenant: Any, name: str, content: bytes, **kw: Any) -> SecureDocument:
    made = document_create(
        acting_user=tenant.users[Role.EDITOR],
        organization=tenant.organization,
        uploaded_file=SimpleUploadedFile(name, content),
        **kw,
    )
    SecureDocument.objects.filter(pk=made.pk).update(status=ProcessingStatus.CLEAN)
    made.refresh_from_db()
    return made


@pytest.fixture
def api_world(org_a: Any, org_b: Any) -> dict[str, Any]:
    """Both organizations with a document and an announcement carrying their marker."""
    docs = {
        "a": document(org_a, "alpha.txt", f"Alpha {MARKER_A}".encode(), title=f"A {MARKER_A}"),
        "b": document(org_b, "bravo.txt", f"Bravo {MARKER_B}".encode(), title=f"B {MARKER_B}"),
    }
    notes = {
        key: announcement_create(
            acting_user=tenant.users[Role.EDITOR],
            organization=tenant.organization,
            title=f"News {marker}",
            body=f"<p>{marker}</p>",
        )
        for key, tenant, marker in (("a", org_a, MARKER_A), ("b", org_b, MARKER_B))
    }
    return {"a": org_a, "b": org_b, "documents": docs, "announcements": notes}


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def expired(tenant: Any) -> str:
    plaintext = make_token(tenant, expires_at=timezone.now() + timedelta(seconds=1))
    from api.models import ApiToken

    ApiToken.objects.filter(prefix=plaintext.split("_")[1]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    return plaintext
