from __future__ import annotations

from django.urls import path

from webhooks import views

app_name = "webhooks"

prefix = "o/<slug:org_slug>/settings/webhooks/"
urlpatterns = [
    path(prefix, views.endpoint_list, name="list"),
    path(f"{prefix}new/", views.endpoint_create, name="create"),
    path(f"{prefix}<int:pk>/", views.endpoint_detail, name="detail"),
    path(f"{prefix}<int:pk>/rotate/", views.endpoint_rotate, name="rotate"),
    path(f"{prefix}<int:pk>/test/", views.endpoint_test, name="test"),
    path(f"{prefix}<int:pk>/enable/", views.endpoint_enable, name="enable"),
    path(f"{prefix}<int:pk>/delete/", views.endpoint_delete, name="delete"),
]
