"""Demo data for the component catalog: a form, a table over Django's own permission
list (real rows, no tenant data), and an upload receiver that reads but keeps nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from ui.tables import PortalTable, build_table

UPLOAD_MAX_SIZE = 5 * 1024 * 1024
UPLOAD_BLOCKED_SUFFIXES = frozenset({".exe", ".bat", ".cmd", ".com", ".js", ".msi", ".php"})


class DemoForm(forms.Form):
    name = forms.CharField(min_length=3, max_length=80, help_text="At least three characters.")
    email = forms.EmailField(help_text="We never send anything from this demo.")
    role = forms.ChoiceField(
        choices=[("", "Choose a role"), ("editor", "Editor"), ("member", "Member")]
    )
    agree = forms.BooleanField(label="I have read the guidelines")

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if name.strip().lower() == "admin":
            raise forms.ValidationError("That name is reserved.")
        return name


class PermissionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or codename"}),
    )
    app = django_filters.ChoiceFilter(
        label="App", field_name="content_type__app_label", empty_label="All apps"
    )

    class Meta:
        model = Permission
        fields: list[str] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        labels = (
            Permission.objects.order_by()
            .values_list("content_type__app_label", flat=True)
            .distinct()
        )
        self.filters["app"].extra["choices"] = [(label, label) for label in sorted(set(labels))]

    def search(self, queryset: QuerySet[Permission], name: str, value: str) -> QuerySet[Permission]:
        return queryset.filter(Q(name__icontains=value) | Q(codename__icontains=value))


class PermissionTable(PortalTable):
    name = tables.Column()
    codename = tables.Column(verbose_name="Code name")
    app = tables.Column(accessor="content_type__app_label", verbose_name="App")
    model = tables.Column(accessor="content_type__model", verbose_name="Model")

    class Meta(PortalTable.Meta):
        model = Permission
        fields = ("name", "codename", "app", "model")
        empty_text = "Permissions appear here once apps are installed."


def permission_queryset() -> QuerySet[Permission]:
    return Permission.objects.select_related("content_type").order_by(
        "content_type__app_label", "codename"
    )


@dataclass(frozen=True)
class UploadResult:
    name: str
    ok: bool
    message: str
    size: int | None = None
    url: str = ""


def receive_upload(upload: UploadedFile) -> UploadResult:
    """Read the file in chunks (as a real upload would), hash it and keep nothing."""
    name = PurePath(upload.name or "unnamed").name[:120]
    if PurePath(name).suffix.lower() in UPLOAD_BLOCKED_SUFFIXES:
        return UploadResult(name=name, ok=False, message=f"{name}: this file type is not allowed.")
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > UPLOAD_MAX_SIZE:
            return UploadResult(
                name=name, ok=False, message=f"{name} is larger than the 5 MB demo limit."
            )
        digest.update(chunk)
    if size == 0:
        return UploadResult(name=name, ok=False, message=f"{name} is empty.")
    return UploadResult(name=name, ok=True, message=f"sha256 {digest.hexdigest()[:12]}…", size=size)


def build_permission_table(
    request: HttpRequest, *, per_page: int
) -> tuple[PermissionTable, PermissionFilter]:
    table, filterset = build_table(
        request,
        table_class=PermissionTable,
        queryset=permission_queryset(),
        filterset_class=PermissionFilter,
        per_page=per_page,
    )
    return table, filterset  # type: ignore[return-value]
