from __future__ import annotations

from typing import Any

from django import forms

from organizations import access
from organizations.models import Organization


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label="Display name",
        max_length=150,
        required=False,
        help_text="Shown to the people in your organizations instead of your email address.",
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
