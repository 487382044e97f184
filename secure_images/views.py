"""The one serve view of images: originals and renditions, after the access check."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_http_methods

from organizations.log_context import note_organization
from secure_documents.serving import file_response
from secure_images.access import check_original, check_rendition
from secure_images.serving import original_file, rendition_file


@require_http_methods(["GET", "HEAD"])
def serve_rendition(
    request: HttpRequest, image_id: Any, filename: str
) -> HttpResponse | StreamingHttpResponse:
    """``/images/<image uuid>/r/<name>``: what pages, rich text and the admin show.
    Anyone the rule refuses gets the same 404 as for an image that does not exist."""
    checked = check_rendition(user=request.user, image_id=image_id, filename=filename)
    if not checked.allowed or checked.rendition is None:
        raise Http404
    note_organization(checked.rendition.image.organization_id)
    return file_response(request, rendition_file(checked.rendition, public=checked.public))


@require_http_methods(["GET", "HEAD"])
def serve_original(
    request: HttpRequest, image_id: Any, filename: str
) -> HttpResponse | StreamingHttpResponse:
    """``/images/<image uuid>/<name>``: the uploaded file, for the organization's editors."""
    checked = check_original(user=request.user, image_id=image_id, filename=filename)
    if not checked.allowed or checked.image is None:
        raise Http404
    note_organization(checked.image.organization.pk)
    return file_response(request, original_file(checked.image))
