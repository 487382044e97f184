"""Search inside one organization, for one person: its live pages, the documents their
role may see (by title, file name, tags and the text inside the file), its current
announcements within their role, its quick links, and its members. Wagtail's search
backend (PostgreSQL full text) answers for pages and documents; every query is narrowed
to the organization first, documents and announcements through the access rule's role
ceiling. The number of queries does not grow with the number of results."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, Value
from django.db.models.functions import Greatest, Least, Lower, NullIf, StrIndex, Substr
from django.utils.html import format_html
from django.utils.safestring import SafeString
from wagtail.models import Page
from wagtail.rich_text import get_text_for_indexing

from organizations import access
from organizations.models import Membership, Organization

MAX_QUERY_LENGTH = 200
LIMIT = 20
# Words of the query used for matching members and snippets and for highlighting.
MAX_WORDS = 5
# The excerpt of a document's text around the first matching word.
EXCERPT_BEFORE = 80
EXCERPT_LENGTH = 240


@dataclass
class Results:
    query: str
    pages: list[Any] = field(default_factory=list)
    documents: list[Any] = field(default_factory=list)
    announcements: list[Any] = field(default_factory=list)
    quick_links: list[Any] = field(default_factory=list)
    members: list[Any] = field(default_factory=list)

    @property
    def count(self) -> int:
        return (
            len(self.pages)
            + len(self.documents)
            + len(self.announcements)
            + len(self.quick_links)
            + len(self.members)
        )

    @property
    def snippets(self) -> bool:
        return bool(self.announcements or self.quick_links)


def query_words(query: str) -> list[str]:
    """The distinct words worth matching, longest first (so that a longer word is
    highlighted whole rather than a shorter one inside it)."""
    words = {word.lower() for word in query.split()[:MAX_WORDS] if len(word) > 1}
    return sorted(words, key=lambda word: (-len(word), word))


def highlight(text: str, words: list[str], *, clipped_start: bool, clipped_end: bool) -> SafeString:
    """``text`` escaped, with each occurrence of a word in <mark>; "…" where clipped."""
    if clipped_start:
        text = "…" + text.split(" ", 1)[-1]  # start at a word
    if clipped_end and " " in text:
        text = text.rsplit(" ", 1)[0] + "…"
    html = format_html("{}", "")
    if not words:
        return format_html("{}", text)
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    position = 0
    for match in pattern.finditer(text):
        html += format_html("{}<mark>{}</mark>", text[position : match.start()], match.group())
        position = match.end()
    return html + format_html("{}", text[position:])


def _document_excerpts(documents: list[Any], words: list[str]) -> None:
    """Give each document found ``search_excerpt``: its text around the first matching
    word, highlighted (None when no word occurs in its text: a title or name match).
    One query for all of them, which reads only the excerpts, not the whole texts."""
    from secure_documents.models import SecureDocument

    for document in documents:
        document.search_excerpt = None
    if not documents or not words:
        return
    positions = [NullIf(StrIndex(Lower("extracted_text"), Value(word)), 0) for word in words]
    first = positions[0] if len(positions) == 1 else Least(*positions)
    start = Greatest(F("hit") - EXCERPT_BEFORE, Value(1))
    rows = (
        SecureDocument.objects.filter(pk__in=[document.pk for document in documents])
        .annotate(hit=first)
        .filter(hit__isnull=False)
        .annotate(start=start)
        .annotate(excerpt=Substr("extracted_text", start, EXCERPT_LENGTH))
        .values_list("pk", "start", "excerpt")
    )
    excerpts = {pk: (start, excerpt) for pk, start, excerpt in rows}
    for document in documents:
        if document.pk in excerpts:
            start, excerpt = excerpts[document.pk]
            document.search_excerpt = highlight(
                " ".join(excerpt.split()),
                words,
                clipped_start=start > 1,
                clipped_end=len(excerpt) >= EXCERPT_LENGTH,
            )


def _matches_all(text: str, words: list[str]) -> bool:
    lowered = text.lower()
    return all(word in lowered for word in words)


def _announcements(organization: Organization, role: str, words: list[str]) -> list[Any]:
    """Current, published announcements within the person's role: what the overview
    shows them. The body is rich text: candidates come from the database, and a word must
    occur in the text a reader sees (not only in the markup) to count."""
    from dashboards.models import Announcement

    condition = Q()
    for word in words:
        condition &= Q(title__icontains=word) | Q(body__icontains=word)
    candidates = (
        Announcement.objects.filter(organization=organization)
        .current()
        .for_role(role)
        .filter(condition)
        .order_by("-starts_at", "-created_at")[: LIMIT * 3]
    )
    found = []
    for announcement in candidates:
        body = " ".join(get_text_for_indexing(announcement.body).split())
        if not _matches_all(f"{announcement.title} {body}", words):
            continue
        clipped = len(body) > EXCERPT_LENGTH
        announcement.search_excerpt = highlight(
            body[:EXCERPT_LENGTH], words, clipped_start=False, clipped_end=clipped
        )
        found.append(announcement)
        if len(found) == LIMIT:
            break
    return found


def _quick_links(organization: Organization, words: list[str]) -> list[Any]:
    """The organization's quick links (every member sees them in the sidebar)."""
    from dashboards.models import QuickLink

    condition = Q()
    for word in words:
        condition &= (
            Q(title__icontains=word) | Q(description__icontains=word) | Q(url__icontains=word)
        )
    return list(QuickLink.objects.filter(organization=organization).filter(condition)[:LIMIT])


def search(user: Any, organization: Organization, query: str) -> Results:
    from dashboards.models import OrganizationPage
    from secure_documents.models import SecureDocument

    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    results = Results(query=query)
    # The rule for this organization (the view's middleware has checked it too).
    decision = access.check(user, organization)
    if not query or not decision or decision.role is None:
        return results
    words = query_words(query)
    root = OrganizationPage.objects.filter(organization=organization).first()
    if root is not None:
        pages = Page.objects.live().descendant_of(root, inclusive=True)
        results.pages = list(pages.search(query)[:LIMIT])
    documents = access.filter_visible(
        SecureDocument.objects.filter(organization_id=organization.pk),
        user,
        min_role_field="min_role",
    ).defer("extracted_text")  # up to DOCUMENT_TEXT_MAX_CHARS each: excerpts read less
    # filter_visible keeps the manager's searchable queryset; its annotation is plain.
    results.documents = list(documents.search(query)[:LIMIT])  # type: ignore[attr-defined]
    _document_excerpts(results.documents, words)
    if words:
        results.announcements = _announcements(organization, decision.role, words)
        results.quick_links = _quick_links(organization, words)
    people = Q()
    for word in query.split()[:MAX_WORDS]:
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
