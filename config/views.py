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
