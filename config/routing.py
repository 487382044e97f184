"""Websocket URL routes for every app, collected in one place."""

from __future__ import annotations

from django.urls import path

from dashboards.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
