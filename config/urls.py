from __future__ import annotations

from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access

from api.api import api as api_v1
from api.content import router as content_api
from api.views import api_not_found
from config import health, metrics
from config.views import frontend_login_redirect, not_found, server_error
from home import views as home_views
from organizations import views as organization_views
from organizations.admin_views import (
    ScopedLogEntriesView,
    ScopedSnippetModelIndexView,
    ScopedWorkflowTasksView,
    ScopedWorkflowView,
    scoped_tag_autocomplete,
)
from secure_documents import views as document_views
from secure_documents.admin_views import SecureDocumentCreateView, SecureMultipleAddView

urlpatterns = [
    # Every document URL (Wagtail builds /documents/<id>/<name>) goes through the
    # permission-checked, streaming serve view; Wagtail's own serve view is never routed.
    # First in the list: downloads are the most frequent request, and the resolver tries
    # patterns in order.
    path(
        "documents/<int:document_id>/<str:document_filename>",
        document_views.serve,
        name="wagtaildocs_serve",
    ),
    # Every image URL (renditions and originals, built by the storage from the file's
    # name) goes through the permission-checked serve view.
    path("", include("secure_images.urls")),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("sitemap.xml", home_views.sitemap, name="sitemap"),
    # Both admin logins are allauth's login, so MFA and rate limits apply there too.
    path("admin/login/", allauth_views.login, name="wagtailadmin_login_allauth"),
    path("django-admin/login/", allauth_views.login, name="django_admin_login_allauth"),
    path("django-admin/", admin.site.urls),
    # Organization-scoped replacements of Wagtail admin screens, at Wagtail's own paths.
    path(
        "admin/reports/site-history/",
        require_admin_access(ScopedLogEntriesView.as_view()),
        name="scoped_site_history",
    ),
    path(
        "admin/reports/site-history/results/",
        require_admin_access(ScopedLogEntriesView.as_view(results_only=True)),
        name="scoped_site_history_results",
    ),
    path(
        "admin/reports/workflow/",
        require_admin_access(ScopedWorkflowView.as_view()),
        name="scoped_workflow_report",
    ),
    path(
        "admin/reports/workflow/results/",
        require_admin_access(ScopedWorkflowView.as_view(results_only=True)),
        name="scoped_workflow_report_results",
    ),
    path(
        "admin/reports/workflow_tasks/",
        require_admin_access(ScopedWorkflowTasksView.as_view()),
        name="scoped_workflow_tasks_report",
    ),
    path(
        "admin/reports/workflow_tasks/results/",
        require_admin_access(ScopedWorkflowTasksView.as_view(results_only=True)),
        name="scoped_workflow_tasks_report_results",
    ),
    path(
        "admin/tag-autocomplete/",
        require_admin_access(scoped_tag_autocomplete),
        name="scoped_tag_autocomplete",
    ),
    path(
        "admin/tag-autocomplete/<slug:app_name>/<slug:model_name>/",
        require_admin_access(scoped_tag_autocomplete),
        name="scoped_tag_model_autocomplete",
    ),
    path(
        "admin/snippets/",
        require_admin_access(ScopedSnippetModelIndexView.as_view()),
        name="scoped_snippet_index",
    ),
    path(
        "admin/documents/add/",
        require_admin_access(SecureDocumentCreateView.as_view()),
        name="secure_document_add",
    ),
    path(
        "admin/documents/multiple/add/",
        require_admin_access(SecureMultipleAddView.as_view()),
        name="secure_document_add_multiple",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("accounts/", include("allauth.urls")),
    path("search/", home_views.search, name="search"),
    # Wagtail's front-end login is a plain Django LoginView (no two-factor, no rate
    # limit): its URL now leads to allauth's, keeping ``next``.
    path("_util/login/", frontend_login_redirect, name="wagtailcore_login"),
    # Shared-password page privacy is off (WAGTAIL_PRIVATE_PAGE_OPTIONS): no such form.
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        not_found,
        name="wagtailcore_authenticate_with_password",
    ),
    # The REST API and the headless content API; any other /api/ path is the API's 404.
    path("api/v1/", api_v1.urls),
    path("api/v1/content/", content_api.urls),
    re_path(r"^api/", api_not_found),
    path("portal/", organization_views.portal_entry, name="portal"),
    path(
        "invitations/<str:token>/",
        organization_views.invitation_accept,
        name="invitation_accept",
    ),
    path("", include("ui.urls")),
    path("", include("organizations.urls")),
    path("", include("dashboards.urls")),
    path("", include("secure_documents.urls")),
    path("", include("api.urls")),
    path("", include("webhooks.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page serving catches everything else, so it goes last.
urlpatterns += [path("", include(wagtail_urls))]

# A database outage is a 503 (config/views.py); other errors stay 500.
handler500 = server_error
