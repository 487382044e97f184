"""A websocket consumer for tests only: a round trip through the channel layer, mounted
in an ASGI app built like the production one (same origin check and session auth)."""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TRY_AGAIN_LATER = 1013


class PingConsumer(AsyncJsonWebsocketConsumer):
    """Answers ``{"type": "ping"}`` with ``pong`` through a per-connection group, so a
    passing test shows that the channel layer carries messages, not only the socket."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group_name = f"ping.user.{user.pk}"
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.send_json({"type": "error", "message": 'expected {"type": "ping"}'})
            return
        await self.channel_layer.group_send(self.group_name, {"type": "pong.message"})

    async def pong_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "pong", "user": self.scope["user"].pk})

    async def layer_lost(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_TRY_AGAIN_LATER)


def ping_application() -> Any:
    return OriginValidator(
        AuthMiddlewareStack(URLRouter([path("ws/ping/", PingConsumer.as_asgi())])),
        settings.WEBSOCKET_ALLOWED_ORIGINS,
    )
