from __future__ import annotations

from django.apps import AppConfig


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
