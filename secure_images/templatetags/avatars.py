"""``{% avatar person %}``: the person's protected picture, or their initials."""

from __future__ import annotations

from typing import Any

from django import template

from secure_images.avatars import avatar_url
from ui.templatetags.ui import initials

register = template.Library()

# CSS pixels of each avatar size class (static/css/components.css).
PIXELS = {"": 32, "small": 28, "large": 56}


@register.inclusion_tag("components/avatar.html")
def avatar(person: Any, size: str = "", name: str | None = None) -> dict[str, Any]:
    """``person`` is a user (its profile loaded, or one query); ``name`` overrides the
    name the initials come from."""
    if name is None and person is not None:
        profile = getattr(person, "profile", None)
        name = profile.name if profile is not None else person.get_full_name()
    return {
        "url": avatar_url(person, PIXELS.get(size, 32)),
        "initials": initials(name),
        "size": size,
        "pixels": PIXELS.get(size, 32),
    }
