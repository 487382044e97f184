from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from organizations.roles import CAPABILITIES, Capability


def portal(request: HttpRequest) -> dict[str, Any]:
    """Organization context for every template: current organization, role, capabilities
    and the switcher's list. The list is lazy, so pages that never show it pay nothing."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)

    def user_memberships() -> list[Any]:
        if user is None or not user.is_authenticated:
            return []
        from organizations.access import all_memberships

        # The memberships the access rule loaded for this request (no query of its own),
        # in the order of memberships_for_user (by name; the database collates as C).
        return sorted(all_memberships(user), key=lambda m: (m.organization.name, m.pk))

    capabilities = CAPABILITIES.get(membership.role, frozenset()) if membership else frozenset()
    return {
        "current_organization": getattr(request, "organization", None),
        "current_membership": membership,
        "can": {capability.value: capability in capabilities for capability in Capability},
        "user_memberships": user_memberships,
    }
