"""The operators' screens, as Wagtail viewsets: organizations and failed tasks.

Operators only: the URL names start with ``platform_``, which the admin registry
classifies as operator-only (404 for everyone else), and the permission policy below
gives nobody else even the menu item. Nothing is created, edited or deleted through the
generic views: organizations change through their services (audited, provisioned) from
the actions beside each row, failed tasks are run again from theirs. The audit log is
one screen for operators and organization admins (organizations/audit_log.py).

Wagtail's generic model viewsets have no bulk actions (those are for pages, snippets,
documents, images and users); suspending several organizations at once is rare and
serious enough to be done one confirmation at a time.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat, truncatechars
from django.urls import reverse
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, StatusTagColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from organizations import access
from organizations.models import FailedTask, Membership, Organization


class OperatorsReadOnlyPolicy(BasePermissionPolicy):
    """Operators may look; nobody changes rows through the generic views."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action == "view" and access.is_operator(user)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user: Any, actions: Any, instance: Any) -> bool:
        return self.user_has_any_permission(user, actions)

    def instances_user_has_any_permission_for(self, user: Any, actions: Any) -> Any:
        if self.user_has_any_permission(user, actions):
            return self.model._default_manager.all()
        return self.model._default_manager.none()

    def users_with_any_permission(self, actions: Any) -> Any:
        from django.contrib.auth import get_user_model

        return get_user_model()._default_manager.filter(is_active=True, is_superuser=True)


class _OperatorViewSet(ModelViewSet):
    add_to_admin_menu = True
    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True
    search_backend_name = None

    def get_permissions_to_register(self) -> Any:
        from django.contrib.auth.models import Permission

        return Permission.objects.none()  # operators are superusers: no group grants

    def get_common_view_kwargs(self, **kwargs: Any) -> Any:
        return read_only_view_kwargs(super().get_common_view_kwargs(**kwargs))

    def get_urlpatterns(self) -> list[Any]:
        return read_only_urlpatterns(self)


def read_only_view_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A listing and its inspect view link to no write views: there are none."""
    for name in ("add", "edit", "delete", "history", "usage", "copy"):
        kwargs[f"{name}_url_name"] = None
    return kwargs


def read_only_urlpatterns(viewset: ModelViewSet) -> list[Any]:
    """Only the listing (with its results and export) and the inspect view are routed."""
    from django.urls import path

    return [
        path("", viewset.index_view, name="index"),
        path("results/", viewset.index_results_view, name="index_results"),
        path("inspect/<str:pk>/", viewset.inspect_view, name="inspect"),
    ]


# --- organizations ----------------------------------------------------------------------


class OrganizationIndexView(generic.IndexView):
    def get_base_queryset(self) -> QuerySet[Organization]:
        from secure_documents.models import SecureDocument

        # Subqueries, not joins: counting members and documents through two joins would
        # multiply the rows of each.
        members = (
            Membership.objects.filter(organization=OuterRef("pk"))
            .values("organization")
            .annotate(n=Count("pk"))
            .values("n")
        )
        documents = SecureDocument.objects.filter(organization=OuterRef("pk")).values(
            "organization"
        )
        return Organization.objects.annotate(
            member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
            document_count=Coalesce(Subquery(documents.annotate(n=Count("pk")).values("n")), 0),
            storage_used=Coalesce(Subquery(documents.annotate(n=Sum("file_size")).values("n")), 0),
        )

    def get_list_more_buttons(self, instance: Organization) -> list[Any]:
        verb = "Suspend" if instance.is_active else "Activate"
        return [
            *super().get_list_more_buttons(instance),
            MenuItem(
                verb,
                url=reverse("platform_organization_set_active", args=[instance.pk]),
                icon_name="warning" if instance.is_active else "success",
                priority=30,
            ),
            MenuItem(
                "Storage quota",
                url=reverse("platform_organization_quota", args=[instance.pk]),
                icon_name="resubmit",
                priority=40,
            ),
        ]


class StorageColumn(Column):
    def get_value(self, instance: Any) -> str:
        return (
            f"{filesizeformat(instance.storage_used)} of "
            f"{filesizeformat(instance.storage_quota_bytes)}"
        )


class OrganizationStatusColumn(StatusTagColumn):
    def get_value(self, instance: Organization) -> str:
        return "Active" if instance.is_active else "Suspended"


class OrganizationViewSet(_OperatorViewSet):
    model = Organization
    name = "platform_organizations"
    url_prefix = "platform/organizations"
    icon = "group"
    menu_label = "Organizations"
    menu_order = 900
    index_view_class = OrganizationIndexView
    list_per_page = 50
    ordering = ["name"]
    search_fields = ["name", "slug"]
    list_filter = ["is_active", "require_mfa", "moderation_enabled", "is_personal"]
    list_display = [
        "name",  # the title column: links to the inspect view, carries the row's actions
        Column("slug", label="Address", sort_key="slug", classname="op-nowrap"),
        OrganizationStatusColumn(
            "is_active", label="Status", sort_key="is_active", primary=lambda o: o.is_active
        ),
        BooleanColumn("moderation_enabled", label="Moderation"),
        Column("member_count", label="Members", sort_key="member_count"),
        Column("document_count", label="Documents", sort_key="document_count"),
        StorageColumn("storage_used", label="Storage", sort_key="storage_used"),
    ]
    list_export = [
        "name",
        "slug",
        "is_active",
        "require_mfa",
        "moderation_enabled",
        "member_count",
        "document_count",
        "storage_used",
        "storage_quota_bytes",
        "created_at",
    ]
    export_filename = "organizations"
    inspect_view_fields = [
        "name",
        "slug",
        "public_id",
        "is_active",
        "require_mfa",
        "moderation_enabled",
        "is_personal",
        "storage_quota_bytes",
        "created_at",
        "updated_at",
    ]


# --- failed tasks -----------------------------------------------------------------------


def _task_names() -> list[tuple[str, str]]:
    names = FailedTask.objects.order_by("task_name").values_list("task_name", flat=True).distinct()
    return [(name, name) for name in names]


class FailedTaskFilterSet(WagtailFilterSet):
    task_name = django_filters.ChoiceFilter(label="Task", choices=_task_names)
    retried = django_filters.BooleanFilter(
        label="Run again", field_name="retried_at", lookup_expr="isnull", exclude=True
    )
    failed_at = django_filters.DateFromToRangeFilter(label="Failed", widget=DateRangePickerWidget)

    class Meta:
        model = FailedTask
        fields = ["task_name", "retried", "failed_at"]


class FailedTaskIndexView(generic.IndexView):
    def get_list_more_buttons(self, instance: FailedTask) -> list[Any]:
        return [
            *super().get_list_more_buttons(instance),
            MenuItem(
                "Run again",
                url=reverse("platform_failed_task_retry", args=[instance.pk]),
                icon_name="resubmit",
                priority=30,
            ),
        ]


class ExceptionColumn(Column):
    def get_value(self, instance: FailedTask) -> str:
        return truncatechars(instance.exception, 90)


class FailedTaskViewSet(_OperatorViewSet):
    model = FailedTask
    name = "platform_failed_tasks"
    url_prefix = "platform/failed-tasks"
    icon = "warning"
    menu_label = "Failed tasks"
    menu_order = 902
    index_view_class = FailedTaskIndexView
    filterset_class = FailedTaskFilterSet
    list_per_page = 50
    ordering = ["-failed_at"]
    search_fields = ["task_name", "task_id", "exception"]
    list_display = [
        "task_name",  # the title column: links to the inspect view, carries "Run again"
        DateColumn("failed_at", label="Failed", sort_key="failed_at"),
        ExceptionColumn("exception", label="Error"),
        Column("organization_id", label="Organization id", sort_key="organization_id"),
        DateColumn("retried_at", label="Run again", sort_key="retried_at"),
    ]
    list_export = [
        "failed_at",
        "task_name",
        "task_id",
        "organization_id",
        "exception",
        "args",
        "kwargs",
        "retried_at",
        "retried_as",
    ]
    export_filename = "failed-tasks"
    inspect_view_fields = [
        "task_name",
        "task_id",
        "failed_at",
        "organization_id",
        "args",
        "kwargs",
        "exception",
        "traceback",
        "retried_at",
        "retried_as",
    ]
