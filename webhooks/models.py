"""An organization's webhook endpoints and the record of every delivery to them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from organizations.models import Organization


class WebhookEndpoint(models.Model):
    """An HTTPS URL an organization's admins registered for some of its events.

    The secret signs every delivery. It has to be kept readable (an HMAC needs the key on
    both sides), so it is shown once and never again: the screens show its last four
    characters only.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # event type names (webhooks/events.py)
    is_active = models.BooleanField(default=True)
    secret = models.CharField(max_length=64)
    # Failed deliveries in a row (each after all its retries); reset by any success.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        return f"…{self.secret[-4:]}" if self.secret else ""


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent"  # the endpoint was switched off meanwhile


class WebhookDelivery(models.Model):
    """One event for one endpoint: the body as sent (the same on every attempt) and
    what the last attempt got back."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=64)
    payload = models.TextField()  # the JSON body, byte for byte what is signed
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_response_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id}"

    @property
    def is_open(self) -> bool:
        return self.status in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
