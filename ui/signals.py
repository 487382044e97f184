"""Copy the profile's theme into the session at login, so pages need no query for it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from ui.theme import THEME_SESSION_KEY, clean_theme


@receiver(user_logged_in, dispatch_uid="ui.theme_on_login")
def theme_on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    profile = getattr(user, "profile", None)
    request.session[THEME_SESSION_KEY] = clean_theme(getattr(profile, "theme", None))
