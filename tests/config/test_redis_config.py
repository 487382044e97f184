"""config/redis_config.py: one description of Redis, each library's configuration.

The Sentinel failover itself runs against real servers in test_sentinel_failover.py; these
check the translation, TLS and passwords included, and that the settings module builds it
from the environment alone."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys

import pytest

from config import redis_config
from tests.conftest import ROOT

SENTINEL_ENV = {
    "REDIS_URL": "rediss://mymaster/2",
    "REDIS_SENTINELS": "s1.example:26379, s2.example:26380,[::1]",
    "REDIS_PASSWORD": "p@ss/word",
    "REDIS_SENTINEL_PASSWORD": "sentinel-secret",
    "REDIS_TLS_CA_FILE": "/etc/ssl/redis-ca.pem",
}


def sentinel_target() -> redis_config.RedisTarget:
    return redis_config.parse(
        SENTINEL_ENV["REDIS_URL"],
        sentinels=SENTINEL_ENV["REDIS_SENTINELS"],
        password=SENTINEL_ENV["REDIS_PASSWORD"],
        sentinel_password=SENTINEL_ENV["REDIS_SENTINEL_PASSWORD"],
        ca_file=SENTINEL_ENV["REDIS_TLS_CA_FILE"],
    )


def test_a_single_server_keeps_its_url_everywhere() -> None:
    target = redis_config.parse("redis://:secret@cache.internal:6380/4")
    assert not target.sentinel
    assert (target.host, target.port, target.db, target.password) == (
        "cache.internal",
        6380,
        4,
        "secret",
    )
    location, options = redis_config.django_cache_options(target)
    assert location == target.url
    assert "CONNECTION_FACTORY" not in options
    assert redis_config.channel_layer_host(target, socket_keepalive=True) == {
        "address": target.url,
        "socket_keepalive": True,
    }
    assert redis_config.celery_url(target) == target.url
    assert redis_config.celery_transport_options(target) == {}
    assert redis_config.celery_ssl(target) is None


def test_sentinel_mode_for_each_library() -> None:
    target = sentinel_target()
    assert target.sentinels == (("s1.example", 26379), ("s2.example", 26380), ("::1", 26379))
    assert target.master_name == "mymaster"
    assert target.tls
    assert target.sentinel_tls

    sentinel_kwargs = redis_config.sentinel_kwargs(target)
    assert sentinel_kwargs["password"] == "sentinel-secret"
    assert sentinel_kwargs["ssl"] is True
    assert sentinel_kwargs["ssl_ca_certs"] == "/etc/ssl/redis-ca.pem"

    # django-redis: the master through the sentinels, never a replica; TLS through the
    # pool (a rediss:// LOCATION would connect to the master's name).
    location, options = redis_config.django_cache_options(target)
    assert location == "redis://mymaster/2"
    assert options["CLIENT_CLASS"] == "django_redis.client.DefaultClient"
    assert options["CONNECTION_FACTORY"] == "django_redis.pool.SentinelConnectionFactory"
    assert options["SENTINELS"] == list(target.sentinels)
    assert options["PASSWORD"] == "p@ss/word"
    assert options["CONNECTION_POOL_KWARGS"]["ssl"] is True
    assert options["CONNECTION_POOL_KWARGS"]["retry"] is not None

    # channels-redis: master_name and sentinels; no transparent retry (layer.lost).
    host = redis_config.channel_layer_host(target, health_check_interval=15)
    assert host["master_name"] == "mymaster"
    assert host["sentinels"] == list(target.sentinels)
    assert host["password"] == "p@ss/word"
    assert host["db"] == 2
    assert host["ssl"] is True
    assert host["health_check_interval"] == 15
    assert "retry" not in host

    # Celery: one sentinel:// URL per sentinel, the master's credentials on each.
    url = redis_config.celery_url(target)
    assert url.split(";") == [
        "sentinel://:p%40ss%2Fword@s1.example:26379/2",
        "sentinel://:p%40ss%2Fword@s2.example:26380/2",
        "sentinel://:p%40ss%2Fword@[::1]:26379/2",
    ]
    options = redis_config.celery_transport_options(target)
    assert options["master_name"] == "mymaster"
    assert options["sentinel_kwargs"] == sentinel_kwargs
    assert redis_config.celery_ssl(target) == {
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
        "ssl_ca_certs": "/etc/ssl/redis-ca.pem",
    }


def test_kombu_reads_the_broker_url_back() -> None:
    """kombu itself parses the URL: every sentinel, the password and the database."""
    from kombu import Connection

    connection = Connection(redis_config.celery_url(sentinel_target()))
    assert connection.transport_cls == "sentinel"
    assert connection.password == "p@ss/word"
    assert connection.virtual_host == "2"
    assert len(connection.alt) == 3


@pytest.mark.parametrize(
    ("url", "sentinels", "message"),
    [
        ("http://redis:6379/0", "", "redis:// or rediss://"),
        ("redis:///0", "s1:26379", "names the master"),
        ("redis://mymaster/0", "s1:26379,:26379", "not host:port"),
    ],
)
def test_bad_settings_are_refused(url: str, sentinels: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        redis_config.parse(url, sentinels=sentinels)


def test_the_settings_build_sentinel_mode_from_the_environment() -> None:
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'location': s.CACHES['default']['LOCATION'],"
        " 'factory': s.CACHES['default']['OPTIONS']['CONNECTION_FACTORY'],"
        " 'layer': s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['master_name'],"
        " 'broker': s.CELERY_BROKER_URL, 'backend': s.CELERY_RESULT_BACKEND,"
        " 'master': s.CELERY_BROKER_TRANSPORT_OPTIONS['master_name'],"
        " 'backend_master': s.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS['master_name'],"
        " 'ssl': s.CELERY_BROKER_USE_SSL is not None}))"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REDIS", "CELERY_BROKER", "CELERY_RESULT"))
    }
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={
            **env,
            **SENTINEL_ENV,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "portal.example.com",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["location"] == "redis://mymaster/2"
    assert found["factory"] == "django_redis.pool.SentinelConnectionFactory"
    assert found["layer"] == "mymaster"
    assert found["broker"].startswith("sentinel://")
    assert found["backend"] == found["broker"]
    assert found["master"] == found["backend_master"] == "mymaster"
    assert found["ssl"] is True
