from __future__ import annotations

from django.apps import AppConfig


class SecureDocumentsConfig(AppConfig):
    name = "secure_documents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.documents import get_document_model, get_document_model_string
        from wagtail.permissions import register_permission_policy

        from organizations.permissions import OrganizationMediaPermissionPolicy

        # Replaces the collection policy wagtail.documents registers in its ready(): this
        # app comes after it in INSTALLED_APPS, so this registration is the last.
        register_permission_policy(
            get_document_model(),
            OrganizationMediaPermissionPolicy(
                get_document_model_string(),
                auth_model="wagtaildocs.Document",
                owner_field_name="uploaded_by_user",
            ),
        )
