"""The cache Redis (which may be lost: it evicts, and is not the broker) dies under a
running server: pages, downloads and uploads keep working (sessions fall back to the
database, the cache fails open, the upload rate limit too), and the log says why."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.roles import Role
from secure_documents.services import document_create
from tests.conftest import RedisServer, uvicorn_server
from tests.faults.processes import session_cookies

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_pages_downloads_and_uploads_work_without_the_cache(
    org_a, redis_server: RedisServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    document = document_create(
        acting_user=org_a.users[Role.MEMBER],
        organization=org_a.organization,
        uploaded_file=SimpleUploadedFile("kept.txt", b"still here\n"),
    )
    with uvicorn_server(tmp_path, REDIS_CACHE_URL=redis_server.url, LOG_LEVEL="WARNING") as port:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            cookies=session_cookies(org_a.users[Role.EDITOR]),
            timeout=30,
        ) as client:
            assert client.get("/o/alpha/documents/").status_code == 200
            # The overview kept for this reader (decision 59) before the cache dies.
            for _ in range(2):
                assert client.get("/o/alpha/").status_code == 200
            redis_server.stop()
            statuses = []
            for _ in range(3):
                for path in ("/", "/o/alpha/", "/o/alpha/documents/", "/accounts/login/"):
                    statuses.append((path, client.get(path).status_code))
                download = client.get(document.url)
                statuses.append(("download", download.status_code))
                assert download.content == b"still here\n"
            upload = client.post(
                "/o/alpha/documents/upload/",
                files={"file": ("during-cache-outage.txt", b"new\n", "text/plain")},
                headers={"X-CSRFToken": client.cookies["csrftoken"], "X-Upload": "file"},
            )
            statuses.append(("upload", upload.status_code))
            # A page drawn while the cache is down carries a working token.
            overview = client.get("/o/alpha/")
            assert 'name="csrfmiddlewaretoken"' in overview.text
            # Signing in again works too (allauth's rate limits live in the cache).
            anonymous = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
            login = anonymous.get("/accounts/login/")
            statuses.append(("login page", login.status_code))
            anonymous.close()
        log = next(tmp_path.glob("uvicorn-*.log")).read_text(errors="replace")
    assert [entry for entry in statuses if entry[1] >= 500] == []
    assert upload.status_code == 201, upload.text[:500]
    assert "Connection refused" in log or "Error 111" in log, log[-2000:]
