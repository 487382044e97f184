"""Roles, removals and ownership: every change keeps at least one owner."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from organizations.audit import audit_record
from organizations.models import Membership, Organization
from organizations.roles import (
    Capability,
    Role,
    can_grant,
    can_manage_member,
)
from organizations.services.common import (
    _lock_organization,
    _on_commit_membership,
    _owner_count,
    _require,
)


def _reload(instance: Any, message: str) -> None:
    """Re-read a row under the organization's lock; one that a concurrent request deleted
    meanwhile is a clear message, not a server error."""
    try:
        instance.refresh_from_db()
    except ObjectDoesNotExist:
        raise ValidationError(message, code="gone") from None


@transaction.atomic
def membership_set_role(*, acting_user: Any, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": "Choose a valid role."})
    organization = membership.organization
    _lock_organization(organization)
    _reload(membership, "This person is no longer a member.")
    actor = _require(acting_user, organization, Capability.MANAGE_MEMBERS)
    if not can_manage_member(actor.role, membership.role):
        raise PermissionDenied("You cannot change the role of someone ranked above you.")
    if not can_grant(actor.role, role):
        raise ValidationError({"role": "You cannot grant a role above your own."})
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER and _owner_count(organization) <= 1:
        raise ValidationError(
            {"role": "An organization must keep an owner: transfer ownership first."}
        )
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        action="membership.role_changed",
        actor=acting_user,
        organization=organization,
        target=membership,
        details={"user": membership.user.email, "from": previous, "to": role},
    )
    _on_commit_membership(membership, "role_changed")
    return membership


@transaction.atomic
def membership_remove(*, acting_user: Any, membership: Membership) -> None:
    organization = membership.organization
    _lock_organization(organization)
    _reload(membership, "This person is no longer a member.")
    leaving = membership.user_id == getattr(acting_user, "pk", None)
    if not leaving:
        actor = _require(acting_user, organization, Capability.MANAGE_MEMBERS)
        if not can_manage_member(actor.role, membership.role):
            raise PermissionDenied("You cannot remove someone ranked above you.")
    if membership.role == Role.OWNER and _owner_count(organization) <= 1:
        raise ValidationError(
            "An organization must keep an owner: transfer ownership before leaving."
            if leaving
            else "You cannot remove the last owner."
        )
    audit_record(
        action="membership.left" if leaving else "membership.removed",
        actor=acting_user,
        organization=organization,
        target=membership,
        details={"user": membership.user.email, "role": membership.role},
    )
    user = membership.user
    membership_id = membership.pk
    membership.delete()
    membership.pk = membership_id  # keep the id for the change event
    _on_commit_membership(membership, "left" if leaving else "removed")
    profile = getattr(user, "profile", None)
    if profile is not None and profile.default_organization_id == organization.pk:
        profile.default_organization = None
        profile.save(update_fields=["default_organization"])


@transaction.atomic
def ownership_transfer(
    *, acting_user: Any, organization: Organization, new_owner: Membership
) -> Membership:
    _lock_organization(organization)
    actor = _require(acting_user, organization, Capability.TRANSFER_OWNERSHIP)
    _reload(new_owner, "This person is no longer a member.")
    if new_owner.organization_id != organization.pk:
        raise ValidationError("Choose a member of this organization.")
    if new_owner.pk == actor.pk:
        raise ValidationError("You already own this organization.")
    Membership.objects.filter(pk=new_owner.pk).update(role=Role.OWNER, updated_at=timezone.now())
    Membership.objects.filter(pk=actor.pk).update(role=Role.ADMIN, updated_at=timezone.now())
    new_owner.refresh_from_db()
    actor.refresh_from_db()
    audit_record(
        action="organization.ownership_transferred",
        actor=acting_user,
        organization=organization,
        target=new_owner,
        details={"from": acting_user.email, "to": new_owner.user.email},
    )
    _on_commit_membership(new_owner, "role_changed")
    _on_commit_membership(actor, "role_changed")
    return new_owner


def membership_add(
    *, acting_user: Any, organization: Organization, user: Any, role: str
) -> Membership:
    """Add a user directly (invitations, demo data, operators). Callers check rights."""
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
        if created:
            audit_record(
                action="membership.joined",
                actor=acting_user,
                organization=organization,
                target=membership,
                details={"user": user.email, "role": role},
            )
            _on_commit_membership(membership, "joined")
    return membership
