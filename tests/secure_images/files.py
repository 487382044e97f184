"""Small images made with Pillow for the tests."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825


def png(width: int = 40, height: int = 30, color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_location(width: int = 64, height: int = 48) -> bytes:
    """A JPEG whose EXIF data says where it was taken (and who made it)."""
    image = Image.new("RGB", (width, height), "orange")
    exif = Image.Exif()
    exif[0x010F] = "ExampleCam"  # Make
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def animated_gif(frames: int, width: int = 8, height: int = 8) -> bytes:
    images = [Image.new("RGB", (width, height), (i * 20 % 256, 0, 0)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=20, loop=0)
    return out.getvalue()


def has_location(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return GPS_IFD in image.getexif()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
