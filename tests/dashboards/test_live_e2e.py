"""End to end: an upload is processed by a real Celery worker and the status change
reaches a connected member over the real channels-redis layer."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.roles import Role
from secure_documents.models import SecureDocument
from tests.dashboards.test_live_consumer import _receive_until, connect


async def test_processed_upload_reaches_the_dashboard(celery_worker, org_a) -> None:  # type: ignore[no-untyped-def]
    communicator, connected, _ = await connect(org_a.users[Role.MEMBER], "alpha")
    assert connected

    def upload() -> SecureDocument:
        from django.test import Client

        client = Client()
        client.force_login(org_a.users[Role.EDITOR])
        response = client.post(
            "/o/alpha/documents/upload/",
            {"file": SimpleUploadedFile("live.txt", b"watched live\n")},
            headers={"X-Upload": "file"},
        )
        assert response.status_code == 201
        return SecureDocument.objects.get()

    document = await database_sync_to_async(upload)()
    status_id = f"document-status-{document.public_id}"
    uploaded = await _receive_until(communicator, status_id, timeout=15)
    assert "Checking…" in uploaded
    processed = await _receive_until(communicator, "Not scanned", timeout=30)
    assert status_id in processed
    assert 'hx-swap-oob="true"' in processed
    await communicator.disconnect()


pytestmark = pytest.mark.django_db(transaction=True)
