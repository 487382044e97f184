"""Template filters that narrow what Wagtail's admin templates list to the person's scope."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from organizations.permissions import tags_in_scope

register = template.Library()


@register.filter
def tags_in_admin_scope(tags: Iterable[Any], user: Any) -> list[Any]:
    """Of ``tags``, those used on objects the person may see (tags are shared strings:
    another organization's tag names are its data)."""
    visible = set(tags_in_scope(user).values_list("pk", flat=True))
    return [tag for tag in tags if tag.pk in visible]
