"""No server-side request forgery: private, loopback, link-local, CGNAT, multicast and
reserved targets (and their IPv6 forms) are refused at registration and again at
delivery, after resolving the name; plain http only where allowed; the test-only allow
list is off by default."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from organizations.roles import Role
from tests.tenants import Tenant
from tests.webhooks.receiver import Receiver
from webhooks import guard, services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

REFUSED = [
    "https://127.0.0.1/hook",
    "https://127.1.2.3/hook",
    "https://10.0.0.5/hook",
    "https://10.255.255.255:8443/hook",
    "https://172.16.0.1/hook",
    "https://172.31.255.254/hook",
    "https://192.168.1.10/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",  # carrier-grade NAT
    "https://224.0.0.1/hook",  # multicast
    "https://0.0.0.0/hook",
    "https://240.0.0.1/hook",  # reserved
    "https://255.255.255.255/hook",
    "https://[::1]/hook",
    "https://[::]/hook",
    "https://[fe80::1]/hook",  # link-local
    "https://[fc00::1]/hook",  # unique local
    "https://[fd12:3456::1]/hook",
    "https://[ff02::1]/hook",  # multicast
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped
    "https://[::ffff:169.254.169.254]/hook",
    "https://[2002:a00:1::]/hook",  # 6to4 around 10.0.0.1
    "https://localhost/hook",  # resolves to loopback
]


def test_the_allow_list_and_http_are_off_by_default() -> None:
    from django.conf import settings

    assert settings.WEBHOOKS_ALLOWED_HOSTS == []
    assert settings.WEBHOOKS_ALLOW_HTTP is False


def test_production_forces_them_off() -> None:
    text = (
        __import__("pathlib").Path(__file__).resolve().parents[2] / "config/settings/production.py"
    ).read_text()
    assert "WEBHOOKS_ALLOWED_HOSTS = []" in text
    assert "WEBHOOKS_ALLOW_HTTP = False" in text


@pytest.mark.parametrize("url", REFUSED)
def test_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(guard.RefusedTarget, match="public internet addresses only"):
        guard.check_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.216.34/hook", "https://"),
        ("ftp://93.184.216.34/hook", "https://"),
        ("file:///etc/passwd", "https://"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "https://"),
        ("https://user:pw@93.184.216.34/hook", "user name or password"),
        ("https:///hook", "no host name"),
        ("https://93.184.216.34:99999/hook", "not a valid URL"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
    ],
)
def test_other_bad_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(guard.RefusedTarget, match=message):
        guard.check_url(url)


def test_a_public_address_passes_and_is_the_one_connected_to() -> None:
    target = guard.check_url("https://93.184.216.34:8443/a/b?c=d")
    assert (target.host, target.port, target.path, target.address) == (
        "93.184.216.34",
        8443,
        "/a/b?c=d",
        "93.184.216.34",
    )


def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every address a name resolves to must be public: one private record among public
    ones is refused (a rebinding attacker would otherwise pick it later)."""

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(guard.RefusedTarget):
        guard.check_url("https://hooks.example.com/x")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/h", "https://10.0.0.8/h", "https://169.254.169.254/h"]
)
def test_registration_refuses_internal_targets(org_a: Tenant, url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.endpoint_create(
            acting_user=org_a.users[Role.ADMIN],
            organization=org_a.organization,
            name="Internal",
            url=url,
            events=["member.joined"],
        )
    assert "public internet addresses only" in caught.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_without_the_allow_list_the_local_receiver_is_refused(
    org_a: Tenant, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True  # only the scheme: the address is still refused
    with pytest.raises(ValidationError):
        services.endpoint_create(
            acting_user=org_a.users[Role.ADMIN],
            organization=org_a.organization,
            name="Local",
            url=receiver.url,
            events=["member.joined"],
        )


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254"])
def test_delivery_time_check_refuses_a_name_that_now_resolves_inside(
    org_a: Tenant,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    address: str,
) -> None:
    """Registered while the name pointed outside; by delivery time it points inside (DNS
    rebinding). The attempt is refused before connecting, and not retried."""
    real = socket.getaddrinfo
    answer = {"address": "93.184.216.34"}

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["address"], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    endpoint, _secret = services.endpoint_create(
        acting_user=org_a.users[Role.ADMIN],
        organization=org_a.organization,
        name="Rebinding",
        url=f"https://hooks.example.com:{receiver.port}/hooks",
        events=["member.joined"],
    )
    answer["address"] = address
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_response_code is None
    assert "public internet addresses only" in delivery.last_error
    assert receiver.requests == []


@pytest.mark.django_db
def test_the_allow_list_lets_the_test_receiver_through(
    org_a: Tenant,
    receiver: Receiver,
    local_receiver_allowed: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint, receiver.secret = services.endpoint_create(
        acting_user=org_a.users[Role.ADMIN],
        organization=org_a.organization,
        name="Local",
        url=receiver.url,
        events=["member.joined"],
    )
    # Then taken away: the next delivery is refused at delivery time.
    local_receiver_allowed.WEBHOOKS_ALLOWED_HOSTS = []
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(acting_user=org_a.users[Role.ADMIN], endpoint=endpoint)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.FAILED
    assert receiver.requests == []
