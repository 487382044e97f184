from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings

from organizations import access
from organizations.models import Organization


def time_zone_choices() -> list[tuple[str, str]]:
    names = getattr(settings, "WAGTAIL_USER_TIME_ZONES", None) or sorted(
        zoneinfo.available_timezones()
    )
    return [("", f"The site's time ({settings.TIME_ZONE})"), *((name, name) for name in names)]


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label="Display name",
        max_length=150,
        required=False,
        help_text="Shown to the people in your organizations instead of your email address.",
    )
    avatar = forms.FileField(
        label="Profile picture",
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
        help_text="A JPEG, PNG, GIF or WebP image. Only the people in your organizations "
        "see it; its location and camera details are removed.",
    )
    remove_avatar = forms.BooleanField(label="Show my initials instead", required=False)
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=time_zone_choices,
        help_text="Times in the portal are shown in this time zone.",
    )
    default_organization = forms.ModelChoiceField(
        label="Open the portal with",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="The organization I used last",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only organizations the access rule lets the person view can be chosen.
        field = self.fields["default_organization"]
        field.queryset = Organization.objects.filter(  # type: ignore[attr-defined]
            pk__in=access.organization_ids(user)
        ).order_by("name")
        profile = getattr(user, "profile", None)
        if not getattr(profile, "avatar_key", None):
            del self.fields["remove_avatar"]
        # One box per kind of notification: also send it by email.
        from dashboards.models import NotificationKind
        from dashboards.notifications import email_choices

        chosen = email_choices(profile)
        for kind, label in NotificationKind.choices:
            if kind not in chosen:
                continue
            self.fields[email_field(kind)] = forms.BooleanField(
                label=f"Email me: {str(label).lower()}",
                required=False,
                initial=chosen[kind],
            )

    def email_preferences(self) -> dict[str, bool]:
        from dashboards.notifications import EMAIL_DEFAULTS

        return {kind: bool(self.cleaned_data.get(email_field(kind))) for kind in EMAIL_DEFAULTS}


def email_field(kind: str) -> str:
    return f"email_{kind}"
