from __future__ import annotations

from django.urls import path

from api import portal

app_name = "api"

urlpatterns = [
    path("o/<slug:org_slug>/settings/api-tokens/", portal.tokens, name="tokens"),
    path(
        "o/<slug:org_slug>/settings/api-tokens/<int:pk>/revoke/",
        portal.token_revoke,
        name="token_revoke",
    ),
]
