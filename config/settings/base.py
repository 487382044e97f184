"""Settings shared by every environment, driven by environment variables.

Every variable read here is listed in the README's configuration table. Defaults give
an embedded setup (SQLite, local-memory cache, in-memory channel layer, eager Celery);
setting ``DATABASE_URL`` and ``REDIS_URL`` moves the same code onto PostgreSQL and Redis.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from urllib.parse import urlparse

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# --- secrets and hosts: fail fast, with one line that says what to do --------------------
_DEV_SECRET_KEY = "django-insecure-local-development-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: export SECRET_KEY=<random 50+ characters> "
            "(or DEBUG=true for local development)."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is empty: export ALLOWED_HOSTS=example.com,www.example.com "
            "(or DEBUG=true for local development)."
        )
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_SITE_NAME = env.str("SITE_NAME", default="Org Portal")

# --- applications -----------------------------------------------------------------------
INSTALLED_APPS = [
    # Project apps first so their templates override the libraries' ones (except
    # secure_documents, below: its ready() must run after wagtail.documents').
    "accounts",
    "home",
    "organizations",
    "dashboards",
    "operators",
    "api",
    "webhooks",
    "ui",
    "channels",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "secure_documents",
    "wagtail.images",
    "secure_images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    # The person's signed-in sessions, listed on /accounts/sessions/ with "sign out the
    # others" (recorded at sign-in; no per-request activity tracking).
    "allauth.usersessions",
    "django_htmx",
    "ninja",  # the API's interactive docs (its templates and static files)
    "django_structlog",
    "django_filters",
    "django_tables2",
    "template_partials",
    "health_check",
    "django_prometheus",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # allauth's passkey (WebAuthn) list uses its template filters.
    "django.contrib.humanize",
    # Django's widget templates for FORM_RENDERER (below), after every app that may
    # override one.
    "django.forms",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.request_id.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before anything reads the body: the admin's uploads keep their names as sent.
    "secure_documents.middleware.AdminUploadMiddleware",
    # /api/: classified URLs only, upload limits before the body is read, one error shape.
    "api.middleware.ApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times in the person's own time zone (their profile's).
    "accounts.middleware.TimeZoneMiddleware",
    # Request lines; organizations/log_context.py adds the organization to the finishing line.
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "organizations.middleware.OrganizationMiddleware",
    "organizations.admin_guard.AdminAccessMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so its process_exception sees a view's exception first: malformed form data -> 400.
    "config.malformed_requests.MalformedRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

# Form widgets render with the project's templates too, so templates/wagtailadmin/widgets/
# can replace the admin pickers' inline scripts (decision 42); "django.forms" supplies
# Django's own widget templates to that engine.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "organizations.context_processors.portal",
                "ui.context_processors.ui",
                "dashboards.context_processors.portal_chrome",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI each request's sync code may run on a different thread, so
    # CONN_MAX_AGE keeps one idle connection per thread and leaks them; psycopg's
    # pool shares a bounded set across threads and checks them before reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        # A request waits this long for a connection, then answers 503 (config/views.py).
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=5.0),
    }
    # An unreachable database fails a connection attempt in seconds, not minutes.
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3)
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL and a busy timeout let uvicorn, a worker and a shell share the file.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, sessions, channel layer, Celery ----------------------------------------
# One Redis server, or (with REDIS_SENTINELS) a master found through Redis Sentinel, whose
# name is then the host of the URL: redis://:password@mymaster/0. rediss:// means TLS.
# config/redis_config.py turns this into each library's own configuration.
from config import redis_config  # noqa: E402

REDIS_URL = env.str("REDIS_URL", default="")
# A separate cache instance may evict keys; the broker must not (see docs/deployment.md).
REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default=REDIS_URL)


def _redis_target(url: str) -> redis_config.RedisTarget:
    try:
        return redis_config.parse(
            url,
            sentinels=env.str("REDIS_SENTINELS", default=""),
            password=env.str("REDIS_PASSWORD", default=""),
            sentinel_password=env.str("REDIS_SENTINEL_PASSWORD", default=""),
            sentinel_tls=env.bool("REDIS_SENTINEL_TLS", default=None),
            ca_file=env.str("REDIS_TLS_CA_FILE", default=""),
        )
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc


def _redis_db(url: str) -> str:
    return urlparse(url).path.strip("/") or "0"


# The broker, channel layer and results (REDIS) and the cache (REDIS_CACHE); None without
# Redis. Code that needs a client of its own uses redis_config.shared_client(REDIS).
REDIS = _redis_target(REDIS_URL) if REDIS_URL else None
REDIS_CACHE = _redis_target(REDIS_CACHE_URL) if REDIS_URL else None

if REDIS and REDIS_CACHE:
    _cache_location, _cache_options = redis_config.django_cache_options(REDIS_CACHE)
    # The cache fails open: with its Redis gone, reads miss and writes are dropped
    # (sessions then come from the database), each failure logged, and no request fails
    # for it. Upload rate limits fail open too (secure_documents/services.py).
    _cache_options["IGNORE_EXCEPTIONS"] = True
    CACHES = {
        "default": {
            # django-redis with one client per process (config/cache.py).
            "BACKEND": "config.cache.SharedClientRedisCache",
            "LOCATION": _cache_location,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="orgportal"),
            "OPTIONS": _cache_options,
        }
    }
    # cached_db: a Redis restart costs a database read, not everyone's session.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis' pub/sub layer (measured faster than RedisChannelLayer, see
            # docs/benchmarks.md) that also tells consumers when Redis goes away.
            "BACKEND": "config.channel_layers.ResyncingPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    redis_config.channel_layer_host(
                        REDIS,
                        # A connection that dies without a close is noticed (PING) and
                        # reported to consumers like any other failure.
                        health_check_interval=15,
                        socket_keepalive=True,
                    )
                ],
                # Pub/sub channels are not scoped by Redis database number: the prefix
                # keeps two deployments sharing one Redis out of each other's groups.
                "prefix": env.str(
                    "CHANNEL_LAYER_PREFIX", default=f"orgportal-db{_redis_db(REDIS_URL)}-"
                ),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "orgportal",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery -------------------------------------------------------------------------------
# Unset or empty: the Redis above (sentinel:// URLs in Sentinel mode).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or (
    redis_config.celery_url(REDIS) if REDIS else "memory://"
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or (
    redis_config.celery_url(REDIS) if REDIS else "cache+memory://"
)
# Without Redis there is no broker to talk to: run tasks inline, in the caller's process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Routing by task name; a task's queue is part of the deployment, not of its code.
CELERY_TASK_ROUTES = {
    "secure_documents.process_document": {"queue": "documents", "priority": 3},
    "secure_documents.sweep": {"queue": "maintenance"},
    "organizations.expire_invitations": {"queue": "maintenance"},
    "organizations.outbox_relay": {"queue": "maintenance"},
    # People wait for these: ahead of bulk work on the same worker.
    "organizations.send_invitation_email": {"queue": "notifications", "priority": 2},
    "dashboards.send_notification_email": {"queue": "notifications", "priority": 2},
    "dashboards.export_organization": {"queue": "default"},
    "dashboards.export_sweep": {"queue": "maintenance"},
    "dashboards.refresh_metrics": {"queue": "maintenance"},
    "organizations.audit_retention": {"queue": "maintenance"},
    "webhooks.deliver": {"queue": "default"},
    "webhooks.retry_sweep": {"queue": "maintenance"},
}
CELERY_QUEUES_ALL = "default,documents,notifications,maintenance"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_RESULT_EXPIRES = 60 * 60 * 24
# A stored result names its task and arguments, so a result of a tenant task carries its
# organization_id.
CELERY_RESULT_EXTENDED = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# kombu's Redis transports, made to let a worker outlive a lost broker
# (config/broker_transport.py).
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "config.broker_transport:Transport"
elif CELERY_BROKER_URL.startswith("sentinel://"):
    CELERY_BROKER_TRANSPORT = "config.broker_transport:SentinelTransport"
# Keep running a late-acknowledged task when the broker connection drops: its
# acknowledgement is lost with the connection, so Redis hands the message out again after
# the visibility timeout and the (idempotent) task finds its work done.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long a task taken by a worker that then disappeared (SIGKILL, out of memory, lost
# machine) waits before Redis hands it to another worker: 10 minutes, so that such a task
# is done within 15. It must exceed the longest countdown/ETA (retry_backoff_max, 300 s)
# and every task's hard time limit (the export's is 540 s), or Redis redelivers a
# message to a second worker while the first still holds it.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Redis emulates priorities with one list per step; 0 is served first.
    "priority_steps": list(range(10)),
    "sep": ":",
    "queue_order_strategy": "priority",
}
CELERY_TASK_DEFAULT_PRIORITY = 5
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if REDIS:
    # Sentinel: the master's name and how to reach the sentinels (nothing otherwise).
    CELERY_BROKER_TRANSPORT_OPTIONS.update(redis_config.celery_transport_options(REDIS))
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS.update(redis_config.celery_transport_options(REDIS))
    CELERY_BROKER_USE_SSL = redis_config.celery_ssl(REDIS)
    CELERY_REDIS_BACKEND_USE_SSL = redis_config.celery_ssl(REDIS)
# A failover (or a Redis restart) takes seconds: sending a task and storing a result wait
# for it instead of failing at once (about 10 s in all before giving up).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 8,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 2,
}
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_BACKEND_MAX_RETRIES = 10
CELERY_RESULT_BACKEND_BASE_SLEEP_BETWEEN_RETRIES_MS = 200
CELERY_BEAT_SCHEDULE = {
    # Tasks committed while the broker was unreachable (organizations/outbox.py).
    "outbox-relay": {
        "task": "organizations.outbox_relay",
        "schedule": env.int("OUTBOX_RELAY_SECONDS", default=30),
        "options": {"queue": "maintenance"},
    },
    "documents-sweep": {
        "task": "secure_documents.sweep",
        "schedule": env.int("DOCUMENT_SWEEP_EVERY_SECONDS", default=60 * 60),
        "options": {"queue": "maintenance"},
    },
    # Exports requested but never finished or failed (dashboards/exports.py).
    "export-sweep": {
        "task": "dashboards.export_sweep",
        "schedule": env.int("EXPORT_SWEEP_EVERY_SECONDS", default=300),
        "options": {"queue": "maintenance"},
    },
    "metrics-refresh": {
        "task": "dashboards.refresh_metrics",
        "schedule": env.int("METRICS_REFRESH_SECONDS", default=60),
    },
    "audit-retention": {
        "task": "organizations.audit_retention",
        "schedule": 24 * 60 * 60,
    },
    # Webhook deliveries whose next attempt was lost (webhooks/tasks.py).
    "webhooks-retry-sweep": {
        "task": "webhooks.retry_sweep",
        "schedule": 5 * 60,
        "options": {"queue": "maintenance"},
    },
    "invitations-expire": {
        "task": "organizations.expire_invitations",
        "schedule": 15 * 60,
        "options": {"queue": "maintenance"},
    },
}
DJANGO_STRUCTLOG_CELERY_ENABLED = True

# --- webhooks (docs/webhooks.md) ----------------------------------------------------------
# The longest the overview's cached panels, page and the bell are kept between changes
# (dashboards/overview_cache.py): changes show at once; this bounds what changes with
# time alone (the chart's days) and writes that send no signal.
OVERVIEW_CACHE_SECONDS = env.int("OVERVIEW_CACHE_SECONDS", default=60)
# The longest a reader's rendered portal sidebar and top bar are kept (ui/fragments.py);
# their key holds everything they show, so this only bounds the cache's memory. 0: off.
FRAGMENT_CACHE_SECONDS = env.int("FRAGMENT_CACHE_SECONDS", default=60)

# Attempts per delivery; the gap between them doubles from the base, capped below the
# broker's visibility timeout.
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=6)
WEBHOOKS_RETRY_BASE_SECONDS = env.int("WEBHOOKS_RETRY_BASE_SECONDS", default=30)
WEBHOOKS_RETRY_MAX_SECONDS = min(env.int("WEBHOOKS_RETRY_MAX_SECONDS", default=300), 300)
# An endpoint is switched off after this many failed deliveries in a row.
WEBHOOKS_DISABLE_AFTER = env.int("WEBHOOKS_DISABLE_AFTER", default=5)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10)
# A delivery due this long ago and still open is queued again by the sweep.
WEBHOOKS_SWEEP_GRACE_SECONDS = env.int("WEBHOOKS_SWEEP_GRACE_SECONDS", default=15 * 60)
# Host names or addresses let through the private-network guard whatever they resolve
# to, and plain http:// URLs: for a test receiver on 127.0.0.1. Both off by default and
# forced off in production (config/settings/production.py).
WEBHOOKS_ALLOWED_HOSTS = env.list("WEBHOOKS_ALLOWED_HOSTS", default=[])
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=False)
# RequestIdMiddleware has already validated (or replaced) the incoming X-Request-ID.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True

# --- auth ---------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # allauth's backend, with the signed-in user read from the cache (accounts/backends.py).
    "accounts.backends.CachedUserBackend",
    # Sessions signed in before the cached backend keep working.
    "allauth.account.auth_backends.AuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]
USER_CACHE_SECONDS = env.int("USER_CACHE_SECONDS", default=300)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/portal/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "ACCOUNT_EMAIL_VERIFICATION", default="optional" if DEBUG else "mandatory"
)
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "organizations.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "organizations.adapters.SocialAccountAdapter"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
# Rate limits are kept in the cache (Redis, or local memory): never the dummy cache.
ACCOUNT_RATE_LIMITS = {
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="20/m/ip"),
    "reset_password": env.str("RATE_LIMIT_RESET_PASSWORD", default="20/m/ip,5/m/key"),
    # Anonymous public search and sitemap (home/views.py), through allauth's limiter.
    "public_search": env.str("RATE_LIMIT_PUBLIC_SEARCH", default="60/m/ip"),
    "sitemap": env.str("RATE_LIMIT_SITEMAP", default="30/m/ip"),
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_TOTP_ISSUER = env.str("SITE_NAME", default="Org Portal")
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False


def _social_providers() -> dict[str, dict[str, object]]:
    """Providers appear only when their client id and secret are configured."""
    providers: dict[str, dict[str, object]] = {}
    for name, prefix in (("github", "GITHUB"), ("google", "GOOGLE"), ("microsoft", "MICROSOFT")):
        client_id = env.str(f"{prefix}_CLIENT_ID", default="")
        secret = env.str(f"{prefix}_CLIENT_SECRET", default="")
        if client_id and secret:
            app: dict[str, object] = {"client_id": client_id, "secret": secret}
            if name == "microsoft":
                app["settings"] = {"tenant": env.str("MICROSOFT_TENANT", default="common")}
            providers[name] = {"APPS": [app], "SCOPE": ["email"] if name == "github" else []}
            if name == "google":
                providers[name]["SCOPE"] = ["profile", "email"]
            if name == "microsoft":
                providers[name]["SCOPE"] = ["User.Read"]
    oidc_id = env.str("OIDC_CLIENT_ID", default="")
    oidc_secret = env.str("OIDC_CLIENT_SECRET", default="")
    oidc_url = env.str("OIDC_SERVER_URL", default="")
    if oidc_id and oidc_secret and oidc_url:
        providers["openid_connect"] = {
            "APPS": [
                {
                    "provider_id": env.str("OIDC_PROVIDER_ID", default="oidc"),
                    "name": env.str("OIDC_PROVIDER_NAME", default="Single sign-on"),
                    "client_id": oidc_id,
                    "secret": oidc_secret,
                    "settings": {"server_url": oidc_url},
                }
            ]
        }
    return providers


SOCIALACCOUNT_PROVIDERS = _social_providers()
# Only configured providers are installed: an installed provider without credentials has
# routes that can only fail (no SocialApp), and a sign-in button that leads nowhere.
INSTALLED_APPS += [f"allauth.socialaccount.providers.{name}" for name in SOCIALACCOUNT_PROVIDERS]
ACCOUNT_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = ACCOUNT_TRUSTED_PROXY_COUNT

# --- i18n, static, media ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- protected documents (secure_documents) ----------------------------------------------
# Files live outside MEDIA_ROOT and have no public URL; the serve view checks membership.
SECURE_DOCUMENTS_ROOT = env.path("SECURE_DOCUMENTS_ROOT", default=BASE_DIR / "protected")
# stream: the app streams the file; accel: nginx sends it (X-Accel-Redirect);
# s3: a presigned URL valid for DOCUMENT_PRESIGNED_SECONDS, after the permission check.
DOCUMENT_SERVE_MODE = env.str("DOCUMENT_SERVE_MODE", default="stream")
DOCUMENT_ACCEL_PREFIX = env.str("DOCUMENT_ACCEL_PREFIX", default="/_protected/")
DOCUMENT_PRESIGNED_SECONDS = env.int("DOCUMENT_PRESIGNED_SECONDS", default=60)
DOCUMENT_STORAGE = env.str("DOCUMENT_STORAGE", default="filesystem")  # or "s3"
# Readiness fails (config/health.py) when the document directory has less free space.
DOCUMENT_STORE_MIN_FREE_BYTES = env.int("DOCUMENT_STORE_MIN_FREE_BYTES", default=64 * 1024 * 1024)
DOCUMENT_MAX_UPLOAD_BYTES = env.int("DOCUMENT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
DOCUMENT_MAX_FILES_PER_REQUEST = env.int("DOCUMENT_MAX_FILES_PER_REQUEST", default=10)
DOCUMENT_ALLOWED_EXTENSIONS = env.list(
    "DOCUMENT_ALLOWED_EXTENSIONS",
    default=[
        "pdf",
        "txt",
        "csv",
        "md",
        "docx",
        "xlsx",
        "pptx",
        "odt",
        "ods",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "zip",
    ],
)
DOCUMENT_UPLOAD_RATE = env.str("DOCUMENT_UPLOAD_RATE", default="60/m")
# Searchable text of a clean document (secure_documents/text.py): characters kept (0: no
# extraction), and how long the parser's child process may run for one file.
DOCUMENT_TEXT_MAX_CHARS = env.int("DOCUMENT_TEXT_MAX_CHARS", default=100_000)
DOCUMENT_TEXT_TIMEOUT_SECONDS = env.int("DOCUMENT_TEXT_TIMEOUT_SECONDS", default=30)
# Requests per API token (api/auth.py): a 429 with Retry-After beyond it.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="300/m")
# An export still unfinished this long after its request is queued again.
EXPORT_SWEEP_AFTER_SECONDS = env.int("EXPORT_SWEEP_AFTER_SECONDS", default=900)
# The outbox relay leaves rows this young to the process that is sending them.
OUTBOX_SEND_GRACE_SECONDS = env.int("OUTBOX_SEND_GRACE_SECONDS", default=10)
DOCUMENT_SWEEP_GRACE_SECONDS = env.int("DOCUMENT_SWEEP_GRACE_SECONDS", default=60 * 60)
CLAMAV_URL = env.str("CLAMAV_URL", default="")  # tcp://clamav:3310 or unix:///run/clamd.ctl
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="")
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="")
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_DOCUMENT_FORM_BASE = "secure_documents.forms.SecureDocumentAdminForm"
# A browser may never render an uploaded document in the site's origin.
WAGTAILDOCS_INLINE_CONTENT_TYPES: list[str] = []
# --- protected images (secure_images) -------------------------------------------------
# Originals and renditions live in the documents' protected storage (same root or bucket,
# same serve modes) and are served by secure_images.views after the access check.
WAGTAILIMAGES_IMAGE_MODEL = "secure_images.SecureImage"
WAGTAILIMAGES_IMAGE_FORM_BASE = "secure_images.forms.SecureImageAdminForm"
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "gif", "webp"]
IMAGE_MAX_UPLOAD_BYTES = env.int("IMAGE_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
WAGTAILIMAGES_MAX_UPLOAD_SIZE = IMAGE_MAX_UPLOAD_BYTES
# Decompression bombs: a small file that decodes to a huge bitmap.
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = IMAGE_MAX_PIXELS
IMAGE_MAX_FRAMES = env.int("IMAGE_MAX_FRAMES", default=300)
IMAGE_MAX_ANIMATION_PIXELS = env.int("IMAGE_MAX_ANIMATION_PIXELS", default=200_000_000)
# Images of a published (not members-only) organization may be cached by anyone for this
# long; members-only ones only by the member's browser, for this long.
IMAGE_PUBLIC_CACHE_SECONDS = env.int("IMAGE_PUBLIC_CACHE_SECONDS", default=24 * 60 * 60)
IMAGE_PRIVATE_CACHE_SECONDS = env.int("IMAGE_PRIVATE_CACHE_SECONDS", default=5 * 60)
DATA_UPLOAD_MAX_NUMBER_FILES = 50
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- email --------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Org Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security headers that apply in every mode -------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag, not the cookie

from csp.constants import NONCE, NONE, SELF  # noqa: E402

# Origins allowed to open websockets (Channels' OriginValidator patterns). Production
# accepts https origins only: by default the ALLOWED_HOSTS over https, plus the https
# CSRF_TRUSTED_ORIGINS (with their ports). Scheme-less entries (development, tests)
# match any scheme and port.
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=[]) or (
    list(ALLOWED_HOSTS)
    if DEBUG
    else [f"https://{host}" for host in ALLOWED_HOSTS]
    + [origin for origin in CSRF_TRUSTED_ORIGINS if origin.startswith("https://")]
)
_site = urlparse(SITE_URL)
_WEBSOCKET_SOURCES = [f"{'wss' if _site.scheme == 'https' else 'ws'}://{_site.netloc}"]
if DEBUG:
    _WEBSOCKET_SOURCES += ["ws://localhost:*", "ws://127.0.0.1:*"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # Wagtail's admin sets inline style attributes; styles cannot run code.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        # This site's own websocket origin only ('self' does not cover ws: everywhere).
        "connect-src": [SELF, *_WEBSOCKET_SOURCES],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}

# --- Wagtail ------------------------------------------------------------------------------
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# All sign-in goes through allauth (two-factor, rate limits): the admin's, the front
# end's (members-only pages), and no shared-password page privacy (an unthrottled form).
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_DOCUMENT_MODEL = "secure_documents.SecureDocument"
# No Gravatar: it would send a hash of every member's email to a third party (and our
# CSP blocks the images anyway). The admin shows its default avatar instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Each organization's root page type (organizations.pages.AbstractOrganizationPage).
ORGANIZATION_ROOT_PAGE_MODEL = "dashboards.OrganizationPage"
# Wagtail's own form check; secure_documents.validation applies the full rules.
WAGTAILDOCS_EXTENSIONS = DOCUMENT_ALLOWED_EXTENSIONS
# The product's admin: no Wagtail release banner or update notice (they name Wagtail and
# its version); ui/wagtail_hooks.py removes the help menu's links to wagtail.org.
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
# The admin under the Content Security Policy (docs/decisions.md, 42): a time zone list
# the browser understands (the system's zoneinfo also lists "localtime" and "Factory",
# which the account page's script rejects).
WAGTAIL_USER_TIME_ZONES = sorted(
    name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"
)

AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# --- monitoring ---------------------------------------------------------------------------
# /metrics answers superusers, or anyone presenting "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- logging (structlog) ------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")

from config.logging import build_logging  # noqa: E402

LOGGING = build_logging(level=LOG_LEVEL, fmt=LOG_FORMAT)

# The release being run (an image tag or commit): named to error tracking, and part of
# the key of every rendered page kept in the cache (ui/fragments.py).
APP_VERSION = env.str("APP_VERSION", default="")
# The commit the image was built from (docker/Dockerfile sets it): also part of that key,
# so a deploy that changes templates or code but not APP_VERSION starts afresh.
APP_GIT_COMMIT = env.str("APP_GIT_COMMIT", default="")

# --- error tracking (optional) ------------------------------------------------------------
# Sentry or a Sentry-compatible server; personal data is scrubbed (config/error_tracking.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config import error_tracking

    error_tracking.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=APP_VERSION,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

AUTH_USER_MODEL = "accounts.User"
