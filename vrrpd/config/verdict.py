"""What every config reader does around its parser: read the file, and give the verdict.

The verdict on a config is all its issues at once: a ConfigError with every
error (and the warnings found alongside), or else the warnings and notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from vrrpd.config.errors import FILE_AS_A_WHOLE, ConfigError, ConfigIssue


def read_config_text(path: str | Path) -> str:
    """The text of a config file; ConfigError (the file as a whole) if it cannot be read."""
    filename = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([unreadable(filename, exc.strerror or str(exc))]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([unreadable(filename, f"is not UTF-8 text (byte {exc.start})")]) from exc


def unreadable(filename: str, problem: str) -> ConfigIssue:
    """The issue of a config file that cannot be read."""
    fix = "check the path and that vrrpd may read it"
    at = FILE_AS_A_WHOLE
    return ConfigIssue(filename, at.line, at.column, "", f"cannot read: {problem}", fix)


def failed_under(issues: Iterable[ConfigIssue], paths: Iterable[str]) -> bool:
    """Whether an error was reported at, or under, any of these key paths."""
    prefixes = [(p, (p + ".", p + "[")) for p in paths]
    return any(
        issue.is_error and (issue.key == p or issue.key.startswith(below))
        for issue in issues
        for p, below in prefixes
    )


def warnings_or_raise(issues: Iterable[ConfigIssue]) -> tuple[ConfigIssue, ...]:
    """The warnings and notes among `issues`; ConfigError with them all if one is an error."""
    issues = list(issues)
    errors = [i for i in issues if i.is_error]
    warnings = tuple(i for i in issues if not i.is_error)
    if errors:
        raise ConfigError(errors, warnings)
    return warnings
