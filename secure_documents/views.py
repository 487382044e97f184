"""Document screens of the member portal, and the permission-checked serve view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from accounts.session import session_claim
from organizations.access import require_capability
from organizations.decorators import org_view
from organizations.roles import Capability
from secure_documents import services
from secure_documents.access import (
    access_document,
    grant_download,
    grant_download_for_session,
    organization_requiring_mfa,
)
from secure_documents.selectors import library_queryset
from secure_documents.serving import (
    RangeNotSatisfiable,
    build_response,
    etag_matches,
    not_modified,
    parse_range,
    range_not_satisfiable,
)
from secure_documents.tables import DocumentFilter, DocumentTable
from secure_documents.upload_handlers import LimitedUploadHandler
from secure_documents.upload_handlers import install as install_upload_handler
from ui.tables import build_table, render_table_page

# --- serving -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def serve(request: HttpRequest, document_id: int, document_filename: str) -> HttpResponse:
    """``/documents/<id>/<name>``: the only way to a document's bytes.

    Anyone who is not an active member of the document's organization gets the same 404
    as for a document that does not exist — for HEAD, Range and conditional requests too,
    because every branch below runs after the check.

    A sync view on purpose: the middleware stack runs in sync mode in one worker thread
    per request (config/asgi.py), so the queries run there without switching threads.
    A large file is then sent by the server with ``sendfile`` when it offers the ASGI
    zero-copy extension, or read in chunks by an async iterator that Django's ASGI
    handler drives on the event loop (serving.build_response).
    """
    try:
        return _serve(request, document_id, document_filename)
    finally:
        # A long download must not hold a pooled database connection until its last
        # byte: the eleventh concurrent download would otherwise wait for one.
        _release_connection()


def _serve(request: HttpRequest, document_id: int, document_filename: str) -> HttpResponse:
    # A plain GET or HEAD is a download whatever the document: check and record it in
    # one statement. A conditional or Range request may end as 304 or 416 (no download),
    # so it is recorded only once that is known.
    conditional = "If-None-Match" in request.headers or "Range" in request.headers
    grant = None
    claim = session_claim(request)
    if claim is not None:
        # The session's user verified in the same statement: no query to load it first.
        grant = grant_download_for_session(
            claim=claim, document_id=document_id, filename=document_filename, record=not conditional
        )
    if grant is None:
        # Loading request.user applies Django's own session checks (fallback keys, a
        # changed password); then the same check for that user, or the 404.
        user = request.user
        grant = grant_download(
            user=user, document_id=document_id, filename=document_filename, record=not conditional
        )
    else:
        user = None  # verified by the statement, and not loaded
    if grant is None:
        organization = organization_requiring_mfa(user=user, document_id=document_id)
        if organization is None:
            raise Http404
        # A member held back only by the organization's two-factor requirement: the
        # same answer as its portal pages give (OrganizationSecurityMiddleware).
        messages.warning(
            request,
            f"{organization.name} requires two-factor authentication. Set it up to continue.",
        )
        target = reverse("mfa_activate_totp")
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
    document = grant.document
    if grant.recorded:
        return build_response(document, byte_range=None, head=request.method == "HEAD")
    if etag_matches(request.headers.get("If-None-Match"), document.etag):
        return not_modified(document)
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range and if_range.strip() != document.etag:
        range_header = None  # the client's partial copy is stale: send everything
    try:
        byte_range = parse_range(range_header, int(document.file_size or 0))
    except RangeNotSatisfiable:
        return range_not_satisfiable(document)
    if user is None:
        # The audit row of a Range download needs only the verified user's id.
        user = get_user_model()(pk=claim.user_id)  # type: ignore[union-attr]
    services.document_record_download(
        user=user,
        document=document,
        byte_range=f"{byte_range.start}-{byte_range.end}" if byte_range else "",
    )
    return build_response(document, byte_range=byte_range, head=request.method == "HEAD")


def _release_connection() -> None:
    from django.db import connection

    if not connection.in_atomic_block:
        connection.close()


# --- library -------------------------------------------------------------------------------


def _library_context(request: HttpRequest) -> dict[str, Any]:
    organization = request.organization  # type: ignore[attr-defined]
    table, filterset = build_table(
        request,
        table_class=DocumentTable,
        queryset=library_queryset(organization, request.membership.role),  # type: ignore[attr-defined]
        filterset_class=DocumentFilter,
    )
    used = services.storage_used(organization)
    quota = organization.storage_quota_bytes
    return {
        "table": table,
        "filter": filterset,
        "storage_used": used,
        "storage_quota": quota,
        "storage_percent": min(100, round(used * 100 / quota)) if quota else 0,
        "max_upload": settings.DOCUMENT_MAX_UPLOAD_BYTES,
        "accept": ",".join(f".{ext}" for ext in settings.DOCUMENT_ALLOWED_EXTENSIONS),
    }


@org_view(Capability.VIEW)
def library(request: HttpRequest) -> HttpResponse:
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
def _upload(request: HttpRequest) -> HttpResponse:
    organization = request.organization  # type: ignore[attr-defined]
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
    for uploaded in files:
        try:
            document = services.document_create(
                acting_user=request.user, organization=organization, uploaded_file=uploaded
            )
        except (ValidationError, PermissionDenied) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            results.append(
                UploadResult(
                    getattr(uploaded, "raw_name", None) or uploaded.name or "", False, message
                )
            )
        else:
            results.append(
                UploadResult(document.filename, True, "Checking…", document.file_size, document.url)
            )
    ok = all(result.ok for result in results)
    status = 200 if ok else (413 if any("larger than" in r.message for r in results) else 400)
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
def delete(request: HttpRequest, public_id: Any) -> HttpResponse:
    organization = request.organization  # type: ignore[attr-defined]
    document = access_document(organization, public_id)
    require_capability(request.membership, Capability.UPLOAD_DOCUMENTS)  # type: ignore[attr-defined]
    services.document_delete(acting_user=request.user, document=document)
    messages.success(request, f"{document.title} was deleted.")
    if request.htmx:  # type: ignore[attr-defined]
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return HttpResponseRedirect(
        reverse("secure_documents:library", kwargs={"org_slug": organization.slug}), status=303
    )
