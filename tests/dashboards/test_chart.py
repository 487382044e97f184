"""The overview's chart: uploads, activity and storage per day, drawn on the server as
SVG in the theme's colours, counting only what the reader's role may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboards.charts import chart, series
from organizations.audit import audit_record
from organizations.models import AuditEvent
from organizations.roles import Role
from secure_documents.services import document_create

pytestmark = pytest.mark.django_db


def _upload(org, name: str, size: int = 100) -> None:  # type: ignore[no-untyped-def]
    document_create(
        acting_user=org.users[Role.OWNER],
        organization=org.organization,
        uploaded_file=SimpleUploadedFile(name, b"x" * (size - 1) + b"\n", "text/plain"),
    )


def test_days_count_uploads_activity_and_storage(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    organization = org_a.organization
    _upload(org_a, "a.txt", 100)
    _upload(org_a, "b.txt", 50)
    _upload(org_b, "other.txt", 1000)  # another organization's: never counted
    # An admin-only event counts for admins only (the rule's role ceiling).
    audit_record(
        action="document.uploaded",
        actor=org_a.users[Role.ADMIN],
        organization=organization,
        details={"name": "board.pdf"},
        min_role=Role.ADMIN,
    )
    # An event of ten days ago lands on its day.
    old = audit_record(action="membership.joined", actor=None, organization=organization)
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))

    member_days = series(organization.pk, Role.MEMBER)
    assert len(member_days) == 30
    assert member_days[-1].day == timezone.localdate()
    assert member_days[-1].uploads == 2
    assert member_days[-1].storage == 150
    assert member_days[-11].activity == 1
    admin_days = series(organization.pk, Role.ADMIN)
    assert admin_days[-1].uploads == 3

    drawn = chart(organization.pk, Role.MEMBER)
    assert drawn.total_uploads == 2
    assert drawn.storage_now == 150
    assert len(drawn.bars) == 1
    assert len(drawn.activity_points.split()) == 30


def test_the_overview_draws_it_in_theme_colours(org_a) -> None:  # type: ignore[no-untyped-def]
    _upload(org_a, "a.txt")
    client = Client()
    client.force_login(org_a.users[Role.VIEWER])
    page = client.get(f"/o/{org_a.organization.slug}/").content.decode()
    figure = page[page.index('<figure class="chart"') : page.index("</figure>")]
    assert 'role="img"' in figure
    assert "<desc" in figure
    assert "1 upload" in figure
    assert 'class="chart__bar"' in figure
    # Colours come from the theme's CSS, never from the markup.
    assert "fill=" not in figure
    assert "stroke=" not in figure
    assert "#" not in figure


def test_the_chart_costs_the_same_queries_at_any_size(org_a) -> None:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as small:
        chart(org_a.organization.pk, Role.MEMBER)
    for index in range(15):
        _upload(org_a, f"file-{index}.txt")
    with CaptureQueriesContext(connection) as large:
        chart(org_a.organization.pk, Role.MEMBER)
    assert len(small) == len(large) == 3
