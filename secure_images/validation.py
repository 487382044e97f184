"""Content checks for images: decoded by Pillow, never trusted by their extension."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

from secure_documents.filenames import clean_filename, extension_of
from secure_documents.validation import MARKUP, _scan_whole

# Pillow's format name -> the extensions a file of that format may carry. SVG is not
# here: it is markup that runs scripts, and nothing here sanitizes it.
ALLOWED_FORMATS: dict[str, frozenset[str]] = {
    "JPEG": frozenset({"jpg", "jpeg"}),
    "PNG": frozenset({"png"}),
    "GIF": frozenset({"gif"}),
    "WEBP": frozenset({"webp"}),
}
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
}


@dataclass(frozen=True)
class CheckedImage:
    name: str
    format: str
    width: int
    height: int
    frames: int
    size: int


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def check_image_upload(*, name: str | None, file: IO[bytes], size: int) -> CheckedImage:
    """Validate one uploaded image; ValidationError names the first problem found."""
    clean = clean_filename(name)
    extension = extension_of(clean)
    allowed = sorted({ext for exts in ALLOWED_FORMATS.values() for ext in exts})
    if extension not in allowed:
        raise _refuse(
            f"Images of type .{extension} are not accepted. Allowed: "
            + ", ".join(f".{ext}" for ext in allowed)
            + ".",
            "extension",
        )
    if size <= 0:
        raise _refuse("The file is empty.", "empty")
    if size > settings.IMAGE_MAX_UPLOAD_BYTES:
        raise _refuse(
            f"The image is larger than the limit of {settings.IMAGE_MAX_UPLOAD_BYTES} bytes.",
            "too_large",
        )
    max_pixels = settings.IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit refuses) on decompression bombs.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            file.seek(0)
            with Image.open(file) as probe:
                image_format = probe.format or ""
                width, height = probe.size
                frames = int(getattr(probe, "n_frames", 1) or 1)
                if image_format not in ALLOWED_FORMATS:
                    raise _refuse(
                        f"The file is not a JPEG, PNG, GIF or WebP image ({image_format}).",
                        "format",
                    )
                if extension not in ALLOWED_FORMATS[image_format]:
                    raise _refuse(
                        f"The content of the file ({image_format}) does not match its "
                        f"extension .{extension}.",
                        "content_mismatch",
                    )
                if width * height > max_pixels:
                    raise _refuse(
                        f"The image has {width}x{height} pixels; the limit is {max_pixels}.",
                        "too_many_pixels",
                    )
                if frames > settings.IMAGE_MAX_FRAMES:
                    raise _refuse(
                        f"The animation has {frames} frames; the limit is "
                        f"{settings.IMAGE_MAX_FRAMES}.",
                        "too_many_frames",
                    )
                if frames * width * height > settings.IMAGE_MAX_ANIMATION_PIXELS:
                    raise _refuse(
                        "The animation is too large (frames times pixels).", "too_many_pixels"
                    )
                probe.verify()
            # verify() checks the structure; decoding the (first) frame proves the data.
            file.seek(0)
            with Image.open(file) as decoded:
                decoded.load()
    except ValidationError:
        file.seek(0)
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        file.seek(0)
        raise _refuse("The image has too many pixels.", "too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        file.seek(0)
        raise _refuse("The file is not a readable image.", "invalid_image") from None
    if _scan_whole(file, MARKUP):
        raise _refuse("The file contains HTML or script markup and is not accepted.", "markup")
    file.seek(0)
    return CheckedImage(
        name=clean, format=image_format, width=width, height=height, frames=frames, size=size
    )
