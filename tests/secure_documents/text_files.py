"""Small real files with text, made here with the formats' own structure (and pypdf,
openpyxl for what they write), for the text extraction tests."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(*pages: str) -> bytes:
    """A valid PDF with one page per argument, each showing its text in Helvetica."""
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    font = 3 + 2 * count
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
    ]
    for i, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({_pdf_string(text)}) Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R"
            f" /Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\n".encode())
    out.write(f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypted_pdf_bytes(text: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(text))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_parts(parts: dict[str, str], mimetype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype:  # OpenDocument: first, stored
            archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def _content_types(overrides: dict[str, str]) -> str:
    items = "".join(
        f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in overrides.items()
    )
    return (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'content-types">{items}</Types>'
    )


def docx_bytes(*paragraphs: str, header: str = "") -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>" for text in paragraphs)
    # A table cell and a field code (instrText: not text a reader sees).
    body += (
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell</w:t></w:r><w:r><w:tab/></w:r>"
        "<w:r><w:t>value</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        "<w:p><w:r><w:instrText>HYPERLINK fieldcode</w:instrText></w:r></w:p>"
    )
    parts = {
        "[Content_Types].xml": _content_types(
            {
                "word/document.xml": "application/vnd.openxmlformats-officedocument."
                "wordprocessingml.document.main+xml"
            }
        ),
        "word/document.xml": f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>'
        f"{body}</w:body></w:document>",
    }
    if header:
        parts["word/header1.xml"] = (
            f'<w:hdr xmlns:w="{W}"><w:p><w:r><w:t>{escape(header)}</w:t></w:r></w:p></w:hdr>'
        )
    return zip_parts(parts)


def pptx_bytes(*slides: str) -> bytes:
    parts = {
        "[Content_Types].xml": _content_types(
            {
                "ppt/presentation.xml": "application/vnd.openxmlformats-officedocument."
                "presentationml.presentation.main+xml"
            }
        ),
        "ppt/presentation.xml": f'<p:presentation xmlns:p="{P}"/>',
    }
    for number, text in enumerate(slides, start=1):
        parts[f"ppt/slides/slide{number}.xml"] = (
            f'<p:sld xmlns:p="{P}" xmlns:a="{A}"><p:cSld><p:spTree><p:sp><p:txBody>'
            f"<a:p><a:r><a:t>{escape(text)}</a:t></a:r></a:p>"
            "</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
        )
    return zip_parts(parts)


def odt_bytes(*paragraphs: str) -> bytes:
    body = "".join(
        f"<text:p>{escape(text)}<text:tab/><text:span>span</text:span></text:p>"
        for text in paragraphs
    )
    content = (
        f'<office:document-content xmlns:office="{ODF_OFFICE}" xmlns:text="{ODF_TEXT}">'
        f"<office:body><office:text><text:h>Heading</text:h>{body}</office:text>"
        "</office:body></office:document-content>"
    )
    return zip_parts({"content.xml": content}, mimetype="application/vnd.oasis.opendocument.text")


def xlsx_bytes(rows: list[list[object]], title: str = "Budget") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx() -> bytes:
    """A .docx whose body unpacks to 200 MB (a few hundred KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types({}))
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b" " * (1024 * 1024)
            for _ in range(200):
                part.write(chunk)
    return buffer.getvalue()
