from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webhooks.receiver import Receiver, start_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver, server = start_receiver()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def local_receiver_allowed(settings):  # type: ignore[no-untyped-def]
    """The test-only allow list: 127.0.0.1 over plain http (off by default)."""
    settings.WEBHOOKS_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    settings.WEBHOOKS_DISABLE_AFTER = 2
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 1
    settings.WEBHOOKS_TIMEOUT_SECONDS = 5
    return settings
