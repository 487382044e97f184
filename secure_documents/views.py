"""Document screens of the member portal, and the permission-checked serve view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from organizations.access import Denial, require_capability
from organizations.decorators import org_view
from organizations.log_context import note_organization
from organizations.middleware import mfa_setup_redirect
from organizations.roles import Capability
from organizations.typing import MemberRequest
from secure_documents import services
from secure_documents.access import access_document, check_download
from secure_documents.selectors import library_queryset
from secure_documents.serving import document_file, file_response
from secure_documents.tables import DocumentFilter, DocumentTable
from secure_documents.upload_handlers import LimitedUploadHandler
from secure_documents.upload_handlers import install as install_upload_handler
from ui.tables import build_table, render_table_page

# --- serving -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def serve(
    request: HttpRequest, document_id: int, document_filename: str
) -> HttpResponse | StreamingHttpResponse:
    """``/documents/<id>/<name>``: the only way to a document's bytes.

    The access rule decides (organizations/access.py). Anyone it refuses gets the same 404
    as for a document that does not exist, for HEAD, Range and conditional requests too,
    because every branch below runs after the check; only a member held back by the
    organization's two-factor requirement is sent to set it up, as its pages do.
    """
    checked = check_download(user=request.user, document_id=document_id, filename=document_filename)
    document = checked.document
    if document is None or not checked.decision.allowed:
        if document is not None and checked.decision.denial is Denial.MFA_REQUIRED:
            return mfa_setup_redirect(request, document.organization.name)
        raise Http404
    note_organization(document.organization.pk)
    stored = document_file(document)
    response = file_response(request, stored)
    if response.status_code not in (304, 416):  # a download (or a hand-over of one)
        byte_range = response.get("Content-Range", "").removeprefix("bytes ").split("/")[0]
        services.document_record_download(
            user=request.user, document=document, byte_range=byte_range
        )
    return response


# --- library -------------------------------------------------------------------------------


def _library_context(request: MemberRequest) -> dict[str, Any]:
    organization = request.organization
    table, filterset = build_table(
        request,
        table_class=DocumentTable,
        queryset=library_queryset(organization, request.membership.role),
        filterset_class=DocumentFilter,
    )
    used = services.storage_used(organization)
    quota = organization.storage_quota_bytes
    return {
        "table": table,
        "filter": filterset,
        "storage": {
            "used": used,
            "quota": quota,
            "percent": min(100, round(used * 100 / quota)) if quota else 0,
        },
        "max_upload": settings.DOCUMENT_MAX_UPLOAD_BYTES,
        "accept": ",".join(f".{ext}" for ext in settings.DOCUMENT_ALLOWED_EXTENSIONS),
        "upload_hint": (
            "Allowed: "
            + ", ".join(ext.upper() for ext in settings.DOCUMENT_ALLOWED_EXTENSIONS)
            + f". Up to {filesizeformat(settings.DOCUMENT_MAX_UPLOAD_BYTES)} each."
        ),
    }


@org_view(Capability.VIEW)
def library(request: MemberRequest) -> HttpResponse:
    return render_table_page(
        request,
        "secure_documents/library.html",
        _library_context(request),
        table_id="documents",
        label="Documents",
    )


@dataclass
class UploadResult:
    name: str
    ok: bool
    message: str = ""
    size: int | None = None
    url: str = ""
    document: Any = None  # its status badge updates live


@csrf_exempt
def upload(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Installs the size-limiting upload handler before anything reads the body (CSRF
    checking reads it), then checks permission and CSRF."""
    if request.method == "POST":
        install_upload_handler(
            request,
            max_bytes=settings.DOCUMENT_MAX_UPLOAD_BYTES,
            max_files=settings.DOCUMENT_MAX_FILES_PER_REQUEST,
        )
    return _upload(request, org_slug)


@org_view(Capability.UPLOAD_DOCUMENTS)
@require_http_methods(["GET", "POST"])
@csrf_protect
def _upload(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    library_url = reverse("secure_documents:library", kwargs={"org_slug": organization.slug})
    if request.method == "GET":
        return HttpResponseRedirect(library_url)
    handler: LimitedUploadHandler = request.upload_handlers[0]  # type: ignore[assignment]
    files = request.FILES.getlist("file")
    single = request.headers.get("X-Upload") == "file"
    results = [UploadResult(name, False, message) for name, message in handler.rejected]
    if handler.too_many:
        results = [
            UploadResult(
                "",
                False,
                f"Upload at most {settings.DOCUMENT_MAX_FILES_PER_REQUEST} files at once.",
            )
        ]
        files = []
    if not files and not results:
        results = [UploadResult("", False, "Choose at least one file.")]
    store_unavailable = False
    for uploaded in files:
        try:
            document = services.document_create(
                acting_user=request.user, organization=organization, uploaded_file=uploaded
            )
        except (ValidationError, PermissionDenied) as exc:
            store_unavailable |= isinstance(exc, services.DocumentStoreUnavailable)
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            results.append(
                UploadResult(
                    getattr(uploaded, "raw_name", None) or uploaded.name or "", False, message
                )
            )
        else:
            # Processing may already have finished (a fast worker); the badge then says so,
            # and otherwise the live event updates it.
            document.refresh_from_db(fields=["status", "status_reason", "scanned"])
            results.append(
                UploadResult(
                    document.filename, True, "", document.file_size, document.url, document
                )
            )
    ok = all(result.ok for result in results)
    status = 200 if ok else (413 if any("larger than" in r.message for r in results) else 400)
    if store_unavailable:
        status = 507  # Insufficient Storage: the server's problem, not the file's
    if single:
        return render(
            request,
            "components/upload_result.html",
            {"result": results[0]},
            status=201 if ok else status,
        )
    if ok:
        for result in results:
            messages.success(request, f"{result.name} uploaded.")
        return HttpResponseRedirect(library_url, status=303)
    # Without JavaScript: the library again, with a result line per file.
    context = {**_library_context(request), "upload_results": results}
    return render(request, "secure_documents/library.html", context, status=status)


@org_view(Capability.VIEW)
@require_POST
def delete(request: MemberRequest, public_id: Any) -> HttpResponse:
    organization = request.organization
    document = access_document(request.user, organization, public_id)
    require_capability(request.membership, Capability.UPLOAD_DOCUMENTS)
    services.document_delete(acting_user=request.user, document=document)
    messages.success(request, f"{document.title} was deleted.")
    if request.htmx:
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return HttpResponseRedirect(
        reverse("secure_documents:library", kwargs={"org_slug": organization.slug}), status=303
    )
