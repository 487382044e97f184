"""Tenant-safe lookups: one answer (404) for "does not exist" and "not yours"."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists
from django.http import Http404

from organizations.models import Invitation, Membership, Organization
from organizations.roles import Capability, has_capability

# The authenticator kinds that count as two-factor authentication for an organization
# that requires it (recovery codes alone do not).
MFA_AUTHENTICATOR_TYPES = ("totp", "webauthn")


def has_mfa(user: Any) -> bool:
    return _second_factors(user.pk).exists()


def has_mfa_expression(user_id: int) -> Exists:
    """``has_mfa`` as a subquery, to filter on inside a larger query."""
    return Exists(_second_factors(user_id))


def _second_factors(user_id: int) -> Any:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user_id, type__in=MFA_AUTHENTICATOR_TYPES)


def access_membership_for_slug(user: Any, slug: str) -> Membership:
    """The user's membership of the organization with ``slug``, else 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def access_member(organization: Organization, membership_id: object) -> Membership:
    try:
        return Membership.objects.select_related("user", "organization").get(
            organization=organization, pk=int(str(membership_id))
        )
    except (Membership.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def access_invitation(organization: Organization, invitation_id: object) -> Invitation:
    try:
        return Invitation.objects.select_related("organization").get(
            organization=organization, pk=int(str(invitation_id))
        )
    except (Invitation.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def require_capability(membership: Membership | None, capability: Capability) -> None:
    if membership is None or not has_capability(membership.role, capability):
        raise PermissionDenied("Your role in this organization does not allow this.")
