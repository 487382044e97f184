"""Cache keys for organization data always contain the organization."""

from __future__ import annotations

from organizations.models import Organization


def org_cache_key(organization: Organization | int, *parts: object) -> str:
    organization_id = organization if isinstance(organization, int) else organization.pk
    if not organization_id:
        raise ValueError("an organization cache key needs a saved organization")
    return ":".join(["org", str(organization_id), *(str(part) for part in parts)])
