"""Processing after upload, the scanner protocol, and the reconciling sweep."""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.models import AuditEvent
from organizations.roles import Role
from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.scanners import ClamdScanner, NoScanner, ScannerUnavailable
from secure_documents.services import document_create
from secure_documents.tasks import document_sweep, process_document
from tests.conftest import free_port

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _create(tenant, name: str = "notes.txt", content: bytes = b"meeting notes\n") -> SecureDocument:  # type: ignore[no-untyped-def]
    return document_create(
        acting_user=tenant.users[Role.MEMBER],
        organization=tenant.organization,
        uploaded_file=SimpleUploadedFile(name, content),
    )


@pytest.mark.django_db
def test_processing_marks_clean_and_records_not_scanned(
    org_a, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        document = _create(org_a)
    document.refresh_from_db()
    assert document.status == ProcessingStatus.CLEAN
    assert document.scanned is False
    assert "not scanned" in document.status_reason
    assert document.processed_at is not None
    assert len(document.sha256) == 64
    assert AuditEvent.objects.filter(action="document.clean", target_id=str(document.pk)).exists()


@pytest.mark.django_db
def test_processing_is_idempotent(org_a) -> None:  # type: ignore[no-untyped-def]
    document = _create(org_a)
    assert process_document(document.pk, organization_id=org_a.organization.pk) == "clean"
    assert process_document(document.pk, organization_id=org_a.organization.pk) == "clean"
    assert (
        AuditEvent.objects.filter(action="document.clean", target_id=str(document.pk)).count() == 1
    )


@pytest.mark.django_db
def test_task_rechecks_the_organization(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    document = _create(org_a)
    # A forged organization id finds nothing to do: the document is not B's.
    assert process_document(document.pk, organization_id=org_b.organization.pk) is None
    document.refresh_from_db()
    assert document.status == ProcessingStatus.PENDING


@pytest.mark.django_db
def test_content_changed_on_disk_is_rejected(org_a) -> None:  # type: ignore[no-untyped-def]
    document = _create(org_a)
    Path(document.file.path).write_bytes(b"<html><script>alert(1)</script></html>")
    assert process_document(document.pk, organization_id=org_a.organization.pk) == "rejected"
    document.refresh_from_db()
    assert "does not match" in document.status_reason


class FakeClamd:
    """A clamd speaking the INSTREAM protocol on a local port: flags the EICAR string."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while not data.endswith(b"\0"):
                    data += conn.recv(1)
                payload = b""
                while True:
                    (length,) = struct.unpack("!L", self._exact(conn, 4))
                    if length == 0:
                        break
                    payload += self._exact(conn, length)
                verdict = (
                    b"stream: Eicar-Test-Signature FOUND\0" if EICAR in payload else b"stream: OK\0"
                )
                conn.sendall(verdict)

    @staticmethod
    def _exact(conn: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise OSError("closed")
            buf += chunk
        return buf

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def clamd() -> Iterator[FakeClamd]:
    server = FakeClamd()
    yield server
    server.close()


def test_clamd_scanner_speaks_instream(clamd: FakeClamd, tmp_path: Path) -> None:
    scanner = ClamdScanner(f"tcp://127.0.0.1:{clamd.port}")
    clean = tmp_path / "clean.txt"
    clean.write_bytes(b"hello " * 50000)
    infected = tmp_path / "eicar.txt"
    infected.write_bytes(EICAR)
    with clean.open("rb") as handle:
        assert scanner.scan(handle).clean
    with infected.open("rb") as handle:
        result = scanner.scan(handle)
    assert result.scanned
    assert not result.clean
    assert "Eicar" in result.reason


def test_unreachable_scanner_raises_for_a_retry(tmp_path: Path) -> None:
    scanner = ClamdScanner(f"tcp://127.0.0.1:{free_port()}", timeout=1)
    target = tmp_path / "x.txt"
    target.write_bytes(b"x")
    with target.open("rb") as handle, pytest.raises(ScannerUnavailable):
        scanner.scan(handle)
    assert NoScanner().scan(handle).scanned is False


@pytest.mark.django_db
def test_malware_is_rejected_and_never_served(org_a, clamd, settings, client) -> None:  # type: ignore[no-untyped-def]
    settings.CLAMAV_URL = f"tcp://127.0.0.1:{clamd.port}"
    document = _create(org_a, "eicar.txt", EICAR)
    assert process_document(document.pk, organization_id=org_a.organization.pk) == "rejected"
    document.refresh_from_db()
    assert document.scanned is True
    assert "malware found" in document.status_reason
    client.force_login(org_a.users[Role.OWNER])
    assert client.get(document.url).status_code == 404


@pytest.mark.django_db
def test_sweep_reconciles_files_and_rows(org_a) -> None:  # type: ignore[no-untyped-def]
    root = Path(settings.SECURE_DOCUMENTS_ROOT)
    kept = _create(org_a, "kept.txt")
    gone = _create(org_a, "gone.txt")
    Path(gone.file.path).unlink()
    orphan = (
        root
        / str(org_a.organization.public_id)
        / "00000000-0000-0000-0000-000000000000"
        / "orphan.txt"
    )
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left behind by a crash")
    fresh_orphan = orphan.with_name("fresh.txt")
    fresh_orphan.write_bytes(b"still being written")
    old = time.time() - settings.DOCUMENT_SWEEP_GRACE_SECONDS - 60
    os.utime(orphan, (old, old))
    # Images share the storage; the document sweep leaves them alone.
    from tests.secure_images.helpers import make_image

    image = make_image(org_a)
    rendition = image.get_rendition("width-10")
    for name in (image.file.name, rendition.file.name):
        os.utime(root / name, (old, old))
    SecureDocument.objects.filter(pk__in=[kept.pk, gone.pk]).update(
        created_at=SecureDocument.objects.get(pk=kept.pk).created_at.replace(year=2020)
    )
    report = document_sweep()
    assert report["orphan_files_deleted"] == [orphan.relative_to(root).as_posix()]
    assert report["rows_missing_file"] == [gone.pk]
    assert not orphan.exists()
    assert fresh_orphan.exists()  # inside the grace period
    gone.refresh_from_db()
    assert gone.status == ProcessingStatus.FAILED
    assert Path(kept.file.path).exists()
    assert (root / image.file.name).exists()
    assert (root / rendition.file.name).exists()
    assert AuditEvent.objects.filter(action="documents.swept").exists()


def test_real_worker_marks_an_upload_clean(celery_worker, org_a, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    response = client.post(
        "/o/alpha/documents/upload/",
        {"file": SimpleUploadedFile("worker.txt", b"processed by a real worker\n")},
        headers={"X-Upload": "file"},
    )
    assert response.status_code == 201
    document = SecureDocument.objects.get()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.status != ProcessingStatus.PENDING:
            break
        time.sleep(0.2)
    assert document.status == ProcessingStatus.CLEAN, celery_worker.log()[-2000:]
    assert "secure_documents.process_document" in celery_worker.log()
