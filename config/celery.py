"""The Celery application; tasks are discovered from every installed app."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

from config.worker_health import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Binds the request id, user id and organization id sent in task headers (see
# django-structlog's publish receiver) to each task's logging context.
app.steps["worker"].add(DjangoStructLogInitStep)
# A heartbeat file written by the worker's event loop (docker/healthcheck.py worker).
app.steps["worker"].add(Heartbeat)


@setup_logging.connect
def _use_django_logging(**_: object) -> None:
    # Keep Celery from replacing the structlog configuration Django already set up.
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


# Connects the task metrics in every process that runs tasks (workers, and the web
# process when tasks run inline), and the log-context receivers in every process; the
# dead-letter recorder is organizations.dead_letter, connected when that app is ready.
from config import task_metrics  # noqa: E402, F401
