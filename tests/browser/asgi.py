"""The project's ASGI application plus static files, for the browser tests' server.

Test settings run with DEBUG off, where ``config.asgi`` leaves static files to nginx; the
browser still needs the CSS and JavaScript, so they are served here from the finders.

Between tests the test database is flushed, and Django then recreates its content types
with new ids; this long-lived server forgets its cached ones before every request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from config.asgi import application as project_application
from config.asgi import django_asgi_app

static_application = ASGIStaticFilesHandler(django_asgi_app)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope["path"].startswith(settings.STATIC_URL):
        await static_application(scope, receive, send)
        return
    from django.contrib.contenttypes.models import ContentType  # apps are ready by now

    ContentType.objects.clear_cache()
    await project_application(scope, receive, send)
