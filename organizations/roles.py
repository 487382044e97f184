"""Roles and what each may do: the one source of truth for views, templates, policies, tests."""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class Capability(StrEnum):
    TRANSFER_OWNERSHIP = "transfer_ownership"
    MANAGE_ORGANIZATION = "manage_organization"
    MANAGE_MEMBERS = "manage_members"
    EDIT_CONTENT = "edit_content"
    UPLOAD_DOCUMENTS = "upload_documents"
    VIEW = "view"


# Higher rank means more power; nobody may grant a role ranked above their own.
RANK: dict[str, int] = {
    Role.OWNER: 50,
    Role.ADMIN: 40,
    Role.EDITOR: 30,
    Role.MEMBER: 20,
    Role.VIEWER: 10,
}

CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: frozenset(Capability),
    Role.ADMIN: frozenset(Capability) - {Capability.TRANSFER_OWNERSHIP},
    Role.EDITOR: frozenset({Capability.EDIT_CONTENT, Capability.UPLOAD_DOCUMENTS, Capability.VIEW}),
    Role.MEMBER: frozenset({Capability.UPLOAD_DOCUMENTS, Capability.VIEW}),
    Role.VIEWER: frozenset({Capability.VIEW}),
}


def has_capability(role: str | None, capability: Capability) -> bool:
    return role is not None and capability in CAPABILITIES.get(role, frozenset())


def rank(role: str | None) -> int:
    return RANK.get(role or "", 0)


def can_grant(actor_role: str | None, target_role: str) -> bool:
    """Whether someone with ``actor_role`` may give ``target_role`` to anyone."""
    return has_capability(actor_role, Capability.MANAGE_MEMBERS) and rank(target_role) <= rank(
        actor_role
    )


def can_manage_member(actor_role: str | None, member_role: str) -> bool:
    """Whether ``actor_role`` may change or remove a member who holds ``member_role``."""
    return has_capability(actor_role, Capability.MANAGE_MEMBERS) and rank(member_role) <= rank(
        actor_role
    )


def grantable_roles(actor_role: str | None) -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices if can_grant(actor_role, value)]
