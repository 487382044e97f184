"""The document store fills up under a running server (a 96 KiB tmpfs: the kernel's own
ENOSPC, half-way through writing the file): each upload that does not fit answers 507
with a message, and leaves no partial file and no row; what fitted before is intact;
readiness names the document store."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from organizations.models import AuditEvent
from organizations.roles import Role
from tests.faults.processes import session_cookies, uvicorn_on_a_small_disk

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

TOKEN = "faults-monitoring-token"


def _files(root: Path) -> dict[str, int]:
    return {
        str(Path(directory, name).relative_to(root)): os.path.getsize(Path(directory, name))
        for directory, _, names in os.walk(root)
        for name in names
    }


def test_a_full_document_store_answers_507_and_keeps_nothing_partial(org_a, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from secure_documents.models import SecureDocument

    line = b"a line of text that fills the disk\n"
    small, large = line * 400, line * 4000  # about 14 KB and 140 KB
    with (
        uvicorn_on_a_small_disk(
            tmp_path,
            size_kb=96,
            # Ready while 88 KiB are free: no longer once the first file is stored.
            DOCUMENT_STORE_MIN_FREE_BYTES=str(88 * 1024),
            METRICS_TOKEN=TOKEN,
        ) as (port, root),
        httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            cookies=session_cookies(org_a.users[Role.EDITOR]),
            timeout=60,
        ) as client,
    ):
        assert client.get("/o/alpha/documents/").status_code == 200
        monitoring = {"Authorization": f"Bearer {TOKEN}"}
        ready_before = client.get("/health/ready", headers=monitoring).json()
        headers = {"X-CSRFToken": client.cookies["csrftoken"], "X-Upload": "file"}
        fits = client.post(
            "/o/alpha/documents/upload/",
            files={"file": ("fits.txt", small, "text/plain")},
            headers=headers,
        )
        assert fits.status_code == 201, fits.text[:500]
        refused = [
            client.post(
                "/o/alpha/documents/upload/",
                files={"file": (f"too-large-{n}.txt", large, "text/plain")},
                headers=headers,
            )
            for n in range(3)
        ]
        # Plain form post (no JavaScript): the library page with the message, 507.
        form = client.post(
            "/o/alpha/documents/upload/",
            files={"file": ("too-large-form.txt", large, "text/plain")},
            headers={"X-CSRFToken": headers["X-CSRFToken"]},
        )
        stored = _files(root)
        ready_after = client.get("/health/ready", headers=monitoring)
    assert ready_before["checks"]["document_store"] == "ok", ready_before
    assert ready_after.status_code == 503
    assert "document_store" in ready_after.json()["failing"]
    for response in [*refused, form]:
        assert response.status_code == 507, response.text[:500]
        assert "document store is full" in response.text
    documents = SecureDocument.objects.filter(organization=org_a.organization)
    assert list(documents.values_list("title", flat=True)) == ["fits"]
    assert stored == {documents.get().file.name: len(small)}
    assert AuditEvent.objects.filter(action="document.uploaded").count() == 1
