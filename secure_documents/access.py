"""Tenant-safe lookups for documents: one answer for missing, foreign, rejected, unreadable.

Every decision is the access rule's (organizations/access.py); this module only loads
the facts it needs in one query and maps the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from organizations import access
from organizations.access import Decision, Denial
from organizations.models import Organization
from organizations.roles import Capability
from secure_documents.models import ProcessingStatus, SecureDocument

DOWNLOAD_ACTION = "document.downloaded"


@dataclass(frozen=True)
class DownloadCheck:
    decision: Decision
    document: SecureDocument | None


def check_download(*, user: Any, document_id: int, filename: str) -> DownloadCheck:
    """The document behind ``/documents/<id>/<filename>`` and the rule's answer for it.

    One query (the document, its organization, the person's role there and whether they
    have a second factor). A rejected document, or one whose name differs, is missing."""
    if not getattr(user, "is_authenticated", False):
        return DownloadCheck(Decision(Denial.ANONYMOUS), None)
    if "\x00" in filename:  # PostgreSQL text cannot hold NUL; no stored name does
        return DownloadCheck(Decision(Denial.NOT_MEMBER), None)
    document = (
        access.with_membership_facts(
            SecureDocument.objects.filter(pk=document_id).exclude(status=ProcessingStatus.REJECTED),
            user,
        )
        .defer("organization__created_at", "organization__updated_at")
        .first()
    )
    if document is None or document.filename != filename:
        return DownloadCheck(Decision(Denial.NOT_MEMBER), None)
    membership = access.membership_from(document, user)
    decision = access.decide(user, membership, Capability.VIEW, min_role=document.min_role)
    return DownloadCheck(decision, document)


def access_document(user: Any, organization: Organization, public_id: Any) -> SecureDocument:
    """A document of ``organization`` by its public id (portal screens) that ``user`` may
    view, else 404. Write permissions are the services' to check."""
    document = (
        SecureDocument.objects.filter(organization=organization, public_id=public_id)
        .select_related("organization", "uploaded_by_user")
        .first()
    )
    if document is None or not access.check(user, organization, min_role=document.min_role):
        raise Http404
    return document
