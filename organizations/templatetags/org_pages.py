"""Breadcrumbs for an organization's published pages: back to the organization's portal
(for its members) and up through the page tree."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from organizations import access
from organizations.pages import ROOT_DEPTH, root_page_model

register = template.Library()


@register.inclusion_tag("organizations/_page_breadcrumbs.html", takes_context=True)
def page_breadcrumbs(context: template.Context, page: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    root = (
        root_page_model()
        .objects.ancestor_of(page, inclusive=True)
        .select_related("organization")
        .first()
    )
    portal_url = ""
    organization = root.organization if root is not None else None
    if organization is not None and user is not None and access.check(user, organization):
        portal_url = reverse("dashboards:overview", kwargs={"org_slug": organization.slug})
    ancestors = (
        list(page.get_ancestors().filter(depth__gte=ROOT_DEPTH).live()) if root is not None else []
    )
    return {
        "page": page,
        "organization": organization,
        "portal_url": portal_url,
        "ancestors": ancestors,
    }
