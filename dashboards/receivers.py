"""Turn domain signals into live events and socket closures.

Every receiver runs after the write has committed (the services send these signals from
``transaction.on_commit``); failures to reach the channel layer are logged, never raised.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from wagtail.signals import task_submitted

from dashboards import consumers
from dashboards.events import (
    Event,
    close_organization_sockets,
    close_user_sockets,
    publish,
    user_group,
)
from dashboards.publisher import group_send
from organizations.services import membership_changed, organization_changed
from secure_documents.services import document_deleted, document_processed, document_uploaded


def _latest(organization_id: int, action: str, target_id: Any) -> Any:
    """The newest audit event of ``action`` on the target, worded for the feed."""
    from dashboards.feed import describe
    from organizations.models import AuditEvent

    event = (
        AuditEvent.objects.filter(
            organization_id=organization_id, action=action, target_id=str(target_id)
        )
        .select_related("actor__profile")
        .order_by("-created_at", "-pk")
        .first()
    )
    return describe([event], group=False)[0] if event is not None else None


def _worded(event: Any) -> Any:
    from dashboards.feed import describe

    return describe([event], group=False)[0]


def _document_event(event: Event, action: str, document_id: int, organization_id: int) -> None:
    from dashboards.selectors import recent_documents
    from secure_documents.models import SecureDocument

    document = SecureDocument.objects.filter(pk=document_id).first()
    item = _latest(organization_id, action, document_id)
    figures = _figures(organization_id)
    publish(
        event,
        organization_id=organization_id,
        context={
            "item": item,
            "document": document,
            "documents": recent_documents(organization_id),
            "storage": _storage(figures),
        },
        also=_fresh_metrics(organization_id, figures),
        min_role=_audience(item),
    )


def _audience(item: Any) -> str | None:
    """An event about an object with a role ceiling (an export) reaches those roles only."""
    return (getattr(item, "min_role", "") or None) if item is not None else None


def _figures(organization_id: int) -> dict[str, Any]:
    from dashboards.selectors import metrics

    return metrics(organization_id)


def _storage(figures: dict[str, Any]) -> dict[str, Any]:
    """The documents library's storage bar (secure_documents/_storage.html)."""
    return {
        "used": figures["storage_used"],
        "quota": figures["storage_quota"],
        "percent": figures["storage_percent"],
    }


def _fresh_metrics(
    organization_id: int, figures: dict[str, Any] | None = None
) -> tuple[tuple[Event, dict[str, Any]], ...]:
    figures = figures if figures is not None else _figures(organization_id)
    return ((Event.METRICS_UPDATED, {"metrics": figures, "oob": True}),)


@receiver(document_uploaded, dispatch_uid="dashboards.document_uploaded")
def on_document_uploaded(document_id: int, organization_id: int, **_: Any) -> None:
    _document_event(Event.DOCUMENT_UPLOADED, "document.uploaded", document_id, organization_id)


@receiver(document_processed, dispatch_uid="dashboards.document_processed")
def on_document_processed(document_id: int, organization_id: int, status: str, **_: Any) -> None:
    _document_event(Event.DOCUMENT_PROCESSED, f"document.{status}", document_id, organization_id)
    if status == "rejected":
        _notify_rejected(document_id, organization_id)


def _notify_rejected(document_id: int, organization_id: int) -> None:
    from django.urls import reverse

    from dashboards.models import NotificationKind
    from dashboards.notifications import notify
    from secure_documents.models import SecureDocument

    document = SecureDocument.objects.filter(pk=document_id).select_related("organization").first()
    if document is None or document.uploaded_by_user_id is None:
        return
    reason = document.status_reason or "it did not pass the checks"
    notify(
        user_ids=[document.uploaded_by_user_id],
        organization_id=organization_id,
        kind=NotificationKind.DOCUMENT_REJECTED,
        text=f"{document.title} was rejected: {reason}",
        url=reverse("secure_documents:library", kwargs={"org_slug": document.organization.slug}),
    )


@receiver(document_deleted, dispatch_uid="dashboards.document_deleted")
def on_document_deleted(document_id: int, organization_id: int, **_: Any) -> None:
    from dashboards.selectors import recent_documents

    item = _latest(organization_id, "document.deleted", document_id)
    figures = _figures(organization_id)
    publish(
        Event.DOCUMENT_DELETED,
        organization_id=organization_id,
        context={
            "item": item,
            "documents": recent_documents(organization_id),
            "storage": _storage(figures),
        },
        also=_fresh_metrics(organization_id, figures),
        min_role=_audience(item),
    )


@receiver(membership_changed, dispatch_uid="dashboards.membership_changed")
def on_membership_changed(
    membership_id: int, organization_id: int, user_id: int, change: str, **_: Any
) -> None:
    from organizations.models import Membership

    if change in {"removed", "left"}:
        close_user_sockets(
            user_id, code=consumers.CLOSE_MEMBERSHIP_ENDED, organization_id=organization_id
        )
    elif change == "role_changed":
        membership = (
            Membership.objects.filter(pk=membership_id).select_related("organization").first()
        )
        role = membership.role if membership is not None else None
        if membership is not None:
            _notify_role(membership)
        if role:
            group_send(
                user_group(user_id),
                {"type": "live.role", "organization_id": organization_id, "role": role},
            )
        return
    action = {"joined": "membership.joined", "removed": "membership.removed"}.get(
        change, "membership.left"
    )
    item = _latest(organization_id, action, membership_id)
    event = Event.MEMBER_JOINED if change == "joined" else Event.MEMBER_LEFT
    publish(
        event,
        organization_id=organization_id,
        context={"item": item},
        also=_fresh_metrics(organization_id),
    )


def _notify_role(membership: Any) -> None:
    from dashboards.models import NotificationKind
    from dashboards.notifications import notify

    organization = membership.organization
    notify(
        user_ids=[membership.user_id],
        organization_id=organization.pk,
        kind=NotificationKind.ROLE_CHANGED,
        text=f"You are now {_article(membership.get_role_display())} in {organization.name}.",
        url=organization.get_absolute_url(),
    )


def _article(role: str) -> str:
    word = role.lower()
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


@receiver(organization_changed, dispatch_uid="dashboards.organization_changed")
def on_organization_changed(organization_id: int, change: str, **_: Any) -> None:
    if change == "suspended":
        close_organization_sockets(organization_id, code=consumers.CLOSE_SUSPENDED)


@receiver(user_logged_out, dispatch_uid="dashboards.user_logged_out")
def on_logged_out(user: Any = None, **_: Any) -> None:
    if user is not None:
        close_user_sockets(user.pk, code=consumers.CLOSE_SIGNED_OUT)


def _on_password_changed(user: Any = None, **_: Any) -> None:
    if user is not None:
        close_user_sockets(user.pk, code=consumers.CLOSE_SIGNED_OUT)


def connect_password_signals() -> None:
    from allauth.account.signals import password_changed, password_reset, password_set

    for signal in (password_changed, password_reset, password_set):
        signal.connect(_on_password_changed, dispatch_uid=f"dashboards.{id(signal)}")


def _on_announcement_published(sender: Any, instance: Any, revision: Any = None, **_: Any) -> None:
    """Publishing an announcement pushes it to connected members of its audience."""
    from django.db import transaction

    from organizations.audit import audit_record

    organization_id = instance.organization_id
    item = audit_record(
        action="announcement.published",
        actor=getattr(revision, "user", None),
        organization=organization_id,
        target=instance,
        details={"audience": instance.min_role or "all"},
    )
    if not instance.is_current_now():
        return
    _notify_announcement(instance, getattr(revision, "user", None))
    minimum = instance.min_role or None
    transaction.on_commit(
        lambda: publish(
            Event.ANNOUNCEMENT_PUBLISHED,
            organization_id=organization_id,
            context={"announcement": instance, "item": _worded(item)},
            min_role=minimum,
        )
    )


def _notify_announcement(announcement: Any, author: Any) -> None:
    """Everyone whose role the announcement is for, except its author."""
    from dashboards.models import NotificationKind
    from dashboards.notifications import notify
    from organizations.access import reaches
    from organizations.models import Membership, Organization
    from organizations.roles import RANK

    roles = [role for role in RANK if reaches(role, announcement.min_role)]
    people = Membership.objects.filter(organization_id=announcement.organization_id, role__in=roles)
    if getattr(author, "pk", None) is not None:
        people = people.exclude(user_id=author.pk)
    organization = Organization.objects.get(pk=announcement.organization_id)
    notify(
        user_ids=people.values_list("user_id", flat=True),
        organization_id=organization.pk,
        kind=NotificationKind.ANNOUNCEMENT,
        text=f"{organization.name}: {announcement.title}",
        url=organization.get_absolute_url(),
    )


def _on_page_published(sender: Any, instance: Any, revision: Any = None, **_: Any) -> None:
    from django.db import transaction

    from dashboards.models import OrganizationPage
    from organizations.audit import audit_record

    root = OrganizationPage.objects.ancestor_of(instance, inclusive=True).first()
    if root is None:
        return
    organization_id = root.organization_id
    item = audit_record(
        action="page.published",
        actor=getattr(revision, "user", None),
        organization=organization_id,
        target=instance,
        details={"url_path": instance.url_path},
    )
    transaction.on_commit(
        lambda: publish(
            Event.PAGE_PUBLISHED, organization_id=organization_id, context={"item": _worded(item)}
        )
    )


def connect_wagtail_signals() -> None:
    from wagtail.signals import page_published, published

    from dashboards.models import Announcement

    published.connect(
        _on_announcement_published, sender=Announcement, dispatch_uid="dashboards.announcement"
    )
    page_published.connect(_on_page_published, dispatch_uid="dashboards.page_published")


@receiver(task_submitted, dispatch_uid="dashboards.review_requested")
def review_requested(sender: Any, instance: Any, user: Any = None, **kwargs: Any) -> None:
    """A page was submitted to an organization's workflow: its approvers (the
    organization's admins and owners) find it in their inbox, beside Wagtail's own email
    to the task's groups. Only for the organizations' own workflows."""
    from django.urls import reverse

    from dashboards.models import NotificationKind
    from dashboards.notifications import notify
    from organizations.models import Membership, Organization
    from organizations.provisioning import APPROVER_ROLES

    workflow_state = instance.workflow_state
    organization = Organization.objects.filter(workflow_id=workflow_state.workflow_id).first()
    if organization is None:
        return
    page = workflow_state.content_object
    reviewers = Membership.objects.filter(
        organization=organization, role__in=APPROVER_ROLES
    ).values_list("user_id", flat=True)
    if getattr(user, "pk", None) is not None:
        reviewers = reviewers.exclude(user_id=user.pk)  # not the person who submitted
    who = _display_name(user)
    title = getattr(page, "draft_title", None) or str(page)
    notify(
        user_ids=list(reviewers),
        organization_id=organization.pk,
        kind=NotificationKind.REVIEW_REQUESTED,
        text=f"{who} asked for approval of {title}.",
        url=reverse("wagtailadmin_pages:edit", args=[page.pk]),
    )


def _display_name(user: Any) -> str:
    if user is None:
        return "Someone"
    profile = getattr(user, "profile", None)
    name = getattr(profile, "display_name", "") if profile is not None else ""
    return str(name or user.get_full_name() or user.email)
