"""A snippet viewset whose every view is scoped to the user's organizations.

Wagtail's generic edit/delete/inspect/history/usage/... views load the object by primary
key and check only the model-level permission (wagtail #10746). Instead of overriding each
view class (and missing the next one Wagtail adds), every URL of the viewset that carries
a ``pk`` is wrapped: the object must be in the user's scope, else 404 — the same answer
as for a missing object. Listings, counts and choosers use the scoped queryset.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.permissions import policy_registry
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
    SnippetChosenMultipleView,
    SnippetChosenView,
    SnippetCreateView,
)
from wagtail.snippets.views.snippets import SnippetViewSet

from organizations.admin_registry import classify_snippet_viewsets
from organizations.models import Organization
from organizations.permissions import content_organization_ids


def scoped_queryset(model: type[Any], user: Any) -> Any:
    policy = policy_registry.get_by_type(model)
    if hasattr(policy, "scoped_queryset"):
        return policy.scoped_queryset(user)
    return model._default_manager.none()


def require_object_in_scope(
    model: type[Any], view: Callable[..., HttpResponse]
) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pk = kwargs.get("pk")
        if pk is not None:
            try:
                found = scoped_queryset(model, request.user).filter(pk=unquote(str(pk))).exists()
            except (ValueError, TypeError):
                found = False
            if not found:
                raise Http404(f"No {model._meta.verbose_name} matches the given query.")
        return view(request, *args, **kwargs)

    return wrapper


class OrganizationSnippetForm(WagtailAdminModelForm):
    """Offers only organizations where the user may edit, defaulting to the current one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("organization")
        if field is None or self.for_user is None:
            return
        assert isinstance(field, forms.ModelChoiceField)
        allowed = content_organization_ids(self.for_user)
        field.queryset = Organization.objects.filter(pk__in=allowed).order_by("name")
        field.empty_label = None
        if not self.instance.pk and not self.initial.get("organization"):
            current = _current_organization_id(self.for_user, allowed)
            if current is not None:
                self.initial["organization"] = current
        if self.instance.pk:
            # Moving a row to another organization is not an edit: it would hand it over.
            field.disabled = True


def _current_organization_id(user: Any, allowed: frozenset[int]) -> int | None:
    from organizations.context import current_organization_id

    current = current_organization_id.get()
    if current in allowed:
        return current
    profile = getattr(user, "profile", None)
    if profile is not None and profile.default_organization_id in allowed:
        return profile.default_organization_id
    return min(allowed) if allowed else None


class _ScopedChooseMixin:
    model_class: Any
    request: HttpRequest

    def get_object_list(self) -> Any:
        return scoped_queryset(self.model_class, self.request.user)


class ScopedChooseView(_ScopedChooseMixin, ChooseView):
    pass


class ScopedChooseResultsView(_ScopedChooseMixin, ChooseResultsView):
    pass


class ScopedChosenView(SnippetChosenView):
    def get_object(self, pk: Any) -> Any:
        return scoped_queryset(self.model_class, self.request.user).get(pk=pk)


class ScopedChosenMultipleView(SnippetChosenMultipleView):
    def get_objects(self, pks: list[str]) -> Any:
        return scoped_queryset(self.model_class, self.request.user).filter(pk__in=pks)


class NoChooserCreateView(SnippetCreateView):
    """Organization-owned snippets are created in their own screens, where the
    organization field is scoped; the chooser offers no creation form."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise Http404


class OrganizationSnippetChooserViewSet(SnippetChooserViewSet):
    create_view_class = NoChooserCreateView
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView


class OrganizationSnippetViewSet(SnippetViewSet):
    """Register org-owned snippet models with this (see dashboards/wagtail_hooks.py)."""

    chooser_viewset_class = OrganizationSnippetChooserViewSet

    def on_register(self) -> None:
        super().on_register()
        # Its screens are classified as scoped by this viewset (the admin registry): the
        # ones it has today, by name; a view a later Wagtail adds stays closed.
        classify_snippet_viewsets(self.url_namespace, self.get_chooser_admin_url_namespace())

    def get_queryset(self, request: HttpRequest) -> Any:
        return scoped_queryset(self.model, request.user)

    def get_form_class(self, for_update: bool = False) -> Any:
        form_class = super().get_form_class(for_update=for_update)
        if issubclass(form_class, OrganizationSnippetForm):
            return form_class
        return type(form_class.__name__, (OrganizationSnippetForm, form_class), {})

    def get_urlpatterns(self) -> list[Any]:
        patterns = super().get_urlpatterns()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = require_object_in_scope(self.model, pattern.callback)
        return patterns
