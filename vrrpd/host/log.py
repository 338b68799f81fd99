"""structlog set-up: console on a terminal, JSON (or logfmt) under systemd."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import structlog

FORMATS = ("auto", "console", "json", "logfmt")
LEVELS = ("debug", "info", "warning", "error")
# sd-daemon(3) priority prefixes: journald reads "<N>" at the start of a line.
JOURNAL_PRIORITY = {"debug": 7, "info": 6, "warning": 4, "error": 3, "critical": 2}
Renderer = Callable[[Any, str, Any], str | bytes]


def with_journal_priority(render: Renderer) -> Callable[[Any, str, Any], str]:
    """Prefix each line with its syslog priority, so `journalctl -p warning` works."""

    def prefixed(logger: Any, method: str, event: Any) -> str:
        priority = JOURNAL_PRIORITY.get(str(event.get("level", method)), 6)
        line = render(logger, method, event)
        return f"<{priority}>{line.decode() if isinstance(line, bytes) else line}"

    return prefixed


def to_journal(environ: Mapping[str, str]) -> bool:
    """Is stderr systemd's journal stream (systemd sets JOURNAL_STREAM to its dev:ino)?"""
    expected = environ.get("JOURNAL_STREAM", "")
    try:
        stat = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return expected == f"{stat.st_dev}:{stat.st_ino}"


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
    if log_format != "console" and to_journal(os.environ):
        renderer = with_journal_priority(renderer)
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
