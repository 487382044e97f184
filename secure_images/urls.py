from __future__ import annotations

from django.urls import path

from secure_images import views

# Included at the root (config/urls.py); the storage builds these URLs from file names.
urlpatterns = [
    path("images/<uuid:image_id>/r/<str:filename>", views.serve_rendition, name="image_rendition"),
    path("images/<uuid:image_id>/<str:filename>", views.serve_original, name="image_original"),
    path("avatars/<uuid:key>/<int:size>.webp", views.serve_avatar, name="avatar"),
]
