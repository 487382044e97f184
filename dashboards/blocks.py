"""Live panels that editors place on OrganizationPage and DashboardPage.

Each panel renders its current state on page load (so the page is complete without
websockets) with the element id that the matching live event replaces.
"""

from __future__ import annotations

from typing import Any

from wagtail import blocks

from dashboards import selectors
from organizations import access


def _organization_and_role(context: dict[str, Any]) -> tuple[int | None, str]:
    page = context.get("page")
    request = context.get("request")
    organization_id = None
    if page is not None:
        from dashboards.models import OrganizationPage

        root = OrganizationPage.objects.ancestor_of(page, inclusive=True).first()
        organization_id = root.organization_id if root else None
    role = ""
    user = getattr(request, "user", None)
    if organization_id and user is not None:
        # The panels show what the access rule lets this person view; nothing otherwise
        # (a visitor of a published organization site sees the panels empty).
        decision = access.check(user, organization_id)
        role = decision.role or "" if decision.allowed else ""
    return organization_id, role


class LivePanelBlock(blocks.StructBlock):
    title = blocks.CharBlock(required=False, max_length=80)

    panel_template = ""

    def get_context(
        self, value: Any, parent_context: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        context = super().get_context(value, parent_context=parent_context)
        organization_id, role = _organization_and_role(parent_context or {})
        visible = organization_id if role else None
        context.update(
            {"organization_id": organization_id, "role": role, **self.state(visible, role)}
        )
        return context

    def state(self, organization_id: int | None, role: str) -> dict[str, Any]:
        return {}


class ActivityFeedBlock(LivePanelBlock):
    def state(self, organization_id: int | None, role: str) -> dict[str, Any]:
        return {"events": selectors.activity(organization_id, role) if organization_id else []}

    class Meta:
        icon = "list-ul"
        template = "dashboards/blocks/activity.html"
        label = "Activity feed"


class RecentDocumentsBlock(LivePanelBlock):
    def state(self, organization_id: int | None, role: str) -> dict[str, Any]:
        return {"documents": selectors.recent_documents(organization_id) if organization_id else []}

    class Meta:
        icon = "doc-full"
        template = "dashboards/blocks/documents.html"
        label = "Recent documents"


class MembersOnlineBlock(LivePanelBlock):
    def state(self, organization_id: int | None, role: str) -> dict[str, Any]:
        return {"online": selectors.online_members(organization_id) if organization_id else []}

    class Meta:
        icon = "group"
        template = "dashboards/blocks/presence.html"
        label = "Members online"


class MetricsBlock(LivePanelBlock):
    def state(self, organization_id: int | None, role: str) -> dict[str, Any]:
        return {"metrics": selectors.metrics(organization_id) if organization_id else {}}

    class Meta:
        icon = "order"
        template = "dashboards/blocks/metrics.html"
        label = "Organization metrics"


class AnnouncementsBlock(LivePanelBlock):
    class Meta:
        icon = "doc-full-inverse"
        template = "dashboards/blocks/announcements.html"
        label = "Announcements"

    def get_context(
        self, value: Any, parent_context: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        context = super().get_context(value, parent_context=parent_context)
        context["announcements"] = selectors.current_announcements(
            context["organization_id"], context["role"]
        )
        return context


class QuickLinksBlock(LivePanelBlock):
    def state(self, organization_id: int | None, role: str) -> dict[str, Any]:
        return {"quick_links": selectors.quick_links(organization_id)}

    class Meta:
        icon = "link"
        template = "dashboards/blocks/quick_links.html"
        label = "Quick links"


class TaskProgressBlock(LivePanelBlock):
    class Meta:
        icon = "time"
        template = "dashboards/blocks/tasks.html"
        label = "Task progress"


class LivePanelsBlock(blocks.StreamBlock):
    activity = ActivityFeedBlock()
    documents = RecentDocumentsBlock()
    members_online = MembersOnlineBlock()
    metrics = MetricsBlock()
    announcements = AnnouncementsBlock()
    quick_links = QuickLinksBlock()
    tasks = TaskProgressBlock()
