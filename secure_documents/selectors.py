from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from organizations.models import Organization
from secure_documents.models import SecureDocument


def library_queryset(organization: Organization, role: str = "") -> QuerySet[SecureDocument]:
    from django.db.models import Q

    from organizations.roles import RANK

    visible = [value for value, level in RANK.items() if level <= RANK.get(role, 0)]
    return (
        SecureDocument.objects.filter(organization=organization)
        .filter(Q(min_role="") | Q(min_role__in=visible))
        .select_related("uploaded_by_user__profile")
        .order_by("-created_at")
    )


def recent_documents(organization: Organization | int, limit: int = 8) -> list[Any]:
    organization_id = organization if isinstance(organization, int) else organization.pk
    return list(
        SecureDocument.objects.filter(organization_id=organization_id, min_role="")
        .select_related("uploaded_by_user")
        .order_by("-created_at")[:limit]
    )
