"""Liveness and readiness endpoints.

``/health/live`` touches nothing: it answers while the process can serve requests.
``/health/ready`` runs django-health-check's probes for every dependency this
configuration uses and answers 503 naming each failing check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import tempfile
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable

from config import redis_config


@dataclasses.dataclass
class ChannelLayer(HealthCheck):
    """Sends a message to a fresh channel and reads it back."""

    alias: str = "default"

    async def run(self) -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer(self.alias)
        if layer is None:
            raise ServiceUnavailable("No channel layer configured")
        try:
            channel = await layer.new_channel()
            try:
                await layer.send(channel, {"type": "health.check"})
                message = await asyncio.wait_for(layer.receive(channel), timeout=3)
            finally:
                await _release(layer, channel)
        except Exception as exc:
            raise ServiceUnavailable(f"Channel layer unavailable: {type(exc).__name__}") from exc
        if message.get("type") != "health.check":
            raise ServiceUnavailable("Channel layer returned an unexpected message")


@dataclasses.dataclass
class DocumentStore(HealthCheck):
    """The protected documents' directory (filesystem storage): writable, with at least
    ``DOCUMENT_STORE_MIN_FREE_BYTES`` free. The ``storage`` check covers public media only,
    which can live on another disk."""

    def run(self) -> None:
        root = str(settings.SECURE_DOCUMENTS_ROOT)
        try:
            os.makedirs(root, exist_ok=True)
            free = shutil.disk_usage(root).free
            with tempfile.NamedTemporaryFile(dir=root, prefix=".health-"):
                pass
        except OSError as exc:
            raise ServiceUnavailable(f"Document store not writable: {exc.strerror}") from exc
        if free < settings.DOCUMENT_STORE_MIN_FREE_BYTES:
            raise ServiceUnavailable(f"Document store nearly full: {free} bytes free")


async def _release(layer: Any, channel: str) -> None:
    """Drop the probe's channel. The pub/sub layer keeps a channel subscribed until told
    (``discard_channel``); list-based layers let unused channels expire on their own."""
    discard = getattr(layer, "discard_channel", None)
    if discard is not None:
        await discard(channel)


def _redis_client() -> Any:
    # A new client per probe: async clients belong to the event loop that made them.
    target = settings.REDIS
    assert target is not None, "REDIS is configured whenever a Redis probe runs"
    return redis_config.client(
        target, asynchronous=True, socket_connect_timeout=2, socket_timeout=2
    )


def readiness_checks() -> dict[str, HealthCheck]:
    checks: dict[str, HealthCheck] = {
        "database": Database(),
        "cache": Cache(),
        "channel_layer": ChannelLayer(),
        "storage": Storage(),
    }
    if settings.DOCUMENT_STORAGE == "filesystem":
        checks["document_store"] = DocumentStore()
    if settings.REDIS:
        checks["redis"] = Redis(client_factory=_redis_client)
    if not settings.CELERY_TASK_ALWAYS_EAGER and getattr(settings, "HEALTH_CHECK_CELERY", True):
        from health_check.contrib.celery import Ping

        from config.celery import app

        # Wait for every worker's answer (not just the first: a documents-only worker
        # may be fastest) and require that some worker consumes the default queue.
        checks["celery"] = Ping(app=app)
    for name, check in getattr(settings, "EXTRA_READINESS_CHECKS", {}).items():
        checks[name] = check()
    return checks


def _no_store(response: JsonResponse) -> JsonResponse:
    add_never_cache_headers(response)
    return response


@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return _no_store(JsonResponse({"status": "ok"}))


async def _may_see_detail(request: HttpRequest) -> bool:
    """Which check failed, and why, is for operators and monitoring (the metrics token):
    anyone else (load balancers, probes, the public) gets the status code and a bare
    body, nothing about the platform's parts."""
    from config.metrics import has_metrics_token

    if has_metrics_token(request):
        return True
    user = await request.auser()
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


@require_GET
async def ready(request: HttpRequest) -> JsonResponse:
    checks = readiness_checks()
    results = await asyncio.gather(*(check.get_result() for check in checks.values()))
    report = {
        name: ("ok" if result.error is None else str(result.error))
        for name, result in zip(checks, results, strict=True)
    }
    failing = sorted(name for name, outcome in report.items() if outcome != "ok")
    body: dict[str, Any] = {"status": "error" if failing else "ok"}
    if await _may_see_detail(request):
        body |= {"checks": report, "failing": failing}
    return _no_store(JsonResponse(body, status=503 if failing else 200))
