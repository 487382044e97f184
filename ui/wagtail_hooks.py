"""The Wagtail admin as part of the product: its start-up scripts under the Content
Security Policy (static/js/admin-init.js, with the templates in templates/wagtailadmin/)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks

# Wagtail's help menu items that point at wagtail.org (their names in
# wagtail/admin/wagtail_hooks.py; the release notes' name ends in the version).
WAGTAIL_RELEASE_LINKS = ("editor-guide", "whats-new-in-wagtail-")


@hooks.register("insert_global_admin_js")
def admin_init_script() -> str:
    """Runs the pickers' and panels' start-up calls that Wagtail writes as inline scripts
    (deferred: after the widgets' own scripts have defined the functions it calls)."""
    return format_html('<script src="{}" defer></script>', static("js/admin-init.js"))


@hooks.register("insert_global_admin_css")
def admin_theme_css() -> str:
    """The portal's design tokens, and Wagtail's colour properties set from them."""
    return format_html(
        '<link rel="stylesheet" href="{}"><link rel="stylesheet" href="{}">',
        static("css/tokens.css"),
        static("css/admin-theme.css"),
    )


@hooks.register("construct_help_menu")
def product_help_menu(request: HttpRequest, menu_items: list[Any]) -> None:
    """No links to Wagtail's release notes or its editor guide (they name Wagtail and
    its version); the keyboard shortcuts stay."""
    menu_items[:] = [item for item in menu_items if not item.name.startswith(WAGTAIL_RELEASE_LINKS)]
