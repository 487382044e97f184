"""The webhook screens in the organization settings: owners and admins only (lower roles
403, other organizations 404, like every organization screen), bad input as form errors,
the secret shown once, the delivery log, query counts flat in the data's size."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.roles import Role
from tests.tenants import Tenant
from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _make(tenant: Tenant, url: str = "https://93.184.216.34/hooks", name: str = "CRM") -> Any:
    endpoint, _secret = services.endpoint_create(
        acting_user=tenant.users[Role.OWNER],
        organization=tenant.organization,
        name=name,
        url=url,
        events=["member.joined", "page.published"],
    )
    return endpoint


def _urls(slug: str, pk: int) -> list[tuple[str, str]]:
    kwargs = {"org_slug": slug, "pk": pk}
    return [
        ("get", reverse("webhooks:list", kwargs={"org_slug": slug})),
        ("get", reverse("webhooks:create", kwargs={"org_slug": slug})),
        ("post", reverse("webhooks:create", kwargs={"org_slug": slug})),
        ("get", reverse("webhooks:detail", kwargs=kwargs)),
        ("post", reverse("webhooks:detail", kwargs=kwargs)),
        ("post", reverse("webhooks:rotate", kwargs=kwargs)),
        ("post", reverse("webhooks:test", kwargs=kwargs)),
        ("post", reverse("webhooks:enable", kwargs=kwargs)),
        ("get", reverse("webhooks:delete", kwargs=kwargs)),
        ("post", reverse("webhooks:delete", kwargs=kwargs)),
    ]


@pytest.mark.parametrize("role", [Role.EDITOR, Role.MEMBER, Role.VIEWER])
def test_lower_roles_are_refused(org_a: Tenant, role: str) -> None:
    endpoint = _make(org_a)
    client = _client(org_a.users[role])
    for method, url in _urls("alpha", endpoint.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (method, url)
        assert b"93.184.216.34" not in response.content
    assert WebhookEndpoint.objects.get().secret == endpoint.secret
    assert not WebhookDelivery.objects.exists()


def test_other_organizations_get_404(org_a: Tenant, org_b: Tenant) -> None:
    endpoint = _make(org_a)
    client = _client(org_b.users[Role.OWNER])
    for method, url in _urls("alpha", endpoint.pk) + _urls("bravo", endpoint.pk)[3:]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url)
        assert b"93.184.216.34" not in response.content
    assert WebhookEndpoint.objects.get().secret == endpoint.secret
    assert not WebhookDelivery.objects.exists()


def test_anonymous_is_sent_to_sign_in(org_a: Tenant) -> None:
    endpoint = _make(org_a)
    for method, url in _urls("alpha", endpoint.pk):
        response = getattr(Client(), method)(url)
        assert response.status_code in (302, 404), (method, url)
        assert b"93.184.216.34" not in response.content


def test_an_admin_creates_an_endpoint_and_sees_its_secret_once(org_a: Tenant) -> None:
    client = _client(org_a.users[Role.ADMIN])
    page = client.get(reverse("webhooks:list", kwargs={"org_slug": "alpha"}))
    assert page.status_code == 200
    assert b"No endpoints yet" in page.content
    response = client.post(
        reverse("webhooks:create", kwargs={"org_slug": "alpha"}),
        {"name": "CRM", "url": "https://93.184.216.34/hooks", "events": ["member.joined"]},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    assert endpoint.events == ["member.joined"]
    assert endpoint.created_by == org_a.users[Role.ADMIN]
    detail = client.get(reverse("webhooks:detail", kwargs={"org_slug": "alpha", "pk": endpoint.pk}))
    assert detail.status_code == 200
    assert endpoint.secret.encode() not in detail.content
    assert endpoint.secret[-4:].encode() in detail.content
    listing = client.get(reverse("webhooks:list", kwargs={"org_slug": "alpha"}))
    assert b"CRM" in listing.content
    assert endpoint.secret.encode() not in listing.content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"name": "", "url": "https://93.184.216.34/", "events": ["member.joined"]},
            "name",
            b"required",
        ),
        (
            {"name": "x", "url": "https://10.0.0.1/", "events": ["member.joined"]},
            "url",
            b"public internet",
        ),
        (
            {"name": "x", "url": "http://93.184.216.34/", "events": ["member.joined"]},
            "url",
            b"https://",
        ),
        ({"name": "x", "url": "not a url", "events": ["member.joined"]}, "url", b"https://"),
        (
            {"name": "x", "url": "https://93.184.216.34/", "events": []},
            "events",
            b"Choose at least one",
        ),
        (
            {"name": "x", "url": "https://93.184.216.34/", "events": ["no.such"]},
            "events",
            b"valid choice",
        ),
        (
            {"name": "x" * 101, "url": "https://93.184.216.34/", "events": ["member.joined"]},
            "name",
            b"at most 100",
        ),
    ],
)
def test_bad_input_is_a_form_error(
    org_a: Tenant, data: dict[str, Any], field: str, message: bytes
) -> None:
    client = _client(org_a.users[Role.ADMIN])
    response = client.post(reverse("webhooks:create", kwargs={"org_slug": "alpha"}), data)
    assert response.status_code == 400
    assert message in response.content
    assert not WebhookEndpoint.objects.exists()


def test_a_request_without_the_forms_fields_is_a_bad_request(org_a: Tenant) -> None:
    endpoint = _make(org_a)
    client = _client(org_a.users[Role.ADMIN])
    url = reverse("webhooks:detail", kwargs={"org_slug": "alpha", "pk": endpoint.pk})
    assert client.post(url, {}).status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.name == "CRM"


def test_edit_rotate_enable_and_delete(org_a: Tenant) -> None:
    endpoint = _make(org_a)
    client = _client(org_a.users[Role.OWNER])
    kwargs = {"org_slug": "alpha", "pk": endpoint.pk}
    response = client.post(
        reverse("webhooks:detail", kwargs=kwargs),
        {"name": "CRM v2", "url": "https://93.184.216.35/v2", "events": ["page.published"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url, endpoint.events, endpoint.is_active) == (
        "CRM v2",
        "https://93.184.216.35/v2",
        ["page.published"],
        False,  # the box was left unticked
    )
    old = endpoint.secret
    rotated = client.post(reverse("webhooks:rotate", kwargs=kwargs))
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret.encode() in rotated.content
    assert "no-store" in rotated["Cache-Control"]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, consecutive_failures=5, disabled_reason="Switched off after 5 failed"
    )
    assert client.post(reverse("webhooks:enable", kwargs=kwargs)).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 0
    confirm = client.get(reverse("webhooks:delete", kwargs=kwargs))
    assert confirm.status_code == 200
    assert client.post(reverse("webhooks:delete", kwargs=kwargs)).status_code == 302
    assert not WebhookEndpoint.objects.exists()
    actions = set(
        org_a.organization.audit_events.filter(action__startswith="webhook.").values_list(
            "action", "min_role"
        )
    )
    assert actions == {
        (name, Role.ADMIN)
        for name in (
            "webhook.created",
            "webhook.updated",
            "webhook.secret_rotated",
            "webhook.enabled",
            "webhook.deleted",
        )
    }


def test_send_test_event_shows_in_the_delivery_log(
    org_a: Tenant,
    receiver: Receiver,
    local_receiver_allowed: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint = _make(org_a, url=receiver.url)
    client = _client(org_a.users[Role.ADMIN])
    kwargs = {"org_slug": "alpha", "pk": endpoint.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhooks:test", kwargs=kwargs))
    assert response.status_code == 302
    assert len(receiver.wait_for(1)) == 1
    detail = client.get(reverse("webhooks:detail", kwargs=kwargs))
    assert b"webhook.test" in detail.content
    assert b"Delivered" in detail.content
    assert b"HTTP 200" in detail.content


def test_the_settings_page_links_to_webhooks_for_admins(org_a: Tenant) -> None:
    response = _client(org_a.users[Role.ADMIN]).get(
        reverse("organizations:settings", kwargs={"org_slug": "alpha"})
    )
    assert reverse("webhooks:list", kwargs={"org_slug": "alpha"}).encode() in response.content


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_endpoints_or_deliveries(org_a: Tenant) -> None:
    client = _client(org_a.users[Role.ADMIN])
    first = _make(org_a, name="first")
    list_url = reverse("webhooks:list", kwargs={"org_slug": "alpha"})
    detail_url = reverse("webhooks:detail", kwargs={"org_slug": "alpha", "pk": first.pk})
    _make(org_a, name="second")
    for _ in range(2):
        services._create_delivery(
            first,
            event_type="webhook.test",
            occurred_at=first.created_at,
            data={},
            organization=org_a.organization,
            event_id=__import__("uuid").uuid4(),
        )
    client.get(list_url)
    small = (_queries(client, list_url), _queries(client, detail_url))
    for index in range(20):
        _make(org_a, name=f"more {index}")
    for _ in range(30):
        services._create_delivery(
            first,
            event_type="webhook.test",
            occurred_at=first.created_at,
            data={},
            organization=org_a.organization,
            event_id=__import__("uuid").uuid4(),
        )
    large = (_queries(client, list_url), _queries(client, detail_url))
    print(f"\nwebhook screens' queries (list, detail): {small} at 2 endpoints, {large} at 22")
    assert small == large
