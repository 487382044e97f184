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
        from organizations.selectors import memberships_for_user

        return list(memberships_for_user(user))

    capabilities = CAPABILITIES.get(membership.role, frozenset()) if membership else frozenset()
    return {
        "current_organization": getattr(request, "organization", None),
        "current_membership": membership,
        "can": {capability.value: capability in capabilities for capability in Capability},
        "user_memberships": user_memberships,
    }
