"""django-tables2 + django-filter glue for ``components/data_table.html``."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from ui.htmx import wants_fragment


class PortalTable(tables.Table):
    """Base class for portal tables: our template (sortable headers that work with and
    without HTMX, empty state, pagination component)."""

    class Meta:
        template_name = "components/table/table.html"
        attrs = {"class": "table"}
        empty_text = "Nothing to show."


def build_table(
    request: HttpRequest,
    *,
    table_class: type[tables.Table],
    queryset: QuerySet[Any],
    filterset_class: type[django_filters.FilterSet] | None = None,
    per_page: int = 25,
    prefix: str = "",
) -> tuple[tables.Table, django_filters.FilterSet | None]:
    """Filter ``queryset`` from the query string, then sort and paginate it. Everything
    lives in the URL (``?q=&status=&sort=&page=``), so any state is a bookmark."""
    filterset = None
    if filterset_class is not None:
        filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
        queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    table = table_class(queryset, prefix=prefix)
    tables.RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    return table, filterset


def render_table_page(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any],
    *,
    table_id: str,
    label: str = "",
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only the table's results for an HTMX request aimed at
    ``#<table_id>-results`` (sorting, paging, filtering). ``context`` must hold ``table``
    (and ``filter`` when the page has one)."""
    if wants_fragment(request, f"{table_id}-results"):
        response = render(
            request,
            "components/table/results.html",
            {**context, "id": table_id, "label": label},
            status=status,
        )
    else:
        response = render(request, template_name, context, status=status)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response
