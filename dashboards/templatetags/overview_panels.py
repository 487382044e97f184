"""``{% overview_panels panels %}``: the portal overview's panels, as ``include_block``
would render each of them, kept in the cache between loads (dashboards/overview_cache.py)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from dashboards import overview_cache
from dashboards.blocks import PANEL_GENERATION, PANEL_ORGANIZATION, PANEL_ROLE

register = template.Library()


@register.simple_tag(takes_context=True)
def overview_panels(context: template.Context, blocks: list[Any]) -> SafeString:
    # The page's context for every block, as include_block passes it (each block copies it).
    parent = context.flatten()
    # Panels are shared by every reader with the same role and time zone: no CSRF token
    # (nor a page's marker for one, ui/fragments.py) may end up in them.
    parent.pop("csrf_token", None)
    organization = parent.get(PANEL_ORGANIZATION)
    generation = parent.get(PANEL_GENERATION)
    html = overview_cache.render_panels(
        blocks,
        organization_id=getattr(organization, "pk", None),
        generation=generation if isinstance(generation, int) else None,
        role=str(parent.get(PANEL_ROLE) or ""),
        zone=timezone.get_current_timezone_name(),
        render=lambda block: block.render_as_block(context=parent),
    )
    return mark_safe("".join(html))  # noqa: S308 (each block's own safe rendering)
