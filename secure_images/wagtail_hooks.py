"""The Wagtail admin's avatars: the person's protected picture, else their initials.

Wagtail asks ``get_avatar_url`` (its documented hook) before its own profile picture and
Gravatar. The answer is never empty, so neither of those is ever used: the admin's own
picture upload is switched off (accounts.signals) and Gravatar would send members' email
hashes to a third party.
"""

from __future__ import annotations

from typing import Any

from wagtail import hooks

from secure_images.avatars import avatar_url, initials_data_url
from ui.templatetags.ui import initials


@hooks.register("get_avatar_url")
def protected_avatar_url(user: Any, size: int) -> str:
    url = avatar_url(user, size)
    if url:
        return url
    try:
        name = user.profile.name
    except Exception:  # no profile row: the account's own name
        name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return initials_data_url(initials(name))
