"""Live panels that editors place on OrganizationPage and DashboardPage. The portal
overview (``/o/<slug>/``) shows its organization page's published panels.

Each panel renders its current state on page load (so the page is complete without
websockets) with the element id that the matching live event replaces. The page that
renders a stream passes ``panel_context`` (the organization and the access rule's role
for the reader), so the panels add no queries of their own for it.
"""

from __future__ import annotations

from typing import Any

from wagtail import blocks

from dashboards import charts, selectors
from organizations import access

# Context keys that carry the organization and the reader's role to every panel of a
# stream: worked out once per page (``panel_context``) instead of once per block.
PANEL_ORGANIZATION = "panel_organization"
PANEL_ROLE = "panel_role"
# The organization's overview generation when the page read it (dashboards/overview_cache.py).
PANEL_GENERATION = "panel_generation"


def panel_context(organization: Any, user: Any) -> dict[str, Any]:
    """What the panels of one page need: the organization (or None) and the role the
    access rule gives ``user`` there ("" when it lets them see nothing: a visitor of a
    published organization site sees the panels empty)."""
    role = ""
    if organization is not None and user is not None:
        decision = access.check(user, organization)
        role = decision.role or "" if decision.allowed else ""
    return {PANEL_ORGANIZATION: organization, PANEL_ROLE: role}


def _organization_and_role(context: dict[str, Any]) -> tuple[int | None, str]:
    if PANEL_ORGANIZATION in context:
        organization = context[PANEL_ORGANIZATION]
        return (organization.pk if organization is not None else None), context.get(PANEL_ROLE, "")
    # A page rendered without ``panel_context`` (a template of someone else's): find
    # the organization from the page's place in the tree (one query per block).
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
        decision = access.check(user, organization_id)
        role = decision.role or "" if decision.allowed else ""
    return organization_id, role


class LivePanelBlock(blocks.StructBlock):
    title = blocks.CharBlock(
        required=False,
        max_length=80,
        help_text="Optional: leave it empty for the panel's usual heading.",
    )

    panel_template = ""
    # Rendered panels come from dashboards/overview_cache.py on the portal overview: what
    # a panel shows must depend only on the organization, the reader's role and time
    # zone and the panel's settings (anything else: set it False).
    cache_rendered = True

    def get_context(
        self, value: Any, parent_context: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        context = super().get_context(value, parent_context=parent_context)
        organization_id, role = _organization_and_role(parent_context or {})
        visible = organization_id if role else None
        context.update(
            {
                "organization_id": organization_id,
                "role": role,
                # The organization object when the page passed one (for links).
                "organization": (parent_context or {}).get(PANEL_ORGANIZATION) if role else None,
                **self.state(visible, role),
            }
        )
        return context

    def state(self, organization_id: int | None, role: str) -> dict[str, Any]:
        return {}

    def cache_seconds(self, organization_id: int, default: int) -> int:
        """How long the rendered panel may be kept at most (changes signal themselves,
        see dashboards/overview_cache.py; this is for what changes with time alone)."""
        return default


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
    # Who is online changes all the time: one Redis read per load, never cached.
    cache_rendered = False

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
        label = "Figures"


class AnnouncementsBlock(LivePanelBlock):
    class Meta:
        icon = "doc-full-inverse"
        template = "dashboards/blocks/announcements.html"
        label = "Announcements"

    def cache_seconds(self, organization_id: int, default: int) -> int:
        # An announcement starts or ends on its own: no later than that.
        edge = selectors.seconds_to_next_announcement_edge(organization_id)
        return default if edge is None else min(default, edge)

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


class ChartBlock(LivePanelBlock):
    """Uploads, activity and storage over the last days (dashboards/charts.py): drawn
    on the server for the reader's role and time zone; current as of the page load."""

    def state(self, organization_id: int | None, role: str) -> dict[str, Any]:
        return {"chart": charts.chart(organization_id, role) if organization_id else None}

    class Meta:
        icon = "table"
        template = "dashboards/blocks/chart.html"
        label = "Chart"


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
    chart = ChartBlock()
