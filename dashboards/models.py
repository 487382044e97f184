from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Page,
    PreviewableMixin,
    RevisionMixin,
)
from wagtail.search import index

from dashboards.blocks import LivePanelsBlock, panel_context
from home.blocks import ContentStreamBlock
from organizations.access import ceilings_within
from organizations.pages import AbstractOrganizationPage
from organizations.roles import Role
from organizations.snippets import OrganizationSnippet

# What a new organization's page (and so its portal overview) shows until its editors
# change it. Migration 0010 added the chart to pages that still had the earlier default.
DEFAULT_PANELS = [
    ("announcements", {"title": ""}),
    ("quick_links", {"title": ""}),
    ("metrics", {"title": ""}),
    ("chart", {"title": ""}),
    ("documents", {"title": ""}),
    ("activity", {"title": ""}),
    ("members_online", {"title": ""}),
]


def default_panels() -> list[tuple[str, dict[str, str]]]:
    return [(name, dict(value)) for name, value in DEFAULT_PANELS]


class OrganizationPage(AbstractOrganizationPage):
    """An organization's home in the page tree (ORGANIZATION_ROOT_PAGE_MODEL); created
    and renamed only by provisioning. Its published ``panels`` are also the portal
    overview's (``/o/<slug>/``): editors change the overview by publishing this page."""

    intro = models.CharField(max_length=255, blank=True)
    body = StreamField(ContentStreamBlock(), blank=True, use_json_field=True)
    panels = StreamField(
        LivePanelsBlock(),
        blank=True,
        use_json_field=True,
        help_text=(
            "The portal overview's panels (and this page's), shown to members once the "
            "page is published; they update while the page is open."
        ),
    )
    content_panels = [FieldPanel("intro"), FieldPanel("panels"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["home.ContentPage", "dashboards.DashboardPage"]
    is_creatable = False  # only organizations.provisioning creates these

    def set_initial_content(self) -> None:
        # A new organization's page starts with the default panels. (Not a field default:
        # a callable default makes the admin form expect a hidden initial value.)
        if not self.panels:
            self.panels = default_panels()

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["live_organization"] = self.organization
        context.update(panel_context(self.organization, getattr(request, "user", None)))
        return context


class DashboardPage(Page):
    """A page of live panels that editors compose inside their organization's tree."""

    intro = models.CharField(max_length=255, blank=True)
    panels = StreamField(LivePanelsBlock(), blank=True, use_json_field=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("panels")]
    parent_page_types = ["dashboards.OrganizationPage", "dashboards.DashboardPage"]
    subpage_types = ["dashboards.DashboardPage"]

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        root = OrganizationPage.objects.ancestor_of(self).select_related("organization").first()
        context["live_organization"] = root.organization if root else None
        context.update(panel_context(context["live_organization"], getattr(request, "user", None)))
        return context


class AnnouncementQuerySet(models.QuerySet):
    def current(self, *, now: Any = None) -> AnnouncementQuerySet:
        now = now or timezone.now()
        return self.filter(live=True).filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=now),
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
        )

    def for_role(self, role: str) -> AnnouncementQuerySet:
        return self.filter(min_role__in=ceilings_within(role))


class Announcement(
    DraftStateMixin, RevisionMixin, PreviewableMixin, LockableMixin, OrganizationSnippet
):
    """A message to an organization's members, shown on dashboards while it is current."""

    AUDIENCE_CHOICES = [("", "Everyone"), *Role.choices]

    title = models.CharField(max_length=200)
    body = RichTextField(features=["bold", "italic", "link", "ol", "ul"])
    # The access rule's role ceiling (organizations.access), shown as "Audience".
    min_role = models.CharField(
        "audience",
        max_length=16,
        choices=AUDIENCE_CHOICES,
        default="",
        blank=True,
        help_text="Shown to this role and the roles above it.",
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    revisions = GenericRelation("wagtailcore.Revision", related_query_name="announcement")

    objects = AnnouncementQuerySet.as_manager()

    panels = [
        FieldPanel("organization"),
        FieldPanel("title"),
        FieldPanel("body"),
        FieldPanel("min_role"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")], heading="Publish window"),
    ]

    class Meta:
        ordering = ["-starts_at", "-created_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must come after the start."})

    def is_current_now(self) -> bool:
        now = timezone.now()
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or self.ends_at > now
        )

    def get_preview_template(self, request: Any, mode_name: str) -> str:
        return "dashboards/announcement_preview.html"


class QuickLink(OrganizationSnippet):
    """A link shown in an organization's sidebar and dashboards."""

    title = models.CharField(max_length=100)
    url = models.URLField()
    description = models.CharField(max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    panels = [
        FieldPanel("organization"),
        FieldPanel("title"),
        FieldPanel("url"),
        FieldPanel("description"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        ordering = ["sort_order", "title"]

    def __str__(self) -> str:
        return self.title


class NotificationKind(models.TextChoices):
    ANNOUNCEMENT = "announcement", "Announcement"
    ROLE_CHANGED = "role_changed", "Role changed"
    DOCUMENT_REJECTED = "document_rejected", "Document rejected"
    EXPORT_READY = "export_ready", "Export ready"
    REVIEW_REQUESTED = "review_requested", "Review requested"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook switched off"


class Notification(models.Model):
    """One line in a person's inbox behind the bell. Shown only while the access rule
    still lets the person view the organization it is about."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notifications"
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Sent by email too (the person wanted this kind by email): at most once.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.text
