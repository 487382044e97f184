from __future__ import annotations

from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("accounts/profile/", views.profile, name="profile"),
    path(
        "accounts/sessions/sign-out-everywhere/",
        views.sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("o/<slug:org_slug>/", views.overview, name="overview"),
    path("o/<slug:org_slug>/search/", views.search, name="search"),
    path("o/<slug:org_slug>/settings/export/", views.export, name="export"),
]
