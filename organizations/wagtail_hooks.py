"""Wagtail hooks that keep editors inside their organizations' subtrees."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.urls import path
from wagtail import hooks
from wagtail.models import Page
from wagtail_modeladmin.options import modeladmin_register

from organizations.admin_panels import OrganizationHomePanel
from organizations.permissions import content_organization_ids, scope_pages
from organizations.platform_admin import AuditEventAdmin, FailedTaskAdmin, OrganizationAdmin


@hooks.register("construct_explorer_page_queryset")
def scope_explorer(parent_page: Page, pages: Any, request: HttpRequest) -> Any:
    return scope_pages(pages, request.user)


@hooks.register("construct_page_chooser_queryset")
def scope_page_chooser(pages: Any, request: HttpRequest) -> Any:
    return scope_pages(pages, request.user)


@hooks.register("before_serve_page")
def guard_organization_pages(page: Page, request: HttpRequest, args: Any, kwargs: Any) -> None:
    """Suspended organizations' pages are offline; members-only pages answer 404 (not a
    login loop) to signed-in people from other organizations."""
    from dashboards.models import OrganizationPage

    root_path = page.path[: Page.steplen * 3]
    if len(page.path) < len(root_path) or page.depth < 3:
        return
    root = OrganizationPage.objects.select_related("organization").filter(path=root_path).first()
    if root is None:
        return
    if not root.organization.is_active:
        raise Http404("This organization is suspended.")
    user = request.user
    if (
        root.members_only
        and user.is_authenticated
        and not user.is_superuser
        and not user.memberships.filter(organization_id=root.organization_id).exists()
    ):
        raise Http404


@hooks.register("construct_homepage_panels")
def add_organization_panels(request: HttpRequest, panels: list[Any]) -> None:
    from organizations.models import Organization

    organizations = Organization.objects.filter(
        pk__in=content_organization_ids(request.user)
    ).order_by("name")
    if request.user.is_superuser:
        # Operators see the platform screens instead of one panel per organization.
        return
    for index, organization in enumerate(organizations):
        panels.append(OrganizationHomePanel(organization, order=90 + index))


@hooks.register("construct_admin_api", order=100)
def scope_admin_api(router: Any) -> None:
    """Replace the admin API's document and image endpoints (they list every row in
    unrestricted collections) with ones limited to the user's collections."""
    from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
    from wagtail.images.api.admin.views import ImagesAdminAPIViewSet

    from organizations.permissions import scoped_instances

    class ScopedDocumentsAdminAPIViewSet(DocumentsAdminAPIViewSet):
        def get_queryset(self) -> Any:
            return super().get_queryset() & scoped_instances(self.model, self.request.user)

    class ScopedImagesAdminAPIViewSet(ImagesAdminAPIViewSet):
        def get_queryset(self) -> Any:
            return super().get_queryset() & scoped_instances(self.model, self.request.user)

    router.register_endpoint("documents", ScopedDocumentsAdminAPIViewSet)
    router.register_endpoint("images", ScopedImagesAdminAPIViewSet)


modeladmin_register(OrganizationAdmin)
modeladmin_register(AuditEventAdmin)
modeladmin_register(FailedTaskAdmin)


@hooks.register("register_admin_urls")
def platform_urls() -> list[Any]:
    from organizations import platform_views

    return [
        path(
            "platform/organizations/<int:pk>/set-active/",
            platform_views.organization_set_active,
            name="platform_organization_set_active",
        ),
        path(
            "platform/failed-tasks/<int:pk>/retry/",
            platform_views.failed_task_retry,
            name="platform_failed_task_retry",
        ),
        path(
            "platform/organizations/<int:pk>/quota/",
            platform_views.organization_quota,
            name="platform_organization_quota",
        ),
    ]


@hooks.register("insert_global_admin_js")
def live_updates_in_admin() -> str:
    """htmx with its ws extension, for the live activity panels on the admin home."""
    from django.templatetags.static import static
    from django.utils.html import format_html

    return format_html(
        '<script src="{}" defer></script><script src="{}" defer></script>'
        '<script type="module" src="{}"></script>',
        static("django_htmx/htmx-2.min.js"),
        static("django_htmx/ext/hx-ws-2.min.js"),
        static("js/live.js"),
    )
