"""The audit log in the admin: one screen for organization admins and operators.

Which events a person finds is the access rule's answer, nothing else: the events of
the organizations where it lets them manage the organization (admins and owners of an
active organization whose two-factor requirement they meet), each within its role
ceiling (``AuditEvent.min_role``); operators find every event, the platform's included.
Editors, members and viewers find no screen (the menu item is hidden, every URL answers
404 from the admin guard's registry policy or the permission policy below).

Filters: person, action, date range and, for people in several organizations, the
organization; their choices are built from the rows the person may read, so a filter
never lists another organization's people or actions. The listing exports as CSV or
Excel with the same rows (Wagtail's own export). Events are append-only: there is no
add, edit, copy or delete view for anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from organizations import access
from organizations.admin_registry import Kind, Rule, classify
from organizations.models import AuditEvent, Organization
from organizations.roles import Capability

# The views the audit log has: a ModelViewSet's write views (add, edit, copy, delete,
# history, usage) are not routed at all.
READ_VIEWS = ("index", "index_results", "inspect")


def audit_events_for(user: Any) -> QuerySet[AuditEvent]:
    """Every event the person may read in the audit log (the selector behind the
    screen, its filters and its export)."""
    events = AuditEvent.objects.all()
    if access.is_operator(user):
        return events
    return events.filter(
        access.visible_q(user, Capability.MANAGE_ORGANIZATION, min_role_field="min_role")
    )


def can_read_audit_log(user: Any) -> bool:
    return access.is_operator(user) or bool(
        access.organization_ids(user, Capability.MANAGE_ORGANIZATION)
    )


class AuditLogPermissionPolicy(BasePermissionPolicy):
    """Read-only for everyone; readable by operators and by whoever the rule lets manage
    at least one organization (rows are narrowed by ``audit_events_for``)."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action == "view" and can_read_audit_log(user)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        pk = getattr(instance, "pk", None)
        return action == "view" and pk is not None and audit_events_for(user).filter(pk=pk).exists()

    def user_has_any_permission_for_instance(self, user: Any, actions: Any, instance: Any) -> bool:
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_any_permission_for(self, user: Any, actions: Any) -> Any:
        if "view" not in actions:
            return AuditEvent.objects.none()
        return audit_events_for(user)

    def users_with_any_permission(self, actions: Any) -> Any:
        return get_user_model()._default_manager.none()


def _people_choices(request: HttpRequest | None) -> Any:
    people = get_user_model()._default_manager.all()
    if request is None:
        return people.none()
    actors = audit_events_for(request.user).exclude(actor=None).values("actor_id")
    return people.filter(pk__in=actors).order_by("email")


def _organization_choices(request: HttpRequest | None) -> Any:
    if request is None:
        return Organization.objects.none()
    if access.is_operator(request.user):
        return Organization.objects.order_by("name")
    ids = access.organization_ids(request.user, Capability.MANAGE_ORGANIZATION)
    return Organization.objects.filter(pk__in=ids).order_by("name")


class AuditEventFilterSet(WagtailFilterSet):
    actor = django_filters.ModelChoiceFilter(label="Person", queryset=_people_choices)
    action = django_filters.ChoiceFilter(label="Action", choices=[], method="filter_action")
    created_at = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)
    organization = django_filters.ModelChoiceFilter(
        label="Organization", queryset=_organization_choices
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "created_at", "organization"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.request
        if request is None:
            return
        actions = list(
            audit_events_for(request.user)
            .order_by("action")
            .values_list("action", flat=True)
            .distinct()
        )
        self.filters["action"].extra["choices"] = [(a, a) for a in actions]
        self.form.fields["action"].choices = [("", "All"), *((a, a) for a in actions)]
        if not access.is_operator(request.user) and _organization_choices(request).count() < 2:
            del self.filters["organization"]
            del self.form.fields["organization"]

    def filter_action(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> Any:
        return queryset.filter(action=value) if value else queryset


class AuditLogIndexView(generic.IndexView):
    page_title = "Audit log"

    def get_base_queryset(self) -> QuerySet[AuditEvent]:
        return audit_events_for(self.request.user).select_related("organization", "actor")


class AuditLogInspectView(generic.InspectView):
    def get_object(self, queryset: Any = None) -> Any:
        found = audit_events_for(self.request.user).filter(pk=self.pk).first()
        if found is None:
            raise Http404
        return found


class PersonColumn(Column):
    def get_value(self, instance: AuditEvent) -> str:
        return str(instance.actor) if instance.actor_id else "System"


class WhatColumn(Column):
    """The event's target, or its type when it has no readable name."""

    def get_value(self, instance: AuditEvent) -> str:
        return instance.target_repr or instance.target_type or "—"


def _in_scope(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every URL that names an event: it must be one the person may read (404 as for a
    missing one), before any view renders it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pk = kwargs.get("pk")
        if pk is not None and (
            not str(pk).isdigit() or not audit_events_for(request.user).filter(pk=pk).exists()
        ):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


class AuditLogViewSet(ModelViewSet):
    model = AuditEvent
    name = "audit_log"
    url_prefix = "audit"
    icon = "history"
    menu_label = "Audit log"
    menu_order = 850
    add_to_admin_menu = True
    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = AuditLogIndexView
    inspect_view_class = AuditLogInspectView
    filterset_class = AuditEventFilterSet
    list_per_page = 50
    ordering = ["-created_at", "-pk"]
    list_display = [
        "action",  # the title column: links to the event's details
        DateColumn("created_at", label="When", sort_key="created_at"),
        Column("organization", label="Organization", sort_key="organization__name"),
        PersonColumn("actor", label="Person", sort_key="actor__email"),
        WhatColumn("target_repr", label="What"),
        Column("ip", label="IP address", classname="op-nowrap"),
    ]
    list_export = [
        "created_at",
        "organization",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "details",
        "ip",
        "request_id",
    ]
    export_filename = "audit-log"
    inspect_view_fields = [
        "created_at",
        "organization",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "details",
        "ip",
        "request_id",
    ]

    def get_permissions_to_register(self) -> Any:
        from django.contrib.auth.models import Permission

        # Nobody is given audit permissions through groups: the rule decides.
        return Permission.objects.none()

    def on_register(self) -> None:
        super().on_register()
        for view in READ_VIEWS:
            classify(self.get_url_name(view), Rule(Kind.SCOPED, "audit"))

    def get_common_view_kwargs(self, **kwargs: Any) -> Any:
        kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage", "copy"):
            kwargs[f"{name}_url_name"] = None
        return kwargs

    def get_urlpatterns(self) -> list[Any]:
        """The listing (with its results and export) and the inspect view only; every
        URL that names an event checks it first."""
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<str:pk>/", _in_scope(self.inspect_view), name="inspect"),
        ]
