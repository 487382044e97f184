"""Fault injection: Redis stops and restarts under connected clients. The channel layer
tells every consumer (config/channel_layers.py), clients are told to try again later
(1013), reconnect with backoff, and the next event reaches them all."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from django.test import Client

from config.channel_layers import ResyncingPubSubChannelLayer
from organizations.roles import Role
from tests.conftest import RedisServer, uvicorn_server

CLIENTS = 3


@pytest.fixture
def live_server_on(redis_server: RedisServer, transactional_db, tmp_path: Path) -> Iterator[int]:  # type: ignore[no-untyped-def]
    # The server's channel layer, cache and sessions all use the Redis that will die.
    with uvicorn_server(tmp_path, REDIS_URL=redis_server.url) as port:
        yield port


async def _client(
    url: str, cookie: str, inbox: list[str], opened: list[int], stop: asyncio.Event
) -> None:
    delay = 0.2
    while not stop.is_set():
        try:
            async with websockets.connect(
                url,
                additional_headers={"Cookie": cookie, "Origin": "http://127.0.0.1"},
                open_timeout=3,
            ) as socket:
                opened.append(1)
                delay = 0.2
                await socket.send('{"action": "sync", "payload": {}}')
                async for message in socket:
                    inbox.append(str(message))
        except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
            pass
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


@pytest.mark.django_db(transaction=True)
def test_clients_reconnect_after_redis_restarts(
    redis_server: RedisServer, live_server_on: int, org_a, settings
) -> None:  # type: ignore[no-untyped-def]
    cookies = []
    for role in (Role.OWNER, Role.MEMBER, Role.VIEWER):
        client = Client()
        client.force_login(org_a.users[role])
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    url = f"ws://127.0.0.1:{live_server_on}/ws/live/?org=alpha"
    layer_url = redis_server.url
    group = f"live.org.{org_a.organization.pk}"

    async def scenario() -> None:
        # Sessions live in the database and the (dying) cache: copy them into this Redis.
        inboxes: list[list[str]] = [[] for _ in range(CLIENTS)]
        opened: list[list[int]] = [[] for _ in range(CLIENTS)]
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(_client(url, cookies[i], inboxes[i], opened[i], stop))
            for i in range(CLIENTS)
        ]

        async def broadcast(marker: str) -> None:
            # The server's default prefix for this Redis (database 0).
            layer = ResyncingPubSubChannelLayer(hosts=[layer_url], prefix="orgportal-db0-")
            await layer.group_send(
                group,
                {
                    "type": "live.event",
                    "event": "test",
                    "html": f"<p>{marker}</p>",
                    "min_role": None,
                },
            )
            await layer.flush()

        async def everyone_got(marker: str, timeout: float) -> bool:
            deadline = asyncio.get_running_loop().time() + timeout
            while asyncio.get_running_loop().time() < deadline:
                if all(any(marker in m for m in inbox) for inbox in inboxes):
                    return True
                await asyncio.sleep(0.1)
            return False

        await asyncio.sleep(1.5)
        assert all(opened), "every client connects"
        await broadcast("before-restart")
        assert await everyone_got("before-restart", 10)
        redis_server.stop()
        await asyncio.sleep(2)
        redis_server.start()
        connections_before = [len(o) for o in opened]
        deadline = asyncio.get_running_loop().time() + 20
        while asyncio.get_running_loop().time() < deadline:
            if all(len(o) > before for o, before in zip(opened, connections_before, strict=True)):
                break
            await asyncio.sleep(0.2)
        assert all(len(o) > before for o, before in zip(opened, connections_before, strict=True)), (
            "all reconnect"
        )
        await asyncio.sleep(0.5)
        await broadcast("after-restart")
        assert await everyone_got("after-restart", 10)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(scenario())
