"""The site's URLs plus what the benchmarks compare against.

- ``/documents/bench/floor-async/`` and ``/documents/bench/floor-sync/``: the framework
  floor, a minimal authenticated view returning as many bytes as the small document.
  They sit under ``/documents/`` so that the middleware does exactly the work it does for
  a download (OrganizationMiddleware skips that prefix); the difference to a download is
  then the serve view's own work.
- ``/bench/floor-async/``: the same view outside that prefix, where the organization
  middleware looks up a membership first (what an ordinary portal page pays).
- ``/bench/wagtail-serve/<id>/<name>``: Wagtail's stock document view for the same
  document, to compare its memory use.
"""

from __future__ import annotations

from django.urls import include, path
from wagtail.documents.views.serve import serve as wagtail_serve

from bench import views

urlpatterns = [
    path("documents/bench/floor-async/", views.floor_async, name="bench_floor_async"),
    path("documents/bench/floor-sync/", views.floor_sync, name="bench_floor_sync"),
    path("bench/floor-async/", views.floor_async, name="bench_floor_async_portal"),
    path(
        "bench/wagtail-serve/<int:document_id>/<str:document_filename>",
        wagtail_serve,
        name="bench_wagtail_serve",
    ),
    path("", include("config.urls")),
]
