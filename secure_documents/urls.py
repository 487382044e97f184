from __future__ import annotations

from django.urls import path

from secure_documents import views

app_name = "secure_documents"

urlpatterns = [
    path("o/<slug:org_slug>/documents/", views.library, name="library"),
    path("o/<slug:org_slug>/documents/upload/", views.upload, name="upload"),
    path("o/<slug:org_slug>/documents/<uuid:public_id>/delete/", views.delete, name="delete"),
]
