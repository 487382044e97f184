"""Filename checks for uploads: refuse what is ambiguous or dangerous, with a reason.

Names are never used as paths as they come: the storage path is generated
(``<org uuid>/<document uuid>/<name>``), and the name must first pass these checks.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from django.core.exceptions import ValidationError

MAX_NAME_LENGTH = 180
# Windows device names, dangerous with any extension ("CON.txt" opens the console).
RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
# Extensions that must not appear anywhere in a name ("report.html.pdf", "a.pdf.php"):
# some servers and browsers act on an inner extension.
DANGEROUS_EXTENSIONS = frozenset(
    {
        "html",
        "htm",
        "xhtml",
        "shtml",
        "xht",
        "svg",
        "svgz",
        "xml",
        "xsl",
        "js",
        "mjs",
        "php",
        "php3",
        "php4",
        "php5",
        "phtml",
        "phar",
        "asp",
        "aspx",
        "jsp",
        "cgi",
        "pl",
        "py",
        "rb",
        "sh",
        "bash",
        "exe",
        "dll",
        "com",
        "bat",
        "cmd",
        "msi",
        "scr",
        "ps1",
        "vbs",
        "jar",
        "swf",
        "hta",
        "htaccess",
        "htpasswd",
    }
)
_BIDI_AND_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _reject(message: str) -> ValidationError:
    return ValidationError(message, code="bad_filename")


def clean_filename(raw: str | None) -> str:
    """The checked, NFC-normalized name, or ValidationError saying what is wrong."""
    if raw is None or not raw.strip():
        raise _reject("The file has no name.")
    if "\x00" in raw or "%00" in raw.lower():
        raise _reject("The file name contains a null byte.")
    if any(ch in raw for ch in "\r\n\t") or any(unicodedata.category(ch) == "Cc" for ch in raw):
        raise _reject("The file name contains control characters.")
    if _BIDI_AND_INVISIBLE.search(raw):
        raise _reject("The file name contains invisible or right-to-left override characters.")
    decoded = unquote(raw)
    if any(sep in decoded for sep in ("/", "\\")) or ".." in decoded or decoded.startswith("~"):
        raise _reject("The file name must not contain a path.")
    if re.match(r"^[a-zA-Z]:", decoded):
        raise _reject("The file name must not contain a path.")
    if any(ch in raw for ch in "\"'<>|*?:;`$"):
        raise _reject("The file name contains quotes or reserved characters.")
    name = unicodedata.normalize("NFC", raw)
    if name != name.strip() or name.endswith("."):
        raise _reject("The file name must not start or end with a space or end with a dot.")
    if len(name) > MAX_NAME_LENGTH:
        raise _reject(f"The file name is longer than {MAX_NAME_LENGTH} characters.")
    if name.startswith("."):
        raise _reject("Hidden files (names starting with a dot) are not accepted.")
    parts = name.lower().split(".")
    if parts[0] in RESERVED_NAMES:
        raise _reject("This file name is reserved by the operating system.")
    if len(parts) < 2 or not parts[-1]:
        raise _reject("The file name needs an extension, for example .pdf.")
    if any(part.strip() in DANGEROUS_EXTENSIONS for part in parts[1:]):
        raise _reject("The file name contains an extension that is not allowed.")
    return name


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()
