"""The authentication backend: allauth's, with the signed-in user kept in the cache.

Every signed-in request loads its user (``django.contrib.auth.get_user`` calls the
session's backend's ``get_user``), one query each time. This backend answers from the
cache (the user row and its profile) and loads from the database only on a miss; saving
or deleting a user or profile drops the entry (``accounts.signals``), and entries expire
after ``USER_CACHE_SECONDS`` in any case. Django still does its own checks on what it
gets back: the session's auth hash against the user's password hash, and is_active.
If the cache is unreachable the backend reads the database, as without it.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache


def user_cache_key(user_id: Any) -> str:
    return f"auth:user:{user_id}"


class CachedUserBackend(AuthenticationBackend):
    def get_user(self, user_id: Any) -> Any:
        key = user_cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = (
                get_user_model()
                ._default_manager.select_related("profile")
                .filter(pk=user_id)
                .first()
            )
            if user is None:
                return None
            cache.set(key, user, timeout=settings.USER_CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None


def forget_user(user_id: Any) -> None:
    cache.delete(user_cache_key(user_id))
