"""The registry of live events: names, who may see them, and the fragment each sends.

Server-to-client messages are HTML for htmx's ws extension: each fragment carries
``hx-swap-oob`` so it lands in the element with the same id on whatever page is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.template.loader import render_to_string

from dashboards import overview_cache
from dashboards.publisher import group_send


class Event(StrEnum):
    DOCUMENT_UPLOADED = "document.uploaded"
    DOCUMENT_PROCESSED = "document.processed"
    DOCUMENT_DELETED = "document.deleted"
    MEMBER_JOINED = "member.joined"
    MEMBER_LEFT = "member.left"
    PAGE_PUBLISHED = "page.published"
    ANNOUNCEMENT_PUBLISHED = "announcement.published"
    METRICS_UPDATED = "metrics.updated"
    PRESENCE_CHANGED = "presence.changed"
    TASK_PROGRESS = "task.progress"


@dataclass(frozen=True)
class EventSpec:
    template: str
    min_role: str | None = None  # None: every member


REGISTRY: dict[Event, EventSpec] = {
    Event.DOCUMENT_UPLOADED: EventSpec("dashboards/live/document_event.html"),
    Event.DOCUMENT_PROCESSED: EventSpec("dashboards/live/document_event.html"),
    Event.DOCUMENT_DELETED: EventSpec("dashboards/live/document_event.html"),
    Event.MEMBER_JOINED: EventSpec("dashboards/live/activity_item.html"),
    Event.MEMBER_LEFT: EventSpec("dashboards/live/activity_item.html"),
    Event.PAGE_PUBLISHED: EventSpec("dashboards/live/activity_item.html"),
    Event.ANNOUNCEMENT_PUBLISHED: EventSpec("dashboards/live/announcement_event.html"),
    Event.METRICS_UPDATED: EventSpec("dashboards/live/metrics.html"),
    Event.PRESENCE_CHANGED: EventSpec("dashboards/live/presence.html"),
    Event.TASK_PROGRESS: EventSpec("dashboards/live/task_progress.html", min_role="admin"),
}


# What the overview's cached panels do not show (presence is read on every load; the
# background jobs are not a cached panel).
UNCACHED_EVENTS = frozenset({Event.PRESENCE_CHANGED, Event.TASK_PROGRESS})


def org_group(organization_id: int) -> str:
    return f"live.org.{organization_id}"


def user_group(user_id: int) -> str:
    return f"live.user.{user_id}"


def render_event(event: Event, context: dict[str, Any]) -> str:
    return render_to_string(REGISTRY[event].template, {"event": event.value, **context})


def publish(
    event: Event,
    *,
    organization_id: int,
    context: dict[str, Any],
    min_role: str | None = None,
    also: tuple[tuple[Event, dict[str, Any]], ...] = (),
) -> bool:
    """Render ``event`` (plus any ``also`` events) and send it to the organization.

    ``also`` rides in the same frame: htmx's ws extension swaps every out-of-band element
    of a message, so a document event and the figures it changes cost one frame per
    socket instead of two (a broadcast's cost grows with frames x sockets).
    """
    spec = REGISTRY[event]
    audience = min_role or spec.min_role
    if event not in UNCACHED_EVENTS:
        # Callers publish after the commit: the overview's cached panels are out of date.
        overview_cache.bump(organization_id)
    parts = [render_event(event, {"organization_id": organization_id, **context})]
    for extra, extra_context in also:
        if REGISTRY[extra].min_role not in (None, audience):
            # A rider must not reach people its own event is hidden from.
            raise ValueError(f"{extra} is for a narrower audience than {event}")
        parts.append(render_event(extra, {"organization_id": organization_id, **extra_context}))
    return group_send(
        org_group(organization_id),
        {
            "type": "live.event",
            "event": event.value,
            "html": "\n".join(parts),
            "min_role": audience,
        },
    )


def close_user_sockets(user_id: int, *, code: int, organization_id: int | None = None) -> bool:
    """Ask every socket of ``user_id`` (of one organization, or all) to close."""
    return group_send(
        user_group(user_id),
        {"type": "live.close", "code": code, "organization_id": organization_id},
    )


def close_organization_sockets(organization_id: int, *, code: int) -> bool:
    return group_send(
        org_group(organization_id),
        {"type": "live.close", "code": code, "organization_id": organization_id},
    )
