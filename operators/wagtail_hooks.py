"""The operators' screens in the Wagtail admin (superusers only)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from wagtail import hooks
from wagtail_modeladmin.options import modeladmin_register

from operators import views
from operators.modeladmin import AuditEventAdmin, FailedTaskAdmin, OrganizationAdmin

modeladmin_register(OrganizationAdmin)
modeladmin_register(AuditEventAdmin)
modeladmin_register(FailedTaskAdmin)


@hooks.register("register_admin_urls")
def platform_urls() -> list[Any]:
    return [
        path(
            "platform/organizations/<int:pk>/set-active/",
            views.organization_set_active,
            name="platform_organization_set_active",
        ),
        path(
            "platform/failed-tasks/<int:pk>/retry/",
            views.failed_task_retry,
            name="platform_failed_task_retry",
        ),
        path(
            "platform/organizations/<int:pk>/quota/",
            views.organization_quota,
            name="platform_organization_quota",
        ),
    ]
