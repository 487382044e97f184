"""The documents library table and its filters (django-tables2 + django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils.html import format_html

from secure_documents.models import ProcessingStatus, SecureDocument
from ui.tables import PortalTable

TYPE_CHOICES = [
    ("pdf", "PDF"),
    ("doc", "Office documents"),
    ("image", "Images"),
    ("text", "Text and CSV"),
    ("zip", "Archives"),
]
TYPE_FILTERS: dict[str, Q] = {
    "pdf": Q(file__iendswith=".pdf"),
    "doc": Q(file__iendswith=".docx")
    | Q(file__iendswith=".xlsx")
    | Q(file__iendswith=".pptx")
    | Q(file__iendswith=".odt")
    | Q(file__iendswith=".ods"),
    "image": Q(content_type__startswith="image/"),
    "text": Q(file__iendswith=".txt") | Q(file__iendswith=".csv") | Q(file__iendswith=".md"),
    "zip": Q(file__iendswith=".zip"),
}


class DocumentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title or file name"}),
    )
    status = django_filters.ChoiceFilter(
        label="Status", choices=ProcessingStatus.choices, empty_label="Any status"
    )
    type = django_filters.ChoiceFilter(
        label="Type", choices=TYPE_CHOICES, method="by_type", empty_label="Any type"
    )

    class Meta:
        model = SecureDocument
        fields: list[str] = []

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()[:100]
        return queryset.filter(Q(title__icontains=value) | Q(file__icontains=value))

    def by_type(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(TYPE_FILTERS[value]) if value in TYPE_FILTERS else queryset


class DocumentTable(PortalTable):
    title = tables.Column(verbose_name="Document", linkify=False)
    type = tables.Column(accessor="file", verbose_name="Type", orderable=False)
    file_size = tables.Column(verbose_name="Size")
    status = tables.Column(verbose_name="Status")
    uploaded_by = tables.Column(
        accessor="uploaded_by_user__email", verbose_name="Uploaded by", default="—"
    )
    created_at = tables.DateTimeColumn(verbose_name="Uploaded", format="Y-m-d H:i")
    actions = tables.TemplateColumn(
        template_name="secure_documents/_document_actions.html",
        verbose_name="",
        orderable=False,
    )

    class Meta(PortalTable.Meta):
        model = SecureDocument
        fields = ("title", "type", "file_size", "status", "uploaded_by", "created_at", "actions")
        order_by = ("-created_at",)
        empty_text = "No documents yet. Upload the first one above."
        row_attrs = {"id": lambda record: f"document-{record.public_id}"}

    def render_title(self, record: SecureDocument) -> str:
        return format_html('<a href="{}">{}</a>', record.url, record.title)

    def render_type(self, record: SecureDocument) -> str:
        return record.file_extension.upper()

    def render_file_size(self, value: int) -> str:
        from django.template.defaultfilters import filesizeformat

        return filesizeformat(value)

    def render_uploaded_by(self, record: SecureDocument) -> str:
        user = record.uploaded_by_user
        if user is None:
            return "—"
        profile = getattr(user, "profile", None)
        return profile.name if profile is not None else user.get_full_name()

    def render_status(self, record: SecureDocument) -> str:
        return render_to_string("secure_documents/_status_badge.html", {"document": record})
