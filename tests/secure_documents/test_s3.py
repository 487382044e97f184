"""S3 mode against a local S3-compatible server (moto in server mode)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import boto3
import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.roles import Role
from secure_documents.services import document_create
from secure_documents.storage import reset_secure_storage
from tests.conftest import free_port, wait_for_port

pytestmark = pytest.mark.django_db
BUCKET = "orgportal-private"


@pytest.fixture
def s3(settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30)
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)
        settings.DOCUMENT_STORAGE = "s3"
        settings.DOCUMENT_SERVE_MODE = "s3"
        settings.AWS_STORAGE_BUCKET_NAME = BUCKET
        settings.AWS_S3_ENDPOINT_URL = endpoint
        settings.AWS_ACCESS_KEY_ID = "test"
        settings.AWS_SECRET_ACCESS_KEY = "test"
        reset_secure_storage()
        yield endpoint
    finally:
        reset_secure_storage()
        server.terminate()
        server.wait(timeout=10)


def test_upload_to_private_bucket_and_redirect_to_short_presigned_url(
    s3: str, client, org_a
) -> None:  # type: ignore[no-untyped-def]
    content = b"stored in object storage\n"
    document = document_create(
        acting_user=org_a.users[Role.EDITOR],
        organization=org_a.organization,
        uploaded_file=SimpleUploadedFile("object.txt", content),
    )
    # The object is private: without a signature the bucket refuses it.
    public = httpx.get(f"{s3}/{BUCKET}/{document.file.name}")
    assert public.status_code == 403
    client.force_login(org_a.users[Role.MEMBER])
    response = client.get(document.url)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    target = response["Location"]
    query = parse_qs(urlparse(target).query)
    assert int(query["X-Amz-Expires"][0]) <= 60
    assert "attachment" in query["response-content-disposition"][0]
    assert "object.txt" in query["response-content-disposition"][0]
    fetched = httpx.get(target)
    assert fetched.status_code == 200
    assert fetched.content == content
    assert fetched.headers["content-disposition"].startswith("attachment")


def test_stream_mode_reads_small_files_from_the_bucket(s3: str, client, org_a, settings) -> None:  # type: ignore[no-untyped-def]
    content = b"0123456789" * 10
    document = document_create(
        acting_user=org_a.users[Role.EDITOR],
        organization=org_a.organization,
        uploaded_file=SimpleUploadedFile("object.txt", content),
    )
    settings.DOCUMENT_SERVE_MODE = "stream"
    client.force_login(org_a.users[Role.MEMBER])
    response = client.get(document.url)
    assert response.status_code == 200
    assert response.content == content
    partial = client.get(document.url, headers={"Range": "bytes=5-14"})
    assert partial.status_code == 206
    assert partial.content == content[5:15]


def test_non_members_get_404_not_a_presigned_url(s3: str, client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    document = document_create(
        acting_user=org_a.users[Role.EDITOR],
        organization=org_a.organization,
        uploaded_file=SimpleUploadedFile("object.txt", b"private\n"),
    )
    client.force_login(org_b.users[Role.OWNER])
    response = client.get(document.url)
    assert response.status_code == 404
    assert "Location" not in response
    time.sleep(0)  # keep the server fixture alive until here
