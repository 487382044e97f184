"""Invitations: sent, resent, revoked, accepted from a link, expired."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.audit import audit_record
from organizations.models import Invitation, Membership, Organization
from organizations.roles import (
    Capability,
    Role,
    can_grant,
)
from organizations.services.common import _require, hash_token
from organizations.services.memberships import membership_add

INVITATION_TTL = timedelta(days=getattr(settings, "INVITATION_TTL_DAYS", 7))


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
