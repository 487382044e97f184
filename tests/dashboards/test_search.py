"""The organization's portal search (/o/<slug>/search/): documents by the text inside
their files and by file name, with a highlighted excerpt; announcements within the
person's role and quick links; nothing of another organization or above the person's
role; a number of queries that does not grow with the results."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboards.models import Announcement, QuickLink
from dashboards.search import highlight, query_words
from organizations.roles import Role
from secure_documents.models import SecureDocument
from secure_documents.services import document_create
from secure_documents.tasks import process_document
from tests.secure_documents.text_files import docx_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


def _document(
    tenant,  # type: ignore[no-untyped-def]
    name: str,
    content: bytes,
    *,
    title: str | None = None,
    min_role: str = "",
) -> SecureDocument:
    """Uploaded and processed as in production: the text comes from the file."""
    document = document_create(
        acting_user=tenant.users[Role.EDITOR],
        organization=tenant.organization,
        uploaded_file=SimpleUploadedFile(name, content),
        title=title,
    )
    assert process_document(document.pk, organization_id=tenant.organization.pk) == "clean"
    if min_role:
        SecureDocument.objects.filter(pk=document.pk).update(min_role=min_role)
    document.refresh_from_db()
    return document


def _announcement(tenant, title: str, body: str, **fields) -> Announcement:  # type: ignore[no-untyped-def]
    fields.setdefault("live", True)
    return Announcement.objects.create(
        organization=tenant.organization, title=title, body=body, **fields
    )


def _search(client, tenant, user, query: str):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client.get(f"/o/{tenant.organization.slug}/search/", {"query": query})


def test_finds_a_document_by_a_word_only_in_its_text(client, org_a) -> None:  # type: ignore[no-untyped-def]
    filler = "Lorem ipsum dolor sit amet. " * 20
    body = f"{filler}The <b>pelican</b> budget & the PELICANS' plan. {filler}"
    document = _document(org_a, "notes.txt", body.encode(), title="Meeting notes")
    response = _search(client, org_a, org_a.users[Role.VIEWER], "pelican")
    assert response.status_code == 200
    html = response.content.decode()
    assert [d.pk for d in response.context["results"].documents] == [document.pk]
    # Escaped text, the query's word marked (each occurrence, in its own case), clipped.
    assert "&lt;b&gt;<mark>pelican</mark>&lt;/b&gt; budget &amp; the <mark>PELICAN</mark>S" in html
    assert "<b>pelican" not in html
    assert "…" in html


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", pdf_bytes("Annual walrus report")),
        ("minutes.docx", docx_bytes("The walrus committee met")),
    ],
)
def test_finds_office_and_pdf_files_by_their_text(client, org_a, name, content) -> None:  # type: ignore[no-untyped-def]
    document = _document(org_a, name, content, title="Untitled")
    response = _search(client, org_a, org_a.users[Role.MEMBER], "walrus")
    assert [d.pk for d in response.context["results"].documents] == [document.pk]
    assert "<mark>walrus</mark>" in response.content.decode()


def test_finds_a_document_by_its_file_name(client, org_a) -> None:  # type: ignore[no-untyped-def]
    document = _document(org_a, "zanzibar-itinerary_2026.txt", b"nothing to see", title="Trip")
    for query in ("zanzibar", "itinerary", "2026"):
        response = _search(client, org_a, org_a.users[Role.MEMBER], query)
        assert [d.pk for d in response.context["results"].documents] == [document.pk], query
    assert response.context["results"].documents[0].search_excerpt is None


def test_announcements_within_the_role_and_quick_links(client, org_a) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    everyone = _announcement(org_a, "Heron season", '<p>The <a href="/x">heron</a> is back</p>')
    _announcement(org_a, "Heron board", "<p>heron budget</p>", min_role=Role.ADMIN)
    _announcement(org_a, "Heron draft", "<p>heron</p>", live=False)
    _announcement(org_a, "Heron past", "<p>heron</p>", ends_at=now - timedelta(days=1))
    _announcement(org_a, "Heron later", "<p>heron</p>", starts_at=now + timedelta(days=1))
    # A word only in the markup (the link's address) is not a match.
    _announcement(org_a, "Links", '<p><a href="https://example.com/heronry">here</a></p>')
    link = QuickLink.objects.create(
        organization=org_a.organization, title="Bird guide", url="https://example.com/herons"
    )
    response = _search(client, org_a, org_a.users[Role.MEMBER], "heron")
    results = response.context["results"]
    assert [a.pk for a in results.announcements] == [everyone.pk]
    assert [q.pk for q in results.quick_links] == [link.pk]
    html = response.content.decode()
    assert f"/o/{org_a.organization.slug}/#announcement-{everyone.pk}" in html
    assert "The <mark>heron</mark> is back" in html
    assert 'href="https://example.com/herons" rel="noopener noreferrer"' in html
    for hidden in ("Heron board", "Heron draft", "Heron past", "Heron later"):
        assert hidden not in html

    admin = _search(client, org_a, org_a.users[Role.ADMIN], "heron").context["results"]
    assert {a.title for a in admin.announcements} == {"Heron season", "Heron board"}


def test_marker_never_reaches_an_outsider_or_a_lower_role(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    # In A, for admins only: a document and an announcement.
    _document(
        org_a,
        "board.txt",
        b"Flamingo plans QZADMDOCTEXT1",
        title="Board QZADMDOCTITLE1",
        min_role=Role.ADMIN,
    )
    _announcement(org_a, "Flamingo QZADMANNTITLE1", "<p>QZADMANNBODY1</p>", min_role=Role.ADMIN)
    # In B, for everyone in B.
    _document(org_b, "b.txt", b"Flamingo QZOTHERDOCTEXT1", title="Bravo QZOTHERDOCTITLE1")
    _announcement(org_b, "Flamingo QZOTHERANN1", "<p>QZOTHERANNBODY1</p>")
    QuickLink.objects.create(
        organization=org_b.organization, title="Flamingo QZOTHERLINK1", url="https://b.example"
    )
    # A's own words next to them, so that the search has something to find.
    _document(org_a, "public.txt", b"Flamingo for everyone", title="Public flamingo")

    def markers(html: str) -> set[str]:
        import re

        return set(re.findall(r"QZ(?:ADM|OTHER)[A-Z]*1", html))

    for role in (Role.VIEWER, Role.MEMBER, Role.EDITOR):
        user = org_a.users[role]
        for query in ("flamingo", "plans", "QZADMDOCTEXT1", "board", "QZOTHERDOCTEXT1"):
            response = _search(client, org_a, user, query)
            assert response.status_code == 200
            html = response.content.decode()
            assert markers(html) <= {query}, (role, query, markers(html))
            results = response.context["results"]
            assert all(d.min_role == "" for d in results.documents)
            assert all(d.organization_id == org_a.organization.pk for d in results.documents)
            assert not results.announcements
            assert not results.quick_links
            if query == "flamingo":  # the control: A's own document is found
                assert [d.title for d in results.documents] == ["Public flamingo"]

    # An admin of A sees A's admin-only rows, still nothing of B.
    html = _search(client, org_a, org_a.users[Role.ADMIN], "flamingo").content.decode()
    assert {"QZADMDOCTEXT1", "QZADMDOCTITLE1", "QZADMANNTITLE1"} <= markers(html)
    assert not {m for m in markers(html) if "OTHER" in m}

    # B's members cannot search A at all, and A's words never show in B's search.
    for role in (Role.OWNER, Role.VIEWER):
        response = _search(client, org_a, org_b.users[role], "flamingo")
        assert response.status_code in (403, 404)
        assert not markers(response.content.decode())
        own = _search(client, org_b, org_b.users[role], "flamingo").content.decode()
        assert not {m for m in markers(own) if "ADM" in m}


def _fill(tenant, count: int, offset: int) -> None:  # type: ignore[no-untyped-def]
    for n in range(offset, offset + count):
        _document(tenant, f"doc{n}.txt", f"Ibis report number {n}".encode(), title=f"Doc {n}")
        _announcement(tenant, f"Ibis news {n}", f"<p>ibis {n}</p>")
        QuickLink.objects.create(
            organization=tenant.organization, title=f"Ibis link {n}", url="https://example.com"
        )


def test_query_count_does_not_grow_with_the_results(client, org_a) -> None:  # type: ignore[no-untyped-def]
    user = org_a.users[Role.MEMBER]
    client.force_login(user)
    url = f"/o/{org_a.organization.slug}/search/"
    client.get(url, {"query": "ibis"})  # warm: session, caches
    counts = []
    for count, offset in ((2, 0), (8, 2)):
        _fill(org_a, count, offset)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"query": "ibis"})
        results = response.context["results"]
        assert len(results.documents) == len(results.announcements) == offset + count
        assert all(d.search_excerpt for d in results.documents)
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    print(f"search view: {counts[0]} queries for 2 and for 10 results of each kind")


def test_highlight_escapes_and_marks() -> None:
    words = query_words("a <Script> script")
    assert words == ["<script>", "script"]
    html = highlight("x <script>alert(1)</script> y", words, clipped_start=False, clipped_end=False)
    assert str(html) == "x <mark>&lt;script&gt;</mark>alert(1)&lt;/<mark>script</mark>&gt; y"
