"""The site's URLs plus what the benchmarks compare against.

- ``/bench/floor-async/`` and ``/bench/floor-sync/``: the framework floor, a minimal
  signed-in view returning as many bytes as the small document, at an ordinary URL: the
  whole middleware stack runs, the organization middleware included (it looks up the
  person's memberships, as for any portal page).
- ``/documents/bench/floor-async/``: the same view under ``/documents/``, which the
  organization middleware skips (as it does for a download): the difference in queries to
  ``/bench/floor-async/`` is what that middleware adds outside an organization.
- ``/o/<slug>/bench/floor-async/``: the same view inside an organization's URL space, where
  the middleware also applies the access rule: the difference in queries to
  ``/documents/bench/floor-async/`` is what it adds to a portal page.
- ``/bench/wagtail-serve/<id>/<name>``: Wagtail's stock document view for the same
  document, to compare its memory use.
"""

from __future__ import annotations

from django.urls import include, path
from wagtail.documents.views.serve import serve as wagtail_serve

from bench import views

urlpatterns = [
    path("documents/bench/floor-async/", views.floor_async, name="bench_floor_async_bare"),
    path("bench/floor-async/", views.floor_async, name="bench_floor_async"),
    path("bench/floor-sync/", views.floor_sync, name="bench_floor_sync"),
    path(
        "o/<slug:org_slug>/bench/floor-async/",
        views.floor_async_in_organization,
        name="bench_floor_async_organization",
    ),
    path(
        "bench/wagtail-serve/<int:document_id>/<str:document_filename>",
        wagtail_serve,
        name="bench_wagtail_serve",
    ),
    path("", include("config.urls")),
]
