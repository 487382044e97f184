"""Search inside one organization, for one person: its live pages, the documents their
role may see, and its members. Wagtail's search backend (PostgreSQL full text) answers
for pages and documents; every query is narrowed to the organization first, and the
documents through the access rule's role ceiling."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from wagtail.models import Page

from organizations import access
from organizations.models import Membership, Organization

MAX_QUERY_LENGTH = 200
LIMIT = 20


@dataclass
class Results:
    query: str
    pages: list[Any] = field(default_factory=list)
    documents: list[Any] = field(default_factory=list)
    members: list[Any] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.pages) + len(self.documents) + len(self.members)


def search(user: Any, organization: Organization, query: str) -> Results:
    from dashboards.models import OrganizationPage
    from secure_documents.models import SecureDocument

    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    results = Results(query=query)
    # The rule for this organization (the view's middleware has checked it too).
    if not query or not access.check(user, organization):
        return results
    root = OrganizationPage.objects.filter(organization=organization).first()
    if root is not None:
        pages = Page.objects.live().descendant_of(root, inclusive=True)
        results.pages = list(pages.search(query)[:LIMIT])
    documents = access.filter_visible(
        SecureDocument.objects.filter(organization_id=organization.pk),
        user,
        min_role_field="min_role",
    )
    # filter_visible keeps the manager's searchable queryset; its annotation is plain.
    results.documents = list(documents.search(query)[:LIMIT])  # type: ignore[attr-defined]
    words = query.split()
    people = Q()
    for word in words[:5]:
        people &= (
            Q(user__email__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__profile__display_name__icontains=word)
        )
    results.members = list(
        Membership.objects.filter(organization=organization)
        .filter(people)
        .select_related("user__profile")
        .order_by("user__email")[:LIMIT]
    )
    return results
