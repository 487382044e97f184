"""Answer a request whose form data is missing a field the view reads with 400, not 500.

Wagtail's page and snippet editors read formset and StreamField bookkeeping fields
(``panels-count``, ``form-TOTAL_FORMS``) with ``request.POST[...]``; a hand-made or
truncated POST then raises ``MultiValueDictKeyError`` deep inside the form machinery.
That is bad input, not a server fault: the person gets Django's 400 page (with a
message) and nothing was written, because the error is raised while the form reads its
data, before any save. Django's documented ``process_exception`` hook is the one place
that sees it for every view without touching Wagtail's.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.datastructures import MultiValueDictKeyError

logger = structlog.get_logger(__name__)


class MalformedRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, MultiValueDictKeyError) or request.method == "GET":
            return None
        field = exception.args[0] if exception.args else ""
        logger.warning("request.malformed", path=request.path, missing_field=str(field))
        return render(request, "400.html", status=400)
