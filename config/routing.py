"""Websocket URL routes for every app, collected in one place."""

from __future__ import annotations

from django.urls import path

from dashboards.consumers import LiveConsumer
from organizations.log_context import WebsocketLogMiddleware

# Each socket's log lines name its request id, user and organization
# (organizations/log_context.py).
websocket_urlpatterns = [
    path("ws/live/", WebsocketLogMiddleware(LiveConsumer.as_asgi())),
]
