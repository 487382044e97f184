"""Helpers for views that answer both full-page and HTMX fragment requests."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

TOAST_EVENT = "ui:toast"
LEVELS = {"debug": "info", "info": "info", "success": "success", "warning": "warning"}


def wants_fragment(request: HttpRequest, target: str | None = None) -> bool:
    """An HTMX request that should get a fragment: not a boosted navigation, not a
    history restore (those need the whole page), and aimed at ``target`` if given."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def render_page_or_fragment(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any],
    *,
    partial: str,
    target: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``template_name``, or only its ``{% partialdef partial %}`` for an HTMX
    request aimed at ``target``. The response varies on the HTMX headers so a cache or
    the browser's back button never serves a fragment as a page."""
    name = f"{template_name}#{partial}" if wants_fragment(request, target) else template_name
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def add_trigger(response: HttpResponse, event: str, detail: Any = None) -> HttpResponse:
    """Add an event to ``HX-Trigger`` (merged with events already there)."""
    raw = response.headers.get("HX-Trigger")
    events: dict[str, Any] = {}
    if raw:
        try:
            events = json.loads(raw)
        except ValueError:
            events = {name.strip(): None for name in raw.split(",") if name.strip()}
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def toast(response: HttpResponse, message: str, level: str = "info") -> HttpResponse:
    """Show a toast after an HTMX response (``static/js/toasts.js`` listens)."""
    raw = response.headers.get("HX-Trigger")
    current = json.loads(raw).get(TOAST_EVENT) if raw and raw.startswith("{") else None
    items = current if isinstance(current, list) else ([current] if current else [])
    items.append({"message": str(message), "level": level if level in LEVELS.values() else "error"})
    return add_trigger(response, TOAST_EVENT, items)


def messages_as_toasts(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Move pending Django messages into ``HX-Trigger`` toasts: for fragment responses,
    which have no page around them to show the messages in."""
    for message in messages.get_messages(request):
        level = LEVELS.get(message.level_tag, "error")
        toast(response, str(message), level)
    return response
