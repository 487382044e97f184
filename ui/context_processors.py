from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ui.access import catalog_allowed
from ui.theme import SIDEBAR_COOKIE, theme_for_request


def ui(request: HttpRequest) -> dict[str, Any]:
    """``theme`` for ``<html data-theme>``, the sidebar state, and whether the
    component catalog may be linked (to staff only: in development the catalog opens
    for anyone who knows its address, but members' menus do not offer it)."""
    user = getattr(request, "user", None)
    return {
        "theme": theme_for_request(request),
        "sidebar_collapsed": request.COOKIES.get(SIDEBAR_COOKIE) == "collapsed",
        "show_component_catalog": bool(user is not None and user.is_authenticated and user.is_staff)
        and catalog_allowed(request),
    }
