"""Inline validation: a field's wrapper posts the whole form with ``X-Validate: <name>``
when the field changes, and the view answers with that field re-rendered."""

from __future__ import annotations

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

VALIDATE_HEADER = "X-Validate"


def field_to_validate(request: HttpRequest, form: Form) -> str | None:
    """The field name an inline-validation request asks about, or None."""
    name = request.headers.get(VALIDATE_HEADER)
    if request.method != "POST" or not getattr(request, "htmx", False) or not name:
        return None
    return name if name in form.fields else None


def render_field(request: HttpRequest, form: Form, name: str) -> HttpResponse:
    """Validate the bound form and render only ``name``'s field wrapper. Always 200:
    an invalid field is an expected answer, swapped in place."""
    form.is_valid()
    context = {"field": form[name], "validate_url": request.path, "validated": True}
    return render(request, "components/field.html", context)
