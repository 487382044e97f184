from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from accounts.backends import forget_user
from accounts.models import Profile, User

# Sent by every account write inside its transaction, so the write and its audit row
# commit together: kwargs action, user (who acted), target (a model instance), details.
account_changed = Signal()


@receiver(post_save, sender=User, dispatch_uid="accounts.create_profile")
def create_profile(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        Profile.objects.get_or_create(user=instance)


@receiver(post_save, sender=User, dispatch_uid="accounts.forget_user_saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.forget_user_deleted")
def forget_cached_user(sender: Any, instance: User, **kwargs: Any) -> None:
    """A changed user (password, is_active, name, ...) is read afresh by every process."""
    forget_user(instance.pk)


@receiver(post_save, sender=Profile, dispatch_uid="accounts.forget_profile_saved")
@receiver(post_delete, sender=Profile, dispatch_uid="accounts.forget_profile_deleted")
def forget_cached_profile(sender: Any, instance: Profile, **kwargs: Any) -> None:
    forget_user(instance.user_id)


def _admin_theme_saved(
    sender: Any, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    """A theme picked in the Wagtail admin (Account, Preferences) becomes the portal's
    too; the portal's own setting already updates the admin (``profile_set_theme``), so
    both follow one preference whichever side changes it."""
    from accounts.models import Theme
    from accounts.services import profile_set_theme

    if raw or created:
        # A new admin profile holds Wagtail's default, not a choice anyone made.
        return
    _admin_time_zone_saved(instance)
    if instance.theme not in Theme.values:
        return
    current = Profile.objects.filter(user_id=instance.user_id).values_list("theme", flat=True)
    if current.first() == instance.theme:
        return  # also what stops the echo: the service saves the admin profile only on change
    profile_set_theme(acting_user=instance.user, theme=instance.theme)


def _admin_time_zone_saved(instance: Any) -> None:
    """A time zone chosen in the Wagtail admin (Account, Locale) becomes the portal's."""
    zone = instance.current_time_zone or ""
    updated = Profile.objects.filter(user_id=instance.user_id).exclude(time_zone=zone).first()
    if updated is not None:
        updated.time_zone = zone
        updated.save(update_fields=["time_zone"])


def connect_admin_theme() -> None:
    from wagtail.users.models import UserProfile

    post_save.connect(_admin_theme_saved, sender=UserProfile, dispatch_uid="accounts.admin_theme")


def _no_admin_avatar_file(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Wagtail's own profile picture (Account, Profile picture) would be stored in public
    media under a guessable name. Pictures are the portal profile's, protected
    (secure_images.avatars): whatever reaches Wagtail's field is dropped before the model
    writes it (a file field writes its file while saving, after this signal)."""
    if instance.avatar:
        instance.avatar = ""


def connect_admin_avatar_guard() -> None:
    from django.db.models.signals import pre_save
    from wagtail.users.models import UserProfile

    pre_save.connect(
        _no_admin_avatar_file, sender=UserProfile, dispatch_uid="accounts.admin_avatar"
    )
