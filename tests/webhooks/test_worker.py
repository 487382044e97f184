"""The same delivery through a real Celery worker: the event's transaction writes the
delivery and its outbox row, the worker sends it, the receiver answers 500 and then 200,
and the second attempt (a new message with a countdown) succeeds, signed."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from organizations.models import OutboxTask
from organizations.roles import Role
from organizations.services import membership_add
from tests.factories import UserFactory
from tests.tenants import Tenant
from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery


@pytest.fixture
def webhook_worker(
    monkeypatch: pytest.MonkeyPatch, local_receiver_allowed: Any, request: pytest.FixtureRequest
) -> Any:
    """A real worker that may reach the local receiver (the test-only allow list) and
    retries after a second."""
    monkeypatch.setenv("WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    monkeypatch.setenv("WEBHOOKS_RETRY_BASE_SECONDS", "1")
    monkeypatch.setenv("WEBHOOKS_MAX_ATTEMPTS", "3")
    return request.getfixturevalue("celery_worker")


@pytest.mark.timeout(120)
def test_a_real_worker_retries_a_500_and_delivers(
    transactional_db: Any, webhook_worker: Any, org_a: Tenant, receiver: Receiver
) -> None:
    endpoint, receiver.secret = services.endpoint_create(
        acting_user=org_a.users[Role.ADMIN],
        organization=org_a.organization,
        name="Worker",
        url=receiver.url,
        events=["member.joined"],
    )
    receiver.script = [500, 200]
    person = UserFactory(email="worker-joined@alpha.example")
    membership_add(acting_user=None, organization=org_a.organization, user=person, role=Role.MEMBER)
    requests = receiver.wait_for(2, timeout=60)
    assert all(r.signature_valid for r in requests), webhook_worker.log()[-3000:]
    assert json.loads(requests[1].body)["data"]["member"]["user"]["email"] == person.email
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    deadline = time.monotonic() + 30
    while delivery.status != DeliveryStatus.SUCCEEDED and time.monotonic() < deadline:
        time.sleep(0.2)
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        DeliveryStatus.SUCCEEDED,
        2,
        200,
    ), webhook_worker.log()[-3000:]
    assert "webhooks.deliver" in webhook_worker.log()
    assert not OutboxTask.objects.filter(task_name="webhooks.deliver").exists()
