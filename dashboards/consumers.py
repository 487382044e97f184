"""``/ws/live/?org=<slug>``: live dashboard updates for one organization.

Refusals close with distinct codes (foreign origins never get this far: the
AllowedHostsOriginValidator rejects the handshake). Client messages are small JSON
objects ``{"action": ..., "payload": {...}}``; anything else closes the socket.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any
from urllib.parse import parse_qs

import structlog
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from config.metrics import WEBSOCKET_CLOSES, WEBSOCKET_MESSAGES, WEBSOCKETS_OPEN
from dashboards import live_times, presence
from dashboards.events import org_group, user_group
from organizations import access

logger = structlog.get_logger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_MESSAGE = 4400
CLOSE_TOO_LARGE = 4413
CLOSE_RATE_LIMITED = 4429
CLOSE_MEMBERSHIP_ENDED = 4410
CLOSE_SUSPENDED = 4423
CLOSE_SIGNED_OUT = 4001

MAX_MESSAGE_BYTES = 64 * 1024
RATE_CAPACITY = 20  # messages
RATE_REFILL_PER_SECOND = 2.0
ACTIONS = frozenset({"sync", "heartbeat"})


def _membership(user: Any, slug: str) -> tuple[int, str, str] | None:
    """The organization id, role and the person's time zone, when the access rule lets
    ``user`` view ``slug``'s organization (an organization that requires two-factor
    authentication streams nothing to a member without it, as its pages show nothing)."""
    membership = access.membership_for(user, slug=slug)
    if membership is None or not access.decide(user, membership):
        return None
    return membership.organization_id, membership.role, live_times.zone_name_for(user)


CLOSE_TRY_AGAIN_LATER = 1013


class LiveConsumer(AsyncWebsocketConsumer):
    organization_id: int | None = None
    role: str = ""
    # The reader's time zone (their profile's, else the site's): what the fragments'
    # exact times are given in, as on the page they loaded (accounts.middleware).
    zone_name: str = ""
    accepted = False
    closing = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """If the channel layer (Redis) fails, close with 1013 "try again later": the
        client's ws extension reconnects with backoff, and the new connection resyncs.
        An unhandled error would close with 1011, which clients do not retry."""
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if not _is_layer_error(exc):
                raise
            logger.warning("live_layer_unavailable", error=type(exc).__name__)
            if self.accepted:
                # The socket may already be closed (by ``layer_lost`` or by the client);
                # the server then refuses a second close, which changes nothing here.
                with contextlib.suppress(RuntimeError, OSError):
                    await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        # Once a close is sent, the server refuses anything more on this socket (it would
        # raise, and the consumer would die before its disconnect clean-up runs); events
        # and a second close can still arrive until the disconnect comes back.
        if self.closing:
            return
        self.closing = True
        await super().close(code=code, reason=reason)

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if self.closing:
            return
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channel-layer messages (``live.*``, ``layer.lost``) go straight to their handler.

        Channels' dispatch first awaits ``aclose_old_connections()``, a hop through the one
        thread-sensitive executor thread, for every message of every consumer: a broadcast
        to 1,000 sockets would make 1,000 hops in a row (measured: two thirds of the server
        CPU per broadcast). These handlers never touch the database, so they skip it; the
        websocket events (connect, receive, disconnect), which do, keep it.
        """
        kind = message.get("type", "")
        if kind.startswith("live.") or kind == "layer.lost":
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)

    # Database work goes through Channels' database_sync_to_async, which hands the
    # connection back to the pool when each call ends (plain sync_to_async leaves it
    # checked out by the executor thread until some later call closes it).

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        slug = (parse_qs(self.scope.get("query_string", b"").decode()).get("org") or [""])[0]
        found = await database_sync_to_async(_membership)(user, slug) if slug else None
        if found is None:
            # The same answer for "no such organization" and "not yours".
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = user.pk
        self.organization_id, self.role, self.zone_name = found
        self.tokens = float(RATE_CAPACITY)
        self.last_refill = time.monotonic()
        await self.channel_layer.group_add(org_group(self.organization_id), self.channel_name)
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.accept()
        self.accepted = True
        WEBSOCKETS_OPEN.inc()
        await database_sync_to_async(presence.touch)(
            self.organization_id, self.user_id, self.channel_name
        )
        # This socket always gets the list; the others only if the set of people changed.
        await self.send(
            text_data=await database_sync_to_async(_presence_html)(self.organization_id)
        )
        await database_sync_to_async(_announce_presence)(self.organization_id)

    async def disconnect(self, code: int) -> None:
        if self.organization_id is None:
            return
        WEBSOCKETS_OPEN.dec()
        WEBSOCKET_CLOSES.labels(cause=str(code)).inc()
        await self.channel_layer.group_discard(org_group(self.organization_id), self.channel_name)
        await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)
        await database_sync_to_async(presence.leave)(
            self.organization_id, self.channel_name, self.user_id
        )
        await database_sync_to_async(_announce_presence)(self.organization_id)

    def _allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(
            RATE_CAPACITY, self.tokens + (now - self.last_refill) * RATE_REFILL_PER_SECOND
        )
        self.last_refill = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.organization_id is None:  # frames reach only accepted sockets
            return
        if text_data is None:
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        if len(text_data.encode()) > MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if not self._allow():
            await self.close(code=CLOSE_RATE_LIMITED)
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        if (
            not isinstance(message, dict)
            or message.get("action") not in ACTIONS
            or not isinstance(message.get("payload", {}), dict)
        ):
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        payload = message.get("payload") or {}
        # A client may name its organization, never another one's group.
        named = payload.get("org")
        if named is not None and named != await self._own_slug():
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if message["action"] == "heartbeat":
            await database_sync_to_async(presence.touch)(
                self.organization_id, self.user_id, self.channel_name
            )
            return
        html = await database_sync_to_async(_current_state)(
            self.organization_id, self.role, self.zone_name
        )
        await self.send(text_data=html)

    async def _own_slug(self) -> str:
        from organizations.models import Organization

        return await database_sync_to_async(
            lambda: (
                Organization.objects.filter(pk=self.organization_id or 0)
                .values_list("slug", flat=True)
                .first()
                or ""
            )
        )()

    async def live_event(self, event: dict[str, Any]) -> None:
        if not access.reaches(self.role, event.get("min_role")):
            return
        # Rendered once for everyone: its exact times are given in this reader's zone.
        await self.send(text_data=live_times.localize(event["html"], self.zone_name))
        WEBSOCKET_MESSAGES.inc()

    async def live_close(self, event: dict[str, Any]) -> None:
        target = event.get("organization_id")
        if target is None or target == self.organization_id:
            await self.close(code=int(event["code"]))

    async def live_role(self, event: dict[str, Any]) -> None:
        if event.get("organization_id") == self.organization_id:
            self.role = event["role"]

    async def layer_lost(self, event: dict[str, Any]) -> None:
        """Redis went away (config/channel_layers.py): messages may have been missed, so
        the client should reconnect and resync rather than wait on a quiet socket."""
        logger.warning("live_layer_lost")
        await self.close(code=CLOSE_TRY_AGAIN_LATER)


def _is_layer_error(exc: BaseException) -> bool:
    """Errors of an unreachable Redis (layer, presence), not bugs in this code."""
    from redis.exceptions import RedisError

    return isinstance(exc, (RedisError, ConnectionError, TimeoutError))


def _presence_html(organization_id: int) -> str:
    from dashboards.events import Event, render_event
    from dashboards.selectors import online_members

    return render_event(
        Event.PRESENCE_CHANGED,
        {"organization_id": organization_id, "online": online_members(organization_id)},
    )


def _announce_presence(organization_id: int) -> None:
    """Broadcast the online list only when the set of people changed: another tab or a
    reconnect of someone already online changes nothing for the others (without this,
    every socket that opens sends the list to every open socket)."""
    from django.core.cache import cache

    from dashboards.events import Event, publish
    from dashboards.selectors import online_members
    from organizations.cache import org_cache_key

    online = online_members(organization_id)
    digest = ",".join(str(person.pk) for person in online)
    key = org_cache_key(organization_id, "presence-announced")
    if cache.get(key) == digest:
        return
    cache.set(key, digest, timeout=presence.TTL_SECONDS * 5)
    publish(Event.PRESENCE_CHANGED, organization_id=organization_id, context={"online": online})


def _current_state(organization_id: int, role: str, zone_name: str = "") -> str:
    """Every panel's fragment at once: sent on each (re)connect, since the channel
    layer delivers at most once and a client may have missed events. Rendered for this
    reader, in their time zone."""
    import zoneinfo

    from django.template.loader import render_to_string
    from django.utils import timezone

    from dashboards.selectors import dashboard_state

    zone = zoneinfo.ZoneInfo(zone_name) if zone_name else timezone.get_default_timezone()
    with timezone.override(zone):
        return render_to_string(
            "dashboards/live/state.html", dashboard_state(organization_id, role)
        )
