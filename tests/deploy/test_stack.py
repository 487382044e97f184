"""The compose services as processes, through nginx: health, static files, proxying,
the protected location, Celery worker and beat, health checks and logs."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys

import pytest

from tests.deploy.conftest import ROOT, SITE_HOST, STACK_METRICS_TOKEN, Stack


def test_ready_through_nginx(stack: Stack) -> None:
    monitoring = {"Authorization": f"Bearer {STACK_METRICS_TOKEN}"}
    with stack.client(headers=monitoring) as client:
        response = client.get("/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert {"database", "cache", "redis", "channel_layer", "storage"} <= set(body["checks"])
    assert (
        "no-cache" in response.headers["cache-control"]
        or "max-age=0" in response.headers["cache-control"]
    )


def test_static_file_served_by_nginx_from_collected_files(stack: Stack) -> None:
    manifest = json.loads((stack.static_root / "staticfiles.json").read_text())
    original, hashed = next(iter(sorted(manifest["paths"].items())))
    with stack.client() as client:
        response = client.get(f"/static/{hashed}")
    assert response.status_code == 200
    assert response.content == (stack.static_root / hashed).read_bytes()
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    # nginx answered itself: the app never saw the request.
    assert f"/static/{hashed}" not in stack.processes["app"].log()
    assert original != hashed


def test_app_sees_the_scheme_nginx_was_told(stack: Stack) -> None:
    """SECURE_SSL_REDIRECT is on: plain HTTP redirects, a forwarded https request is served."""
    with stack.client() as client:
        plain = client.get("/accounts/login/")
        forwarded = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://{SITE_HOST}/accounts/login/"
    assert forwarded.status_code == 200
    assert "strict-transport-security" in forwarded.headers


def test_protected_location_is_internal_only(stack: Stack) -> None:
    secret = stack.documents_root / "org-1" / "secret.txt"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("not for direct download")
    secret.parent.chmod(0o755)
    secret.chmod(0o644)
    with stack.client() as client:
        response = client.get("/_protected/org-1/secret.txt")
    assert response.status_code == 404
    assert "not for direct download" not in response.text


def test_request_id_reaches_app_and_nginx_logs(stack: Stack) -> None:
    request_id = "deploy-test-request-0001"
    with stack.client() as client:
        response = client.get("/health/ready", headers={"X-Request-ID": request_id})
    assert response.headers["x-request-id"] == request_id
    nginx = stack.processes["nginx"]
    # nginx writes the access line just after the response has gone out.
    nginx.wait_until(lambda: request_id in nginx.log(), 10, "an access log line")
    nginx_lines = [line for line in nginx.log().splitlines() if request_id in line]
    access = json.loads(nginx_lines[-1])
    assert access["uri"] == "/health/ready"
    assert access["status"] == 200
    assert any(line.get("request_id") == request_id for line in stack.processes["app"].json_lines())


def test_upload_size_limit_comes_from_the_compose_setting(stack: Stack) -> None:
    limit = stack.nginx_env()["NGINX_CLIENT_MAX_BODY_SIZE"]
    assert limit.endswith("m")
    too_big = b"x" * (int(limit[:-1]) * 1024 * 1024 + 1)
    with stack.client() as client:
        response = client.post("/accounts/login/", content=too_big)
    assert response.status_code == 413


async def test_websocket_through_nginx_with_a_session(stack: Stack) -> None:
    """Upgrade through nginx's /ws/ location, session auth from the cache-backed session
    store, and a round trip through the channel layer on the broker Redis: the live
    socket's first frame is sent directly, the second (who is online) comes back through
    the layer."""
    from websockets.asyncio.client import connect

    session = stack.signed_in_session("websocket@example.com", organization="ws-stack")
    async with connect(
        stack.websocket_url("/ws/live/?org=ws-stack"),
        origin=f"https://{SITE_HOST}",
        additional_headers={"Cookie": f"sessionid={session}", "X-Forwarded-Proto": "https"},
        open_timeout=10,
        **stack.websocket_target(),
    ) as websocket:
        direct = await asyncio.wait_for(websocket.recv(), timeout=10)
        through_layer = await asyncio.wait_for(websocket.recv(), timeout=10)
        await websocket.send(json.dumps({"action": "sync", "payload": {}}))
        state = await asyncio.wait_for(websocket.recv(), timeout=10)
    assert 'id="members-online"' in direct
    assert 'id="members-online"' in through_layer
    assert "hx-swap-oob" in state


async def test_websocket_from_a_foreign_origin_is_refused(stack: Stack) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    session = stack.signed_in_session("websocket@example.com")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            stack.websocket_url("/ws/live/?org=ws-stack"),
            origin="https://evil.example.net",
            additional_headers={"Cookie": f"sessionid={session}"},
            open_timeout=10,
            **stack.websocket_target(),
        ):
            pass
    assert refused.value.response.status_code == 403


def test_worker_consumes_the_default_queue(stack: Stack) -> None:
    probe = stack.celery_probe()
    # Celery's own built-in task: the product routes none of its tasks to the default
    # queue without an organization's data to work on.
    result = probe.send_task("celery.accumulate", args=[1, 2], queue="default")
    assert list(result.get(timeout=30)) == [1, 2]


def test_container_health_checks_pass(stack: Stack) -> None:
    """The commands the images and compose run as health checks, against the live stack."""
    checks = {
        "app live": (stack.app_env(), ["http", "/health/live"]),
        "app ready": (stack.app_env(), ["http", "/health/ready"]),
        "worker": (stack.processes["worker"].env, ["worker"]),
        "beat": (stack.processes["beat"].env, ["beat"]),
    }
    for name, (env, args) in checks.items():
        result = subprocess.run(
            [sys.executable, str(ROOT / "docker" / "healthcheck.py"), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{name}: {result.stderr}"


def test_worker_health_check_fails_for_a_missing_worker(stack: Stack) -> None:
    env = {
        **stack.processes["worker"].env,
        "CELERY_WORKER_NAME": "nobody",
        "HEALTHCHECK_TIMEOUT": "1",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "docker" / "healthcheck.py"), "worker"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"nobody@{socket.gethostname()}" in result.stderr


def test_beat_is_running(stack: Stack) -> None:
    beat = stack.processes["beat"]
    beat.wait_until(lambda: "beat" in beat.log().lower(), 20, "a log line")
    assert beat.running()


def test_app_and_worker_log_json_lines(stack: Stack) -> None:
    for name in ("app", "worker", "beat"):
        process = stack.processes[name]
        assert process.log().strip(), f"{name} logged nothing"
        assert process.non_json_lines() == [], f"{name} wrote lines that are not JSON"
