"""ASGI entry point: HTTP goes to Django, websockets through Channels.

Websockets are authenticated from the session cookie and must come from an origin in
ALLOWED_HOSTS (``AllowedHostsOriginValidator``), which stops cross-site websocket
hijacking with a victim's cookie.
"""

from __future__ import annotations

import os

import django
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# Django must be set up before anything imports models (consumers, auth middleware).
django.setup(set_prefix=False)

from secure_documents.serving import CHUNK_SIZE  # noqa: E402


class OrgPortalASGIHandler(ASGIHandler):
    """Django's handler, sending each part of a streamed response as one ASGI message.

    Django cuts every part into 64 KiB messages (``chunk_bytes`` slices, so copies, each
    piece), which for a document download read in 256 KiB chunks meant four copies and
    four trips through the server per chunk. The server does its own socket writes.
    """

    chunk_size = CHUNK_SIZE


django_asgi_app = OrgPortalASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
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
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
