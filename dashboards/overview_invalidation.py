"""What moves an organization's overview generation on (dashboards/overview_cache.py).

The live events already fan every change out per organization (``events.publish``
moves the generation too), but not everything the overview shows sends one: a quick
link, a quota, an announcement that is scheduled or withdrawn, an invitation (the first
steps), a person's name or picture in the feed, a draft of the organization page. So
the rows the overview reads move it themselves when they are written or deleted: each
carries its organization, so this costs no query, only a cache increment per write (and
one more after the commit).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from dashboards import overview_cache

# A person's fields that the feed shows (their name and picture).
PERSON_FIELDS = frozenset({"display_name", "avatar_key"})


def _organization_row(sender: Any, instance: Any, **_: Any) -> None:
    overview_cache.invalidate([getattr(instance, "organization_id", None)])


def _organization(sender: Any, instance: Any, **_: Any) -> None:
    overview_cache.invalidate([instance.pk])


def _audit_event(sender: Any, instance: Any, created: bool = False, **_: Any) -> None:
    from dashboards.selectors import ACTIVITY_ACTIONS

    # Downloads and the like are audited too: only what the feed and the chart count.
    if instance.action in ACTIVITY_ACTIONS:
        overview_cache.invalidate([instance.organization_id])


def _profile(sender: Any, instance: Any, update_fields: Any = None, **_: Any) -> None:
    if update_fields is not None and not PERSON_FIELDS & set(update_fields):
        return  # a theme or a default organization: nothing the overview shows
    user_id = instance.user_id

    def every_organization() -> None:
        from organizations.models import Membership

        overview_cache.invalidate(
            Membership.objects.filter(user_id=user_id).values_list("organization_id", flat=True)
        )

    # After the commit only: no query inside the person's own transaction.
    transaction.on_commit(every_organization)


def _page_gone(sender: Any, instance: Any, **_: Any) -> None:
    """An unpublished or deleted page: the page count and the feed's links."""
    from dashboards.models import OrganizationPage

    organization_id = getattr(instance, "organization_id", None)
    if organization_id is None and getattr(instance, "depth", 0) > 1:
        root = OrganizationPage.objects.ancestor_of(instance, inclusive=True).first()
        organization_id = root.organization_id if root is not None else None
    overview_cache.invalidate([organization_id])


def connect() -> None:
    from wagtail.models import Page
    from wagtail.signals import page_unpublished, unpublished

    from accounts.models import Profile
    from dashboards.models import Announcement, OrganizationPage, QuickLink
    from organizations.models import AuditEvent, Invitation, Membership, Organization
    from secure_documents.models import SecureDocument

    # The organization page: its published panels and whether it has a draft.
    models = (Announcement, QuickLink, Membership, Invitation, SecureDocument, OrganizationPage)
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(
                _organization_row, sender=model, dispatch_uid=f"overview.{model.__name__}"
            )
    post_save.connect(_organization, sender=Organization, dispatch_uid="overview.organization")
    post_save.connect(_audit_event, sender=AuditEvent, dispatch_uid="overview.audit_event")
    post_save.connect(_profile, sender=Profile, dispatch_uid="overview.profile")
    unpublished.connect(
        _organization_row, sender=Announcement, dispatch_uid="overview.announcement_unpublished"
    )
    page_unpublished.connect(_page_gone, dispatch_uid="overview.page_unpublished")
    post_delete.connect(_page_gone, sender=Page, dispatch_uid="overview.page_deleted")
