from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from dashboards.admin_panels import OrganizationHomePanel
from dashboards.models import Announcement, QuickLink
from organizations import access
from organizations.models import Organization
from organizations.permissions import OrganizationPermissionPolicy
from organizations.roles import Capability
from organizations.viewsets import OrganizationSnippetViewSet

register_permission_policy(Announcement, OrganizationPermissionPolicy(Announcement))
register_permission_policy(QuickLink, OrganizationPermissionPolicy(QuickLink))


class AnnouncementViewSet(OrganizationSnippetViewSet):
    model = Announcement
    icon = "doc-full"
    menu_label = "Announcements"
    list_display = ["title", "organization", "min_role", "starts_at", "ends_at"]
    list_filter = ["min_role"]
    search_fields = ["title"]
    inspect_view_enabled = True
    copy_view_enabled = True


class QuickLinkViewSet(OrganizationSnippetViewSet):
    model = QuickLink
    icon = "link"
    menu_label = "Quick links"
    list_display = ["title", "organization", "url", "sort_order"]
    search_fields = ["title"]
    inspect_view_enabled = True
    copy_view_enabled = True


register_snippet(AnnouncementViewSet)
register_snippet(QuickLinkViewSet)


@hooks.register("construct_homepage_panels")
def add_organization_panels(request: HttpRequest, panels: list[Any]) -> None:
    """One panel per organization the editor works in; operators see the platform
    screens instead."""
    if access.is_operator(request.user):
        return
    roles = access.grants(request.user, Capability.EDIT_CONTENT)
    organizations = Organization.objects.filter(pk__in=roles).order_by("name")
    for index, organization in enumerate(organizations):
        panels.append(OrganizationHomePanel(organization, roles[organization.pk], order=90 + index))
