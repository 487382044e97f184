from __future__ import annotations

from django.urls import path

from organizations import views

app_name = "organizations"

urlpatterns = [
    path("organizations/new/", views.organization_create, name="create"),
    path("o/<slug:org_slug>/members/", views.members, name="members"),
    path("o/<slug:org_slug>/members/invite/", views.invite, name="invite"),
    path("o/<slug:org_slug>/members/<int:pk>/role/", views.member_set_role, name="member_role"),
    path("o/<slug:org_slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("o/<slug:org_slug>/members/leave/", views.leave, name="leave"),
    path("o/<slug:org_slug>/members/transfer/", views.transfer_ownership, name="transfer"),
    path(
        "o/<slug:org_slug>/invitations/<int:pk>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "o/<slug:org_slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("o/<slug:org_slug>/settings/", views.organization_settings, name="settings"),
]
