"""Times are shown in the signed-in person's time zone (their profile's), everyone else's
in the site's. Django's documented way: activate the zone for the request.

It is activated before the view (``process_view``), not for every request: finding out
who is signed in loads the session, which makes the response vary by cookie, and a
published organization's images must not (their responses are cached publicly). Views
that read no session say so with ``@without_time_zone``."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


@lru_cache(maxsize=512)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def zone_of(user: Any) -> zoneinfo.ZoneInfo | None:
    """The person's chosen zone, read from the profile the signed-in user carries (no
    query: the cached user includes it), or None for the site's."""
    if not getattr(user, "is_authenticated", False):
        return None
    name = getattr(getattr(user, "profile", None), "time_zone", "")
    return _zone(name) if name else None


def without_time_zone(view: Any) -> Any:
    """Mark a view that must not load the session to learn the person's time zone."""
    view.without_time_zone = True
    return view


class TimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> None:
        if getattr(view_func, "without_time_zone", False):
            return
        zone = zone_of(getattr(request, "user", None))
        if zone is not None:
            timezone.activate(zone)
