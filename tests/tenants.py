from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from organizations.roles import Role
from tests.factories import add_member, make_org

ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.MEMBER, Role.VIEWER]
MARKER_A = "ZEBRA-ALPHA-7731"
MARKER_B = "OKAPI-BRAVO-4420"


@dataclass
class Tenant:
    organization: Any
    users: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def org_a(db, site_tree) -> Tenant:  # type: ignore[no-untyped-def]
    organization, owner = make_org(f"Alpha {MARKER_A}", "alpha")
    tenant = Tenant(organization, {Role.OWNER: owner})
    for role in ROLES[1:]:
        tenant.users[role] = add_member(organization, role, f"{role}@alpha.example")
    return tenant


@pytest.fixture
def org_b(db, site_tree) -> Tenant:  # type: ignore[no-untyped-def]
    organization, owner = make_org(f"Bravo {MARKER_B}", "bravo")
    tenant = Tenant(organization, {Role.OWNER: owner})
    for role in ROLES[1:]:
        tenant.users[role] = add_member(organization, role, f"{role}@bravo.example")
    return tenant
