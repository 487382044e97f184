"""Deliveries end to end against a real local receiver: events the platform emits become
signed POSTs, retried on failure with backoff, recorded, and an endpoint that keeps
failing is switched off with a notice to its admins. Tasks run inline (the suite's
default); test_worker.py runs the same path through a real worker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dashboards.models import Announcement, Notification, NotificationKind, OrganizationPage
from home.models import ContentPage
from organizations.models import AuditEvent, OutboxTask
from organizations.roles import Role
from organizations.services import membership_add, membership_remove
from secure_documents.services import document_create
from tests.factories import UserFactory
from tests.tenants import MARKER_A, MARKER_B, Tenant
from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.events import EventType
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receiver_allowed")]
ALL_EVENTS = [value.value for value in EventType if value != EventType.TEST]


def _endpoint(tenant: Tenant, receiver: Receiver, events: list[str] | None = None) -> Any:
    endpoint, secret = services.endpoint_create(
        acting_user=tenant.users[Role.ADMIN],
        organization=tenant.organization,
        name="Receiver",
        url=receiver.url,
        events=events or ALL_EVENTS,
    )
    receiver.secret = secret
    return endpoint


def test_a_member_joining_is_delivered_signed(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(org_a, receiver)
    person = UserFactory(email="newcomer@alpha.example")
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(
            acting_user=org_a.users[Role.OWNER],
            organization=org_a.organization,
            user=person,
            role=Role.MEMBER,
        )
    [request] = receiver.wait_for(1)
    assert request.signature_valid is True
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    payload = json.loads(request.body)
    assert payload["type"] == "member.joined"
    assert payload["organization"] == {
        "id": org_a.organization.pk,
        "slug": org_a.organization.slug,
    }
    assert payload["data"]["member"]["user"] == {"id": person.pk, "email": person.email}
    assert payload["data"]["member"]["role"] == "member"
    assert payload["occurred_at"].endswith("Z")
    assert request.headers["webhook-id"] == payload["id"]
    assert request.headers["webhook-event"] == "member.joined"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        DeliveryStatus.SUCCEEDED,
        1,
        200,
    )
    assert delivery.finished_at is not None


def test_a_wrong_secret_does_not_verify(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(org_a, receiver)
    receiver.secret = "whsec_not-the-one"
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(acting_user=org_a.users[Role.OWNER], endpoint=endpoint)
    [request] = receiver.wait_for(1)
    assert request.signature_valid is False


def test_every_event_the_platform_emits_reaches_a_subscribed_endpoint(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(org_a, receiver)
    organization, editor = org_a.organization, org_a.users[Role.EDITOR]
    with django_capture_on_commit_callbacks(execute=True):
        document = document_create(
            acting_user=editor,
            organization=organization,
            uploaded_file=SimpleUploadedFile("notes.txt", b"plain notes\n" * 10),
        )
    with django_capture_on_commit_callbacks(execute=True):
        membership = membership_add(
            acting_user=org_a.users[Role.OWNER],
            organization=organization,
            user=UserFactory(email="leaving@alpha.example"),
            role=Role.VIEWER,
        )
        membership_remove(acting_user=org_a.users[Role.OWNER], membership=membership)
    root = OrganizationPage.objects.get(organization=organization)
    with django_capture_on_commit_callbacks(execute=True):
        page = root.add_child(instance=ContentPage(title="Launch notes", slug="launch"))
        page.save_revision(user=editor).publish()
        news = Announcement(organization=organization, title="Office move", body="<p>x</p>")
        news.save()
        news.save_revision(user=editor).publish()
    payloads = [json.loads(r.body) for r in receiver.wait_for(6)]
    assert len(payloads) == 6
    by_type: dict[str, list[dict[str, Any]]] = {}
    for payload in payloads:
        by_type.setdefault(payload["type"], []).append(payload["data"])
    assert by_type["document.uploaded"][0]["document"]["id"] == document.pk
    assert by_type["document.uploaded"][0]["document"]["filename"] == "notes.txt"
    assert by_type["document.processed"][0]["document"]["status"] == "clean"
    assert by_type["member.joined"][0]["member"]["id"] == membership.pk
    assert by_type["member.removed"][0] == {
        "member": {
            "id": membership.pk,
            "user": {"id": membership.user_id, "email": "leaving@alpha.example"},
            "role": "viewer",
        },
        "reason": "removed",
    }
    assert by_type["page.published"][0]["page"]["title"] == "Launch notes"
    assert by_type["announcement.published"][0]["announcement"] == {
        "id": news.pk,
        "title": "Office move",
        "audience": "all",
    }
    assert all(r.signature_valid for r in receiver.requests)


def test_only_subscribed_events_are_sent(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(org_a, receiver, events=["page.published"])
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(
            acting_user=None,
            organization=org_a.organization,
            user=UserFactory(),
            role=Role.MEMBER,
        )
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_deliveries_are_queued_through_the_outbox_in_the_same_transaction(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(org_a, receiver)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        membership_add(
            acting_user=None, organization=org_a.organization, user=UserFactory(), role="member"
        )
        # Written with the change, before any commit: a broker outage loses nothing.
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        assert OutboxTask.objects.filter(task_name="webhooks.deliver", args=[delivery.pk]).exists()
    assert callbacks
    assert receiver.requests == []


def test_retries_on_500_then_succeeds(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(org_a, receiver)
    receiver.script = [500, 503, 200]
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    requests = receiver.wait_for(3)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert len({r.body for r in requests}) == 1
    assert all(r.signature_valid for r in requests)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        DeliveryStatus.SUCCEEDED,
        3,
        200,
    )
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_backoff_doubles_and_stays_below_the_visibility_timeout(settings: Any) -> None:
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 30
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 300
    assert [services.retry_delay(n) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    assert settings.WEBHOOKS_RETRY_MAX_SECONDS < settings.CELERY_VISIBILITY_TIMEOUT


def test_redirects_are_not_followed(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    endpoint = _endpoint(org_a, receiver)
    receiver.script = [302]
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    assert len(receiver.wait_for(1)) == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.last_response_code) == (DeliveryStatus.FAILED, 302)


def test_an_endpoint_that_keeps_failing_is_switched_off_and_its_admins_told(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(org_a, receiver)
    receiver.script = [500]
    for _ in range(2):  # WEBHOOKS_DISABLE_AFTER failed deliveries, each after 3 attempts
        with django_capture_on_commit_callbacks(execute=True):
            services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    assert len(receiver.requests) == 6
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at is not None
    assert "2 failed deliveries" in endpoint.disabled_reason
    failed = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert {(d.status, d.attempts, d.last_response_code) for d in failed} == {
        (DeliveryStatus.FAILED, 3, 500)
    }
    assert "receiver says no" in failed[0].last_error
    told = set(
        Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED).values_list(
            "user_id", flat=True
        )
    )
    assert told == {org_a.users[Role.OWNER].pk, org_a.users[Role.ADMIN].pk}
    assert AuditEvent.objects.filter(action="webhook.disabled", min_role=Role.ADMIN).exists()

    # Switched off: events are no longer delivered to it.
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(
            acting_user=None, organization=org_a.organization, user=UserFactory(), role="member"
        )
    assert len(receiver.requests) == 6
    # Switched on again: a clean slate.
    receiver.script = [200]
    services.endpoint_enable(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    assert receiver.wait_for(7)[-1].signature_valid


def test_a_success_resets_the_failure_count(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    endpoint = _endpoint(org_a, receiver)
    receiver.script = [500, 200, 500]
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 1


def test_rotating_the_secret_signs_the_next_attempt_with_the_new_one(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(org_a, receiver)
    old = receiver.secret
    new = services.endpoint_rotate_secret(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    assert new != old
    assert new.startswith("whsec_")
    receiver.secret = new
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    assert receiver.wait_for(1)[0].signature_valid


# --- scoping --------------------------------------------------------------------------------


def test_an_event_in_another_organization_never_reaches_this_ones_endpoint(
    org_a: Tenant, org_b: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.webhooks.receiver import start_receiver

    receiver_a, server_a = start_receiver()
    receiver_b, server_b = start_receiver()
    try:
        _endpoint(org_a, receiver_a)
        _endpoint(org_b, receiver_b)
        with django_capture_on_commit_callbacks(execute=True):
            document_create(
                acting_user=org_b.users[Role.EDITOR],
                organization=org_b.organization,
                uploaded_file=SimpleUploadedFile(f"{MARKER_B}.txt", b"bravo notes\n"),
            )
            membership_add(
                acting_user=None,
                organization=org_b.organization,
                user=UserFactory(email="okapi@bravo.example"),
                role=Role.MEMBER,
            )
        received_b = receiver_b.wait_for(3)
        assert receiver_a.requests == []
        assert not WebhookDelivery.objects.filter(organization=org_a.organization).exists()
        for request in received_b:
            text = request.body.decode()
            assert MARKER_A not in text
            assert "alpha" not in text
            assert json.loads(text)["organization"]["id"] == org_b.organization.pk
        assert any(MARKER_B in r.body.decode() for r in received_b)
    finally:
        for server in (server_a, server_b):
            server.shutdown()
            server.server_close()


def test_a_summary_is_read_inside_the_events_organization_only(
    org_a: Tenant, org_b: Tenant
) -> None:
    from webhooks.selectors import event_summary

    membership_b = org_b.organization.memberships.first()
    assert event_summary(EventType.MEMBER_JOINED, org_b.organization.pk, str(membership_b.pk))
    # An A event naming B's object (however it came about) summarises nothing.
    assert (
        event_summary(EventType.MEMBER_JOINED, org_a.organization.pk, str(membership_b.pk)) is None
    )


def test_an_event_naming_another_organizations_object_sends_nothing(
    org_a: Tenant, org_b: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from organizations.audit import audit_record

    _endpoint(org_a, receiver)
    membership_b = org_b.organization.memberships.first()
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(
            action="membership.joined",
            actor=None,
            organization=org_a.organization,
            target=membership_b,
        )
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_owner_only_events_are_not_sent(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from organizations.audit import audit_record

    _endpoint(org_a, receiver)
    membership = org_a.organization.memberships.first()
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(
            action="membership.joined",
            actor=None,
            organization=org_a.organization,
            target=membership,
            min_role=Role.OWNER,
        )
    assert not WebhookDelivery.objects.exists()


def test_a_deleted_endpoint_stops_its_queued_deliveries(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from webhooks.tasks import deliver

    endpoint = _endpoint(org_a, receiver)
    with django_capture_on_commit_callbacks(execute=False):
        delivery = services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    services.endpoint_delete(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    assert (
        deliver.apply(args=(delivery.pk,), kwargs={"organization_id": org_a.organization.pk}).get()
        is None
    )
    assert receiver.requests == []
    assert not WebhookEndpoint.objects.exists()


def test_the_sweep_queues_overdue_deliveries_again_through_the_outbox(
    org_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from webhooks.tasks import retry_sweep

    endpoint = _endpoint(org_a, receiver)
    with django_capture_on_commit_callbacks(execute=False):
        lost = services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
        recent = services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    OutboxTask.objects.all().delete()  # as if the retry's message was lost with the broker
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        status=DeliveryStatus.RETRYING, next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_sweep.apply().get() == 1
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.status == DeliveryStatus.SUCCEEDED
    assert recent.status == DeliveryStatus.PENDING
    assert len(receiver.wait_for(1)) == 1
