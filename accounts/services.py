"""Writes to accounts: keyword-only, atomic, audited.

The audit trail lives in the tenancy core, which builds on this app: a write here sends
``accounts.signals.account_changed`` inside its transaction, and the core records it.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Profile, Theme
from accounts.signals import account_changed


@transaction.atomic
def profile_set_theme(*, acting_user: Any, theme: str) -> Profile:
    """Store the colour theme on the user's profile and on Wagtail's own admin
    profile, so the portal and the Wagtail admin follow one preference."""
    from wagtail.users.models import UserProfile

    if theme not in Theme.values:
        raise ValidationError({"theme": f"Unknown theme {theme!r}."})
    profile, _created = Profile.objects.select_for_update().get_or_create(user=acting_user)
    previous = profile.theme
    if previous != theme:
        profile.theme = theme
        profile.save(update_fields=["theme"])
    admin_profile = UserProfile.get_for_user(acting_user)
    if admin_profile.theme != theme:
        admin_profile.theme = theme
        admin_profile.save(update_fields=["theme"])
    if previous != theme:
        account_changed.send(
            sender=Profile,
            action="profile.theme_set",
            user=acting_user,
            target=profile,
            details={"from": previous, "to": theme},
        )
    return profile


def _admin_time_zone(user: Any, time_zone: str) -> None:
    """The Wagtail admin shows times in its own profile's zone: keep it the portal's, so
    one preference serves both (as for the theme)."""
    from wagtail.users.models import UserProfile

    admin_profile = UserProfile.get_for_user(user)
    if admin_profile.current_time_zone != time_zone:
        admin_profile.current_time_zone = time_zone
        admin_profile.save(update_fields=["current_time_zone"])


@transaction.atomic
def profile_update(
    *,
    acting_user: Any,
    display_name: str,
    default_organization: Any | None,
    time_zone: str | None = None,
) -> Profile:
    """The name shown to others (instead of the email address), the organization the
    portal opens with and the time zone times are shown in (None: unchanged). The caller
    has checked that the person may view that organization (the access rule lives in the
    tenancy core)."""
    name = " ".join((display_name or "").split())
    if len(name) > 150:
        raise ValidationError({"display_name": "Use at most 150 characters."})
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": f"Unknown time zone {time_zone!r}."})
    profile, _created = Profile.objects.select_for_update().get_or_create(user=acting_user)
    changed = []
    if profile.display_name != name:
        profile.display_name = name
        changed.append("display_name")
    organization_id = getattr(default_organization, "pk", None)
    if profile.default_organization_id != organization_id:
        profile.default_organization_id = organization_id
        changed.append("default_organization")
    if time_zone is not None and profile.time_zone != time_zone:
        profile.time_zone = time_zone
        changed.append("time_zone")
    if "time_zone" in changed:
        _admin_time_zone(acting_user, profile.time_zone)
    if changed:
        profile.save(update_fields=changed)
        account_changed.send(
            sender=Profile,
            action="profile.updated",
            user=acting_user,
            target=profile,
            details={"changed": changed},
        )
    return profile


@transaction.atomic
def profile_set_avatar(*, acting_user: Any, avatar_key: Any | None) -> Any | None:
    """Point the person's profile at a stored picture (or none) and return the key it
    replaces, whose files the caller removes once this commits. The files themselves are
    written and checked by ``secure_images.avatars``."""
    profile, _created = Profile.objects.select_for_update().get_or_create(user=acting_user)
    previous = profile.avatar_key
    if previous == avatar_key:
        return None
    profile.avatar_key = avatar_key
    profile.save(update_fields=["avatar_key"])
    account_changed.send(
        sender=Profile,
        action="profile.avatar_set" if avatar_key else "profile.avatar_removed",
        user=acting_user,
        target=profile,
        details={},
    )
    return previous


def sessions_end_all(*, request: Any) -> int:
    """Sign the person out everywhere: every session allauth recorded for them (other
    browsers and devices) ends, then the current one. Their live sockets close with the
    sign-out (user_logged_out). Returns the number of sessions ended."""
    from allauth.account.adapter import get_adapter as account_adapter
    from allauth.usersessions.adapter import get_adapter as sessions_adapter
    from allauth.usersessions.models import UserSession

    user = request.user
    current = request.session.session_key
    others = [s for s in UserSession.objects.filter(user_id=user.pk) if s.session_key != current]
    with transaction.atomic():
        account_changed.send(
            sender=Profile,
            action="account.signed_out_everywhere",
            user=user,
            target=user.profile,
            details={"sessions": len(others) + 1},
        )
    sessions_adapter().end_sessions(others)
    UserSession.objects.filter(user_id=user.pk, session_key=current).delete()
    account_adapter(request).logout(request)
    return len(others) + 1


@transaction.atomic
def profile_set_email_notifications(*, acting_user: Any, choices: dict[str, bool]) -> Profile:
    """Which kinds of notification the person also gets by email. The kinds are the
    caller's (the notifications live in a feature app); unknown keys are the caller's
    bug, refused here."""
    if not all(isinstance(key, str) and isinstance(value, bool) for key, value in choices.items()):
        raise ValidationError("Email preferences are kinds with yes or no.")
    profile, _created = Profile.objects.select_for_update().get_or_create(user=acting_user)
    merged = {**(profile.email_notifications or {}), **choices}
    if merged != profile.email_notifications:
        profile.email_notifications = merged
        profile.save(update_fields=["email_notifications"])
        account_changed.send(
            sender=Profile,
            action="profile.email_notifications_set",
            user=acting_user,
            target=profile,
            details={"choices": choices},
        )
    return profile
