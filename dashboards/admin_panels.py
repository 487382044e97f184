"""Wagtail admin home panels: one per organization the editor works in."""

from __future__ import annotations

from typing import Any

from django.forms import Media, Script
from django.templatetags.static import static
from wagtail.admin.ui.components import Component

from dashboards.models import OrganizationPage
from dashboards.selectors import activity, metrics, online_members, recent_documents
from organizations.models import Membership, Organization


class OrganizationHomePanel(Component):
    name = "organization_summary"
    template_name = "dashboards/admin/home_panel.html"

    def __init__(self, organization: Organization, role: str, order: int = 100) -> None:
        self.organization = organization
        self.role = role
        self.order = order

    @property
    def media(self) -> Media:
        """htmx with its ws extension and live.js: on the admin home only, where the
        panel's live targets are (other admin pages load none of it)."""
        return Media(
            js=[
                static("django_htmx/htmx-2.min.js"),
                static("django_htmx/ext/hx-ws-2.min.js"),
                # Django 5.2 takes Script assets here; the type stubs still say str.
                Script(static("js/live.js"), type="module"),  # type: ignore[list-item]
            ]
        )

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        from wagtail.models import Page

        organization = self.organization
        root = OrganizationPage.objects.filter(organization=organization).first()
        pages = (
            Page.objects.descendant_of(root, inclusive=True)
            .order_by("-latest_revision_created_at")
            .only("pk", "title", "latest_revision_created_at")[:5]
            if root
            else []
        )
        return {
            "organization": organization,
            "organization_id": organization.pk,
            "events": activity(organization.pk, self.role, limit=6),
            "root": root,
            "pages": pages,
            "member_count": Membership.objects.filter(organization=organization).count(),
            # The live fragments' first state (the socket replaces them on every change).
            "metrics": metrics(organization.pk),
            "online": online_members(organization.pk),
            "documents": recent_documents(organization.pk),
        }
