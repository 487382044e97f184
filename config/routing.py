"""Websocket URL routes for every app, collected in one place."""

from __future__ import annotations

from django.urls import path

from config.consumers import PingConsumer
from dashboards.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/live/", LiveConsumer.as_asgi()),
]
