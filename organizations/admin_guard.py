"""The admin's front door: every ``/admin/`` and ``/django-admin/`` request is checked
against the registry of classified URLs (organizations/admin_registry.py) before its view
runs, and the URL-level checks of its policy are applied.

- Unclassified or operator-only: 404 for everyone but operators.
- Not public and not signed in: the sign-in page (allauth), keeping ``next``.
- Pages: every URL that names a page must name one inside the person's organization
  subtrees (several page views render the title before checking permission); navigation
  views (explorer, page chooser) may also name their ancestors.
- Bulk actions list every requested object on their confirmation page, by title: 404
  unless every requested id is in scope.
- Editing sessions name an object by app, model and id: it must be in scope.
- Listings: choices of every filter that lists people or collections are narrowed to
  the person's organizations before the page renders (``process_template_response``), so
  a filter Wagtail adds later is narrowed too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import structlog
from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from taggit.models import Tag
from wagtail.models import Collection, Page, Task, Workflow

from organizations import access
from organizations.admin_registry import Kind, rule_for
from organizations.permissions import (
    content_organization_ids,
    people_in_scope,
    scope_pages,
    scoped_instances,
    tags_in_scope,
    view_restriction_paths,
    workflows_in_scope,
)
from organizations.provisioning import CONTENT_ROLES

logger = structlog.get_logger(__name__)

ADMIN_PREFIXES = ("/admin/", "/django-admin/")
PAGE_KWARGS = frozenset(
    {"page_id", "parent_page_id", "page_pk", "page_to_move_id", "destination_id"}
)
# Workflow steps named by id beside a page (organizations.admin_guard._check_workflow_kwargs).
WORKFLOW_KWARGS = ("task_state_id", "workflow_state_id", "task_id")
# Read-only navigation may show the ancestors of the person's organization roots.
NAVIGATION_VIEWS = frozenset({"wagtailadmin_explore", "wagtailadmin_choose_page_child"})
CHOSEN_PAGES = "wagtailadmin_choose_page_chosen_multiple"
EXTERNAL_LINK_CHOOSER = "wagtailadmin_choose_page_external_link"
EDITING_SESSION_PING = "wagtailadmin_editing_sessions:ping"
COLLECTION_EDIT = "wagtailadmin_collections:edit"
BULK_URL = re.compile(r"^/admin/bulk/(?P<app>[\w]+)/(?P<model>[\w]+)/(?P<action>[\w-]+)/$")


def _scoped_ids(model: type[Any], user: Any, ids: list[str]) -> set[str]:
    found = scoped_instances(model, user).filter(pk__in=ids).values_list("pk", flat=True)
    return {str(pk) for pk in found}


class AdminAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(ADMIN_PREFIXES):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        refusal = self._check(request, match.view_name, match.kwargs)
        if refusal is not None:
            return refusal
        request._orgportal_admin_scoped = True  # type: ignore[attr-defined]
        if request.user.is_authenticated and not access.is_operator(request.user):
            # The privacy indicator of page listings (Wagtail's ``test_page_is_public``)
            # loads every view restriction once per request unless the request already
            # carries them: give it those of the person's pages (a lazy query).
            request.all_page_view_restriction_paths = view_restriction_paths(request.user)  # type: ignore[attr-defined]
        return self.get_response(request)

    def _check(
        self, request: HttpRequest, name: str, kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        user = request.user
        rule = rule_for(name)
        if rule is None:
            if access.is_operator(user):
                return None
            logger.warning("admin_url_unclassified", view=name)
            raise Http404
        if rule.kind is Kind.PUBLIC:
            return None
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if name == COLLECTION_EDIT and request.method == "POST":
            refusal = self._refuse_collection_move(request, kwargs)
            if refusal is not None:
                return refusal
        if access.is_operator(user):
            return None
        if rule.kind is Kind.OPERATOR:
            raise Http404
        if rule.kind is Kind.ACCOUNT:
            return None
        self._check_page_kwargs(request, name, kwargs)
        self._check_workflow_kwargs(request, kwargs)
        if name == CHOSEN_PAGES:
            self._check_chosen_pages(request)
        if name == EDITING_SESSION_PING:
            self._check_object(request, kwargs)
        if rule.policy == "bulk":
            self._check_bulk(request)
        if rule.policy == "audit":
            from organizations.audit_log import can_read_audit_log

            if not can_read_audit_log(user):
                raise Http404  # below admin, or no organization the rule lets them manage
        if (
            name == EXTERNAL_LINK_CHOOSER
            and request.method == "POST"
            and "external-link-chooser-url" not in request.POST
        ):
            # Wagtail's form crashes (500) on a POST without its URL field.
            return HttpResponseBadRequest("Missing the link URL.")
        return None

    def process_template_response(
        self, request: HttpRequest, response: TemplateResponse
    ) -> TemplateResponse:
        if getattr(request, "_orgportal_admin_scoped", False) and not access.is_operator(
            request.user
        ):
            narrow_filter_choices(response.context_data or {}, request.user)
        return response

    @staticmethod
    def _refuse_collection_move(
        request: HttpRequest, kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        """Collections are kept in creation order (docs/decisions.md, 56), so Wagtail's
        move "to its sorted place" has no order to follow (it raised a 500); and each
        organization owns its collection, whose files would change hands with a move.
        Renaming and privacy stay; moving is refused with a message."""
        collection = Collection.objects.filter(pk=str(kwargs.get("pk", ""))).first()
        wanted = request.POST.get("parent")
        if collection is None or not wanted:
            return None
        parent = collection.get_parent()
        if parent is not None and wanted == str(parent.pk):
            return None
        messages.error(
            request,
            "Collections are not moved: each belongs to an organization, or to the "
            "platform, where it was made.",
        )
        return HttpResponseRedirect(request.get_full_path(), status=303)

    @staticmethod
    def _check_page_kwargs(request: HttpRequest, name: str, kwargs: dict[str, Any]) -> None:
        page_ids = {value for key, value in kwargs.items() if key in PAGE_KWARGS}
        if name.startswith("wagtailadmin_pages:") and "pk" in kwargs:
            page_ids.add(kwargs["pk"])
        if not page_ids:
            return
        if any(not str(value).isdigit() for value in page_ids):
            raise Http404
        navigation = name in NAVIGATION_VIEWS
        pages = Page.objects.filter(pk__in=[int(value) for value in page_ids])
        allowed = scope_pages(pages, request.user, include_ancestors=navigation).count()
        if allowed != len(page_ids):
            raise Http404

    @staticmethod
    def _check_workflow_kwargs(request: HttpRequest, kwargs: dict[str, Any]) -> None:
        """Wagtail's workflow views take a task, task state or workflow state by id beside
        the page and load it without checking that it belongs to that page: acting on,
        previewing or naming (in a message, by its task's name) another organization's
        step. Each must belong to the page named, and a task to one of the person's
        organizations' workflows."""
        from django.contrib.contenttypes.models import ContentType
        from wagtail.models import TaskState, WorkflowState

        named = {key: kwargs[key] for key in WORKFLOW_KWARGS if key in kwargs}
        if not named:
            return
        if any(not str(value).isdigit() for value in named.values()):
            raise Http404
        page_id = str(kwargs.get("page_id", ""))
        page_type = ContentType.objects.get_for_model(Page).pk
        of_page = {"base_content_type_id": page_type, "object_id": page_id}
        checks = {
            "task_state_id": lambda pk: TaskState.objects.filter(
                pk=pk, **{f"workflow_state__{key}": value for key, value in of_page.items()}
            ),
            "workflow_state_id": lambda pk: WorkflowState.objects.filter(pk=pk, **of_page),
            "task_id": lambda pk: Task.objects.filter(
                pk=pk, workflow_tasks__workflow__in=workflows_in_scope(request.user)
            ),
        }
        for key, value in named.items():
            if not checks[key](int(value)).exists():
                raise Http404

    @staticmethod
    def _check_chosen_pages(request: HttpRequest) -> None:
        """The multiple page chooser returns title and URL of every page id it is given."""
        ids = [value for value in request.GET.getlist("id") if value]
        if any(not value.isdigit() for value in ids):
            raise Http404
        pages = Page.objects.filter(pk__in=[int(value) for value in ids])
        if scope_pages(pages, request.user, include_ancestors=False).count() != len(set(ids)):
            raise Http404

    @staticmethod
    def _check_object(request: HttpRequest, kwargs: dict[str, Any]) -> None:
        try:
            model = apps.get_model(kwargs["app_label"], kwargs["model_name"])
        except (LookupError, KeyError) as exc:
            raise Http404 from exc
        object_id = str(kwargs.get("object_id", ""))
        if not object_id.isdigit() or not _scoped_ids(model, request.user, [object_id]):
            raise Http404

    @staticmethod
    def _check_bulk(request: HttpRequest) -> None:
        match = BULK_URL.match(request.path_info)
        if match is None:
            raise Http404
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


def narrow_filter_choices(context: dict[str, Any], user: Any) -> None:
    """Narrow the choices of every filter in a listing's context that lists people,
    collections, tags, workflows or tasks to those of the person's organizations
    (Wagtail builds them from every row: the explorer's owner, the locked pages report's
    "locked by", site history's user, the collection filters, the most popular tags, the
    workflow reports' workflows and tasks, whose names are organization names)."""
    if "popular_tags" in context:
        context["popular_tags"] = [
            tag for tag in context["popular_tags"] if tag.pk in _tag_ids(user)
        ]
    filterset = context.get("filters")
    form = getattr(filterset, "form", None)
    if form is None:
        return
    people_model = get_user_model()
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
            model = field.queryset.model
            if issubclass(model, people_model):
                # The people of the person's organizations, instead of Wagtail's "everyone
                # who ever owned, edited or locked something" narrowed to them: that set
                # is a DISTINCT over every page or log entry of the platform, read whole
                # on each request (15 ms at 10,000 organizations). Choosing a colleague
                # who owns nothing just shows no rows.
                ordering = field.queryset.query.order_by
                # Only those who work in the admin (owners, admins, editors) own, edit,
                # lock or request anything there: members and viewers would be rows of
                # checkboxes that can match nothing.
                people = model._default_manager.filter(
                    pk__in=people_in_scope(user, roles=CONTENT_ROLES).values("pk")
                )
                # No ordering of its own: the model's (an empty order_by() would drop it).
                field.queryset = people.order_by(*ordering) if ordering else people
            elif issubclass(model, Collection):
                field.queryset = field.queryset.filter(
                    organization__in=content_organization_ids(user)
                )
            elif issubclass(model, Tag):
                field.queryset = field.queryset.filter(pk__in=_tag_ids(user))
            elif issubclass(model, Workflow):
                # Workflow names are organization names: only the person's own.
                field.queryset = field.queryset.filter(pk__in=workflows_in_scope(user))
            elif issubclass(model, Task):
                field.queryset = field.queryset.filter(
                    workflow_tasks__workflow__in=workflows_in_scope(user)
                ).distinct()
        elif name == "tag" and isinstance(field, forms.MultipleChoiceField):
            names = set(tags_in_scope(user).values_list("name", flat=True))
            choices: list[Any] = list(field.choices)  # type: ignore[arg-type]
            field.choices = [choice for choice in choices if choice[0] in names]


def _tag_ids(user: Any) -> set[int]:
    cached = getattr(user, "_orgportal_tag_ids", None)
    if cached is None:
        cached = set(tags_in_scope(user).values_list("pk", flat=True))
        user._orgportal_tag_ids = cached
    return cached
