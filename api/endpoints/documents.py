"""An organization's documents: list (filters, cursor pages), metadata, upload, download
through the one serve view, delete. Writes go through secure_documents.services."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from api.context import organization_access
from api.errors import ApiError
from api.pagination import MAX_LIMIT, page
from api.schemas import Cursor, DocumentOut, DocumentPageOut, ErrorOut, UtcDateTime
from organizations.roles import Capability
from secure_documents import services
from secure_documents import views as document_views
from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.selectors import library_queryset

router = Router(tags=["documents"])

ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    429: ErrorOut,
}


# What a refused upload answers, by the upload checks' error codes.
UPLOAD_STATUSES = {
    "too_large": 413,
    "extension": 415,
    "content_mismatch": 415,
    "markup": 415,
    "quota": 409,
    "rate_limited": 429,
}


class DocumentFilters(Schema):
    q: str | None = Field(None, max_length=200, description="words in the title")
    status: Literal["pending", "clean", "rejected", "failed"] | None = None
    content_type: str | None = Field(None, max_length=127)
    created_after: UtcDateTime | None = None
    created_before: UtcDateTime | None = None
    mine: bool = Field(False, description="only documents you uploaded")
    cursor: Cursor | None = None
    limit: int = Field(25, ge=1, le=MAX_LIMIT)


def _document(document: SecureDocument, org_slug: str) -> dict[str, Any]:
    uploader = document.uploaded_by_user
    return {
        "id": document.public_id,
        "title": document.title,
        "filename": document.filename,
        "size": document.file_size,
        "content_type": document.content_type,
        "status": document.status,
        "status_label": document.status_label,
        "scanned": document.scanned,
        "audience": document.min_role,
        "uploaded_by": uploader.email if uploader else None,
        "created_at": document.created_at,
        "download_url": reverse(
            "api-v1:document_download",
            kwargs={"org_slug": org_slug, "public_id": document.public_id},
        ),
    }


def _find(request: HttpRequest, org_slug: str, public_id: UUID) -> tuple[Any, SecureDocument]:
    membership = organization_access(request, org_slug)
    document = (
        library_queryset(membership.organization, membership.role)
        .filter(public_id=public_id)
        .first()
    )
    if document is None:
        raise ApiError(404)
    return membership, document


@router.get(
    "/organizations/{org_slug}/documents",
    response={200: DocumentPageOut, **ERRORS},
    url_name="documents",
)
def documents_list(
    request: HttpRequest, org_slug: str, filters: Query[DocumentFilters]
) -> dict[str, Any]:
    """Documents the caller's role may see, newest first, ``limit`` at a time; pass the
    answer's ``next_cursor`` as ``cursor`` for the next page."""
    membership = organization_access(request, org_slug)
    rows = library_queryset(membership.organization, membership.role)
    if filters.q:
        rows = rows.filter(title__icontains=filters.q)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.content_type:
        rows = rows.filter(content_type=filters.content_type)
    if filters.created_after:
        rows = rows.filter(created_at__gt=filters.created_after)
    if filters.created_before:
        rows = rows.filter(created_at__lt=filters.created_before)
    if filters.mine:
        rows = rows.filter(uploaded_by_user_id=request.user.pk)
    items, next_cursor = page(rows, filters.cursor, filters.limit)
    return {"items": [_document(d, org_slug) for d in items], "next_cursor": next_cursor}


@router.post(
    "/organizations/{org_slug}/documents",
    response={
        201: DocumentOut,
        409: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        507: ErrorOut,
        **ERRORS,
    },
    url_name="documents",
)
def document_upload(
    request: HttpRequest,
    org_slug: str,
    file: File[UploadedFile | None] = None,
    title: Form[str] = "",
) -> Status[dict[str, Any]]:
    """Upload one file (``multipart/form-data``, field ``file``; optional ``title``).
    The checks of the portal apply: size, type and content, quota, rate."""
    membership = organization_access(request, org_slug, Capability.UPLOAD_DOCUMENTS, write=True)
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(415, "Send the file as multipart/form-data, in the field 'file'.")
    handler = getattr(request, "upload_handlers", [None])[0]
    for name, reason in getattr(handler, "rejected", []):
        status = 413 if "larger than" in reason else 400
        raise ApiError(status, reason, details={"file": name})
    if getattr(handler, "too_many", False):
        raise ApiError(400, "Upload one file per request.")
    if file is None:
        raise ApiError(400, "Choose a file: the field 'file' is missing.", details={"file": ""})
    try:
        document = services.document_create(
            acting_user=request.user,
            organization=membership.organization,
            uploaded_file=file,
            title=title[:255] or None,
        )
    except services.DocumentStoreUnavailable as exc:
        raise ApiError(507, " ".join(exc.messages)) from exc
    except ValidationError as exc:
        codes = {error.code for error in exc.error_list} if hasattr(exc, "error_list") else set()
        status = next((UPLOAD_STATUSES[c] for c in codes if c in UPLOAD_STATUSES), 400)
        raise ApiError(
            status,
            " ".join(exc.messages),
            code=next(iter(codes), "") or "",
            headers={"Retry-After": "60"} if status == 429 else None,
        ) from exc
    document.refresh_from_db(fields=["status", "status_reason", "scanned"])
    return Status(201, _document(document, org_slug))


@router.get(
    "/organizations/{org_slug}/documents/{uuid:public_id}",
    response={200: DocumentOut, **ERRORS},
    url_name="document",
)
def document_detail(request: HttpRequest, org_slug: str, public_id: UUID) -> dict[str, Any]:
    """One document's metadata."""
    _membership, document = _find(request, org_slug, public_id)
    return _document(document, org_slug)


@router.delete(
    "/organizations/{org_slug}/documents/{uuid:public_id}",
    response={204: None, **ERRORS},
    url_name="document",
)
def document_delete(request: HttpRequest, org_slug: str, public_id: UUID) -> Status[None]:
    """Delete a document: your own, or any with an editor's role or above."""
    organization_access(request, org_slug, write=True)
    _membership, document = _find(request, org_slug, public_id)
    services.document_delete(acting_user=request.user, document=document)
    return Status(204, None)


@router.get(
    "/organizations/{org_slug}/documents/{uuid:public_id}/download",
    response={200: None, **ERRORS},
    url_name="document_download",
)
def document_download(
    request: HttpRequest, org_slug: str, public_id: UUID
) -> HttpResponse | StreamingHttpResponse:
    """The file, through the same serve view as ``/documents/<id>/<name>`` (the access
    rule, the download recorded, ranges, the configured way of sending)."""
    _membership, document = _find(request, org_slug, public_id)
    if document.status == ProcessingStatus.REJECTED:
        raise ApiError(404)
    return document_views.serve(request, document.pk, document.filename)
