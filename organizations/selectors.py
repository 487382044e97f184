"""Reads for organization screens; query counts do not grow with the data."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from organizations.models import Invitation, Membership, Organization


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
