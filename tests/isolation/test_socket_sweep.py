"""The marker sweep over ``/ws/live/`` frames: every persona opens the live socket of A
and of B, asks for a resync, and listens while A's people publish an announcement for
admins, upload documents and publish a page. No frame may carry a marker of a class the
persona must not see."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from config.asgi import application
from organizations.roles import Role
from tests.isolation.world import ADM, MARKER, PUB, Persona, World, build_world

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://testserver")


def _cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={value}".encode()


async def _drain(communicator: WebsocketCommunicator, frames: list[str], seconds: float) -> None:
    """Collect what the socket sends for ``seconds`` (``receive_output`` with a timeout
    would cancel the consumer when nothing comes)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await communicator.receive_nothing(timeout=0.05, interval=0.01):
            continue
        message = await communicator.receive_output(timeout=1)
        if message.get("type") == "websocket.send" and message.get("text"):
            frames.append(message["text"])
        if message.get("type") == "websocket.close":
            return


def _act_in_a(world: World) -> None:
    """What A's people do while everyone listens: each sends live events with markers."""
    from dashboards.models import Announcement
    from secure_documents.services import document_create

    markers = world.markers
    board = Announcement(
        organization=world.a,
        title=f"Board live {markers.new(ADM, 'live admin announcement')}",
        body=f"<p>{markers.new(ADM, 'live admin announcement body')}</p>",
        min_role=Role.ADMIN,
    )
    board.save()
    board.save_revision(user=world.people_a[Role.ADMIN]).publish()
    news = Announcement(
        organization=world.a,
        title=f"Quarterly live {markers.new(PUB, 'live announcement')}",
        body="<p>news</p>",
    )
    news.save()
    news.save_revision(user=world.people_a[Role.EDITOR]).publish()
    document_create(
        acting_user=world.people_a[Role.EDITOR],
        organization=world.a,
        uploaded_file=SimpleUploadedFile(
            f"{markers.new(PUB, 'live document name')}.txt", b"live upload"
        ),
    )


async def _sweep_sockets(world: World, personas: list[Persona]) -> list[str]:
    problems: list[str] = []
    sockets: list[tuple[Persona, str, WebsocketCommunicator, list[str]]] = []
    for persona in personas:
        headers = [ORIGIN]
        if persona.user is not None:
            headers.append((b"cookie", await sync_to_async(_cookie)(persona.user)))
        for slug in (world.a.slug, world.b.slug):
            communicator = WebsocketCommunicator(
                application, f"/ws/live/?org={slug}", headers=headers
            )
            connected, _ = await communicator.connect(timeout=5)
            if not connected:
                continue
            frames: list[str] = []
            await communicator.send_json_to({"action": "sync", "payload": {}})
            sockets.append((persona, slug, communicator, frames))
    for _, _, communicator, frames in sockets:
        await _drain(communicator, frames, 0.5)
    await sync_to_async(_act_in_a)(world)
    for _, _, communicator, frames in sockets:
        await _drain(communicator, frames, 1.0)
    for persona, slug, communicator, frames in sockets:
        await communicator.disconnect()
        for frame in frames:
            found = {
                match.group(0)
                for match in MARKER.finditer(frame)
                if match.group(1).upper() in persona.forbidden
            }
            if found:
                where = sorted({world.markers.planted[m.upper()] for m in found})
                problems.append(f"[{persona.name}] /ws/live/?org={slug}: {where}")
    return problems


def test_no_live_frame_carries_what_its_listener_may_not_see(site_tree: None) -> None:
    from asgiref.sync import async_to_sync

    world = build_world()
    personas = world.personas()
    problems = async_to_sync(_sweep_sockets)(world, personas)
    assert not problems, "\n".join(problems)


def test_the_sweep_hears_what_its_listeners_may_see(site_tree: None) -> None:
    """The same events reach A's admin (so a silent socket cannot pass the sweep)."""
    from asgiref.sync import async_to_sync

    world = build_world()
    admin = Persona("A admin", world.people_a[Role.ADMIN], frozenset())

    async def listen() -> list[str]:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/live/?org={world.a.slug}",
            headers=[ORIGIN, (b"cookie", await sync_to_async(_cookie)(admin.user))],
        )
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        frames: list[str] = []
        await _drain(communicator, frames, 0.5)
        await sync_to_async(_act_in_a)(world)
        await _drain(communicator, frames, 1.5)
        await communicator.disconnect()
        return frames

    heard = " ".join(async_to_sync(listen)())
    planted = {world.markers.planted[match.group(0).upper()] for match in MARKER.finditer(heard)}
    assert "live admin announcement" in planted
    assert "live announcement" in planted
