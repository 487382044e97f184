"""``/metrics`` in Prometheus format, for operators and scrapers only.

django-prometheus records request counts and latencies; we add the live-update figures
(open websockets, messages sent) and, at scrape time, the length of each Celery queue.
Celery task counts and durations are added up by the workers in Redis
(``config.task_metrics``) and read here.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, Counter, Gauge

from config import redis_config, worker_health
from config.task_metrics import TaskStatsCollector

WEBSOCKETS_OPEN = Gauge("orgportal_websocket_connections", "Open live-update websockets")
WEBSOCKET_MESSAGES = Counter(
    "orgportal_websocket_messages_sent_total", "Fragments sent to live-update websockets"
)
WEBSOCKET_CLOSES = Counter(
    "orgportal_websocket_disconnects_total", "Live-update websockets closed", ["cause"]
)
REGISTRY.register(TaskStatsCollector())
QUEUE_LENGTH = Gauge(
    "orgportal_celery_queue_length", "Messages waiting in a Celery queue", ["queue"]
)
WORKERS = Gauge(
    "orgportal_celery_workers",
    "Celery workers with a fresh heartbeat (config/worker_health.py), by queue consumed",
    ["queue"],
)


def has_metrics_token(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(header, f"Bearer {token}")


def _authorized(request: HttpRequest) -> bool:
    """Operators, or whoever presents the metrics token (Prometheus)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_superuser:
        return True
    return has_metrics_token(request)


def _update_queue_lengths() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS:
        return
    import redis

    client = redis_config.shared_client(settings.REDIS)
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    separator = options.get("sep", ":")
    for queue in settings.CELERY_QUEUES_ALL.split(","):
        # With priorities, Redis keeps one list per step: "queue", "queue:1", ...
        names = [queue] + [
            f"{queue}{separator}{step}" for step in options.get("priority_steps", [])[1:]
        ]
        try:
            QUEUE_LENGTH.labels(queue=queue).set(sum(client.llen(name) for name in names))
        except redis.RedisError:
            continue
    try:
        queues = settings.CELERY_QUEUES_ALL.split(",")
        for queue, count in worker_health.live_workers_by_queue(queues).items():
            WORKERS.labels(queue=queue).set(count)
    except redis.RedisError:
        return


def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    from django_prometheus.exports import ExportToDjangoView

    _update_queue_lengths()
    return ExportToDjangoView(request)
