from __future__ import annotations

import pytest
from celery import shared_task

from organizations.models import AuditEvent, FailedTask
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@shared_task(name="tests.always_fails")
def always_fails(value: int, *, organization_id: int | None = None) -> None:
    raise ValueError(f"cannot handle {value}")


def test_a_task_that_fails_for_good_is_recorded_with_its_arguments() -> None:
    result = always_fails.apply(args=[7], kwargs={"organization_id": 42}, throw=False)
    assert result.failed()
    failed = FailedTask.objects.get()
    assert failed.task_name == "tests.always_fails"
    assert failed.args == [7]
    assert failed.kwargs == {"organization_id": 42}
    assert failed.organization_id == 42
    assert "cannot handle 7" in failed.exception
    assert "Traceback" in failed.traceback


def test_operators_inspect_and_run_it_again(client) -> None:  # type: ignore[no-untyped-def]
    always_fails.apply(args=[1], throw=False)
    failed = FailedTask.objects.get()
    operator = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(operator)
    listing = client.get("/admin/platform/failed-tasks/").content.decode()
    assert "tests.always_fails" in listing
    assert client.post(f"/admin/platform/failed-tasks/{failed.pk}/retry/").status_code == 302
    failed.refresh_from_db()
    assert failed.retried_at is not None
    assert failed.retried_as
    assert AuditEvent.objects.filter(action="task.retried", actor=operator).exists()
    # Inline tasks fail again, so the retry itself was recorded as a new failure.
    assert FailedTask.objects.count() == 2


def test_only_operators_reach_failed_tasks(client, org_a) -> None:  # type: ignore[no-untyped-def]
    from organizations.roles import Role

    always_fails.apply(args=[1], throw=False)
    failed = FailedTask.objects.get()
    client.force_login(org_a.users[Role.OWNER])
    assert client.get("/admin/platform/failed-tasks/").status_code == 404
    assert client.post(f"/admin/platform/failed-tasks/{failed.pk}/retry/").status_code == 404
    failed.refresh_from_db()
    assert failed.retried_at is None
