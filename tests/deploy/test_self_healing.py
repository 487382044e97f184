"""The worker's health check notices a stuck worker, not only a dead one.

A real worker of the stack (docker/entrypoint.sh + start_worker.sh with the compose
environment) is frozen with SIGSTOP: the process exists and its pool children still run,
but its event loop no longer turns. ``docker/healthcheck.py worker`` (the container's
health check, which autoheal and the kubelet act on) must then fail and say why, and the
worker must drop out of ``/metrics``' count of live workers; once it runs again, both
recover."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.conftest import (
    ROOT,
    SITE_HOST,
    STACK_METRICS_TOKEN,
    Process,
    Stack,
    compose_command,
)

HEARTBEAT_SECONDS = 1
MAX_AGE = 4
NODE_NAME = "healing-probe"
QUEUE = "notifications"


@pytest.fixture
def probe_worker(stack: Stack, workdir: Path) -> Iterator[tuple[Process, dict[str, str]]]:
    env = stack.celery_env(
        "worker",
        CELERY_WORKER_NAME=NODE_NAME,
        CELERY_QUEUES=QUEUE,
        CELERY_CONCURRENCY="1",
        CELERY_HEARTBEAT_FILE=str(workdir / "healing-probe.heartbeat"),
        CELERY_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        CELERY_HEARTBEAT_MAX_AGE=str(MAX_AGE),
        HEALTHCHECK_TIMEOUT="3",
    )
    argv = [str(ROOT / "docker" / "entrypoint.sh"), *compose_command("worker")]
    process = Process("healing-probe", argv, env, workdir / "healing-probe.log").start()
    try:
        yield process, env
    finally:
        # A stopped process cannot act on SIGTERM: let it run first.
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)
        process.stop()


def health(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "docker" / "healthcheck.py"), "worker"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def live_workers(stack: Stack) -> int:
    token = STACK_METRICS_TOKEN
    text = httpx.get(
        f"http://127.0.0.1:{stack.app_port}/metrics",
        headers={"Host": SITE_HOST, "Authorization": f"Bearer {token}"},
        timeout=20,
    ).text
    found = re.search(rf'^orgportal_celery_workers{{queue="{QUEUE}"}} (\S+)', text, re.MULTILINE)
    assert found, "no orgportal_celery_workers in /metrics"
    return int(float(found.group(1)))


def wait_for(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"no {what} after {timeout}s")


def test_a_stopped_worker_is_unhealthy_and_recovers(
    stack: Stack, probe_worker: tuple[Process, dict[str, str]]
) -> None:
    process, env = probe_worker
    process.wait_until(lambda: health(env).returncode == 0, 60, "a healthy worker")
    # The stack's own worker consumes every queue; the probe makes two for this one.
    wait_for(lambda: live_workers(stack) >= 2, 20, "the worker counted in /metrics")
    before = live_workers(stack)

    os.kill(process.pid, signal.SIGSTOP)
    try:
        # At once the ping goes unanswered; once the heartbeat is older than the limit,
        # the check says why without waiting for the broker.
        wait_for(lambda: health(env).returncode == 1, MAX_AGE + 20, "an unhealthy verdict")
        wait_for(lambda: "stuck" in health(env).stderr, MAX_AGE + 20, "a stuck verdict")
        # Its heartbeat key in Redis expires: one live worker fewer for the queue.
        wait_for(lambda: live_workers(stack) == before - 1, MAX_AGE + 20, "one worker fewer")
    finally:
        os.kill(process.pid, signal.SIGCONT)

    wait_for(lambda: health(env).returncode == 0, 30, "a healthy worker again")
    wait_for(lambda: live_workers(stack) == before, 20, "the worker counted again")


def test_a_dead_worker_is_unhealthy(
    stack: Stack, probe_worker: tuple[Process, dict[str, str]]
) -> None:
    process, env = probe_worker
    process.wait_until(lambda: health(env).returncode == 0, 60, "a healthy worker")
    process.stop(signal.SIGKILL)
    wait_for(lambda: health(env).returncode == 1, MAX_AGE + 20, "an unhealthy verdict")
