"""Where images and their renditions live: the protected storage of documents, never
MEDIA_ROOT, under ``<org uuid>/images/<image uuid>/<name>`` (renditions in
``.../renditions/<name>`` below it).

A stored image's URL is the serve view's (``/images/<image uuid>/...``), computed from
its name alone: rendering a page costs no query per image, and every way Wagtail asks for
an image's URL (renditions, originals, the admin, the API) reaches the access check.
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.functional import LazyObject, empty

from secure_documents.storage import SecureFileStorage, s3_storage_class

_UUID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")
IMAGES_SEGMENT = "images"
RENDITIONS_SEGMENT = "renditions"
URL_PREFIX = "/images/"


def checked_image_name(name: str) -> str:
    """``<uuid>/images/<uuid>/<name>`` or ``<uuid>/images/<uuid>/renditions/<name>``."""
    normalized = posixpath.normpath(name.replace("\\", "/"))
    parts = normalized.split("/")
    shape_ok = (len(parts) == 4 and parts[1] == IMAGES_SEGMENT) or (
        len(parts) == 5 and parts[1] == IMAGES_SEGMENT and parts[3] == RENDITIONS_SEGMENT
    )
    if (
        not shape_ok
        or normalized != name
        or name.startswith("/")
        or any(part in {"", ".", ".."} for part in parts)
        or any(set(part) - _UUID_CHARS for part in (parts[0], parts[2]))
        or "\x00" in name
    ):
        raise SuspiciousFileOperation(f"Refused image path {name!r}")
    return name


def image_url(name: str) -> str:
    """The serve view's URL for a stored image or rendition (no query, no resolver)."""
    parts = checked_image_name(name).split("/")
    if len(parts) == 5:
        return f"{URL_PREFIX}{parts[2]}/r/{quote(parts[4])}"
    return f"{URL_PREFIX}{parts[2]}/{quote(parts[3])}"


def original_name(organization_id: Any, image_id: Any, filename: str) -> str:
    return f"{organization_id}/{IMAGES_SEGMENT}/{image_id}/{filename}"


def rendition_name(organization_id: Any, image_id: Any, filename: str) -> str:
    return f"{organization_id}/{IMAGES_SEGMENT}/{image_id}/{RENDITIONS_SEGMENT}/{filename}"


class SecureImageFileStorage(SecureFileStorage):
    """The documents' filesystem storage with the image name shapes. Renditions are
    derived from their name (image, filter, focal point), so rewriting one that two
    requests generated at once is harmless: overwriting is allowed."""

    check_name = staticmethod(checked_image_name)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_overwrite", True)
        super().__init__(**kwargs)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.check_name(name)

    def url(self, name: str | None) -> str:
        return image_url(name or "")


def _s3_image_class() -> type:
    base = s3_storage_class()

    class SecureImageS3Storage(base):  # type: ignore[misc, valid-type]
        check_name = staticmethod(checked_image_name)
        file_overwrite = True

        def url(
            self, name: str, parameters: Any = None, expire: Any = None, http_method: Any = None
        ) -> str:
            return image_url(name)

    return SecureImageS3Storage


def build_image_storage() -> Any:
    if settings.DOCUMENT_STORAGE == "s3":
        return _s3_image_class()()
    return SecureImageFileStorage()


class _ImageStorage(LazyObject):  # type: ignore[type-arg]
    def _setup(self) -> None:
        self._wrapped = build_image_storage()


image_storage = _ImageStorage()


def get_image_storage() -> Any:
    """Callable for ``FileField(storage=...)``: resolved at use, so tests can swap it."""
    return image_storage


def reset_image_storage() -> None:
    image_storage._wrapped = empty
