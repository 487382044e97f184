from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.managers import UserManager


class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A person. Email is the login identifier; ``username`` does not exist."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return super().get_full_name() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email.split("@")[0]


class Theme(models.TextChoices):
    SYSTEM = "system", _("System")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class Profile(models.Model):
    """Per-user preferences. Created with the user (see accounts.signals)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.SYSTEM)
    default_organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The person's picture: the key of its files in the protected storage
    # (secure_images.avatars), never a public URL. Empty: initials are shown.
    avatar_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # An IANA name ("Europe/Lisbon"); empty: the site's time zone (UTC).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # Which kinds of notification also come by email: {kind: bool}; a kind not listed
    # follows its default (dashboards.notifications.EMAIL_DEFAULTS).
    email_notifications = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_full_name()
