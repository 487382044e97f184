"""Profile pictures: checked like every image, re-encoded without metadata, stored in the
protected storage and shown only to the people who share an organization with their owner.

An upload is decoded by Pillow under the image rules (``check_image_upload``: formats,
bytes, pixels, frames, markup), turned upright, cropped to a square and written as two
small WebP renditions, ``AVATAR_SIZES``. The uploaded file itself is never kept, so what
the camera wrote (location, device) is gone. Each picture gets a new key: its files are
immutable and its URL changes with it, so browsers may keep them for a while.

Files live beside documents and images, as ``avatars/<key>/picture/<size>.webp`` (a shape
neither the documents' sweep nor the images' storage accepts, so neither touches them).
"""

from __future__ import annotations

import io
import logging
import posixpath
import uuid
from html import escape
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.functional import LazyObject, empty
from PIL import Image, ImageOps

from accounts.services import profile_set_avatar
from secure_documents.storage import SecureFileStorage, s3_storage_class
from secure_images.validation import check_image_upload

logger = logging.getLogger(__name__)

AVATAR_SIZES = (64, 256)
AVATARS_SEGMENT = "avatars"
PICTURE_SEGMENT = "picture"
URL_PREFIX = "/avatars/"
_UUID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")
_FILE_NAMES = {f"{size}.webp" for size in AVATAR_SIZES}


def checked_avatar_name(name: str) -> str:
    """``avatars/<uuid>/picture/<size>.webp`` exactly; anything else is refused."""
    normalized = posixpath.normpath(name.replace("\\", "/"))
    parts = normalized.split("/")
    if (
        normalized != name
        or len(parts) != 4
        or parts[0] != AVATARS_SEGMENT
        or parts[2] != PICTURE_SEGMENT
        or parts[3] not in _FILE_NAMES
        or not parts[1]
        or set(parts[1]) - _UUID_CHARS
    ):
        raise SuspiciousFileOperation(f"Refused avatar path {name!r}")
    return name


def avatar_name(key: Any, size: int) -> str:
    return f"{AVATARS_SEGMENT}/{key}/{PICTURE_SEGMENT}/{size}.webp"


class AvatarFileStorage(SecureFileStorage):
    """The documents' filesystem storage with the avatars' one name shape."""

    check_name = staticmethod(checked_avatar_name)

    def url(self, name: str | None) -> str:
        parts = checked_avatar_name(name or "").split("/")
        return f"{URL_PREFIX}{parts[1]}/{parts[3]}"


def _s3_avatar_class() -> type:
    base = s3_storage_class()

    class AvatarS3Storage(base):  # type: ignore[misc, valid-type]
        check_name = staticmethod(checked_avatar_name)

    return AvatarS3Storage


class _AvatarStorage(LazyObject):  # type: ignore[type-arg]
    def _setup(self) -> None:
        if settings.DOCUMENT_STORAGE == "s3":
            self._wrapped = _s3_avatar_class()()
        else:
            self._wrapped = AvatarFileStorage()


avatar_storage = _AvatarStorage()


def reset_avatar_storage() -> None:
    avatar_storage._wrapped = empty


# --- URLs -----------------------------------------------------------------------------------


def size_for(pixels: int | None) -> int:
    """The stored size that covers ``pixels`` CSS pixels on a high-density screen."""
    wanted = int(pixels or 0)
    return AVATAR_SIZES[0] if wanted <= AVATAR_SIZES[0] // 2 else AVATAR_SIZES[-1]


def avatar_url(user: Any, pixels: int | None = 32) -> str:
    """The serve view's URL of the person's picture, or "" (initials are shown). Reads the
    profile the user object carries: no query when it is loaded (the signed-in user, the
    members list and the feed load it)."""
    if user is None:
        return ""
    try:
        profile = user.profile
    except Exception:  # no profile row (it is created with the user; fixtures may lack it)
        return ""
    key = getattr(profile, "avatar_key", None)
    if not key:
        return ""
    return f"{URL_PREFIX}{key}/{size_for(pixels)}.webp"


def initials_data_url(initials: str) -> str:
    """A picture of the initials as an inline SVG (allowed by the site's ``img-src``), for
    places that need an image URL: the Wagtail admin's avatars. No request leaves the site
    and nothing about the person but the letters is in it."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        "<style>rect{fill:#eef0ff}text{fill:#4338ca}"
        "@media (prefers-color-scheme:dark){rect{fill:#262c52}text{fill:#a5b4fc}}</style>"
        '<rect width="64" height="64"/>'
        '<text x="32" y="32" dy=".35em" text-anchor="middle" font-size="26" '
        'font-weight="700" font-family="system-ui,-apple-system,Segoe UI,sans-serif">'
        f"{escape(initials[:2])}</text></svg>"
    )
    return "data:image/svg+xml," + quote(svg)


# --- writing ---------------------------------------------------------------------------------


def render_sizes(file: IO[bytes]) -> dict[int, bytes]:
    """Square WebP renditions of the first frame, upright, with no metadata at all: each
    is built from the decoded pixels alone, so no EXIF, XMP or ICC chunk is carried over."""
    file.seek(0)
    with Image.open(file) as opened:
        opened.seek(0)
        upright = ImageOps.exif_transpose(opened)
        has_alpha = upright.mode in {"RGBA", "LA", "PA"} or (
            upright.mode == "P" and "transparency" in upright.info
        )
        mode = "RGBA" if has_alpha else "RGB"
        source = upright.convert(mode)
    renders: dict[int, bytes] = {}
    for size in AVATAR_SIZES:
        square = ImageOps.fit(source, (size, size), Image.Resampling.LANCZOS)
        bare = Image.frombytes(mode, square.size, square.tobytes())
        buffer = io.BytesIO()
        bare.save(buffer, format="WEBP", quality=85, method=4)
        renders[size] = buffer.getvalue()
    file.seek(0)
    return renders


def _delete_files(key: Any) -> None:
    for size in AVATAR_SIZES:
        name = avatar_name(key, size)
        try:
            avatar_storage.delete(name)
        except Exception:  # a missing file is already what we want
            logger.warning("avatar file not deleted", extra={"storage_name": name})


def _require_person(acting_user: Any) -> None:
    if not getattr(acting_user, "is_authenticated", False) or not acting_user.is_active:
        raise PermissionDenied("Sign in to continue.")


def avatar_upload(*, acting_user: Any, name: str | None, file: IO[bytes], size: int) -> Any:
    """Check, render and store a new picture for ``acting_user`` and point their profile
    at it; the previous picture's files go once that commits. Refusals are
    ``ValidationError`` with the image rules' reasons; nothing is stored then. Returns
    the new key."""
    _require_person(acting_user)
    check_image_upload(name=name, file=file, size=size)
    renders = render_sizes(file)
    key = uuid.uuid4()
    written: list[str] = []
    try:
        for pixels, data in renders.items():
            stored = avatar_name(key, pixels)
            avatar_storage.save(stored, ContentFile(data))
            written.append(stored)
        previous = profile_set_avatar(acting_user=acting_user, avatar_key=key)
    except BaseException:
        for stored in written:
            avatar_storage.delete(stored)
        raise
    if previous:
        transaction.on_commit(lambda: _delete_files(previous))
    return key


def avatar_remove(*, acting_user: Any) -> None:
    """Back to initials; the files go once that commits."""
    _require_person(acting_user)
    previous = profile_set_avatar(acting_user=acting_user, avatar_key=None)
    if previous:
        transaction.on_commit(lambda: _delete_files(previous))
