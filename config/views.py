"""Small project-level views that replace framework routes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def frontend_login_redirect(request: HttpRequest) -> HttpResponse:
    """Wagtail's ``/_util/login/``: to allauth's sign-in, with a safe ``next``."""
    target = reverse("account_login")
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = f"{target}?{urlencode({'next': next_url})}"
    return HttpResponseRedirect(target)


def not_found(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it while handling the uncaught exception. A database
    that cannot be reached (refused, timed out, no pooled connection within
    ``DATABASE_POOL_TIMEOUT``) is a 503 with a page that says so and ``Retry-After``; the
    next request tries again (the pool reconnects on its own). Anything else is the 500."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.template import loader

    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(loader.render_to_string("500.html"), status=500)
