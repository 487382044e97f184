"""Which colour theme a request gets, decided on the server so the first paint is right.

Signed-in users: their profile's preference, copied into the session at login so pages
pay no query for it. Anonymous visitors: a cookie. Anything unknown means ``system``
(the browser's ``prefers-color-scheme``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from accounts.models import Theme

THEME_COOKIE = "theme"
THEME_SESSION_KEY = "ui.theme"
THEME_COOKIE_MAX_AGE = 60 * 60 * 24 * 365
SIDEBAR_COOKIE = "sidebar"


def clean_theme(value: Any) -> str:
    return value if value in Theme.values else Theme.SYSTEM


def theme_for_request(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        session = getattr(request, "session", None)
        stored = session.get(THEME_SESSION_KEY) if session is not None else None
        if stored in Theme.values:
            return stored
        profile = getattr(user, "profile", None)
        theme = clean_theme(getattr(profile, "theme", None))
        if session is not None:
            session[THEME_SESSION_KEY] = theme
        return theme
    return clean_theme(request.COOKIES.get(THEME_COOKIE))


def remember_theme(request: HttpRequest, response: HttpResponse, theme: str) -> None:
    """Keep the choice for this browser: the session for users, a cookie for everyone
    (so the sign-in page after a logout still has the last theme)."""
    user = getattr(request, "user", None)
    if hasattr(request, "session") and user is not None and user.is_authenticated:
        request.session[THEME_SESSION_KEY] = theme
    response.set_cookie(
        THEME_COOKIE,
        theme,
        max_age=THEME_COOKIE_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
