"""What the portal layout's sidebar and top bar show of their reader, as the key under
which ``{% reader_cache %}`` (ui/fragments.py) keeps them.

The layout draws the same markup for a person on every load of a page until something it
shows changes: their organizations (names, slugs, roles, suspension, two-factor facts:
the switcher and the sidebar), their account (address, name, picture, staff flags: the
user menu), their bell (the inbox's generation), their time zone and the page's own
address (the current link, the theme form's return address). All of it is read here
from what the request already holds (the memberships the access rule loaded, the
signed-in user and profile from the cache) plus one cache read for the bell, so the
key is always current and a change simply leads to a new entry.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone, translation

from dashboards import overview_cache
from organizations import access

VERSION = 1  # moves on when the layout starts to show something new of its reader


def chrome_key(request: HttpRequest, *, inbox_generation: int | None = None) -> str:
    """The reader's part of the key, or "" (visitors: nothing is kept).
    ``inbox_generation``: the caller's, when it has read it already.

    A page with a query string is not kept: the theme form returns to the full address,
    and keeping every address a list's paging, sorting or a made-up parameter produces
    would fill the cache with entries read once."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.GET:
        return ""
    profile = getattr(user, "profile", None)
    membership = getattr(request, "membership", None)
    organizations = [
        (
            m.pk,
            m.organization_id,
            m.organization.slug,
            m.organization.name,
            m.role,
            m.organization.is_active,
            m.organization.require_mfa,
            bool(getattr(m, "has_mfa", False)),
        )
        for m in access.all_memberships(user)
    ]
    parts: tuple[Any, ...] = (
        VERSION,
        user.pk,
        user.email,
        user.is_active,
        user.is_staff,
        user.is_superuser,
        getattr(profile, "name", ""),
        getattr(profile, "avatar_key", ""),
        timezone.get_current_timezone_name(),
        translation.get_language(),
        request.path,
        (membership.organization_id, membership.role) if membership is not None else None,
        organizations,
        overview_cache.inbox_generation(user.pk) if inbox_generation is None else inbox_generation,
    )
    return repr(parts)
