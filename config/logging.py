"""Structured logging: JSON lines in production, readable lines in development.

Every line carries whatever is bound in structlog's context variables: the request id,
user id and organization id for a request, the task id for a Celery task.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.UnicodeDecoder(),
    ]


def build_logging(*, level: str, fmt: str) -> dict[str, Any]:
    """Configure structlog and return the matching ``LOGGING`` dict for Django."""
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        exception_processor: Any = structlog.processors.dict_tracebacks
    else:
        # Plain tracebacks: with rich installed (a dependency of some tools), structlog
        # would render every exception with the locals of each frame, which can take
        # seconds and gigabytes for a frame holding a settings or app object.
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
        exception_processor = structlog.processors.format_exc_info

    # Python warnings become log lines too (JSON in production), not stray stderr text.
    logging.captureWarnings(True)
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )

    formatter = {
        "()": structlog.stdlib.ProcessorFormatter,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([exception_processor] if fmt == "json" else []),
            renderer,
        ],
        # Lines from plain `logging` users (Django, Celery, Wagtail) get the same fields.
        "foreign_pre_chain": _shared_processors(),
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": formatter},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.server": {"level": "WARNING"},
            "django.db.backends": {"level": "WARNING"},
            "django_structlog": {"level": level},
            "uvicorn.access": {"level": "WARNING"},
            "celery": {"level": level},
            # Celery's pool reports killed child processes on this logger, which does
            # not propagate by default: give it our handler so those lines are JSON too.
            "multiprocessing": {"level": level, "handlers": ["console"], "propagate": False},
            # Wagtail 8 runs search-index and reference-index updates as django-tasks;
            # two INFO lines per page save drown everything else.
            "django_tasks": {"level": "WARNING"},
        },
    }
