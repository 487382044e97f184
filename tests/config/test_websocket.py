"""The websocket route end to end through the ASGI app and the real channels-redis layer."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings

from config.asgi import application as production_application
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.ping_consumer import CLOSE_UNAUTHENTICATED, ping_application

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://testserver")
# A test-only route mounted with the production stack's origin check and session auth.
application = ping_application()


@database_sync_to_async
def _session_cookie() -> tuple[int, bytes]:
    from django.test import Client

    user = UserFactory()
    client = Client()
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return user.pk, f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()


def test_layer_is_channels_redis_pubsub() -> None:
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from config.channel_layers import ResyncingPubSubChannelLayer

    layer = get_channel_layer()
    assert type(layer) is ResyncingPubSubChannelLayer
    assert isinstance(layer, RedisPubSubChannelLayer)
    # Pub/sub ignores Redis database numbers: the default prefix carries it instead.
    database = settings.REDIS_URL.rsplit("/", 1)[-1]
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] == f"orgportal-db{database}-"


async def test_authenticated_ping_round_trips_through_the_layer() -> None:
    user_id, cookie = await _session_cookie()
    communicator = WebsocketCommunicator(
        application, "/ws/ping/", headers=[ORIGIN, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong", "user": user_id}
    await communicator.disconnect()


async def test_anonymous_is_closed_with_4401() -> None:
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=[ORIGIN])
    connected, code = await communicator.connect()
    assert not connected
    assert code == CLOSE_UNAUTHENTICATED


@pytest.mark.parametrize(
    "origin", [b"http://evil.example.com", b"https://testserver.evil.example.com", b"null"]
)
async def test_foreign_origin_is_refused_with_debug_off(origin: bytes) -> None:
    assert settings.DEBUG is False
    _, cookie = await _session_cookie()
    communicator = WebsocketCommunicator(
        production_application,
        "/ws/live/",
        headers=[(b"origin", origin), (b"cookie", cookie)],
    )
    connected, _ = await communicator.connect()
    assert not connected
