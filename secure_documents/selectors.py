from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from organizations.models import Organization
from secure_documents.models import SecureDocument


def library_queryset(organization: Organization) -> QuerySet[SecureDocument]:
    return (
        SecureDocument.objects.filter(organization=organization)
        .select_related("uploaded_by_user")
        .order_by("-created_at")
    )


def recent_documents(organization: Organization | int, limit: int = 8) -> list[Any]:
    organization_id = organization if isinstance(organization, int) else organization.pk
    return list(
        SecureDocument.objects.filter(organization_id=organization_id)
        .select_related("uploaded_by_user")
        .order_by("-created_at")[:limit]
    )
