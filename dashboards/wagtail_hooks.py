from __future__ import annotations

from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from dashboards.models import Announcement, QuickLink
from organizations.permissions import OrganizationPermissionPolicy
from organizations.viewsets import OrganizationSnippetViewSet

register_permission_policy(Announcement, OrganizationPermissionPolicy(Announcement))
register_permission_policy(QuickLink, OrganizationPermissionPolicy(QuickLink))


class AnnouncementViewSet(OrganizationSnippetViewSet):
    model = Announcement
    icon = "doc-full"
    menu_label = "Announcements"
    list_display = ["title", "organization", "audience", "starts_at", "ends_at"]
    list_filter = ["audience"]
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
