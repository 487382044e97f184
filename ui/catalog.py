"""The component catalog's registry: every component, its live example and its docs.

A component's parameters are documented once, in the ``{% comment %}`` at the top of its
template; the catalog shows that text. The usage snippet is the example template itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.template.loader import get_template

_COMMENT = re.compile(r"\{%\s*comment\s*%\}(?P<doc>.*?)\{%\s*endcomment\s*%\}", re.DOTALL)
_PREFIX = re.compile(r"\{\{\s*p\s*\}\}")
_LOAD = re.compile(r"^\{%\s*load [^%]*%\}\n?", re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    slug: str
    name: str
    summary: str
    templates: tuple[str, ...]

    @property
    def example(self) -> str:
        return f"ui/catalog/examples/{self.slug}.html"


ENTRIES: tuple[Entry, ...] = (
    Entry("buttons", "Buttons", "Actions in four strengths and two sizes.", ()),
    Entry("badge", "Badge", "Short status labels.", ("components/badge.html",)),
    Entry("card", "Card", "A rounded surface with a header and footer.", ("components/card.html",)),
    Entry("stat", "Stat tiles", "Key figures at a glance.", ("components/stat.html",)),
    Entry("alert", "Alert", "A message that belongs to the page.", ("components/alert.html",)),
    Entry(
        "toast",
        "Toasts",
        "Passing notices from Django messages, HX-Trigger events and failed requests.",
        ("components/toasts.html", "components/toast.html"),
    ),
    Entry(
        "modal",
        "Modal dialog",
        "Native <dialog> with content loaded by htmx, focus trap and Esc.",
        ("components/modal.html", "components/modal_content.html"),
    ),
    Entry(
        "confirm",
        "Confirm dialog",
        "hx-confirm asks in a styled dialog.",
        ("components/confirm.html",),
    ),
    Entry(
        "form",
        "Form",
        "Fields with labels, help and errors; inline validation when a field changes.",
        ("components/form.html", "components/field.html"),
    ),
    Entry(
        "data_table",
        "Data table",
        "Search, filters, sorting and pagination, all in the URL.",
        (
            "components/data_table.html",
            "components/table/results.html",
            "components/table/table.html",
        ),
    ),
    Entry(
        "pagination",
        "Pagination",
        "Page links that keep the query string.",
        ("components/pagination.html",),
    ),
    Entry("tabs", "Tabs", "Server-rendered panels behind real links.", ("components/tabs.html",)),
    Entry(
        "accordion",
        "Accordion",
        "Native <details> sections, optionally loaded on first open.",
        ("components/accordion_item.html",),
    ),
    Entry(
        "dropdown",
        "Dropdown menu",
        "A menu on <details> with keyboard support.",
        ("components/dropdown.html",),
    ),
    Entry(
        "upload",
        "File upload",
        "Drag and drop, a progress bar and a result per file.",
        ("components/upload.html", "components/upload_result.html"),
    ),
    Entry(
        "skeleton",
        "Skeleton loader",
        "Placeholder shapes while content loads.",
        ("components/skeleton.html",),
    ),
    Entry(
        "avatar",
        "Avatar",
        "A person's protected picture, or their initials; always beside their name.",
        ("components/avatar.html",),
    ),
    Entry(
        "breadcrumbs",
        "Breadcrumbs",
        "Where the page sits.",
        ("components/breadcrumbs.html",),
    ),
    Entry(
        "theme_toggle",
        "Theme toggle",
        "Light, dark or the system's choice, saved on the server.",
        ("components/theme_toggle.html",),
    ),
)

ENTRIES_BY_SLUG = {entry.slug: entry for entry in ENTRIES}


def template_source(name: str) -> str:
    return get_template(name).template.source  # type: ignore[attr-defined]


def documentation(name: str) -> str:
    """The ``{% comment %}`` block at the top of a component template."""
    match = _COMMENT.search(template_source(name))
    return match.group("doc").strip() if match else ""


def usage(entry_slug: str) -> str:
    """The example template as a reader would write it (no catalog id prefixes)."""
    source = template_source(ENTRIES_BY_SLUG[entry_slug].example)
    return _LOAD.sub("", _PREFIX.sub("", source)).strip()
