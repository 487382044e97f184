"""Every write to webhook endpoints and deliveries.

The portal's functions (create, update, delete, rotate the secret, re-enable, send a
test event) take the acting user and check the one access rule for managing the
organization; each is atomic and audited (for admins only). ``record_event`` turns an
audit event into deliveries, in the transaction that wrote it, and queues their sending
through the outbox: committed together with the change, sent after the commit, and sent
again by the relay if the broker is down at that moment.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from organizations import access, outbox
from organizations.audit import audit_record
from organizations.models import AuditEvent, Organization
from organizations.roles import Capability, Role
from webhooks import guard, selectors, signing
from webhooks.events import FROM_AUDIT, SUBSCRIBABLE, EventType
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = structlog.get_logger(__name__)

EVENT_NAMES = {value for value, _label in SUBSCRIBABLE}
# Endpoints are registered by admins: a delivery carries what an admin may see.
ENDPOINT_ROLE = Role.ADMIN


def _require(user: Any, organization: Organization | int) -> None:
    access.require(user, organization, Capability.MANAGE_ORGANIZATION)


def _clean(name: str, url: str, events: list[str]) -> tuple[str, str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = name.strip()
    url = url.strip()
    if not name:
        errors["name"] = ["Give the endpoint a name."]
    elif len(name) > 100:
        errors["name"] = ["Keep the name under 100 characters."]
    if len(url) > 500:
        errors["url"] = ["Keep the URL under 500 characters."]
    else:
        try:
            guard.check_url(url)
        except guard.RefusedTarget as exc:
            errors["url"] = [str(exc)]
    unknown = [event for event in events if event not in EVENT_NAMES]
    if unknown or not events:
        errors["events"] = ["Choose at least one of the listed events."]
    if errors:
        raise ValidationError(errors)
    return name, url, [value for value, _label in SUBSCRIBABLE if value in events]


def endpoint_create(
    *, acting_user: Any, organization: Organization, name: str, url: str, events: list[str]
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret (shown to the admin once)."""
    _require(acting_user, organization)
    name, url, events = _clean(name, url, events)
    secret = signing.new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            name=name,
            url=url,
            events=events,
            secret=secret,
            created_by=acting_user,
        )
        _audit("webhook.created", acting_user, endpoint, {"url": url, "events": events})
    return endpoint, secret


def endpoint_update(
    *,
    acting_user: Any,
    endpoint: WebhookEndpoint,
    name: str,
    url: str,
    events: list[str],
    is_active: bool,
) -> WebhookEndpoint:
    _require(acting_user, endpoint.organization_id)
    name, url, events = _clean(name, url, events)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        switched_on = is_active and not endpoint.is_active
        endpoint.name, endpoint.url, endpoint.events = name, url, events
        endpoint.is_active = is_active
        if switched_on:
            endpoint.consecutive_failures = 0
            endpoint.disabled_at, endpoint.disabled_reason = None, ""
        endpoint.save()
        _audit(
            "webhook.updated",
            acting_user,
            endpoint,
            {"url": url, "events": events, "active": is_active},
        )
    return endpoint


def endpoint_enable(*, acting_user: Any, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Switch a disabled endpoint back on, with a clean slate of failures."""
    _require(acting_user, endpoint.organization_id)
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
        )
        endpoint.refresh_from_db()
        _audit("webhook.enabled", acting_user, endpoint, {})
    return endpoint


def endpoint_rotate_secret(*, acting_user: Any, endpoint: WebhookEndpoint) -> str:
    """A new secret, in force for the next attempt of every delivery; shown once."""
    _require(acting_user, endpoint.organization_id)
    secret = signing.new_secret()
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            secret=secret, updated_at=timezone.now()
        )
        endpoint.refresh_from_db()
        _audit("webhook.secret_rotated", acting_user, endpoint, {})
    return secret


def endpoint_delete(*, acting_user: Any, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its delivery log; queued deliveries find nothing and stop."""
    _require(acting_user, endpoint.organization_id)
    with transaction.atomic():
        _audit("webhook.deleted", acting_user, endpoint, {"url": endpoint.url})
        WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def send_test(*, acting_user: Any, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``webhook.test`` event for this endpoint only (even a switched-off one: the
    admin asked for it)."""
    _require(acting_user, endpoint.organization_id)
    organization = endpoint.organization
    with transaction.atomic():
        delivery = _create_delivery(
            endpoint,
            event_type=EventType.TEST,
            occurred_at=timezone.now(),
            data={
                "endpoint": {"id": endpoint.pk, "name": endpoint.name},
                "message": "A test event sent from the portal.",
            },
            organization=organization,
            event_id=uuid.uuid4(),
        )
        _queue(delivery)
    return delivery


# --- events to deliveries ---------------------------------------------------------------


def record_event(event: AuditEvent) -> list[WebhookDelivery]:
    """Deliveries for an audit event the endpoints of its organization subscribed to.
    Runs inside the transaction that wrote the event: nothing is sent for a change that
    is rolled back, and nothing committed is lost to a broker outage."""
    event_type = FROM_AUDIT.get(event.action)
    if event_type is None or event.organization_id is None:
        return []
    if not access.reaches(ENDPOINT_ROLE, event.min_role):
        return []  # owners-only events stay with the owners
    endpoints = selectors.subscribed_endpoints(event.organization_id, event_type)
    if not endpoints:
        return []
    summary = selectors.event_summary(event_type, event.organization_id, event.target_id)
    if summary is None:
        return []  # not the organization's object: nothing to tell anyone
    data: dict[str, Any] = {_object_key(event_type): summary}
    if event.action == "membership.left":
        data["reason"] = "left"
    elif event.action == "membership.removed":
        data["reason"] = "removed"
    organization = Organization.objects.get(pk=event.organization_id)
    event_id = uuid.uuid4()
    deliveries = []
    for endpoint in endpoints:
        delivery = _create_delivery(
            endpoint,
            event_type=event_type,
            occurred_at=event.created_at,
            data=data,
            organization=organization,
            event_id=event_id,
        )
        _queue(delivery)
        deliveries.append(delivery)
    return deliveries


def _object_key(event_type: EventType) -> str:
    return event_type.value.split(".", 1)[0]


def build_payload(
    *,
    event_id: uuid.UUID,
    event_type: str,
    occurred_at: Any,
    organization: Organization,
    data: dict[str, Any],
) -> str:
    return json.dumps(
        {
            "id": str(event_id),
            "type": event_type,
            "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
            "organization": {"id": organization.pk, "slug": organization.slug},
            "data": data,
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def _create_delivery(
    endpoint: WebhookEndpoint,
    *,
    event_type: str,
    occurred_at: Any,
    data: dict[str, Any],
    organization: Organization,
    event_id: uuid.UUID,
) -> WebhookDelivery:
    # The endpoint's organization is the event's, by the query that found it; checked
    # again here because a payload must never cross organizations.
    if endpoint.organization_id != organization.pk:
        raise ValueError("An event is delivered to its own organization's endpoints only.")
    return WebhookDelivery.objects.create(
        organization=organization,
        endpoint=endpoint,
        event_id=event_id,
        event_type=event_type,
        payload=build_payload(
            event_id=event_id,
            event_type=event_type,
            occurred_at=occurred_at,
            organization=organization,
            data=data,
        ),
        next_attempt_at=timezone.now(),
    )


def _queue(delivery: WebhookDelivery) -> None:
    from webhooks.tasks import deliver

    outbox.enqueue(deliver, delivery.pk, organization_id=delivery.organization_id)


# --- attempts ---------------------------------------------------------------------------


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt: doubling from the base, capped below the
    broker's visibility timeout."""
    base = settings.WEBHOOKS_RETRY_BASE_SECONDS
    return int(min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOKS_RETRY_MAX_SECONDS))


def attempt_succeeded(delivery: WebhookDelivery, *, code: int) -> None:
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SUCCEEDED,
            last_response_code=code,
            last_error="",
            last_attempt_at=now,
            finished_at=now,
            next_attempt_at=None,
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(consecutive_failures=0)


def attempt_failed(
    delivery: WebhookDelivery, *, code: int | None, error: str, final: bool
) -> WebhookEndpoint | None:
    """Record a failed attempt. The last one fails the delivery and counts against the
    endpoint; the endpoint that reaches ``WEBHOOKS_DISABLE_AFTER`` failed deliveries in
    a row is switched off and its organization's admins are told. Returns the endpoint
    when this failure disabled it."""
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING,
            last_response_code=code,
            last_error=error[:500],
            last_attempt_at=now,
            finished_at=now if final else None,
            next_attempt_at=None
            if final
            else now + timedelta(seconds=retry_delay(delivery.attempts)),
        )
        if not final:
            return None
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        endpoint.consecutive_failures += 1
        if not endpoint.is_active or (
            endpoint.consecutive_failures < settings.WEBHOOKS_DISABLE_AFTER
        ):
            endpoint.save(update_fields=["consecutive_failures"])
            return None
        endpoint.is_active = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = (
            f"Switched off after {endpoint.consecutive_failures} failed deliveries in a row."
        )
        endpoint.save(
            update_fields=["consecutive_failures", "is_active", "disabled_at", "disabled_reason"]
        )
        _audit(
            "webhook.disabled",
            None,
            endpoint,
            {"failures": endpoint.consecutive_failures, "last_error": error[:200]},
        )
        _notify_disabled(endpoint)
        return endpoint


def cancel(delivery: WebhookDelivery, reason: str) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.CANCELLED,
        last_error=reason[:500],
        finished_at=timezone.now(),
        next_attempt_at=None,
    )


def _notify_disabled(endpoint: WebhookEndpoint) -> None:
    """The inbox of every owner and admin (the people who can switch it back on)."""
    from django.urls import reverse

    from dashboards.models import NotificationKind
    from dashboards.notifications import notify
    from organizations.models import Membership

    organization = endpoint.organization
    notify(
        user_ids=Membership.objects.filter(
            organization=organization, role__in=[Role.OWNER, Role.ADMIN]
        ).values_list("user_id", flat=True),
        organization_id=organization.pk,
        kind=NotificationKind.WEBHOOK_DISABLED,
        text=f"{organization.name}: the webhook {endpoint.name} kept failing and was switched off",
        url=reverse("webhooks:detail", kwargs={"org_slug": organization.slug, "pk": endpoint.pk}),
    )


def _audit(action: str, actor: Any, endpoint: WebhookEndpoint, details: dict[str, Any]) -> None:
    audit_record(
        action=action,
        actor=actor,
        organization=endpoint.organization_id,
        target=endpoint,
        details=details,
        min_role=Role.ADMIN,
    )
