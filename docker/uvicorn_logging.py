"""Logging for uvicorn's own lines (start-up, shutdown, worker supervision) as JSON.

docker/start_server.sh passes docker/uvicorn-logging.json to uvicorn, which names
``json_formatter`` below; start_server.sh puts this directory on PYTHONPATH. Inside each
worker, Django's LOGGING (config/logging.py) replaces the root handler once the app is
imported, and uvicorn's loggers keep propagating to it, so every line has one format.
"""

from __future__ import annotations

import logging

import structlog


def json_formatter() -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
    )
