"""Settings boot in the embedded and the service-backed mode, and fail fast when unsafe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 30 + "production-like-secret-key-for-the-deploy-check",
    "ALLOWED_HOSTS": "portal.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
}
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'],"
    " 'cache': s.CACHES['default']['BACKEND'], 'session': s.SESSION_ENGINE,"
    " 'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'eager': s.CELERY_TASK_ALWAYS_EAGER,"
    " 'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG,"
    " 'pool': 'pool' in s.DATABASES['default'].get('OPTIONS', {})}))"
)


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _probe(env: dict[str, str]) -> dict[str, object]:
    result = _run(["-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_mode_uses_sqlite_locmem_inmemory_layer_and_eager_tasks(tmp_path: Path) -> None:
    found = _probe(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        }
    )
    assert found == {
        "engine": "django.db.backends.sqlite3",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "session": "django.contrib.sessions.backends.db",
        "layer": "channels.layers.InMemoryChannelLayer",
        "eager": True,
        "broker": "memory://",
        "debug": True,
        "pool": False,
    }


def test_service_mode_uses_postgres_pool_and_redis_everywhere() -> None:
    found = _probe({"DJANGO_SETTINGS_MODULE": "config.settings.production", **PRODUCTION_ENV})
    assert found == {
        "engine": "django.db.backends.postgresql",
        "cache": "config.cache.SharedClientRedisCache",
        "session": "django.contrib.sessions.backends.cached_db",
        "layer": "config.channel_layers.ResyncingPubSubChannelLayer",
        "eager": False,
        "broker": PRODUCTION_ENV["REDIS_URL"],
        "debug": False,
        "pool": True,
    }


@pytest.mark.parametrize(
    ("missing", "message"),
    [("SECRET_KEY", "SECRET_KEY is not set"), ("ALLOWED_HOSTS", "ALLOWED_HOSTS is empty")],
)
def test_debug_off_refuses_to_start_without_required_setting(missing: str, message: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _run(["-c", PROBE], {"DJANGO_SETTINGS_MODULE": "config.settings.production", **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_pass_the_deploy_check() -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {"DJANGO_SETTINGS_MODULE": "config.settings.production", **PRODUCTION_ENV},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_sends_the_hardening_headers(client, settings) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health/live")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


ORIGINS_PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({'origins': s.WEBSOCKET_ALLOWED_ORIGINS,"
    " 'connect': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['connect-src']}))"
)


def test_production_accepts_websockets_from_https_origins_only() -> None:
    env = {
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SITE_URL": "https://portal.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://portal.example.com:8443,http://old.example.com",
    }
    result = _run(["-c", ORIGINS_PROBE], env)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["origins"] == ["https://portal.example.com", "https://portal.example.com:8443"]
    # The CSP lets pages open this site's own websocket, no other host's.
    assert found["connect"] == ["'self'", "wss://portal.example.com"]
    refused = _run(
        ["-c", ORIGINS_PROBE], {**env, "WEBSOCKET_ALLOWED_ORIGINS": "http://portal.example.com"}
    )
    assert refused.returncode != 0
    assert "must be https origins in production" in refused.stderr


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("https://portal.example.com", True),
        ("http://portal.example.com", False),
        ("https://evil.example.com", False),
        ("https://portal.example.com.evil.example", False),
    ],
)
def test_the_production_origin_patterns_refuse_plain_http(origin: str, accepted: bool) -> None:
    from urllib.parse import urlparse

    from channels.security.websocket import OriginValidator

    validator = OriginValidator(None, ["https://portal.example.com"])
    assert validator.valid_origin(urlparse(origin)) is accepted
