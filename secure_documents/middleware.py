"""The Wagtail admin's upload doors parse their files as the portal's upload does.

Django's multipart parser silently renames uploads (drops directories and non-printable
characters such as a right-to-left override). For the admin's document and image uploads
this middleware installs the portal's size-limiting, name-keeping upload handler
(secure_documents.upload_handlers) before anything reads the body, so the forms judge the
name as sent and refuse it with the portal's reasons instead of storing another name.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from secure_documents.upload_handlers import install

IMAGE_UPLOAD_URLS = frozenset(
    {"wagtailimages:add", "wagtailimages:add_multiple", "wagtailimages_chooser:create"}
)
DOCUMENT_UPLOAD_URLS = frozenset(
    {"secure_document_add", "secure_document_add_multiple", "wagtaildocs_chooser:create"}
)


class AdminUploadMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info.startswith("/admin/"):
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = ""
            if name in IMAGE_UPLOAD_URLS:
                install(
                    request,
                    max_bytes=settings.IMAGE_MAX_UPLOAD_BYTES,
                    max_files=settings.DOCUMENT_MAX_FILES_PER_REQUEST,
                )
            elif name in DOCUMENT_UPLOAD_URLS:
                install(
                    request,
                    max_bytes=settings.DOCUMENT_MAX_UPLOAD_BYTES,
                    max_files=settings.DOCUMENT_MAX_FILES_PER_REQUEST,
                )
        return self.get_response(request)
