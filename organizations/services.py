"""Every write to organizations, memberships and invitations.

Each function is keyword-only, atomic, checks what the acting user may do, writes an
AuditEvent and sends side effects (email, events) only after the transaction commits.
Errors are ``ValidationError`` (bad input, with a message fit for a form) or
``PermissionDenied`` (the acting user may not do this).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.text import slugify

from organizations.audit import audit_record
from organizations.models import Invitation, Membership, Organization
from organizations.roles import (
    Capability,
    Role,
    can_grant,
    can_manage_member,
    has_capability,
)

INVITATION_TTL = timedelta(days=getattr(settings, "INVITATION_TTL_DAYS", 7))
RESERVED_SLUGS = frozenset({"new", "switch", "admin", "api", "static", "media", "invitations"})

# Sent after commit; receivers (Wagtail sync, live events) react to membership changes.
membership_changed = Signal()  # kwargs: membership_id, organization_id, user_id, change
organization_changed = Signal()  # kwargs: organization_id, change


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _membership_of(user: Any, organization: Organization) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, organization=organization).first()


def _require(user: Any, organization: Organization, capability: Capability) -> Membership:
    membership = _membership_of(user, organization)
    if membership is None or not has_capability(membership.role, capability):
        raise PermissionDenied("You are not allowed to do this in this organization.")
    return membership


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER).count()


def _lock_organization(organization: Organization) -> None:
    # Serialises membership changes per organization, so two concurrent demotions can
    # never both see "another owner remains".
    Organization.objects.select_for_update().filter(pk=organization.pk).first()


def _unique_slug(base: str) -> str:
    root = (slugify(base) or "org")[:50].strip("-") or "org"
    if root in RESERVED_SLUGS:
        root = f"{root}-org"
    slug, counter = root, 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{root}-{counter}"
        counter += 1
    return slug


def _validate_slug(slug: str, *, exclude_pk: int | None = None) -> str:
    cleaned = slugify(slug)
    if not cleaned or cleaned != slug.lower():
        raise ValidationError({"slug": "Use only lowercase letters, numbers and hyphens."})
    if cleaned in RESERVED_SLUGS:
        raise ValidationError({"slug": "This address is reserved; choose another."})
    clash = Organization.objects.filter(slug=cleaned)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"slug": "This address is already taken."})
    return cleaned


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


# --- organizations --------------------------------------------------------------------


@transaction.atomic
def organization_create(
    *, acting_user: Any, name: str, slug: str | None = None, personal: bool = False
) -> Organization:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the organization a name."})
    final_slug = _validate_slug(slug) if slug else _unique_slug(name)
    try:
        with transaction.atomic():
            organization = Organization.objects.create(
                name=name[:120], slug=final_slug, is_personal=personal
            )
    except IntegrityError as exc:  # a concurrent create took the slug
        raise ValidationError({"slug": "This address is already taken."}) from exc
    membership = Membership.objects.create(
        user=acting_user, organization=organization, role=Role.OWNER
    )
    from organizations.provisioning import organization_provision

    organization_provision(organization=organization)
    audit_record(
        action="organization.created",
        actor=acting_user,
        organization=organization,
        target=organization,
        details={"name": organization.name, "slug": organization.slug, "personal": personal},
    )
    profile = getattr(acting_user, "profile", None)
    if profile is not None and profile.default_organization_id is None:
        profile.default_organization = organization
        profile.save(update_fields=["default_organization"])
    _on_commit_organization(organization, "created")
    _on_commit_membership(membership, "joined")
    return organization


def personal_organization_create(*, user: Any) -> Organization:
    local = user.email.split("@", 1)[0]
    return organization_create(
        acting_user=user, name=f"{local}'s organization", slug=None, personal=True
    )


@transaction.atomic
def organization_update(
    *,
    acting_user: Any,
    organization: Organization,
    name: str,
    slug: str,
    require_mfa: bool,
) -> Organization:
    _require(acting_user, organization, Capability.MANAGE_ORGANIZATION)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the organization a name."})
    new_slug = _validate_slug(slug, exclude_pk=organization.pk)
    before = {
        "name": organization.name,
        "slug": organization.slug,
        "require_mfa": organization.require_mfa,
    }
    organization.name, organization.slug, organization.require_mfa = name, new_slug, require_mfa
    try:
        with transaction.atomic():
            organization.save(update_fields=["name", "slug", "require_mfa", "updated_at"])
    except IntegrityError as exc:
        raise ValidationError({"slug": "This address is already taken."}) from exc
    after = {"name": name, "slug": new_slug, "require_mfa": require_mfa}
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    from organizations.provisioning import organization_provision

    organization_provision(organization=organization)
    audit_record(
        action="organization.updated",
        actor=acting_user,
        organization=organization,
        target=organization,
        details={"changed": changed},
    )
    _on_commit_organization(organization, "updated")
    return organization


@transaction.atomic
def organization_set_active(
    *, acting_user: Any, organization: Organization, active: bool
) -> Organization:
    """Suspend or reactivate an organization (operators only)."""
    if not getattr(acting_user, "is_superuser", False):
        raise PermissionDenied("Only platform operators can suspend organizations.")
    if organization.is_active == active:
        return organization
    organization.is_active = active
    organization.save(update_fields=["is_active", "updated_at"])
    from organizations.provisioning import organization_provision

    organization_provision(organization=organization)
    audit_record(
        action="organization.activated" if active else "organization.suspended",
        actor=acting_user,
        organization=organization,
        target=organization,
    )
    _on_commit_organization(organization, "activated" if active else "suspended")
    return organization


# --- memberships ----------------------------------------------------------------------


@transaction.atomic
def membership_set_role(*, acting_user: Any, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": "Choose a valid role."})
    organization = membership.organization
    _lock_organization(organization)
    membership.refresh_from_db()
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
    membership.refresh_from_db()
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
    new_owner.refresh_from_db()
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


# --- invitations ----------------------------------------------------------------------


def _issue_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.expires_at = timezone.now() + INVITATION_TTL
    invitation.sent_at = timezone.now()
    return token


def _send_invitation_on_commit(invitation: Invitation, token: str) -> None:
    from organizations.tasks import send_invitation_email

    invitation_id, organization_id = invitation.pk, invitation.organization_id
    transaction.on_commit(
        lambda: send_invitation_email.delay(invitation_id, token, organization_id=organization_id)
    )


@transaction.atomic
def invitation_send(
    *, acting_user: Any, organization: Organization, email: str, role: str
) -> tuple[Invitation, str]:
    actor = _require(acting_user, organization, Capability.MANAGE_MEMBERS)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Enter a valid email address."}) from exc
    if role not in Role.values:
        raise ValidationError({"role": "Choose a valid role."})
    if not can_grant(actor.role, role):
        raise ValidationError({"role": "You cannot invite someone with a role above your own."})
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member."})
    _close_expired(Invitation.objects.filter(organization=organization, email__iexact=email))
    if Invitation.objects.filter(organization=organization, email__iexact=email).pending().exists():
        raise ValidationError({"email": "This address already has an open invitation."})
    invitation = Invitation(
        organization=organization, email=email, role=role, invited_by=actor.user
    )
    token = _issue_token(invitation)
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:
        raise ValidationError({"email": "This address already has an open invitation."}) from exc
    audit_record(
        action="invitation.sent",
        actor=acting_user,
        organization=organization,
        target=invitation,
        details={"email": email, "role": role},
    )
    _send_invitation_on_commit(invitation, token)
    return invitation, token


@transaction.atomic
def invitation_resend(*, acting_user: Any, invitation: Invitation) -> tuple[Invitation, str]:
    """Rotate the token (the old link stops working) and extend the expiry."""
    actor = _require(acting_user, invitation.organization, Capability.MANAGE_MEMBERS)
    if invitation.status != "pending":
        raise ValidationError("This invitation is closed; send a new one.")
    if not can_grant(actor.role, invitation.role):
        raise PermissionDenied("You cannot resend an invitation for a role above your own.")
    token = _issue_token(invitation)
    invitation.save(update_fields=["token_hash", "expires_at", "sent_at"])
    audit_record(
        action="invitation.resent",
        actor=acting_user,
        organization=invitation.organization,
        target=invitation,
        details={"email": invitation.email},
    )
    _send_invitation_on_commit(invitation, token)
    return invitation, token


@transaction.atomic
def invitation_revoke(*, acting_user: Any, invitation: Invitation) -> Invitation:
    _require(acting_user, invitation.organization, Capability.MANAGE_MEMBERS)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError("This invitation is already closed.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        action="invitation.revoked",
        actor=acting_user,
        organization=invitation.organization,
        target=invitation,
        details={"email": invitation.email},
    )
    return invitation


class InvitationError(ValidationError):
    """An invitation link that cannot be used; ``code`` says why."""


def invitation_for_token(token: str) -> Invitation:
    """Find the invitation a link points to, or explain why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    if invitation is None:
        raise InvitationError(
            "This invitation link is not valid. Ask for a new invitation.", code="invalid"
        )
    if invitation.accepted_at:
        raise InvitationError("This invitation has already been used.", code="used")
    if invitation.revoked_at:
        raise InvitationError("This invitation was withdrawn.", code="revoked")
    if invitation.expired_at or invitation.expires_at <= timezone.now():
        raise InvitationError(
            "This invitation has expired. Ask for a new invitation.", code="expired"
        )
    if not invitation.organization.is_active:
        raise InvitationError("This organization is suspended.", code="suspended")
    return invitation


def _user_emails(user: Any) -> set[str]:
    from allauth.account.models import EmailAddress

    emails = {user.email.lower()}
    emails.update(
        address.lower()
        for address in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    )
    return emails


@transaction.atomic
def invitation_accept(*, user: Any, token: str) -> Membership:
    invitation = invitation_for_token(token)
    Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    invitation.refresh_from_db()
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationError("This invitation has already been used.", code="used")
    if invitation.email.lower() not in _user_emails(user):
        raise InvitationError(
            f"This invitation was sent to {invitation.email}. Sign in with that address "
            "to accept it.",
            code="wrong_user",
        )
    organization = invitation.organization
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise InvitationError("You are already a member of this organization.", code="member")
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership = membership_add(
        acting_user=user, organization=organization, user=user, role=invitation.role
    )
    audit_record(
        action="invitation.accepted",
        actor=user,
        organization=organization,
        target=invitation,
        details={"email": invitation.email, "role": invitation.role},
    )
    return membership


def _close_expired(invitations: Any, *, now: Any = None) -> int:
    now = now or timezone.now()
    count = 0
    for invitation in invitations.filter(
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expired_at__isnull=True,
        expires_at__lte=now,
    ).select_related("organization"):
        invitation.expired_at = now
        invitation.save(update_fields=["expired_at"])
        audit_record(
            action="invitation.expired",
            actor=None,
            organization=invitation.organization,
            target=invitation,
            details={"email": invitation.email},
        )
        count += 1
    return count


@transaction.atomic
def invitations_expire(*, now: Any = None) -> int:
    """Close invitations past their expiry (beat job); returns how many were closed."""
    return _close_expired(Invitation.objects.all(), now=now)


@transaction.atomic
def organization_set_quota(
    *, acting_user: Any, organization: Organization, quota_bytes: int
) -> Organization:
    if not getattr(acting_user, "is_superuser", False):
        raise PermissionDenied("Only platform operators can change quotas.")
    if quota_bytes <= 0:
        raise ValidationError("The quota must be positive.")
    previous = organization.storage_quota_bytes
    organization.storage_quota_bytes = quota_bytes
    organization.save(update_fields=["storage_quota_bytes", "updated_at"])
    audit_record(
        action="organization.quota_changed",
        actor=acting_user,
        organization=organization,
        target=organization,
        details={"from": previous, "to": quota_bytes},
    )
    return organization
