"""Tenant-safe lookups for documents: one 404 for missing, foreign, rejected, unreadable."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from organizations.models import Organization
from organizations.roles import CAPABILITIES, Capability, rank
from secure_documents.models import ProcessingStatus, SecureDocument

VIEW_ROLES = [role for role, caps in CAPABILITIES.items() if Capability.VIEW in caps]
SERVE_FIELDS = (
    "pk",
    "title",
    "file",
    "file_size",
    "file_hash",
    "sha256",
    "content_type",
    "status",
    "active_content",
    "organization_id",
    "collection_id",
    "min_role",
)


def access_document_for_download(user: Any, document_id: int) -> SecureDocument:
    """One query: the document, only if the user is a member (with the view capability)
    of its active organization and it was not rejected."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    document = (
        SecureDocument.objects.filter(
            pk=document_id,
            organization__is_active=True,
            organization__memberships__user_id=user.pk,
            organization__memberships__role__in=VIEW_ROLES,
        )
        .exclude(status=ProcessingStatus.REJECTED)
        .only(*SERVE_FIELDS)
        .first()
    )
    if document is None:
        raise Http404
    if document.min_role:
        role = _role_of(user.pk, document.organization_id)
        if rank(role) < rank(document.min_role):
            raise Http404
    return document


def _role_of(user_id: int, organization_id: int) -> str:
    from organizations.models import Membership

    return (
        Membership.objects.filter(user_id=user_id, organization_id=organization_id)
        .values_list("role", flat=True)
        .first()
        or ""
    )


def access_document(organization: Organization, public_id: Any) -> SecureDocument:
    """A document of ``organization`` by its public id (portal screens), else 404."""
    document = (
        SecureDocument.objects.filter(organization=organization, public_id=public_id)
        .select_related("organization", "uploaded_by_user")
        .first()
    )
    if document is None:
        raise Http404
    return document
