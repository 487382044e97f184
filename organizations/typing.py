"""Request types with what OrganizationMiddleware adds, for views and type checking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from organizations.models import Membership, Organization


class OrgRequest(HttpRequest):
    """Any request after OrganizationMiddleware: the organization may be unknown."""

    organization: Organization | None
    membership: Membership | None
    org_slug: str | None
    htmx: HtmxDetails


class MemberRequest(OrgRequest):
    """A request under ``/o/<slug>/`` that passed the access rule (``org_view``)."""

    organization: Organization
    membership: Membership
