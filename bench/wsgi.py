"""The WSGI deployment shape that bench/small_files.py compares with uvicorn-only:
Django's stock WSGI handler with the benchmark's settings, served by gunicorn (HTTP only;
in that shape websockets would stay on uvicorn behind the same nginx)."""

from __future__ import annotations

import gc
import os
from importlib import import_module

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

application = get_wsgi_application()

# As config/asgi.py: what is loaded now lives as long as the worker (decision 60).
from django.conf import settings  # noqa: E402

import_module(settings.ROOT_URLCONF)
gc.collect()  # what is garbage already is freed, not frozen
gc.freeze()
