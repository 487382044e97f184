from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class SecureImagesConfig(AppConfig):
    name = "secure_images"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.images import get_image_model, get_image_model_string
        from wagtail.permissions import register_permission_policy

        from organizations.permissions import OrganizationMediaPermissionPolicy

        # Replaces the collection policy wagtail.images registers in its ready(): this app
        # comes after it in INSTALLED_APPS, so this registration is the last.
        register_permission_policy(
            get_image_model(),
            OrganizationMediaPermissionPolicy(
                get_image_model_string(),
                auth_model="wagtailimages.Image",
                owner_field_name="uploaded_by_user",
            ),
        )

        # After the organizations' provisioning (connected earlier, so it runs first).
        post_migrate.connect(_after_migrate, dispatch_uid="secure_images.unowned")


def _after_migrate(sender: Any, plan: Any = None, **kwargs: Any) -> None:
    """Images that belonged to no organization move to the operators' organization once
    every table exists (secure_images.unowned)."""
    from django.db import connection

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender is not last or (plan and any(backwards for _migration, backwards in plan)):
        return
    needed = {"wagtailimages_image", "secure_images_secureimage", "organizations_organization"}
    if not needed <= set(connection.introspection.table_names()):
        return
    from secure_images.unowned import move_unowned_images, unowned_images

    if unowned_images().exists():
        move_unowned_images()
