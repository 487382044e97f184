"""Wagtail admin views replaced by organization-scoped versions.

They are routed ahead of Wagtail's own URLs (config/urls.py) at the same paths, so every
link Wagtail builds with ``reverse()`` reaches the scoped view.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, JsonResponse
from taggit.models import Tag
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.admin.views.reports.workflows import WorkflowTasksView, WorkflowView
from wagtail.models import ModelLogEntry, Page, PageLogEntry
from wagtail.snippets.views.snippets import ModelIndexView

from organizations import access
from organizations.permissions import (
    moderated_page_ids,
    moderation_organization_ids,
    scoped_instances,
    tags_in_scope,
)


def _model_log_scope(user: Any, queryset: QuerySet[Any]) -> Q:
    """Log entries of objects the user may see, one content type at a time."""
    condition = Q(pk__in=[])
    for content_type_id in set(queryset.values_list("content_type_id", flat=True)):
        from django.contrib.contenttypes.models import ContentType

        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        visible = scoped_instances(model, user).annotate(_pk=Cast("pk", CharField())).values("_pk")
        condition |= Q(content_type_id=content_type_id, object_id__in=visible)
    return condition


class ScopedLogEntriesView(LogEntriesView):
    """Site history with each organization's entries only (Wagtail scopes model log
    entries by content-type permission, which every editor of every organization has)."""

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        user = self.request.user
        if user.is_superuser:
            return queryset
        if queryset.model is PageLogEntry:
            pages = scoped_instances(Page, user).values("pk")
            return queryset.filter(page_id__in=pages)
        if queryset.model is ModelLogEntry:
            base = ModelLogEntry.objects.viewable_by_user(user)
            return queryset.filter(_model_log_scope(user, base))
        return queryset.none()


def can_oversee_moderation(user: Any) -> bool:
    """Whether the workflow reports have anything for the person: operators, and admins
    and owners of an organization the rule lets them manage."""
    return bool(moderation_organization_ids(user))


class _OverseersOnly:
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Editors and members oversee no moderation: the reports do not exist for them
        # (the same 404 as an unclassified screen), and the reports menu hides them.
        if not can_oversee_moderation(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class ScopedWorkflowView(_OverseersOnly, WorkflowView):
    """The workflow report, by page, with the workflow states of pages inside the
    organizations whose moderation the person oversees (their admins and owners).
    Wagtail's lists every page the person may edit plus every snippet type's states."""

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        if access.is_operator(self.request.user):
            return queryset
        return queryset.filter(
            base_content_type_id=ContentType.objects.get_for_model(Page).pk,
            object_id__in=moderated_page_ids(self.request.user),
        )


class ScopedWorkflowTasksView(_OverseersOnly, WorkflowTasksView):
    """The workflow report, by task, scoped like ``ScopedWorkflowView``."""

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        if access.is_operator(self.request.user):
            return queryset
        return queryset.filter(
            workflow_state__base_content_type_id=ContentType.objects.get_for_model(Page).pk,
            workflow_state__object_id__in=moderated_page_ids(self.request.user),
        )


class ScopedSnippetModelIndexView(ModelIndexView):
    """The snippet type list, counting only rows the user may see."""

    def _get_snippet_types(self) -> list[dict[str, Any]]:
        types = super()._get_snippet_types()
        for item in types:
            item["count"] = scoped_instances(item["model"], self.request.user).count()
        return types


TAGS_AUTOCOMPLETE_LIMIT = 10


def scoped_tag_autocomplete(
    request: HttpRequest, app_name: str | None = None, model_name: str | None = None
) -> JsonResponse:
    """Wagtail's tag autocomplete, offering only tags used on objects the person may see
    (Wagtail's offers every tag of every organization). Custom tag models: operators."""
    if (app_name or model_name) and not access.is_operator(request.user):
        try:
            content_type = ContentType.objects.get_by_natural_key(app_name or "", model_name or "")
        except ContentType.DoesNotExist as exc:
            raise Http404 from exc
        if content_type.model_class() is not Tag:
            raise Http404
    term = request.GET.get("term", "")
    if not term:
        return JsonResponse([], safe=False)
    names = (
        tags_in_scope(request.user)
        .filter(name__istartswith=term)
        .order_by("name")
        .values_list("name", flat=True)[:TAGS_AUTOCOMPLETE_LIMIT]
    )
    return JsonResponse(list(names), safe=False)
