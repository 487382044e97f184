"""/ws/live/ on the real channels-redis layer: refusals, isolation, closing, events."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from dashboards import consumers
from dashboards.events import Event, publish
from organizations.models import Membership
from organizations.roles import Role
from tests.tenants import MARKER_A

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://testserver")


@database_sync_to_async
def cookie_for(user) -> bytes:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={value}".encode()


async def connect(user, slug: str, origin: tuple[bytes, bytes] = ORIGIN):  # type: ignore[no-untyped-def]
    headers = [origin]
    if user is not None:
        headers.append((b"cookie", await cookie_for(user)))
    communicator = WebsocketCommunicator(application, f"/ws/live/?org={slug}", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_anonymous_is_refused_with_4401(org_a) -> None:  # type: ignore[no-untyped-def]
    _, connected, code = await connect(None, "alpha")
    assert (connected, code) == (False, consumers.CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("slug", ["alpha", "does-not-exist", ""])
async def test_non_members_are_refused_with_4403(org_a, org_b, slug: str) -> None:  # type: ignore[no-untyped-def]
    _, connected, code = await connect(org_b.users[Role.OWNER], slug)
    assert (connected, code) == (False, consumers.CLOSE_FORBIDDEN)


async def test_an_organization_requiring_mfa_streams_only_to_members_with_it(org_a) -> None:  # type: ignore[no-untyped-def]
    from allauth.mfa.models import Authenticator

    from organizations.models import Organization

    member = org_a.users[Role.MEMBER]
    await Organization.objects.filter(pk=org_a.organization.pk).aupdate(require_mfa=True)
    _, connected, code = await connect(member, "alpha")
    assert (connected, code) == (False, consumers.CLOSE_FORBIDDEN)
    await Authenticator.objects.acreate(user=member, type="totp", data={"secret": "x"})
    communicator, connected, _code = await connect(member, "alpha")
    assert connected is True
    await communicator.disconnect()


async def test_foreign_origin_is_refused_with_debug_off(org_a) -> None:  # type: ignore[no-untyped-def]
    assert settings.DEBUG is False
    _, connected, _code = await connect(
        org_a.users[Role.MEMBER], "alpha", origin=(b"origin", b"https://evil.example.com")
    )
    assert connected is False


async def test_member_connects_and_syncs_the_current_state(org_a) -> None:  # type: ignore[no-untyped-def]
    communicator, connected, _ = await connect(org_a.users[Role.MEMBER], "alpha")
    assert connected
    await communicator.receive_from(timeout=5)  # presence announcement
    await communicator.send_to(text_data=json.dumps({"action": "sync", "payload": {}}))
    html = await _receive_until(communicator, "org-metrics")
    assert 'id="org-metrics" aria-label="Figures" hx-swap-oob="true"' in html
    assert f'id="activity-feed-{org_a.organization.pk}"' in html
    assert 'id="members-online"' in html
    await communicator.disconnect()


async def _receive_until(communicator, needle: str, timeout: float = 5) -> str:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        message = await communicator.receive_from(timeout=max(remaining, 0.01))
        if needle in message:
            return message


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("x" * (64 * 1024 + 1), consumers.CLOSE_TOO_LARGE),
        ("{not json", consumers.CLOSE_BAD_MESSAGE),
        ('["sync"]', consumers.CLOSE_BAD_MESSAGE),
        ('{"action": "drop_tables", "payload": {}}', consumers.CLOSE_BAD_MESSAGE),
        ('{"action": "sync", "payload": "x"}', consumers.CLOSE_BAD_MESSAGE),
        ('{"action": "sync", "payload": {"org": "bravo"}}', consumers.CLOSE_FORBIDDEN),
    ],
)
async def test_bad_messages_close_the_socket(org_a, org_b, message: str, code: int) -> None:  # type: ignore[no-untyped-def]
    communicator, connected, _ = await connect(org_a.users[Role.MEMBER], "alpha")
    assert connected
    await communicator.send_to(text_data=message)
    output = await _receive_close(communicator)
    assert output == code


async def _everything_for(communicator, quiet: float = 1.0) -> str:  # type: ignore[no-untyped-def]
    """All messages until the socket has been quiet for ``quiet`` seconds."""
    received = []
    while True:
        try:
            received.append(await communicator.receive_from(timeout=quiet))
        except TimeoutError:
            return "\n".join(received)


async def _receive_close(communicator) -> int:  # type: ignore[no-untyped-def]
    while True:
        output = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return int(output["code"])


async def test_flooding_is_rate_limited(org_a) -> None:  # type: ignore[no-untyped-def]
    communicator, connected, _ = await connect(org_a.users[Role.MEMBER], "alpha")
    assert connected
    for _ in range(consumers.RATE_CAPACITY + 5):
        await communicator.send_to(text_data='{"action": "heartbeat", "payload": {}}')
    assert await _receive_close(communicator) == consumers.CLOSE_RATE_LIMITED


async def test_members_of_b_never_receive_events_of_a(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    alice, ok_a, _ = await connect(org_a.users[Role.MEMBER], "alpha")
    bob, ok_b, _ = await connect(org_b.users[Role.MEMBER], "bravo")
    assert ok_a
    assert ok_b
    await database_sync_to_async(publish)(
        Event.DOCUMENT_DELETED,
        organization_id=org_a.organization.pk,
        context={"item": {"pk": 1, "name": "", "icon": "file", "sentence": MARKER_A}},
    )
    assert MARKER_A in await _receive_until(alice, MARKER_A)
    assert MARKER_A not in await _everything_for(bob)


async def test_role_limited_events_reach_only_that_role(org_a) -> None:  # type: ignore[no-untyped-def]
    admin, _, _ = await connect(org_a.users[Role.ADMIN], "alpha")
    viewer, _, _ = await connect(org_a.users[Role.VIEWER], "alpha")
    await database_sync_to_async(publish)(
        Event.TASK_PROGRESS,
        organization_id=org_a.organization.pk,
        context={"task_id": "export-1", "label": "Export", "percent": 40},
    )
    assert "task-export-1" in await _receive_until(admin, "task-export-1")
    assert "task-export-1" not in await _everything_for(viewer)


async def test_removed_member_is_disconnected(org_a) -> None:  # type: ignore[no-untyped-def]
    from organizations.services import membership_remove

    viewer = org_a.users[Role.VIEWER]
    communicator, connected, _ = await connect(viewer, "alpha")
    assert connected

    def remove() -> None:
        membership = Membership.objects.get(user=viewer, organization=org_a.organization)
        membership_remove(acting_user=org_a.users[Role.OWNER], membership=membership)

    await database_sync_to_async(remove)()
    assert await _receive_close(communicator) == consumers.CLOSE_MEMBERSHIP_ENDED


async def test_suspension_disconnects_everyone(org_a) -> None:  # type: ignore[no-untyped-def]
    from organizations.services import organization_set_active
    from tests.factories import UserFactory

    communicator, connected, _ = await connect(org_a.users[Role.MEMBER], "alpha")
    assert connected

    def suspend() -> None:
        operator = UserFactory(is_superuser=True, is_staff=True)
        organization_set_active(acting_user=operator, organization=org_a.organization, active=False)

    await database_sync_to_async(suspend)()
    assert await _receive_close(communicator) == consumers.CLOSE_SUSPENDED


async def test_logout_and_password_change_close_the_users_sockets(org_a) -> None:  # type: ignore[no-untyped-def]
    from allauth.account.signals import password_changed
    from django.contrib.auth.signals import user_logged_out

    user = org_a.users[Role.EDITOR]
    first, _, _ = await connect(user, "alpha")
    await database_sync_to_async(user_logged_out.send)(sender=type(user), request=None, user=user)
    assert await _receive_close(first) == consumers.CLOSE_SIGNED_OUT
    second, _, _ = await connect(user, "alpha")

    def change_password() -> None:
        # As allauth sends it: with the request (its user sessions record the new session).
        from importlib import import_module

        from django.conf import settings
        from django.test import RequestFactory

        request = RequestFactory().post("/accounts/password/change/")
        request.user = user
        request.session = import_module(settings.SESSION_ENGINE).SessionStore()
        request.session.create()
        password_changed.send(sender=type(user), request=request, user=user)

    await database_sync_to_async(change_password)()
    assert await _receive_close(second) == consumers.CLOSE_SIGNED_OUT


async def test_presence_counts_tabs_and_reconnects(org_a) -> None:  # type: ignore[no-untyped-def]
    from dashboards.presence import online_user_ids

    user = org_a.users[Role.MEMBER]
    tab1, _, _ = await connect(user, "alpha")
    tab2, _, _ = await connect(user, "alpha")
    online = await database_sync_to_async(online_user_ids)(org_a.organization.pk)
    assert user.pk in online
    await tab1.disconnect()
    online = await database_sync_to_async(online_user_ids)(org_a.organization.pk)
    assert user.pk in online  # still there in the second tab
    await tab2.disconnect()
    online = await database_sync_to_async(online_user_ids)(org_a.organization.pk)
    assert user.pk not in online


async def test_channel_layer_messages_skip_the_database_hop(org_a, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """live.* handlers touch no database, so they skip Channels' aclose_old_connections
    (a thread hop per message and socket); websocket events still get it."""
    import channels.consumer

    hops: list[int] = []
    original = channels.consumer.aclose_old_connections

    async def counting() -> None:
        hops.append(1)
        await original()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counting)
    communicator, connected, _ = await connect(org_a.users[Role.MEMBER], "alpha")
    assert connected
    after_connect = len(hops)
    assert after_connect >= 1  # websocket.connect went through Channels' dispatch
    for number in range(3):
        await database_sync_to_async(publish)(
            Event.DOCUMENT_DELETED,
            organization_id=org_a.organization.pk,
            context={
                "item": {"pk": number, "name": "", "icon": "file", "sentence": f"doc-{number}"}
            },
        )
        await _receive_until(communicator, f"doc-{number}")
    assert len(hops) == after_connect
    await communicator.disconnect()


async def test_layer_lost_closes_with_try_again_later(org_a) -> None:  # type: ignore[no-untyped-def]
    from channels.layers import get_channel_layer

    from config.channel_layers import LAYER_LOST

    communicator, connected, _ = await connect(org_a.users[Role.MEMBER], "alpha")
    assert connected
    # What the layer puts into every local channel when its Redis connection fails.
    layer = get_channel_layer()
    channels = list(layer._get_layer().channels)
    for channel in channels:
        await layer.send(channel, LAYER_LOST)
    assert await _receive_close(communicator) == consumers.CLOSE_TRY_AGAIN_LATER
    # Events and another notice can still arrive before the disconnect comes back: they
    # are dropped, not sent on a closed socket (the server would refuse, and the consumer
    # would die before its clean-up).
    for channel in channels:
        await layer.send(channel, {"type": "live.event", "html": "<p>late</p>"})
        await layer.send(channel, LAYER_LOST)
    await asyncio.sleep(0.3)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.send_input({"type": "websocket.disconnect", "code": 1013})
    await communicator.wait(timeout=5)  # re-raises anything the consumer raised


async def test_a_document_event_and_its_figures_travel_in_one_frame(org_a) -> None:  # type: ignore[no-untyped-def]
    from dashboards.receivers import _fresh_metrics

    communicator, _, _ = await connect(org_a.users[Role.MEMBER], "alpha")
    riders = await database_sync_to_async(_fresh_metrics)(org_a.organization.pk)
    await database_sync_to_async(publish)(
        Event.DOCUMENT_DELETED,
        organization_id=org_a.organization.pk,
        context={"item": {"pk": 1, "name": "", "icon": "file", "sentence": "one-frame"}},
        also=riders,
    )
    frame = await _receive_until(communicator, "one-frame")
    assert 'hx-swap-oob="afterbegin"' in frame  # the activity item
    assert 'id="org-metrics" aria-label="Figures" hx-swap-oob="true"' in frame
    await communicator.disconnect()


def test_a_rider_never_widens_its_audience(org_a) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="narrower audience"):
        publish(
            Event.DOCUMENT_DELETED,
            organization_id=org_a.organization.pk,
            context={"item": None},
            also=((Event.TASK_PROGRESS, {"task_id": "t", "label": "x", "percent": 1}),),
        )


async def test_pushed_activity_shows_times_in_each_readers_time_zone(org_a) -> None:  # type: ignore[no-untyped-def]
    """An event is rendered once (here in a New York actor's request) and every reader
    gets its exact times in their own zone, as their page shows them after a reload."""
    import re
    import zoneinfo
    from datetime import datetime

    from django.utils import timezone

    from accounts.services import profile_update
    from ui.templatetags.ui import exact_time

    tokyo = org_a.users[Role.MEMBER]
    await database_sync_to_async(profile_update)(
        acting_user=tokyo, display_name="", default_organization=None, time_zone="Asia/Tokyo"
    )
    in_tokyo, _, _ = await connect(tokyo, "alpha")
    in_utc, _, _ = await connect(org_a.users[Role.VIEWER], "alpha")

    def publish_page() -> None:
        from dashboards.models import OrganizationPage
        from home.models import ContentPage

        with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
            root = OrganizationPage.objects.get(organization=org_a.organization)
            page = root.add_child(instance=ContentPage(title="Zoned news", slug="zoned-news"))
            page.save_revision(user=org_a.users[Role.EDITOR]).publish()

    await database_sync_to_async(publish_page)()
    for communicator, zone in ((in_tokyo, "Asia/Tokyo"), (in_utc, "UTC")):
        fragment = await _receive_until(communicator, "Zoned news")
        found = re.search(r'datetime="([^"]+)" data-relative title="([^"]*)"', fragment)
        assert found, fragment
        moment = datetime.fromisoformat(found.group(1))
        assert found.group(2) == exact_time(moment, zoneinfo.ZoneInfo(zone)), zone
        # The resync after a reconnect renders in the reader's zone too.
        await communicator.send_to(text_data=json.dumps({"action": "sync", "payload": {}}))
        state = await _receive_until(communicator, "org-metrics")
        found = re.search(r'datetime="([^"]+)" data-relative title="([^"]*)"', state)
        assert found, state
        assert found.group(2) == exact_time(
            datetime.fromisoformat(found.group(1)), zoneinfo.ZoneInfo(zone)
        )
        await communicator.disconnect()
