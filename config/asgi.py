"""ASGI entry point: HTTP goes to Django's own handler, websockets through Channels.

Websockets are authenticated from the session cookie and must come from an allowed
origin (``WEBSOCKET_ALLOWED_ORIGINS``: https origins only in production), which stops
cross-site websocket hijacking with a victim's cookie.
"""

from __future__ import annotations

import gc
import os
from importlib import import_module

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# Sets Django up, before anything below imports models (consumers, auth middleware).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402

http_app = django_asgi_app
if settings.DEBUG:
    # Production serves static files from nginx; uvicorn in development does it here.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": OriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
            settings.WEBSOCKET_ALLOWED_ORIGINS,
        ),
    }
)

# Everything loaded by now (Django, Wagtail, every model, the URLconf and the views it
# imports) lives as long as the worker. Moved to the collector's permanent generation
# (Python's gc.freeze), those objects are no longer walked by every full collection
# while requests wait (decision 60; measured in docs/benchmarks.md).
import_module(settings.ROOT_URLCONF)
gc.collect()  # what is garbage already is freed, not frozen
gc.freeze()
