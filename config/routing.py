"""Websocket URL routes for every app, collected in one place."""

from __future__ import annotations

from django.urls import path

from config.log_context import WebsocketLogMiddleware
from dashboards.consumers import LiveConsumer

# Each socket's log lines name its request id, user and organization (config/log_context.py).
websocket_urlpatterns = [
    path("ws/live/", WebsocketLogMiddleware(LiveConsumer.as_asgi())),
]
