from __future__ import annotations

import os
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


def test_open_refuses_names_outside_the_pattern(storage: SecureFileStorage) -> None:
    name = storage.save(f"{UUID_A}/{UUID_B}/notes.txt", ContentFile(b"0123456789"))
    with storage.open(name, "rb") as handle:
        assert handle.read() == b"0123456789"
    with pytest.raises(FileNotFoundError):
        storage.open(f"{UUID_A}/{UUID_B}/absent.txt", "rb")
    with pytest.raises(SuspiciousFileOperation):
        storage.open(f"{UUID_A}/../{UUID_B}/notes.txt", "rb")


def test_symlinks_out_of_the_root_are_refused(storage: SecureFileStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / UUID_B).mkdir(parents=True)
    (outside / UUID_B / "secret.txt").write_bytes(b"not a document")
    root = Path(storage.location)
    (root / UUID_A / UUID_B).mkdir(parents=True)
    # The file itself a symlink.
    os.symlink(outside / UUID_B / "secret.txt", root / UUID_A / UUID_B / "link.txt")
    with pytest.raises(SuspiciousFileOperation):
        storage.open(f"{UUID_A}/{UUID_B}/link.txt", "rb")
    # A directory on the way a symlink.
    other = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    os.symlink(outside / UUID_B, root / UUID_A / other)
    with pytest.raises(SuspiciousFileOperation):
        storage.open(f"{UUID_A}/{other}/secret.txt", "rb")
    with pytest.raises(SuspiciousFileOperation):
        storage.path(f"{UUID_A}/{other}/secret.txt")
