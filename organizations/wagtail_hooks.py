"""Wagtail hooks that apply the access rule to pages and keep editors inside their
organizations' subtrees."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from wagtail import hooks
from wagtail.models import Page

from organizations import access
from organizations.access import Denial
from organizations.middleware import mfa_setup_redirect
from organizations.pages import root_pages, root_path_of
from organizations.permissions import scope_pages


@hooks.register("construct_explorer_page_queryset")
def scope_explorer(parent_page: Page, pages: Any, request: HttpRequest) -> Any:
    return scope_pages(pages, request.user)


@hooks.register("construct_page_chooser_queryset")
def scope_page_chooser(pages: Any, request: HttpRequest) -> Any:
    return scope_pages(pages, request.user)


@hooks.register("before_serve_page", order=-10)
def guard_organization_pages(
    page: Page, request: HttpRequest, args: Any, kwargs: Any
) -> HttpResponse | None:
    """An organization's pages follow the access rule: a members-only organization's
    pages exist only for the people the rule lets view it (everyone else, signed in or
    not, gets the same 404 as for a page that does not exist; the 404 page offers to
    sign in); a published one's are public; a suspended one's are offline. Runs before
    Wagtail's own view-restriction check, which would otherwise send visitors to a login
    page for existing pages only."""
    root_path = root_path_of(page)
    if root_path is None:
        return None
    root = root_pages().select_related("organization").filter(path=root_path).first()
    if root is None:
        return None
    organization = root.organization
    if not organization.is_active:
        raise Http404("This organization is suspended.")
    if not root.members_only or access.is_operator(request.user):
        return None
    membership = access.membership_for(request.user, organization_id=organization.pk)
    decision = access.decide(request.user, membership)
    if decision.denial is Denial.MFA_REQUIRED:
        return mfa_setup_redirect(request, organization.name)
    if not decision.allowed:
        raise Http404
    return None


@hooks.register("register_admin_viewset")
def register_audit_log() -> Any:
    from organizations.audit_log import AuditLogViewSet

    return AuditLogViewSet()


@hooks.register("construct_reports_menu")
def hide_closed_reports(request: HttpRequest, menu_items: list[Any]) -> None:
    """Reports the admin registry closes to the person (operator-only ones, the workflow
    reports for people who oversee no moderation) are not offered: a menu item that
    answers 404 is a broken promise."""
    if access.is_operator(request.user):
        return
    from django.urls import Resolver404, resolve

    from organizations.admin_registry import Kind, rule_for
    from organizations.admin_views import can_oversee_moderation

    kept = []
    for item in menu_items:
        try:
            name = resolve(item.url).view_name
        except Resolver404:
            continue
        rule = rule_for(name)
        if rule is None or rule.kind is Kind.OPERATOR:
            continue
        if rule.policy == "workflows" and not can_oversee_moderation(request.user):
            continue
        kept.append(item)
    menu_items[:] = kept


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
