"""allauth adapters: signup creates a personal organization unless an invitation is used."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

INVITATION_SESSION_KEY = "pending_invitation_token"


def join_or_create_personal_organization(request: HttpRequest, user: Any) -> None:
    """After a signup: accept the invitation the user arrived with, else give them a
    personal organization, so every user always belongs somewhere."""
    from organizations.services import invitation_accept, personal_organization_create

    token = request.session.pop(INVITATION_SESSION_KEY, None) if request is not None else None
    if token:
        try:
            membership = invitation_accept(user=user, token=token)
        except ValidationError as exc:
            messages.warning(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Welcome to {membership.organization.name}.")
            profile = user.profile
            profile.default_organization = membership.organization
            profile.save(update_fields=["default_organization"])
            return
    personal_organization_create(user=user)


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                join_or_create_personal_organization(request, user)
        return user

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return super().get_login_redirect_url(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            join_or_create_personal_organization(request, user)
        return user
