"""Optional error tracking with sentry-sdk: Sentry, or any server that speaks its protocol
(GlitchTip, a self-hosted Sentry). One variable turns it on: ``SENTRY_DSN``.

No personal data leaves: ``send_default_pii`` is off (no user emails, no IP addresses, no
cookies, no request bodies), and ``scrub`` removes whatever could still carry any:
cookies and authorization headers, email addresses anywhere in the event's text, and
the user object down to its id. Each event is tagged with the request id and the
organization id from the logging context, so an error links to its log lines.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
REDACTED = "[redacted]"
SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-csrftoken"}


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: _scrub_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(item) for item in value]
    return value


def _scrub_item(key: Any, value: Any) -> Any:
    if isinstance(key, str) and key.lower().replace("_", "-") in SECRET_HEADERS:
        return REDACTED
    return _scrub_value(value)


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """``before_send`` (and ``before_send_transaction``): strip personal data."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: REDACTED if name.lower() in SECRET_HEADERS else value
                for name, value in headers.items()
            }
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    context = structlog.contextvars.get_contextvars()
    tags = event.setdefault("tags", {})
    for key in ("request_id", "organization_id", "task_id"):
        if context.get(key) is not None and key not in tags:
            tags[key] = str(context[key])
    return _scrub_value(event)  # type: ignore[no-any-return,unused-ignore]


def init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        max_request_body_size="never",
        # sentry's Event is a TypedDict; scrub works on any event dict.
        before_send=scrub,  # type: ignore[arg-type]
        before_send_transaction=scrub,  # type: ignore[arg-type]
        traces_sample_rate=traces_sample_rate,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            # Error log lines become events; the lines themselves stay in the logs.
            LoggingIntegration(event_level=logging.ERROR),
        ],
    )
