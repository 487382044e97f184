"""The plain text of an uploaded document, for search: bounded, and never an error.

Uploaded files are hostile input: a parser may loop, or a small archive may unpack to
gigabytes. So the parsers run in a child process (``extract_text_isolated``) with a
wall-clock timeout and caps on memory and CPU time; inside it every parser reads at most
``Limits`` (pages, sheets, slides, characters, unpacked bytes). Any failure (a broken,
encrypted or oversized file, a timeout, a crash) yields "" and the document is processed
as before, just without searchable text.

Parsers (decision 55 in docs/decisions.md): pypdf for PDF (pure Python, no
dependencies); openpyxl (already a dependency of Wagtail) for .xlsx; for .docx, .pptx,
.odt and .ods the text sits in a few XML parts of a zip archive, read here with
defusedxml (already locked; refuses DTDs and entities) so that every read is bounded.

This module imports nothing of Django or the project: the child process runs it as a
script (``python -I text.py EXT ...``), without settings.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

logger = logging.getLogger(__name__)

PLAIN = frozenset({"txt", "md", "csv"})
PDF = "pdf"
OOXML_WORD, OOXML_SHEET, OOXML_SLIDES = "docx", "xlsx", "pptx"
ODF = frozenset({"odt", "ods"})
# Every type the extractor reads; images and .zip have no text to search.
SUPPORTED = PLAIN | ODF | {PDF, OOXML_WORD, OOXML_SHEET, OOXML_SLIDES}

# NUL and the other C0 controls but tab and newline: PostgreSQL text refuses NUL, and
# none of them belongs in a search snippet.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True)
class Limits:
    """How much of a file is read. Defaults suit a 50 MB upload limit."""

    max_chars: int = 100_000  # characters kept
    max_bytes: int = 20 * 1024 * 1024  # larger files are not read at all
    max_parts: int = 500  # PDF pages, slides, sheets
    max_unpacked: int = 100 * 1024 * 1024  # declared size of an archive's parts, summed
    max_cells: int = 200_000  # spreadsheet cells looked at
    timeout_seconds: float = 30.0  # wall clock for the child process
    memory_bytes: int = 768 * 1024 * 1024  # address space of the child process


class _Full(Exception):
    """Enough text: stop reading."""


class _Collector:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.size = 0
        self.parts: list[str] = []

    def add(self, text: str | None) -> None:
        if not text:
            return
        self.parts.append(text)
        self.size += len(text)
        if self.size >= self.max_chars:
            raise _Full

    def text(self) -> str:
        return normalise("\n".join(self.parts))[: self.max_chars]


def normalise(text: str) -> str:
    """One space between words, one blank line at most, no control characters."""
    text = _CONTROL.sub(" ", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def extract_text(data: bytes, extension: str, limits: Limits | None = None) -> str:
    """The text of ``data`` read as a file of type ``extension``, or "" (in this process:
    use ``extract_text_isolated`` for uploaded files)."""
    limits = limits or Limits()
    extension = extension.lower()
    if extension not in SUPPORTED or not data or len(data) > limits.max_bytes:
        return ""
    collector = _Collector(limits.max_chars)
    try:
        _READERS[extension](data, collector, limits)
    except _Full:
        pass
    except Exception:  # any parser error means "no text", never a failure
        logger.info("document_text_unreadable", exc_info=True, extra={"extension": extension})
        return ""
    return collector.text()


def _read_plain(data: bytes, collector: _Collector, limits: Limits) -> None:
    # A character is at least one byte: four bytes per kept character is plenty.
    collector.add(data[: limits.max_chars * 4].decode("utf-8", errors="replace"))


def _read_pdf(data: bytes, collector: _Collector, limits: Limits) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        return  # not even with an empty password: its text is not ours to index
    for number, page in enumerate(reader.pages):
        if number >= limits.max_parts:
            return
        collector.add(page.extract_text())


def _archive(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """The zip archive, refused when its parts would unpack to more than the limit. A
    part's declared size also caps what reading it returns (zipfile stops there)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) > 10_000 or sum(info.file_size for info in infos) > limits.max_unpacked:
        raise ValueError("archive too large when unpacked")
    return archive


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _paragraphs(part: IO[bytes], paragraph_text: Callable[[Any], str]) -> Iterator[str]:
    """The text of each paragraph element (local name ``p`` or ``h``) of an XML part,
    streamed: each paragraph is cleared once read, so a nested one is not read twice."""
    from defusedxml.ElementTree import iterparse

    for _event, element in iterparse(part, events=("end",)):
        if _local(element.tag) in ("p", "h"):
            yield paragraph_text(element)
            element.clear()


def _ooxml_paragraph(element: Any) -> str:
    # Office Open XML keeps the words in <w:t>/<a:t> runs; field codes, deleted text
    # and properties live in other elements and are skipped.
    pieces: list[str] = []
    for node in element.iter():
        name = _local(node.tag)
        if name == "t":
            pieces.append(node.text or "")
        elif name in ("tab", "br", "cr"):
            pieces.append(" ")
    return "".join(pieces)


def _odf_paragraph(element: Any) -> str:
    # OpenDocument puts text directly in <text:p> and its spans; <text:s/>, <text:tab/>
    # and <text:line-break/> stand for white space.
    pieces: list[str] = []

    def walk(node: Any) -> None:
        if _local(node.tag) in ("s", "tab", "line-break"):
            pieces.append(" ")
        pieces.append(node.text or "")
        for child in node:
            walk(child)
            pieces.append(child.tail or "")

    walk(element)
    return "".join(pieces)


def _natural(name: str) -> tuple[int, str]:
    digits = re.findall(r"\d+", name.rsplit("/", 1)[-1])
    return (int(digits[-1]) if digits else 0, name)


def _read_parts(
    archive: zipfile.ZipFile,
    names: Iterable[str],
    paragraph_text: Callable[[Any], str],
    collector: _Collector,
) -> None:
    for name in names:
        with archive.open(name) as part:
            for paragraph in _paragraphs(part, paragraph_text):
                collector.add(paragraph)


def _read_docx(data: bytes, collector: _Collector, limits: Limits) -> None:
    archive = _archive(data, limits)
    names = set(archive.namelist())
    # The body first, then headers, footers and notes.
    extra = sorted(
        name
        for name in names
        if re.fullmatch(r"word/(header|footer)\d*\.xml|word/(foot|end)notes\.xml", name)
    )
    ordered = [name for name in ["word/document.xml", *extra] if name in names]
    _read_parts(archive, ordered[: limits.max_parts], _ooxml_paragraph, collector)


def _read_pptx(data: bytes, collector: _Collector, limits: Limits) -> None:
    archive = _archive(data, limits)
    slides = sorted(
        (name for name in archive.namelist() if re.fullmatch(r"ppt/slides/slide\d+\.xml", name)),
        key=_natural,
    )
    _read_parts(archive, slides[: limits.max_parts], _ooxml_paragraph, collector)


def _read_odf(data: bytes, collector: _Collector, limits: Limits) -> None:
    archive = _archive(data, limits)
    _read_parts(archive, ["content.xml"], _odf_paragraph, collector)


def _read_xlsx(data: bytes, collector: _Collector, limits: Limits) -> None:
    from openpyxl import load_workbook

    _archive(data, limits).close()  # the size check before openpyxl unpacks anything
    # read_only streams the sheets; data_only gives formulas' cached values, not formulas.
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = 0
    try:
        for index, sheet in enumerate(workbook.worksheets):
            if index >= limits.max_parts:
                return
            collector.add(sheet.title)
            # A forged <dimension> would make openpyxl pad millions of empty cells.
            sheet.reset_dimensions()
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                if cells > limits.max_cells:
                    return
                collector.add(" ".join(str(value) for value in row if value is not None))
    finally:
        workbook.close()


_READERS: dict[str, Callable[[bytes, _Collector, Limits], None]] = {
    **dict.fromkeys(PLAIN, _read_plain),
    **dict.fromkeys(ODF, _read_odf),
    PDF: _read_pdf,
    OOXML_WORD: _read_docx,
    OOXML_SHEET: _read_xlsx,
    OOXML_SLIDES: _read_pptx,
}


def _limit_self(limits: Limits) -> None:
    """Caps on this (child) process's memory and CPU time, set by the child itself before
    it reads the file (a ``preexec_fn`` in the parent is unsafe in threaded workers)."""
    import resource

    cpu = int(limits.timeout_seconds) + 1
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def extract_text_isolated(data: bytes, extension: str, limits: Limits | None = None) -> str:
    """``extract_text`` in a child process with a timeout and memory and CPU limits: a
    file that hangs or bloats a parser costs its text, not the worker."""
    limits = limits or Limits()
    extension = extension.lower()
    if extension not in SUPPORTED or not data or len(data) > limits.max_bytes:
        return ""
    if extension in PLAIN:
        return extract_text(data, extension, limits)  # decoding needs no parser
    command = [
        sys.executable,
        "-I",  # no environment variables, no user site, not the working directory
        __file__,
        extension,
        str(limits.max_chars),
        str(limits.max_parts),
        str(limits.max_unpacked),
        str(limits.max_cells),
        str(limits.timeout_seconds),
        str(limits.memory_bytes),
    ]
    try:
        completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            command,
            input=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=limits.timeout_seconds,
            check=False,
        )
    except (subprocess.SubprocessError, OSError, ValueError) as exc:  # timeout included
        logger.warning("document_text_gave_up", extra={"extension": extension, "error": repr(exc)})
        return ""
    if completed.returncode != 0:
        logger.warning(
            "document_text_failed", extra={"extension": extension, "code": completed.returncode}
        )
        return ""
    return completed.stdout.decode("utf-8", errors="replace")[: limits.max_chars]


def _main(argv: list[str]) -> int:
    extension, max_chars, max_parts, max_unpacked, max_cells, seconds, memory = argv
    limits = Limits(
        max_chars=int(max_chars),
        max_parts=int(max_parts),
        max_unpacked=int(max_unpacked),
        max_cells=int(max_cells),
        timeout_seconds=float(seconds),
        memory_bytes=int(memory),
    )
    _limit_self(limits)
    data = sys.stdin.buffer.read(limits.max_bytes + 1)
    sys.stdout.buffer.write(extract_text(data, extension, limits).encode("utf-8"))
    return 0


if __name__ == "__main__":
    logging.disable(logging.CRITICAL)  # pypdf's warnings about broken files: not ours
    sys.exit(_main(sys.argv[1:]))
