from __future__ import annotations

import pytest

from organizations.roles import (
    CAPABILITIES,
    Capability,
    Role,
    can_grant,
    can_manage_member,
    grantable_roles,
    has_capability,
)


def test_every_role_has_capabilities_and_view() -> None:
    assert set(CAPABILITIES) == set(Role.values)
    assert all(Capability.VIEW in caps for caps in CAPABILITIES.values())


@pytest.mark.parametrize(
    ("role", "capability", "expected"),
    [
        (Role.OWNER, Capability.TRANSFER_OWNERSHIP, True),
        (Role.ADMIN, Capability.TRANSFER_OWNERSHIP, False),
        (Role.ADMIN, Capability.MANAGE_MEMBERS, True),
        (Role.ADMIN, Capability.MANAGE_ORGANIZATION, True),
        (Role.EDITOR, Capability.EDIT_CONTENT, True),
        (Role.EDITOR, Capability.MANAGE_MEMBERS, False),
        (Role.MEMBER, Capability.UPLOAD_DOCUMENTS, True),
        (Role.MEMBER, Capability.EDIT_CONTENT, False),
        (Role.VIEWER, Capability.UPLOAD_DOCUMENTS, False),
        (None, Capability.VIEW, False),
    ],
)
def test_capabilities(role: str | None, capability: Capability, expected: bool) -> None:
    assert has_capability(role, capability) is expected


def test_nobody_grants_above_their_own_role() -> None:
    assert can_grant(Role.OWNER, Role.OWNER)
    assert not can_grant(Role.ADMIN, Role.OWNER)
    assert can_grant(Role.ADMIN, Role.ADMIN)
    assert not can_grant(Role.EDITOR, Role.VIEWER)  # editors do not manage members
    assert [value for value, _ in grantable_roles(Role.ADMIN)] == [
        Role.ADMIN,
        Role.EDITOR,
        Role.MEMBER,
        Role.VIEWER,
    ]


def test_admins_cannot_manage_owners() -> None:
    assert not can_manage_member(Role.ADMIN, Role.OWNER)
    assert can_manage_member(Role.OWNER, Role.OWNER)
