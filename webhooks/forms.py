from __future__ import annotations

from django import forms

from webhooks.events import SUBSCRIBABLE


class EndpointForm(forms.Form):
    """Input only: the URL's safety and the events' names are the service's checks."""

    name = forms.CharField(max_length=100, help_text="For you, e.g. “CRM sync”.")
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="An https:// address on the public internet; we POST JSON to it.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/org-portal"}),
    )
    events = forms.MultipleChoiceField(
        choices=SUBSCRIBABLE,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
