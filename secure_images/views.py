"""The one serve view of images: originals and renditions, after the access check."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_http_methods

from accounts.middleware import without_time_zone
from organizations.log_context import note_organization
from secure_documents.serving import StoredFile, file_response
from secure_images.access import check_original, check_rendition
from secure_images.serving import original_file, rendition_file


@without_time_zone
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


@require_http_methods(["GET", "HEAD"])
def serve_avatar(request: HttpRequest, key: Any, size: int) -> HttpResponse | StreamingHttpResponse:
    """``/avatars/<key>/<size>.webp``: a person's picture, for themselves and the people
    the access rule lets share an organization with them; the same 404 for everyone else
    and for a picture that does not exist."""
    from accounts.models import Profile
    from organizations import access
    from secure_images.avatars import AVATAR_SIZES, avatar_name, avatar_storage
    from secure_images.serving import cache_control

    if size not in AVATAR_SIZES:
        raise Http404
    owner_id = Profile.objects.filter(avatar_key=key).values_list("user_id", flat=True).first()
    if owner_id is None or not access.may_see_person(request.user, owner_id):
        raise Http404
    name = avatar_name(key, size)
    try:
        stored_size = avatar_storage.size(name)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    stored = StoredFile(
        storage=avatar_storage,
        name=name,
        filename=f"avatar-{size}.webp",
        size=stored_size,
        content_type="image/webp",
        # A key's files never change (a new picture is a new key).
        etag=f'"{key.hex}-{size}-{stored_size}"',
        inline=True,
        cache_control=cache_control(public=False),
    )
    return file_response(request, stored)
