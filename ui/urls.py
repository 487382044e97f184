from __future__ import annotations

from django.urls import path

from ui.views import catalog, theme

app_name = "ui"

urlpatterns = [
    path("ui/theme/", theme.theme_set, name="theme"),
    path("components/", catalog.catalog_index, name="catalog"),
    path("components/demo/table/", catalog.demo_table, name="demo_table"),
    path("components/demo/modal/", catalog.demo_modal, name="demo_modal"),
    path("components/demo/form/", catalog.demo_form, name="demo_form"),
    path("components/demo/upload/", catalog.demo_upload, name="demo_upload"),
    path("components/demo/error/<int:status>/", catalog.demo_error, name="demo_error"),
    path("components/demo/toast/", catalog.demo_toast, name="demo_toast"),
    path("components/demo/lazy/", catalog.demo_lazy, name="demo_lazy"),
]
