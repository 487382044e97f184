"""Container health checks, with nothing but Python (the slim images have no curl).

    healthcheck.py http [PATH]   GET http://127.0.0.1:$PORT$PATH (default /health/live)
                                 and expect 200. The Host header is the first entry of
                                 ALLOWED_HOSTS, so Django does not reject the probe.
    healthcheck.py worker        the Celery worker in this container is alive and not stuck:
                                 its event loop wrote its heartbeat file within
                                 CELERY_HEARTBEAT_MAX_AGE seconds (config/worker_health.py),
                                 and <CELERY_WORKER_NAME>@<hostname> answers a ping through
                                 the broker within HEALTHCHECK_TIMEOUT
    healthcheck.py beat          the broker that beat sends to accepts a connection

Exit status 0 when healthy, 1 otherwise, with the reason on stderr.
"""

from __future__ import annotations

import http.client
import os
import socket
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def probe_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip()
        if host and host != "*":
            # ".example.com" allows example.com and its subdomains.
            return host.lstrip(".")
    return "localhost"


def check_http(path: str) -> int:
    port = int(os.environ.get("PORT", "8000"))
    timeout = float(os.environ.get("HEALTHCHECK_TIMEOUT", "4"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": probe_host()})
        response = connection.getresponse()
        body = response.read(2000).decode(errors="replace")
    except OSError as exc:
        print(f"GET {path} on port {port} failed: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if response.status != 200:
        print(f"GET {path} answered {response.status}: {body}", file=sys.stderr)
        return 1
    return 0


def celery_app() -> Any:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from config.celery import app

    return app


def check_worker() -> int:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from config import worker_health

    beat_age = worker_health.age()
    if beat_age is None:
        print(f"no heartbeat in {worker_health.heartbeat_file()}", file=sys.stderr)
        return 1
    if beat_age > worker_health.max_age():
        print(
            f"the worker's event loop is stuck: last heartbeat {beat_age:.0f}s ago "
            f"(limit {worker_health.max_age():g}s)",
            file=sys.stderr,
        )
        return 1
    node = f"{os.environ.get('CELERY_WORKER_NAME', 'worker')}@{socket.gethostname()}"
    timeout = float(os.environ.get("HEALTHCHECK_TIMEOUT", "10"))
    replies = celery_app().control.ping(destination=[node], timeout=timeout)
    if any(node in reply for reply in replies):
        return 0
    print(f"celery worker {node} did not answer a ping within {timeout:g}s", file=sys.stderr)
    return 1


def check_beat() -> int:
    app = celery_app()
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:
        print(f"broker unreachable: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    mode = argv[0]
    if mode == "http":
        return check_http(argv[1] if len(argv) > 1 else "/health/live")
    if mode == "worker":
        return check_worker()
    if mode == "beat":
        return check_beat()
    print(f"unknown check {mode!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
