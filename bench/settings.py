"""The production settings, with the benchmark's extra URLs in front of the site's."""

from __future__ import annotations

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Wagtail's stock view (routed in bench/urls.py) serves local files itself.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
