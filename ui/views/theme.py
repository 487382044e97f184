from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import Theme
from accounts.services import profile_set_theme
from ui.htmx import add_trigger, toast
from ui.theme import remember_theme


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.headers.get("Referer") or "/"
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@require_POST
def theme_set(request: HttpRequest) -> HttpResponse:
    """Save the colour theme: the profile (and Wagtail's admin profile) for users, a
    cookie for everyone. htmx gets 204 + ``HX-Trigger: ui:theme``; a plain form post is
    sent back where it came from."""
    theme = request.POST.get("theme", "")
    if theme not in Theme.values:
        response = HttpResponse("Unknown theme.", status=400, content_type="text/plain")
        return toast(response, "Unknown theme.", "error") if request.htmx else response  # type: ignore[attr-defined]
    if request.user.is_authenticated:
        profile_set_theme(acting_user=request.user, theme=theme)
    if request.htmx:  # type: ignore[attr-defined]
        response = add_trigger(HttpResponse(status=204), "ui:theme", theme)
    else:
        response = HttpResponseRedirect(_next_url(request), status=303)
    remember_theme(request, response, theme)
    return response
