"""Wagtail admin home panels: one per organization the editor works in."""

from __future__ import annotations

from typing import Any

from wagtail.admin.ui.components import Component

from dashboards.models import OrganizationPage
from dashboards.selectors import activity
from organizations.access import ceilings_within
from organizations.models import Membership, Organization


class OrganizationHomePanel(Component):
    name = "organization_summary"
    template_name = "dashboards/admin/home_panel.html"

    def __init__(self, organization: Organization, role: str, order: int = 100) -> None:
        self.organization = organization
        self.role = role
        self.order = order

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        from wagtail.documents import get_document_model
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
        documents = (
            get_document_model()
            .objects.filter(
                organization_id=organization.pk, min_role__in=ceilings_within(self.role)
            )
            .order_by("-created_at")
            .only("pk", "title", "created_at")[:5]
        )
        return {
            "organization": organization,
            "organization_id": organization.pk,
            "events": activity(organization.pk, self.role, limit=6),
            "root": root,
            "pages": pages,
            "documents": documents,
            "member_count": Membership.objects.filter(organization=organization).count(),
        }
