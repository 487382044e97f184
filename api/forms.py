from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from api.models import Scope

EXPIRY_CHOICES = [
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    ("never", "Never"),
]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What uses it, e.g. \u201cNightly backup script\u201d."
    )
    scope = forms.ChoiceField(
        choices=Scope.choices,
        initial=Scope.READ,
        widget=forms.RadioSelect,
        help_text="Read and write acts with your role; read only cannot change anything.",
    )
    expires = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, initial="90")

    def expires_at(self) -> datetime | None:
        value = self.cleaned_data["expires"]
        return None if value == "never" else timezone.now() + timedelta(days=int(value))
