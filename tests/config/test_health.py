from __future__ import annotations

import time

import pytest
from django.test import override_settings

from config import redis_config
from tests.conftest import RedisServer


def test_live_touches_nothing(client) -> None:  # type: ignore[no-untyped-def]
    # No django_db mark: any database access here would raise.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


TOKEN = "monitoring-token-for-tests"
MONITORING = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def _metrics_token(settings) -> None:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = TOKEN


@pytest.mark.django_db
def test_ready_names_every_check_and_passes_on_real_services(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health/ready", headers=MONITORING)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"database", "cache", "channel_layer", "storage", "redis"}
    assert all(outcome == "ok" for outcome in body["checks"].values())


def _settings_for(url: str) -> dict[str, object]:
    return {
        "REDIS_URL": url,
        "REDIS": redis_config.parse(url),
        "CACHES": {
            "default": {
                "BACKEND": "config.cache.SharedClientRedisCache",
                "LOCATION": url,
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
            }
        },
        "CHANNEL_LAYERS": {
            "default": {
                "BACKEND": "config.channel_layers.ResyncingPubSubChannelLayer",
                "CONFIG": {"hosts": [url]},
            }
        },
    }


@pytest.mark.django_db
def test_ready_answers_503_naming_redis_when_redis_stops(client, redis_server: RedisServer) -> None:  # type: ignore[no-untyped-def]
    url = redis_server.url
    with override_settings(**_settings_for(url)):
        assert client.get("/health/ready").status_code == 200
        redis_server.stop()
        time.sleep(0.2)
        bare = client.get("/health/ready")
        response = client.get("/health/ready", headers=MONITORING)
    # Anyone else learns the status code, nothing about the platform's parts.
    assert bare.status_code == 503
    assert bare.json() == {"status": "error"}
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert "redis" in body["failing"]
    assert "cache" in body["failing"]
    assert "channel_layer" in body["failing"]
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_ready_shows_its_checks_to_operators_and_monitoring_only(client, org_a) -> None:  # type: ignore[no-untyped-def]
    from organizations.roles import Role
    from tests.factories import UserFactory

    assert client.get("/health/ready").json() == {"status": "ok"}
    client.force_login(org_a.users[Role.OWNER])
    assert client.get("/health/ready").json() == {"status": "ok"}
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert "checks" in client.get("/health/ready").json()
    client.logout()
    assert "checks" in client.get("/health/ready", headers=MONITORING).json()
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/health/ready", headers=wrong).json() == {"status": "ok"}
