"""Writes to accounts: keyword-only, atomic, audited.

The audit trail lives in the tenancy core, which builds on this app: a write here sends
``accounts.signals.account_changed`` inside its transaction, and the core records it.
"""

from __future__ import annotations

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
