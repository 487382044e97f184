from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_metrics_are_for_operators_or_token_holders(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = "scrape-token-123"
    assert client.get("/metrics").status_code == 403
    client.force_login(UserFactory())
    assert client.get("/metrics").status_code == 403
    client.logout()
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-123"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "django_http_requests_total_by_method_total" in body
    assert "orgportal_websocket_connections" in body
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get("/metrics").status_code == 200


def test_metrics_without_a_token_configured_refuse_bearer_requests(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403


def test_readiness_needs_a_celery_worker_when_tasks_are_queued(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.METRICS_TOKEN = "t"
    response = client.get("/health/ready", headers={"Authorization": "Bearer t"})
    assert response.status_code == 503
    assert "celery" in response.json()["failing"]


def test_readiness_passes_with_a_real_worker(celery_worker, client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.METRICS_TOKEN = "t"
    response = client.get("/health/ready", headers={"Authorization": "Bearer t"})
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["celery"] == "ok"


def test_celery_task_counts_and_durations_from_a_real_worker(
    celery_worker, client, settings
) -> None:  # type: ignore[no-untyped-def]
    from config.task_metrics import KEY_PREFIX, _client
    from tests.celery_tasks import ping

    settings.CELERY_TASK_ALWAYS_EAGER = False
    _client().delete(KEY_PREFIX + "tests.ping")
    ping.delay().get(timeout=30)
    ping.delay().get(timeout=30)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    body = client.get("/metrics").content.decode()
    assert 'orgportal_celery_tasks_total{state="SUCCESS",task="tests.ping"} 2.0' in body
    assert 'orgportal_celery_task_seconds_total{task="tests.ping"}' in body
