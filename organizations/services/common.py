"""What the services share: the access check, the per-organization lock, the signals
sent after commit."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.dispatch import Signal

from organizations import access
from organizations.models import Membership, Organization
from organizations.roles import (
    Capability,
    Role,
)

# Sent after commit; receivers (Wagtail sync, live events) react to membership changes.
membership_changed = Signal()  # kwargs: membership_id, organization_id, user_id, change
organization_changed = Signal()  # kwargs: organization_id, change


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require(user: Any, organization: Organization, capability: Capability) -> Membership:
    # The one access rule (active account, member, organization active, two-factor,
    # capability), answering with the acting membership the role rules compare against.
    return access.require_membership(user, organization, capability)


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER).count()


def _lock_organization(organization: Organization) -> None:
    # Serialises membership changes per organization, so two concurrent demotions can
    # never both see "another owner remains".
    Organization.objects.select_for_update().filter(pk=organization.pk).first()


def _on_commit_membership(membership: Membership, change: str) -> None:
    from organizations.provisioning import sync_membership_groups

    # Wagtail permissions follow the role at once, inside the same transaction.
    sync_membership_groups(user_id=membership.user_id, organization=membership.organization)
    data = {
        "membership_id": membership.pk,
        "organization_id": membership.organization_id,
        "user_id": membership.user_id,
        "change": change,
    }
    transaction.on_commit(lambda: membership_changed.send(sender=Membership, **data))


def _on_commit_organization(organization: Organization, change: str) -> None:
    organization_id = organization.pk
    transaction.on_commit(
        lambda: organization_changed.send(
            sender=Organization, organization_id=organization_id, change=change
        )
    )
