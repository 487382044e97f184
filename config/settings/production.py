"""Production: everything in base.py plus transport and cookie hardening.

``python manage.py check --deploy --fail-level WARNING`` passes with nothing silenced.
"""

from __future__ import annotations

from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import WEBSOCKET_ALLOWED_ORIGINS, env

# Websockets carry the session cookie: only pages served over https may open them.
_insecure = [origin for origin in WEBSOCKET_ALLOWED_ORIGINS if urlparse(origin).scheme != "https"]
if _insecure:
    raise ImproperlyConfigured(
        f"WEBSOCKET_ALLOWED_ORIGINS must be https origins in production: {_insecure}"
    )

# TLS terminates at the proxy (nginx, a load balancer); it tells us with this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The health endpoints are probed, and /metrics scraped (with its bearer token), over
# plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = True

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    },
}

# Webhooks go to public https URLs only: the test receiver's allow list and plain http
# are never honoured here, whatever the environment says (webhooks/guard.py).
WEBHOOKS_ALLOWED_HOSTS = []
WEBHOOKS_ALLOW_HTTP = False
