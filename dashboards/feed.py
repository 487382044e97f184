"""The activity feed as people read it: one sentence per kind of event ("Ana uploaded
Handbook.pdf", "Dana joined as editor"), the person's display name and initials, a link
to the object when the reader may open it, and repeated events grouped.

Which events a reader sees is decided before this module (``selectors.activity`` filters
by the access rule's role ceiling); this module only words them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString

from organizations.roles import Role
from secure_images.avatars import avatar_url
from ui.templatetags.ui import initials

# Consecutive events of one person and kind within this window read as one line.
GROUP_WINDOW = timedelta(hours=1)
GROUPED_ACTIONS = frozenset({"document.uploaded", "document.deleted", "page.published"})
ROLE_NAMES = dict(Role.choices)


@dataclass
class FeedItem:
    pk: int
    action: str
    created_at: datetime
    name: str  # who the sentence is about ("" for the system)
    initials: str
    avatar: str  # their protected picture's URL, or "" (initials)
    sentence: SafeString
    icon: str
    more: int = 0
    min_role: str = ""  # the event's role ceiling: live pushes go to those roles only
    grouped_ids: list[int] = field(default_factory=list)


def display_name(user: Any) -> str:
    if user is None:
        return ""
    profile = getattr(user, "profile", None)
    if profile is not None:
        return profile.name
    return user.get_full_name()


def _people_by_email(events: list[Any]) -> dict[str, Any]:
    """The people named in membership events (the one who joined or left), by email."""
    from django.contrib.auth import get_user_model

    emails = {
        str(event.details.get("user"))
        for event in events
        if event.action.startswith("membership.") and event.details.get("user")
    }
    if not emails:
        return {}
    users = get_user_model().objects.filter(email__in=emails).select_related("profile")
    return {user.email: user for user in users}


def _links(events: list[Any]) -> dict[tuple[str, str], str]:
    """Links to the objects that still exist: documents (the serve view checks access
    again on download) and live pages."""
    from wagtail.models import Page

    from secure_documents.models import SecureDocument

    document_ids = [
        int(event.target_id)
        for event in events
        if event.action.startswith("document.")
        and event.action != "document.deleted"
        and event.target_id.isdigit()
    ]
    page_ids = [
        int(event.target_id)
        for event in events
        if event.action == "page.published" and event.target_id.isdigit()
    ]
    links: dict[tuple[str, str], str] = {}
    if document_ids:
        for document in SecureDocument.objects.filter(pk__in=document_ids).only("id", "file"):
            links[("document", str(document.pk))] = document.url
    if page_ids:
        for page in Page.objects.filter(pk__in=page_ids).live():
            url = page.get_url()
            if url:
                links[("page", str(page.pk))] = url
    return links


def _object(event: Any, links: dict[tuple[str, str], str]) -> SafeString:
    kind = "page" if event.action == "page.published" else "document"
    name = event.target_repr or event.details.get("name") or "a document"
    url = links.get((kind, event.target_id))
    if url:
        return format_html('<a href="{}">{}</a>', url, name)
    return format_html("<strong>{}</strong>", name)


def _sentence(event: Any, actor: str, subject: str, obj: SafeString) -> tuple[SafeString, str]:
    """The sentence (HTML) and an icon name for one event."""
    action = event.action
    details = event.details or {}
    someone = actor or "Someone"
    if action == "document.uploaded":
        if not actor:
            return format_html("{} was added", obj), "upload"
        return format_html("<strong>{}</strong> uploaded {}", actor, obj), "upload"
    if action == "document.clean":
        if details.get("scanned"):
            return format_html("{} was scanned and is clean", obj), "shield"
        return format_html("{} is ready (not scanned for viruses)", obj), "check"
    if action == "document.rejected":
        reason = details.get("reason") or "it did not pass the checks"
        return format_html("{} was rejected: {}", obj, reason), "warning"
    if action == "document.failed":
        return format_html("{} could not be processed", obj), "error"
    if action == "document.deleted":
        return format_html("<strong>{}</strong> deleted {}", someone, obj), "file"
    if action == "membership.joined":
        role = ROLE_NAMES.get(details.get("role", ""), "member").lower()
        article = "an" if role[:1] in "aeiou" else "a"
        return format_html("<strong>{}</strong> joined as {} {}", subject, article, role), "users"
    if action == "membership.left":
        return format_html("<strong>{}</strong> left the organization", subject), "logout"
    if action == "membership.removed":
        return format_html("<strong>{}</strong> removed {}", someone, subject), "users"
    if action == "page.published":
        if not actor:
            return format_html("{} was published", obj), "edit"
        return format_html("<strong>{}</strong> published {}", actor, obj), "edit"
    if action == "announcement.published":
        title = event.target_repr or "an announcement"
        if not actor:
            return format_html("New announcement: “{}”", title), "bell"
        return format_html("<strong>{}</strong> posted “{}”", actor, title), "bell"
    return format_html("{}", action.replace(".", " ").replace("_", " ")), "activity"


def describe(events: Iterable[Any], *, group: bool = True) -> list[FeedItem]:
    """Feed items for audit events (newest first), with their actors loaded."""
    events = list(events)
    people = _people_by_email(events)
    links = _links(events)
    items: list[FeedItem] = []
    for event in events:
        actor = display_name(event.actor)
        subject_user = people.get(str(event.details.get("user", "")))
        subject = display_name(subject_user) or str(event.details.get("user") or "Someone")
        about = subject if event.action.startswith("membership.") and not actor else actor
        about_user = (
            subject_user if event.action.startswith("membership.") and not actor else event.actor
        )
        if event.action in {"membership.joined", "membership.left"}:
            about, about_user = subject, subject_user
        sentence, icon = _sentence(event, actor, subject, _object(event, links))
        previous = items[-1] if items and group else None
        if (
            previous is not None
            and event.action in GROUPED_ACTIONS
            and previous.action == event.action
            and previous.name == about
            and previous.created_at - event.created_at <= GROUP_WINDOW
        ):
            previous.more += 1
            previous.grouped_ids.append(event.pk)
            continue
        items.append(
            FeedItem(
                pk=event.pk,
                action=event.action,
                created_at=event.created_at,
                name=about,
                initials=initials(about) if about else "",
                avatar=avatar_url(about_user, 28) if about else "",
                sentence=sentence,
                icon=icon,
                min_role=event.min_role,
            )
        )
    return items
