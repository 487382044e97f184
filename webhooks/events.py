"""The events an endpoint can subscribe to, and which audit actions they come from.

Every write the platform makes is recorded in the audit log inside its own transaction
(organizations/audit.py), so the audit log is the one place where "something happened"
is already said, with the organization, the object and the time. Webhooks listen there
(Django's ``post_save`` on ``AuditEvent``) instead of asking the core and the feature
apps to call them: the core keeps importing nothing above it.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    DOCUMENT_UPLOADED = "document.uploaded"
    DOCUMENT_PROCESSED = "document.processed"
    MEMBER_JOINED = "member.joined"
    MEMBER_REMOVED = "member.removed"
    PAGE_PUBLISHED = "page.published"
    ANNOUNCEMENT_PUBLISHED = "announcement.published"
    # Sent on request from the endpoint's screen only; never subscribed to.
    TEST = "webhook.test"


# Audit action -> event type.
FROM_AUDIT: dict[str, EventType] = {
    "document.uploaded": EventType.DOCUMENT_UPLOADED,
    "document.clean": EventType.DOCUMENT_PROCESSED,
    "document.rejected": EventType.DOCUMENT_PROCESSED,
    "document.failed": EventType.DOCUMENT_PROCESSED,
    "membership.joined": EventType.MEMBER_JOINED,
    "membership.removed": EventType.MEMBER_REMOVED,
    "membership.left": EventType.MEMBER_REMOVED,
    "page.published": EventType.PAGE_PUBLISHED,
    "announcement.published": EventType.ANNOUNCEMENT_PUBLISHED,
}

SUBSCRIBABLE: list[tuple[str, str]] = [
    (EventType.DOCUMENT_UPLOADED, "A document was uploaded"),
    (EventType.DOCUMENT_PROCESSED, "A document was checked (clean, rejected or failed)"),
    (EventType.MEMBER_JOINED, "Someone joined the organization"),
    (EventType.MEMBER_REMOVED, "Someone was removed or left"),
    (EventType.PAGE_PUBLISHED, "A page was published"),
    (EventType.ANNOUNCEMENT_PUBLISHED, "An announcement was published"),
]
