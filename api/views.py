from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from api.errors import error_response


def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any other path under /api/: the API's 404, not a page of the site."""
    return error_response(404)
