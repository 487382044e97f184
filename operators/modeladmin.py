"""Superuser-only platform screens (wagtail-modeladmin): organizations and the audit log.

wagtail-modeladmin is in maintenance mode upstream, so it is kept to these operator
screens; everything tenant-scoped uses Wagtail's own viewsets and permission policies.
Organizations are changed only through services (audited, provisioned), so the generic
create/edit/delete views are disabled and the actions below call the services.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import HistoryView

from organizations.models import AuditEvent, FailedTask, Membership, Organization


class OperatorsOnly(PermissionHelper):
    def user_can_list(self, user: Any) -> bool:
        return bool(user.is_active and user.is_superuser)

    def user_can_inspect_obj(self, user: Any, obj: Any) -> bool:
        return self.inspect_view_enabled and self.user_can_list(user)

    def user_can_create(self, user: Any) -> bool:
        return False

    def user_can_edit_obj(self, user: Any, obj: Any) -> bool:
        return False

    def user_can_delete_obj(self, user: Any, obj: Any) -> bool:
        return False


class OperatorsOnlyHistoryView(HistoryView):
    """modeladmin's history view checks no permission of its own: any admin user could
    read any object's log (an organization's name and its changes) by its id."""

    def check_action_permitted(self, user: Any) -> bool:
        return self.permission_helper.user_can_list(user)


class OrganizationButtons(ButtonHelper):
    def get_buttons_for_obj(
        self, obj: Organization, *args: Any, **kwargs: Any
    ) -> list[dict[str, Any]]:
        buttons = super().get_buttons_for_obj(obj, *args, **kwargs)
        if self.request.user.is_superuser:
            buttons.append(
                {
                    "url": reverse("platform_organization_set_active", args=[obj.pk]),
                    "label": "Suspend" if obj.is_active else "Activate",
                    "classname": "button button-small button-secondary",
                    "title": f"{'Suspend' if obj.is_active else 'Activate'} {obj.name}",
                }
            )
            buttons.append(
                {
                    "url": reverse("platform_organization_quota", args=[obj.pk]),
                    "label": "Quota",
                    "classname": "button button-small button-secondary",
                    "title": f"Change the storage quota of {obj.name}",
                }
            )
        return buttons


class OrganizationAdmin(ModelAdmin):
    model = Organization
    menu_label = "Organizations"
    menu_icon = "group"
    menu_order = 900
    add_to_admin_menu = True
    permission_helper_class = OperatorsOnly
    history_view_class = OperatorsOnlyHistoryView
    button_helper_class = OrganizationButtons
    inspect_view_enabled = True
    list_display = ("name", "slug", "is_active", "members", "documents", "storage")
    list_filter = ("is_active", "require_mfa")
    search_fields = ("name", "slug")
    list_export = ("name", "slug", "is_active", "members", "documents", "storage_used")

    def get_queryset(self, request: Any) -> Any:
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
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
                document_count=Coalesce(Subquery(documents.annotate(n=Count("pk")).values("n")), 0),
                storage_used=Coalesce(
                    Subquery(documents.annotate(n=Sum("file_size")).values("n")), 0
                ),
            )
        )

    def members(self, obj: Any) -> int:
        return obj.member_count

    def documents(self, obj: Any) -> int:
        return obj.document_count

    def storage(self, obj: Any) -> str:
        return f"{filesizeformat(obj.storage_used)} of {filesizeformat(obj.storage_quota_bytes)}"

    members.admin_order_field = "member_count"  # type: ignore[attr-defined]
    documents.admin_order_field = "document_count"  # type: ignore[attr-defined]
    storage.admin_order_field = "storage_used"  # type: ignore[attr-defined]


class AuditEventAdmin(ModelAdmin):
    model = AuditEvent
    menu_label = "Audit log"
    menu_icon = "history"
    menu_order = 901
    add_to_admin_menu = True
    permission_helper_class = OperatorsOnly
    history_view_class = OperatorsOnlyHistoryView
    inspect_view_enabled = True
    list_display = ("created_at", "organization", "actor", "action", "target_repr", "ip")
    list_filter = ("action", "organization")
    search_fields = ("action", "actor__email", "target_repr", "organization__name", "request_id")
    list_export = (
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
    )
    export_filename = "audit-log"
    list_per_page = 50

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("organization", "actor")


class FailedTaskButtons(ButtonHelper):
    def get_buttons_for_obj(
        self, obj: FailedTask, *args: Any, **kwargs: Any
    ) -> list[dict[str, Any]]:
        buttons = super().get_buttons_for_obj(obj, *args, **kwargs)
        if self.request.user.is_superuser:
            buttons.append(
                {
                    "url": reverse("platform_failed_task_retry", args=[obj.pk]),
                    "label": "Run again",
                    "classname": "button button-small button-secondary",
                    "title": f"Run {obj.task_name} again with the same arguments",
                }
            )
        return buttons


class FailedTaskAdmin(ModelAdmin):
    model = FailedTask
    menu_label = "Failed tasks"
    menu_icon = "warning"
    menu_order = 902
    add_to_admin_menu = True
    permission_helper_class = OperatorsOnly
    history_view_class = OperatorsOnlyHistoryView
    button_helper_class = FailedTaskButtons
    inspect_view_enabled = True
    list_display = ("failed_at", "task_name", "exception", "organization_id", "retried_at")
    list_filter = ("task_name",)
    search_fields = ("task_name", "task_id", "exception")
