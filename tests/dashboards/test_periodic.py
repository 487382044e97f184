from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards import presence
from dashboards.tasks import audit_retention, refresh_metrics
from organizations.models import AuditEvent
from organizations.roles import Role

pytestmark = pytest.mark.django_db


def test_metrics_refresh_only_for_organizations_with_people_online(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    assert refresh_metrics() == 0
    presence.touch(org_a.organization.pk, org_a.users[Role.MEMBER].pk, "test-channel")
    try:
        assert refresh_metrics() == 1
    finally:
        presence.leave(org_a.organization.pk, "test-channel", org_a.users[Role.MEMBER].pk)


def test_audit_retention_deletes_only_old_events(org_a, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AUDIT_RETENTION_DAYS = 30
    old = AuditEvent.objects.create(
        organization=org_a.organization,
        action="old",
        created_at=timezone.now() - timedelta(days=31),
    )
    recent = AuditEvent.objects.count()
    assert audit_retention() == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.count() == recent - 1


def test_beat_schedule_names_real_tasks() -> None:
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
