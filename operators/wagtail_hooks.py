"""The operators' screens in the Wagtail admin (superusers only)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from operators import views
from operators.summary import share_operator_summary
from operators.viewsets import FailedTaskViewSet, OperatorsReadOnlyPolicy, OrganizationViewSet
from organizations.models import FailedTask, Organization

register_permission_policy(Organization, OperatorsReadOnlyPolicy(Organization))
register_permission_policy(FailedTask, OperatorsReadOnlyPolicy(FailedTask))


@hooks.register("register_admin_viewset")
def register_platform_viewsets() -> list[Any]:
    return [OrganizationViewSet(), FailedTaskViewSet()]


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


# After every app has added its item (hooks of a higher order run later).
hooks.register("construct_homepage_summary_items", share_operator_summary, order=100)
