"""The portal's API tokens screen: make a token (shown once), list and revoke them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api import services
from api.forms import TokenCreateForm
from api.selectors import token_of, tokens_for
from organizations.decorators import org_view
from organizations.roles import Capability
from organizations.typing import MemberRequest


def _render(
    request: MemberRequest, form: TokenCreateForm, *, new_token: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "tokens": list(tokens_for(request.membership)),
        "new_token": new_token,
    }
    return render(request, "api/tokens.html", context, status=status)


@org_view(Capability.VIEW)
@require_http_methods(["GET", "POST"])
def tokens(request: MemberRequest) -> HttpResponse:
    if request.method == "GET":
        return _render(request, TokenCreateForm())
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            _token, plaintext = services.token_create(
                acting_user=request.user,
                organization=request.organization,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            # Shown in this answer only: the secret is not stored and never shown again.
            return _render(request, TokenCreateForm(), new_token=plaintext, status=201)
    return _render(request, form, status=400)


@org_view(Capability.VIEW)
@require_POST
def token_revoke(request: MemberRequest, pk: int) -> HttpResponse:
    token = token_of(request.membership, pk)
    services.token_revoke(acting_user=request.user, token=token)
    messages.success(request, f"The token \u201c{token.name}\u201d was revoked.")
    return redirect("api:tokens", org_slug=request.organization.slug)
