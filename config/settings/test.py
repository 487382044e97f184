"""Test settings: real PostgreSQL and Redis, never SQLite or fakes.

``tests/services.py`` (run by ``make test`` and conftest) exports ``DATABASE_URL`` and
``REDIS_URL`` for reachable servers, starting throwaway ones when none is running.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/orgportal")
# Database 13 of the local Redis keeps tests away from a developer's own data in db 0.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("LOG_FORMAT", "console")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DEBUG"] = "false"
# Under pytest-xdist each worker has its own test database (pytest-django names it) and
# its own Redis database, so brokers, channel-layer groups and caches never mix: tests
# in two workers create organizations with the same ids.
# Processes a test starts inherit the adjusted URL (and the marker): no second shift.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker[2:].isdigit() and os.environ.get("ORGPORTAL_TEST_REDIS_WORKER") != _worker:
    _base, _, _number = os.environ["REDIS_URL"].rpartition("/")
    os.environ["REDIS_URL"] = f"{_base}/{int(_number or 0) - int(_worker[2:])}"
    os.environ["ORGPORTAL_TEST_REDIS_WORKER"] = _worker
# One social provider configured (with credentials no one can use), so its sign-in flow
# is installed and tested; the real GitHub is never called.
os.environ.setdefault("GITHUB_CLIENT_ID", "test-github-client")
os.environ.setdefault("GITHUB_CLIENT_SECRET", "test-github-secret")

from config.settings.base import *  # noqa: E402, F403
from config.settings.base import BASE_DIR, env  # noqa: E402

# Tasks run in a real worker only where a test starts one; elsewhere inline, so a
# test can assert on their effects without a worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_EMAIL_VERIFICATION = "optional"
# Per xdist worker too: a test that empties its storage must not take another's files.
_suffix = f"-{_worker}" if _worker else ""
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / f".test-media{_suffix}")
SECURE_DOCUMENTS_ROOT = env.path(
    "SECURE_DOCUMENTS_ROOT", default=BASE_DIR / f".test-protected{_suffix}"
)
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
# Test servers listen on 127.0.0.1 at random ports over http: any scheme and port there.
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=ALLOWED_HOSTS)  # noqa: F405
# The marker sweep searches as an anonymous visitor more often than a person would:
# the limiter must not hide a leak behind a 429 (tests/home checks the limits).
ACCOUNT_RATE_LIMITS = {
    **ACCOUNT_RATE_LIMITS,  # noqa: F405
    "public_search": "10000/m/ip",
    "sitemap": "10000/m/ip",
}
# Each process names its connections, so a connection still open when the test
# database is dropped tells whose it is (tests/conftest.py reports it).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["OPTIONS"]["application_name"] = f"orgportal-test-{os.getpid()}"  # noqa: F405
