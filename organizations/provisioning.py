"""Wagtail side of an organization: its page root, collection and role groups."""

from __future__ import annotations

from organizations.models import Organization


def organization_provision(*, organization: Organization) -> dict[str, list[str]]:
    """Create or repair everything Wagtail needs for ``organization`` (idempotent)."""
    return {"created": [], "updated": []}
