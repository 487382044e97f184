"""Guards for Wagtail admin URLs whose views do not scope by organization themselves.

Page URLs: several page views render the page's title before (or instead of) checking
the user's permission on it (move confirmation, chooser breadcrumbs). Every admin URL
that names a page must name one inside the user's organization subtrees; navigation
views (explorer, page chooser) may also name their ancestors.

Bulk actions (``/admin/bulk/<app>/<model>/<action>/?id=...``) list every requested object
on their confirmation page — including the ones the user may not act on, by title. This
middleware answers 404 unless every requested id is in the user's scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import Resolver404, resolve
from wagtail.models import Page

from organizations.permissions import scope_pages, scoped_instances

PAGE_KWARGS = frozenset(
    {"page_id", "parent_page_id", "page_pk", "page_to_move_id", "destination_id"}
)
# Read-only navigation may show the ancestors of the user's organization roots.
NAVIGATION_VIEWS = frozenset({"wagtailadmin_explore", "wagtailadmin_choose_page_child"})
CHOSEN_PAGES = "/admin/choose-page/chosen-multiple/"
EXTERNAL_LINK_CHOOSER = "/admin/choose-external-link/"
BULK_URL = re.compile(r"^/admin/bulk/(?P<app>[\w]+)/(?P<model>[\w]+)/(?P<action>[\w-]+)/$")


def _scoped_ids(model: type[Any], user: Any, ids: list[str]) -> set[str]:
    found = scoped_instances(model, user).filter(pk__in=ids).values_list("pk", flat=True)
    return {str(pk) for pk in found}


class AdminTenantGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path_info.startswith("/admin/")
            and request.user.is_authenticated
            and not request.user.is_superuser
        ):
            self._check_page_kwargs(request)
            self._check_chosen_pages(request)
        if (
            request.method == "POST"
            and request.path_info == EXTERNAL_LINK_CHOOSER
            and "external-link-chooser-url" not in request.POST
        ):
            # Wagtail's form crashes (500) on a POST without its URL field.
            return HttpResponseBadRequest("Missing the link URL.")
        match = BULK_URL.match(request.path_info)
        if match and request.user.is_authenticated and not request.user.is_superuser:
            try:
                model = apps.get_model(match["app"], match["model"])
            except LookupError as exc:
                raise Http404 from exc
            ids = [value for value in request.GET.getlist("id") if value]
            if "all" in ids:
                parent = request.GET.get("childOf")
                if not issubclass(model, Page) or not parent or not parent.isdigit():
                    raise Http404
                children = Page.objects.filter(pk=parent)
                if not scope_pages(children, request.user, include_ancestors=False).exists():
                    raise Http404
            elif any(not value.isdigit() for value in ids) or _scoped_ids(
                model, request.user, ids
            ) != set(ids):
                raise Http404
        return self.get_response(request)

    @staticmethod
    def _check_page_kwargs(request: HttpRequest) -> None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return
        page_ids = {value for key, value in match.kwargs.items() if key in PAGE_KWARGS}
        if match.namespace == "wagtailadmin_pages" and "pk" in match.kwargs:
            page_ids.add(match.kwargs["pk"])
        if not page_ids:
            return
        if any(not str(value).isdigit() for value in page_ids):
            raise Http404
        navigation = match.view_name in NAVIGATION_VIEWS
        pages = Page.objects.filter(pk__in=[int(value) for value in page_ids])
        allowed = scope_pages(pages, request.user, include_ancestors=navigation).count()
        if allowed != len(page_ids):
            raise Http404

    @staticmethod
    def _check_chosen_pages(request: HttpRequest) -> None:
        """The multiple page chooser returns title and URL of every page id it is given."""
        if request.path_info != CHOSEN_PAGES:
            return
        ids = [value for value in request.GET.getlist("id") if value]
        if any(not value.isdigit() for value in ids):
            raise Http404
        pages = Page.objects.filter(pk__in=[int(value) for value in ids])
        if scope_pages(pages, request.user, include_ancestors=False).count() != len(set(ids)):
            raise Http404
