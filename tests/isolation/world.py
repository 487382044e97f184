"""The marker sweep's world: organization A with a unique marker in every text field,
organization B, and the people who must not see A's markers (or some of them).

Markers come in three classes by who may read them:

- ``PUB``: any member of A (published pages, plain documents, people, announcements for
  everyone, quick links, the organization's name);
- ``EDT``: A's editors and above (drafts, unpublished pages, revision and comment text,
  tags, images not placed on a page);
- ``ADM``: A's admins and owners (documents and announcements for admins, invitations,
  the audit trail of those).

Each persona has the classes it must never see. Markers look like ``QZPUB0007X``:
letters and digits only, so no escaping or slugging changes them, and the sweep
finds them case-insensitively.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from taggit.models import Tag
from wagtail.images import get_image_model
from wagtail.models import Comment, Page, TaskState, WorkflowState

from dashboards.models import Announcement, OrganizationPage, QuickLink
from home.models import ContentPage
from organizations.audit import audit_record
from organizations.models import AuditEvent, Invitation, Membership, Organization
from organizations.roles import Role
from organizations.services import (
    membership_add,
    organization_create,
    organization_set_moderation,
)
from secure_documents.models import ProcessingStatus, SecureDocument
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

PUB, EDT, ADM = "PUB", "EDT", "ADM"
MARKER = re.compile(r"QZ(PUB|EDT|ADM)\d{4}X", re.IGNORECASE)
# Words that occur in A's texts next to the markers, for searches that must find
# nothing of A (a search for the marker itself would echo it back).
SEARCH_WORDS = ("Quarterly", "Handbook", "Roadmap")


class Markers:
    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.planted: dict[str, str] = {}  # marker -> where

    def new(self, kind: str, where: str) -> str:
        marker = f"QZ{kind}{next(self._counter):04d}X"
        self.planted[marker] = where
        return marker


@dataclass(frozen=True)
class Persona:
    name: str
    user: Any  # None: anonymous
    forbidden: frozenset[str]  # marker classes this person must never see


@dataclass
class World:
    a: Organization
    b: Organization
    markers: Markers
    people_a: dict[str, Any]
    people_b: dict[str, Any]
    both: Any
    ids: dict[str, list[Any]] = field(default_factory=dict)

    @staticmethod
    def persona_names() -> list[Persona]:
        return World(*([None] * 6)).personas()  # type: ignore[arg-type]

    def personas(self) -> list[Persona]:
        everything = frozenset({PUB, EDT, ADM})
        below_editor = frozenset({EDT, ADM})
        return [
            Persona("anonymous", None, everything),
            *(
                Persona(f"B {role}", (self.people_b or {}).get(role), everything)
                for role in Role.values
            ),
            Persona("A viewer who is B's admin", self.both, below_editor),
            Persona("A viewer", (self.people_a or {}).get(Role.VIEWER), below_editor),
            Persona("A member", (self.people_a or {}).get(Role.MEMBER), below_editor),
            Persona("A editor", (self.people_a or {}).get(Role.EDITOR), frozenset({ADM})),
        ]


def _png(name: str) -> ImageFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return ImageFile(io.BytesIO(buffer.getvalue()), name=name)


def _person(markers: Markers | None, role: str, org_slug: str) -> Any:
    """Someone with a marked name and email (A), or an ordinary one (B)."""
    if markers is None:
        return get_user_model().objects.create_user(
            email=f"{role}@{org_slug}.example", password="x", first_name="Bea", last_name=role
        )
    first = markers.new(PUB, f"first name of A's {role}")
    last = markers.new(PUB, f"last name of A's {role}")
    email = f"{markers.new(PUB, f'email of A s {role}').lower()}@alpha.example"
    return get_user_model().objects.create_user(
        email=email, password="x", first_name=first, last_name=last
    )


def _organization(markers: Markers | None, name: str, slug: str) -> tuple[Organization, dict]:
    owner = _person(markers, Role.OWNER, slug)
    label = f"{name} {markers.new(PUB, 'organization name')}" if markers else name
    organization = organization_create(acting_user=owner, name=label, slug=slug)
    people = {Role.OWNER: owner}
    for role in Role.values:
        if role == Role.OWNER:
            continue
        person = _person(markers, role, slug)
        membership_add(acting_user=owner, organization=organization, user=person, role=role)
        people[role] = person
    return organization, people


def _document(
    organization: Organization,
    author: Any,
    title: str,
    filename: str,
    *,
    min_role: str = "",
    text: str = "",
) -> SecureDocument:
    document = SecureDocument(
        title=title,
        organization=organization,
        collection=organization.collection,
        uploaded_by_user=author,
        status=ProcessingStatus.CLEAN,
        min_role=min_role,
        file_size=len(title),
        content_type="text/plain",
        extracted_text=text,
    )
    document.file.save(filename, ContentFile(f"contents of {title}".encode()), save=False)
    document.save()
    audit_record(
        action="document.uploaded", actor=author, organization=organization, target=document
    )
    return document


def build_world() -> World:
    markers = Markers()
    a, people_a = _organization(markers, "Alpha", "alpha")
    b, people_b = _organization(None, "Bravo", "bravo")
    # Someone in both: an admin of B and a viewer of A (an ordinary name: B sees it).
    both = get_user_model().objects.create_user(
        email="both@bravo.example", password="x", first_name="Bo", last_name="Th"
    )
    membership_add(acting_user=None, organization=b, user=both, role=Role.ADMIN)
    membership_add(acting_user=None, organization=a, user=both, role=Role.VIEWER)
    editor_a, admin_a = people_a[Role.EDITOR], people_a[Role.ADMIN]
    world = World(a, b, markers, people_a, people_b, both)

    # --- pages: published content, a draft on top, an unpublished page, a comment ------
    root = OrganizationPage.objects.get(organization=a)
    root.intro = f"Welcome {markers.new(PUB, 'root intro')}"
    root.save_revision(user=editor_a).publish()
    page = root.add_child(
        instance=ContentPage(
            title=f"Quarterly {markers.new(PUB, 'page title')}",
            slug="quarterly",
            intro=f"Intro {markers.new(PUB, 'page intro')}",
            body=[
                (
                    "heading",
                    {"text": f"Roadmap {markers.new(PUB, 'page body')}", "level": "h2"},
                )
            ],
        )
    )
    published = page.save_revision(user=editor_a)
    published.publish()
    page.title = f"Quarterly draft {markers.new(EDT, 'draft title')}"
    page.intro = f"Draft intro {markers.new(EDT, 'draft intro')}"
    draft = page.save_revision(user=editor_a)
    unpublished = root.add_child(
        instance=ContentPage(
            title=f"Handbook {markers.new(EDT, 'unpublished page title')}",
            slug="handbook",
            live=False,
        )
    )
    unpublished.save_revision(user=editor_a)
    Comment.objects.create(
        page=page,
        user=editor_a,
        text=f"Comment {markers.new(EDT, 'comment')}",
        contentpath="title",
        revision_created=draft,
    )
    page_b = OrganizationPage.objects.get(organization=b)

    # --- moderation: A's workflow (named after A) with the unpublished page waiting for
    # A's admins; B moderates too, so B's people have workflow screens of their own.
    organization_set_moderation(acting_user=people_a[Role.OWNER], organization=a, enabled=True)
    organization_set_moderation(acting_user=people_b[Role.OWNER], organization=b, enabled=True)
    a.refresh_from_db()
    workflow_state = a.workflow.start(unpublished, editor_a)  # type: ignore[union-attr]

    # --- snippets ------------------------------------------------------------------------
    everyone = Announcement(
        organization=a,
        title=f"Quarterly news {markers.new(PUB, 'announcement title')}",
        body=f"<p>{markers.new(PUB, 'announcement body')}</p>",
    )
    everyone.save()
    news_published = everyone.save_revision(user=editor_a)
    news_published.publish()
    everyone.title = f"News draft {markers.new(EDT, 'announcement draft title')}"
    news_draft = everyone.save_revision(user=editor_a)
    admins_only = Announcement(
        organization=a,
        title=f"Board {markers.new(ADM, 'admin announcement title')}",
        body=f"<p>{markers.new(ADM, 'admin announcement body')}</p>",
        min_role=Role.ADMIN,
    )
    admins_only.save()
    admins_only.save_revision(user=admin_a).publish()
    link = QuickLink.objects.create(
        organization=a,
        title=f"Handbook link {markers.new(PUB, 'quick link title')}",
        url="https://example.com/handbook",
        description=markers.new(PUB, "quick link description"),
    )

    # --- documents and images -------------------------------------------------------------
    plain = _document(
        a,
        editor_a,
        f"Quarterly report {markers.new(PUB, 'document title')}",
        f"{markers.new(PUB, 'document file name')}.txt",
        text=f"Quarterly figures {markers.new(PUB, 'document text')} and the Roadmap",
    )
    plain.tags.add(markers.new(EDT, "document tag"))
    restricted = _document(
        a,
        admin_a,
        f"Board minutes {markers.new(ADM, 'restricted document title')}",
        f"{markers.new(ADM, 'restricted document file name')}.txt",
        min_role=Role.ADMIN,
        text=f"Handbook of the board {markers.new(ADM, 'restricted document text')} Roadmap",
    )
    image = get_image_model()(
        title=f"Logo {markers.new(EDT, 'image title')}",
        collection=a.collection,
        uploaded_by_user=editor_a,
    )
    image.file = _png(f"{markers.new(EDT, 'image file name')}.png")
    image.save()
    image.tags.add(markers.new(EDT, "image tag"))
    # Its files: the original (editors only) and a rendition (members), both served by
    # the image serve view.
    image_urls = [image.file.url, image.get_rendition("max-165x165").url]

    # --- a profile picture of A's owner: only people who share A with them see it ---------
    from secure_images.avatars import avatar_upload, avatar_url

    picture = io.BytesIO()
    PILImage.new("RGB", (48, 48), (30, 90, 200)).save(picture, format="PNG")
    avatar_key = avatar_upload(
        acting_user=people_a[Role.OWNER],
        name="owner.png",
        file=io.BytesIO(picture.getvalue()),
        size=len(picture.getvalue()),
    )
    people_a[Role.OWNER].profile.refresh_from_db()
    avatar_urls = [avatar_url(people_a[Role.OWNER], size) for size in (32, 200)]

    # --- people and the audit trail -------------------------------------------------------
    invitation = Invitation.objects.create(
        organization=a,
        email=f"{markers.new(ADM, 'invitee email').lower()}@invited.example",
        role=Role.MEMBER,
        invited_by=admin_a,
        token_hash=markers.new(ADM, "invitation token hash"),
        expires_at=timezone.now() + timezone.timedelta(days=7),
    )
    audit_record(
        action="invitation.sent",
        actor=admin_a,
        organization=a,
        target=invitation,
        details={"email": invitation.email},
        min_role=Role.ADMIN,
    )

    # --- webhooks (admins only): an endpoint switched off after failures, its log ---------
    endpoint = WebhookEndpoint.objects.create(
        organization=a,
        name=f"CRM {markers.new(ADM, 'webhook name')}",
        url=f"https://hooks.example.com/{markers.new(ADM, 'webhook url')}",
        events=["member.joined", "page.published"],
        secret=f"whsec_{markers.new(ADM, 'webhook secret')}",
        is_active=False,
        disabled_at=timezone.now(),
        disabled_reason=f"Switched off {markers.new(ADM, 'webhook disabled reason')}",
        consecutive_failures=5,
    )
    delivery = WebhookDelivery.objects.create(
        organization=a,
        endpoint=endpoint,
        event_type="member.joined",
        payload=f'{{"data": "{markers.new(ADM, "webhook payload")}"}}',
        status=DeliveryStatus.FAILED,
        attempts=6,
        last_response_code=500,
        last_error=f"HTTP 500: {markers.new(ADM, 'webhook response')}",
    )

    world.ids = {
        "a_pages": [page.pk, root.pk, unpublished.pk],
        "b_pages": [page_b.pk],
        "page_revisions": [published.pk, draft.pk],
        "announcements": [everyone.pk, admins_only.pk],
        "announcement_revisions": [news_published.pk, news_draft.pk],
        "quicklinks": [link.pk],
        "documents": [plain.pk, restricted.pk],
        "document_uuids": [plain.public_id, restricted.public_id],
        "document_urls": [plain.url, restricted.url],
        "images": [image.pk],
        "image_urls": image_urls,
        "avatar_keys": [avatar_key],
        "avatar_urls": avatar_urls,
        "collections": [a.collection_id],
        "groups": list(a.role_groups.values_list("group_id", flat=True)),
        "users": [person.pk for person in people_a.values()],
        "memberships": list(Membership.objects.filter(organization=a).values_list("pk", flat=True)),
        "invitations": [invitation.pk],
        "audit_events": list(
            AuditEvent.objects.filter(organization=a).values_list("pk", flat=True)
        ),
        "tags": list(Tag.objects.filter(name__startswith="QZ").values_list("pk", flat=True)),
        "page_urls": [page.url, root.url],
        "submitted_page": [unpublished.pk],
        "workflow_states": [workflow_state.pk],
        "task_states": [workflow_state.current_task_state_id],
        "tasks": list(a.workflow.tasks.values_list("pk", flat=True)),  # type: ignore[union-attr]
        "workflows": [a.workflow_id],
        "webhook_endpoints": [endpoint.pk],
        "webhook_deliveries": [delivery.pk],
    }
    return world


def snapshot(organization: Organization) -> dict[str, Any]:
    """Everything of an organization a foreign request could change."""
    root = OrganizationPage.objects.get(organization=organization)
    pages = Page.objects.descendant_of(root, inclusive=True).order_by("path")
    return {
        "organization": list(
            Organization.objects.filter(pk=organization.pk).values_list(
                "name", "slug", "is_active", "require_mfa", "storage_quota_bytes"
            )
        ),
        "pages": list(
            pages.values_list(
                "pk", "title", "live", "locked", "path", "has_unpublished_changes", "owner_id"
            )
        ),
        "announcements": list(
            Announcement.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "title", "live", "locked", "min_role")
        ),
        "quicklinks": list(
            QuickLink.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "title", "url")
        ),
        "documents": list(
            SecureDocument.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "title", "collection_id", "min_role", "file")
        ),
        "images": list(
            get_image_model()
            .objects.filter(collection_id=organization.collection_id)
            .order_by("pk")
            .values_list("pk", "title", "collection_id")
        ),
        "memberships": list(
            Membership.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "user_id", "role")
        ),
        "invitations": list(
            Invitation.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "email", "role", "revoked_at", "accepted_at")
        ),
        "people": list(
            get_user_model()
            .objects.filter(memberships__organization=organization)
            .order_by("pk")
            .values_list("pk", "email", "first_name", "last_name", "is_active", "password")
        ),
        "comments": list(Comment.objects.filter(page__in=pages).values_list("pk", "text")),
        "moderation": [
            organization.moderation_enabled,
            list(
                WorkflowState.objects.filter(workflow_id=organization.workflow_id)
                .order_by("pk")
                .values_list("pk", "status")
            ),
            list(
                TaskState.objects.filter(workflow_state__workflow_id=organization.workflow_id)
                .order_by("pk")
                .values_list("pk", "status")
            ),
        ],
        "groups": sorted(
            organization.role_groups.values_list("group__name", "group__permissions__codename")
        ),
        "webhook_endpoints": list(
            WebhookEndpoint.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "name", "url", "events", "secret", "is_active")
        ),
        "webhook_deliveries": list(
            WebhookDelivery.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "endpoint_id", "status", "attempts")
        ),
    }
