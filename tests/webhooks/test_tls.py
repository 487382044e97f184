"""HTTPS deliveries connect to the checked address yet verify the certificate against the
host name (sent as SNI and in ``Host``): a receiver whose certificate the platform does
not trust gets nothing; one it trusts gets the delivery."""

from __future__ import annotations

import datetime
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from organizations.roles import Role
from tests.tenants import Tenant
from tests.webhooks.receiver import Receiver, start_receiver
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db
HOST = "hooks.test"


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_receiver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[tuple[Receiver, Path, list[str]]]:
    cert_path, key_path = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server_names: list[str] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name or "")
    receiver, server = start_receiver(tls=context)
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host == HOST:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    # The test-only allow list, by name: hooks.test resolves to 127.0.0.1 here.
    settings.WEBHOOKS_ALLOWED_HOSTS = [HOST]
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    try:
        yield receiver, cert_path, server_names
    finally:
        server.shutdown()
        server.server_close()


def _send(tenant: Tenant, receiver: Receiver, on_commit: Any) -> WebhookDelivery:
    endpoint, receiver.secret = services.endpoint_create(
        acting_user=tenant.users[Role.ADMIN],
        organization=tenant.organization,
        name="TLS",
        url=f"https://{HOST}:{receiver.port}/hooks",
        events=["member.joined"],
    )
    with on_commit(execute=True):
        services.send_test(acting_user=tenant.users[Role.ADMIN], endpoint=endpoint)
    return WebhookDelivery.objects.get(endpoint=endpoint)


def test_an_untrusted_certificate_gets_nothing(
    org_a: Tenant, tls_receiver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    receiver, _cert, server_names = tls_receiver
    delivery = _send(org_a, receiver, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("TLS error")
    assert "certificate verify failed" in delivery.last_error
    assert receiver.requests == []
    assert server_names == [HOST]  # the name went out as SNI to the checked address


def test_a_trusted_certificate_for_the_name_gets_the_delivery(
    org_a: Tenant,
    tls_receiver: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver, cert_path, server_names = tls_receiver
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # OpenSSL's default trust store
    delivery = _send(org_a, receiver, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.SUCCEEDED, delivery.last_error
    [request] = receiver.requests
    assert request.signature_valid is True
    assert request.headers["host"] == f"{HOST}:{receiver.port}"
    assert server_names == [HOST]
