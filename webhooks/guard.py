"""Where deliveries may go: no server-side request forgery.

A webhook URL is typed in by a customer and fetched by our servers, so it must never
reach what only our servers can reach: loopback, private networks, link-local (cloud
metadata at 169.254.169.254), carrier-grade NAT, multicast, reserved ranges, and their
IPv6 forms (including IPv4 addresses wrapped in IPv6). The URL is checked when it is
registered and again before every attempt, after resolving the name; the request then
connects to the address that was checked (a name that resolves differently a second
later, DNS rebinding, gains nothing) and redirects are never followed.

``WEBHOOKS_ALLOWED_HOSTS`` lets listed host names or addresses through whatever they
resolve to: for the test suite's local receiver, empty by default. Plain ``http://`` is
allowed only with ``WEBHOOKS_ALLOW_HTTP`` (development and tests; never in production).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Carrier-grade NAT (RFC 6598); named explicitly because Python's ``is_private`` leaves
# it out (``is_global`` covers it, this says so).
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
RESPONSE_SNIPPET_BYTES = 512


class RefusedTarget(Exception):
    """The URL may not receive deliveries; the message says why, for the admin."""


class Unresolvable(RefusedTarget):
    """The host name does not resolve (now): refused at registration, retried later at
    delivery time (DNS failures pass)."""


class DeliveryError(Exception):
    """The request did not get a response (connection refused, timeout, TLS, ...)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent
    address: str  # the checked address the request connects to


def _embedded(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped, 6to4 or Teredo IPv6 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return ip


def is_public(ip: IPAddress) -> bool:
    ip = _embedded(ip)
    if ip in SHARED_ADDRESS_SPACE:
        return False
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _allowed_hosts() -> set[str]:
    return {host.strip().lower() for host in settings.WEBHOOKS_ALLOWED_HOSTS if host.strip()}


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"The host name {host} does not resolve.") from exc
    # Scope ids (fe80::1%eth0) are dropped: link-local is refused anyway.
    return list(
        dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
    )


def check_url(url: str) -> Target:
    """The target of ``url`` if deliveries may go there, else ``RefusedTarget``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget("This is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and settings.WEBHOOKS_ALLOW_HTTP):
        raise RefusedTarget("Webhook URLs must start with https://.")
    if parts.username or parts.password:
        raise RefusedTarget("Webhook URLs may not contain a user name or password.")
    host = (parts.hostname or "").lower()
    if not host:
        raise RefusedTarget("This URL has no host name.")
    port = port or (443 if scheme == "https" else 80)
    allowed = _allowed_hosts()
    addresses = _resolve(host, port)
    if not addresses:
        raise Unresolvable(f"The host name {host} does not resolve.")
    if host not in allowed:
        for address in addresses:
            if str(address) not in allowed and not is_public(address):
                raise RefusedTarget(_private_message(host))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port, path, str(addresses[0]))


def _private_message(host: str) -> str:
    return (
        f"{host} is a private, loopback, link-local or otherwise internal address: "
        "webhooks are sent to public internet addresses only."
    )


def post(
    target: Target, body: bytes, headers: dict[str, str], *, timeout: float
) -> tuple[int, str]:
    """POST ``body`` to the checked address of ``target`` (TLS verified against the host
    name); the status code and the start of the response. Redirects are answers, not
    followed."""
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    default_port = 443 if target.scheme == "https" else 80
    if target.port != default_port:
        host_header = f"{host_header}:{target.port}"
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address,
            target.port,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
        )
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            snippet = response.read(RESPONSE_SNIPPET_BYTES, decode_content=False)
        finally:
            response.release_conn()
        return response.status, snippet.decode("utf-8", errors="replace")
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryError(_describe(exc)) from exc
    finally:
        pool.close()


def _describe(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if isinstance(exc, urllib3.exceptions.TimeoutError) or "timed out" in text:
        return "The endpoint did not answer in time."
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS error: {text}"[:500]
    return f"Could not connect: {text}"[:500]
