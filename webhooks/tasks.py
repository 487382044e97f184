"""Sending deliveries, and the sweep that picks up any whose next attempt was lost."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from organizations import outbox
from organizations.task_base import RELIABLE_DEFAULTS, tenant_task
from webhooks import guard, services, signing
from webhooks.events import EventType
from webhooks.models import DeliveryStatus, WebhookDelivery

logger = structlog.get_logger(__name__)


@tenant_task(
    name="webhooks.deliver",
    # Attempts are scheduled by the task itself (the delivery's own attempt count and
    # backoff, below); nothing retries automatically.
    max_retries=0,
    soft_time_limit=60,
    time_limit=90,
)
def deliver(self: Any, delivery_id: int, *, organization_id: int) -> str | None:
    """One attempt at one delivery. Safe to run twice: a finished delivery is left
    alone (receivers deduplicate on ``Webhook-Id`` for the rare attempt sent twice)."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint", "endpoint__organization")
        .filter(pk=delivery_id, organization_id=organization_id)
        .first()
    )
    if delivery is None or not delivery.is_open:
        return None  # deleted with its endpoint, or already finished
    endpoint = delivery.endpoint
    if not endpoint.is_active and delivery.event_type != EventType.TEST:
        services.cancel(delivery, "The endpoint is switched off.")
        return DeliveryStatus.CANCELLED
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    delivery.refresh_from_db(fields=["attempts"])
    final = delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS
    body = delivery.payload.encode()
    code: int | None = None
    try:
        # Checked again now: the name may resolve elsewhere than at registration.
        target = guard.check_url(endpoint.url)
        timestamp = int(time.time())
        code, snippet = guard.post(
            target,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": f"{settings.WAGTAIL_SITE_NAME} webhooks",
                signing.ID_HEADER: str(delivery.event_id),
                signing.EVENT_HEADER: delivery.event_type,
                signing.TIMESTAMP_HEADER: str(timestamp),
                signing.SIGNATURE_HEADER: signing.signature_header(
                    endpoint.secret, timestamp, body
                ),
            },
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
        )
    except guard.Unresolvable as exc:
        error = str(exc)
    except guard.RefusedTarget as exc:
        # Not worth retrying: the address is not going to become public by itself.
        services.attempt_failed(delivery, code=None, error=str(exc), final=True)
        logger.warning("webhook_refused", delivery_id=delivery.pk, reason=str(exc))
        return DeliveryStatus.FAILED
    except guard.DeliveryError as exc:
        error = str(exc)
    else:
        if 200 <= code < 300:
            services.attempt_succeeded(delivery, code=code)
            logger.info("webhook_delivered", delivery_id=delivery.pk, code=code)
            return DeliveryStatus.SUCCEEDED
        error = f"HTTP {code}: {snippet[:200]}" if snippet.strip() else f"HTTP {code}"
    services.attempt_failed(delivery, code=code, error=error, final=final)
    logger.info(
        "webhook_attempt_failed",
        delivery_id=delivery.pk,
        attempt=delivery.attempts,
        code=code,
        final=final,
    )
    if final:
        return DeliveryStatus.FAILED
    # The next attempt is a new message with a countdown rather than ``self.retry``: the
    # attempt count lives in the delivery row (it survives redelivery and the sweep), and
    # inline runs (no broker) try again at once instead of raising Retry to the caller.
    # Should this send fail (broker down), the sweep queues the delivery again.
    deliver.apply_async(
        args=(delivery.pk,),
        kwargs={"organization_id": organization_id},
        countdown=services.retry_delay(delivery.attempts),
        ignore_result=True,
    )
    return DeliveryStatus.RETRYING


@shared_task(bind=True, name="webhooks.retry_sweep", **RELIABLE_DEFAULTS)
def retry_sweep(self: Any, batch: int = 500) -> int:
    """Queue again the deliveries whose next attempt is long overdue: a retry lost with
    the broker, or a worker that vanished mid-attempt. Sent through the outbox."""
    grace = timedelta(seconds=settings.WEBHOOKS_SWEEP_GRACE_SECONDS)
    overdue = WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
        next_attempt_at__lt=timezone.now() - grace,
        organization__is_active=True,
    ).values_list("pk", "organization_id")[:batch]
    requeued = 0
    with transaction.atomic():
        for delivery_id, organization_id in overdue:
            WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
            outbox.enqueue(deliver, delivery_id, organization_id=organization_id)
            requeued += 1
    if requeued:
        logger.info("webhooks_requeued", count=requeued)
    return requeued
