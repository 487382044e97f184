from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from organizations.roles import Role

DEFAULT_STORAGE_QUOTA = 1024 * 1024 * 1024  # 1 GiB


class Organization(models.Model):  # type: ignore[django-manager-missing]
    """A tenant. Everything tenant-owned points here with a non-null foreign key."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    is_active = models.BooleanField(
        default=True, help_text="Suspended organizations are unreachable for their members."
    )
    require_mfa = models.BooleanField(
        default=False, help_text="Members must set up two-factor authentication to enter."
    )
    storage_quota_bytes = models.BigIntegerField(default=DEFAULT_STORAGE_QUOTA)
    # A database default too: rows written as bare SQL (data migrations, restores) get it.
    moderation_enabled = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Editors submit pages for approval; the organization's admins publish them.",
    )
    is_personal = models.BooleanField(default=False, editable=False)
    collection = models.OneToOneField(
        "wagtailcore.Collection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organization",
        editable=False,
    )
    # The organization's own moderation workflow (organizations/provisioning.py): one
    # approval task on its admin and owner groups, assigned to its page root while
    # moderation is on.
    workflow = models.OneToOneField(
        "wagtailcore.Workflow",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organization",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("dashboards:overview", kwargs={"org_slug": self.slug})


class TenantModel(models.Model):
    """Abstract base for rows owned by one organization."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=True
    )

    class Meta:
        abstract = True


class RoleGroup(models.Model):
    wagtail_reference_index_ignore = True

    """The Wagtail (auth) group that carries one role's permissions in one organization.

    One group per organization role, never per user: Wagtail adds one OR clause per
    GroupPagePermission row to permission queries (wagtail #14593).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="role_groups"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    group = models.OneToOneField("auth.Group", on_delete=models.CASCADE, related_name="role_group")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "role"], name="rolegroup_unique_role")
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.role}"


class Membership(models.Model):
    wagtail_reference_index_ignore = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_pair")
        ]
        ordering = ["organization__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expired_at__isnull=True,
            expires_at__gt=timezone.now(),
        )


class Invitation(TenantModel):
    """An invitation to join an organization; only a hash of its token is stored."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address and organization; resending rotates it.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(
                    accepted_at__isnull=True, revoked_at__isnull=True, expired_at__isnull=True
                ),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expired_at or self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AuditEvent(models.Model):
    """An append-only record of a write, written by every service function."""

    # Wagtail's reference index would otherwise add two queries to every audited write
    # (every download, too); nothing in the CMS links to audit rows.
    wagtail_reference_index_ignore = True

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    # The lowest role that may read the event (feeds, the audit log): an event about an
    # object with a role ceiling carries that ceiling. Empty: every member.
    min_role = models.CharField(max_length=16, choices=Role.choices, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"


class FailedTask(models.Model):
    """A Celery task that exhausted its retries: Redis has no dead-letter queue, so the
    task's name, arguments and traceback are kept here for an operator to inspect and
    run again."""

    wagtail_reference_index_ignore = True

    task_id = models.CharField(max_length=255, db_index=True)
    task_name = models.CharField(max_length=255, db_index=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    exception = models.TextField()
    traceback = models.TextField(blank=True)
    organization_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)
    retried_at = models.DateTimeField(null=True, blank=True)
    retried_as = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id}"


class OutboxTask(models.Model):
    """A task to send to the broker, written in the same transaction as the work that
    needs it (organizations/outbox.py). Sent right after the commit and deleted once the
    broker has it; a row left behind (broker down, process killed after the commit) is
    sent by the relay (``organizations.outbox_relay``)."""

    wagtail_reference_index_ignore = True

    task_name = models.CharField(max_length=255)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.task_name} {self.args} {self.kwargs}"
