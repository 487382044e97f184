"""The activity feed reads as sentences about people, grouped, within the reader's role,
in a fixed number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.selectors import activity
from organizations.audit import audit_record
from organizations.roles import Role
from secure_documents.services import document_create


def _upload(tenant: Any, user: Any, name: str) -> Any:
    return document_create(
        acting_user=user,
        organization=tenant.organization,
        uploaded_file=SimpleUploadedFile(name, b"notes\n", "text/plain"),
    )


def _texts(organization_id: int, role: str) -> list[str]:
    return [str(item.sentence) for item in activity(organization_id, role)]


@pytest.mark.django_db
def test_sentences_name_people_and_link_what_the_reader_may_open(org_a) -> None:  # type: ignore[no-untyped-def]
    editor = org_a.users[Role.EDITOR]
    editor.profile.display_name = "Ana Lima"
    editor.profile.save()
    document = _upload(org_a, editor, "handbook.txt")
    items = activity(org_a.organization.pk, Role.VIEWER)
    uploaded = next(item for item in items if item.action == "document.uploaded")
    assert str(uploaded.sentence) == (
        f'<strong>Ana Lima</strong> uploaded <a href="{document.url}">{document.title}</a>'
    )
    assert uploaded.initials == "AL"
    joined = [item for item in items if item.action == "membership.joined"]
    assert joined
    assert all(" joined as a" in str(item.sentence) for item in joined)
    assert all("@" not in text for text in _texts(org_a.organization.pk, Role.VIEWER))


@pytest.mark.django_db
def test_repeated_uploads_are_one_line(org_a) -> None:  # type: ignore[no-untyped-def]
    editor = org_a.users[Role.EDITOR]
    for number in range(4):
        _upload(org_a, editor, f"report-{number}.txt")
    items = activity(org_a.organization.pk, Role.VIEWER)
    uploads = [item for item in items if item.action == "document.uploaded"]
    assert len(uploads) == 1
    assert uploads[0].more == 3
    assert "report-3" in str(uploads[0].sentence)


@pytest.mark.django_db
def test_events_above_the_readers_role_are_left_out(org_a) -> None:  # type: ignore[no-untyped-def]
    audit_record(
        action="document.deleted",
        actor=org_a.users[Role.ADMIN],
        organization=org_a.organization,
        details={"name": "salaries.xlsx"},
        min_role=Role.ADMIN,
    )
    assert not any("salaries" in text for text in _texts(org_a.organization.pk, Role.MEMBER))
    assert any("deleted" in text for text in _texts(org_a.organization.pk, Role.ADMIN))


@pytest.mark.django_db
def test_feed_queries_do_not_grow_with_the_number_of_events(org_a) -> None:  # type: ignore[no-untyped-def]
    users = [org_a.users[role] for role in (Role.EDITOR, Role.ADMIN, Role.OWNER)]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            activity(org_a.organization.pk, Role.VIEWER)
        return len(captured.captured_queries)

    for number, user in enumerate(users):
        _upload(org_a, user, f"small-{number}.txt")
    # The events, the people named in them, the documents and the pages they link to
    # (and Wagtail's site root paths): one query each, whatever the number of events.
    assert queries() <= 5
    for number in range(12):
        _upload(org_a, users[number % 3], f"large-{number}.txt")
    assert queries() <= 5
