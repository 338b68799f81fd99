"""structlog set-up: console on a terminal, JSON (or logfmt) under systemd."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

FORMATS = ("auto", "console", "json", "logfmt")
LEVELS = ("debug", "info", "warning", "error")


def configure(log_format: str = "auto", level: str = "info") -> None:
    """Send every structlog event to stderr, one per line, in the chosen format."""
    if log_format == "auto":
        log_format = "console" if sys.stderr.isatty() else "json"
    renderer: Any
    if log_format == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    elif log_format == "logfmt":
        renderer = structlog.processors.LogfmtRenderer(key_order=["event"])
    else:
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        # Not cached: a reload may change the level, and loggers bound before must follow.
        cache_logger_on_first_use=False,
    )
