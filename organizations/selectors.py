"""Reads for organization screens; query counts do not grow with the data."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from organizations.models import AuditEvent, Invitation, Membership, Organization


def organizations_for_user(user: Any) -> QuerySet[Organization]:
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).order_by("name")


def memberships_for_user(user: Any) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def members_of(organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user", "user__profile")
        .order_by("user__email")
    )


def pending_invitations_of(organization: Organization) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(organization=organization)
        .pending()
        .select_related("invited_by")
        .order_by("-created_at")
    )


def recent_audit_events(organization: Organization, limit: int = 20) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(organization=organization).select_related("actor")[:limit]


def organization_counts(organization: Organization) -> dict[str, int]:
    members = Membership.objects.filter(organization=organization).aggregate(n=Count("pk"))["n"]
    invitations = Invitation.objects.filter(organization=organization).pending().count()
    return {"members": members, "invitations": invitations}
