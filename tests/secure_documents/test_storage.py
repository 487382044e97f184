from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile

from secure_documents.storage import SecureFileStorage

UUID_A = "0b9a6f2e-8f1f-4c77-9b1e-3f5b0a9d1c11"
UUID_B = "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture
def storage(tmp_path: Path) -> SecureFileStorage:
    return SecureFileStorage(location=str(tmp_path / "protected"))


def test_saves_under_its_own_root_outside_media(storage: SecureFileStorage, tmp_path: Path) -> None:
    name = storage.save(f"{UUID_A}/{UUID_B}/report.pdf", ContentFile(b"x"))
    assert name == f"{UUID_A}/{UUID_B}/report.pdf"
    assert (tmp_path / "protected" / UUID_A / UUID_B / "report.pdf").read_bytes() == b"x"
    assert not str(storage.path(name)).startswith(str(settings.MEDIA_ROOT))


def test_there_is_no_public_url(storage: SecureFileStorage) -> None:
    with pytest.raises(NotImplementedError):
        storage.url(f"{UUID_A}/{UUID_B}/report.pdf")


@pytest.mark.parametrize(
    "name",
    [
        "../escape.txt",
        f"{UUID_A}/../../escape.txt",
        f"{UUID_A}/{UUID_B}/../../../etc/passwd",
        f"/{UUID_A}/{UUID_B}/abs.txt",
        "/etc/passwd",
        f"{UUID_A}\\..\\..\\escape.txt",
        f"{UUID_A}/{UUID_B}/sub/deeper.txt",
        f"{UUID_A}/{UUID_B}/",
        f"{UUID_A}/{UUID_B}/./x.txt",
        f"NOT-A-UUID!/{UUID_B}/x.txt",
        f"{UUID_A}/{UUID_B}/x\x00.txt",
        "x.txt",
    ],
)
def test_traversal_and_odd_names_are_refused(
    storage: SecureFileStorage, name: str, tmp_path: Path
) -> None:
    with pytest.raises(SuspiciousFileOperation):
        storage.save(name, ContentFile(b"x"))
    with pytest.raises(SuspiciousFileOperation):
        storage.path(name)
    assert not (tmp_path / "escape.txt").exists()


def test_an_existing_path_is_never_overwritten(storage: SecureFileStorage) -> None:
    storage.save(f"{UUID_A}/{UUID_B}/a.txt", ContentFile(b"first"))
    with pytest.raises(SuspiciousFileOperation):
        storage.save(f"{UUID_A}/{UUID_B}/a.txt", ContentFile(b"second"))
