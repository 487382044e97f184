"""The API's front door and last word: every ``/api/`` request is checked against the
registry of classified URLs (api/registry.py) before its view, upload limits are set
before anything reads the body, and every error leaves in the API's one shape.

- An unknown or unclassified ``/api/`` URL answers 404 (JSON), never a page of the site.
- A document upload gets the portal's size-limiting, name-keeping upload handler.
- A 4xx or 5xx that is not yet in the shape (Django's 405 and 500, Wagtail's API
  ``{"message"}`` errors, DRF's ``{"detail"}``) is rewritten into it, headers kept.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from api.errors import error_response, is_error_shape, message_from
from api.registry import NAMESPACE, rule_for
from secure_documents.upload_handlers import install

logger = structlog.get_logger(__name__)

API_PREFIX = "/api/"
UPLOAD_URL = f"{NAMESPACE}:documents"
NOT_FOUND_VIEW = "api.views.api_not_found"  # the catch-all for other /api/ paths
# Headers an error answer keeps when its body is rewritten.
KEPT_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow", "X-Request-ID")


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            name = resolve(request.path_info).view_name
        except Resolver404:
            return error_response(404)
        if rule_for(name) is None:
            if name != NOT_FOUND_VIEW:
                logger.warning("api_url_unclassified", view=name)
            return error_response(404)
        if request.method == "POST" and name == UPLOAD_URL:
            install(request, max_bytes=settings.DOCUMENT_MAX_UPLOAD_BYTES, max_files=1)
        return self._shaped(self.get_response(request))

    @staticmethod
    def _shaped(response: HttpResponse) -> HttpResponse:
        if response.status_code < 400 or getattr(response, "streaming", False):
            return response
        content = response.content
        if response.get("Content-Type", "").startswith("application/json") and is_error_shape(
            content
        ):
            return response
        shaped = error_response(response.status_code, message_from(content))
        for header in KEPT_HEADERS:
            if header in response:
                shaped[header] = response[header]
        return shaped
