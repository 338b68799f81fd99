"""Config issues a user can act on: what is wrong, where (file:line:col, key), what to do.

A `ConfigIssue` is one finding; `ConfigError` carries every error found in a
file at once (and the warnings found alongside). A `SourceMap` remembers where
each key and value was written, so later checks can point at the right line.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class VrrpdError(Exception):
    """Base of the errors vrrpd reports to a user instead of a traceback."""


class Severity(enum.StrEnum):
    """How much an issue matters: an error stops the load, the others do not."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a file, 1-based; line 0 means the file as a whole."""

    line: int
    column: int


FILE_AS_A_WHOLE = Position(0, 0)


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One finding in a config file.

    `str()` reads like a compiler message, e.g.
    ``vrrpd.yaml:14:11: instances.VI_1.vrid: 300 is out of range; use 1..255``;
    warnings and notes carry their severity after the position.
    """

    file: str
    line: int
    column: int
    key: str  # dotted key path, e.g. instances.VI_1.track_script[0].weight; "" for the file
    problem: str
    fix: str = ""
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = self.file if self.line == 0 else f"{self.file}:{self.line}:{self.column}"
        parts = [where]
        if self.severity is not Severity.ERROR:
            parts.append(str(self.severity))
        if self.key:
            parts.append(self.key)
        text = ": ".join(parts) + ": " + self.problem
        return f"{text}; {self.fix}" if self.fix else text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class ConfigError(VrrpdError):
    """A config that cannot be used, with every error in it (not only the first)."""

    def __init__(self, issues: Iterable[ConfigIssue], warnings: Iterable[ConfigIssue] = ()) -> None:
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        self.warnings: tuple[ConfigIssue, ...] = tuple(warnings)
        super().__init__("\n".join(str(issue) for issue in self.issues))


# A key path's last step: ".name" or "[index]".
_LAST_STEP = re.compile(r"(\.[^.\[\]]*|\[\d+\])$")


def parent_path(path: str) -> str:
    """The key path one step up: instances.VI_1.vrid -> instances.VI_1; top level -> ""."""
    parent = _LAST_STEP.sub("", path)
    return "" if parent == path else parent


@dataclass(frozen=True, slots=True, eq=False)
class SourceMap:
    """Where each key path was written in one file: its key and its value.

    A path that was not written (a missing key, a default) is placed at the
    key of its nearest written ancestor, which is where a user would add it.
    """

    filename: str
    keys: Mapping[str, Position] = field(default_factory=dict)
    values: Mapping[str, Position] = field(default_factory=dict)

    def __contains__(self, path: object) -> bool:
        return path in self.values

    def key_position(self, path: str) -> Position:
        """Where the key of `path` (or of its nearest written ancestor) is."""
        while path:
            if path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            path = parent_path(path)
        return Position(1, 1)

    def position(self, path: str) -> Position:
        """Where the value of `path` is; for an absent path, its nearest ancestor's key."""
        if path in self.values:
            return self.values[path]
        return self.key_position(parent_path(path))

    def issue(
        self,
        path: str,
        problem: str,
        fix: str = "",
        severity: Severity = Severity.ERROR,
    ) -> ConfigIssue:
        """An issue placed at `path`'s value."""
        at = self.position(path)
        return ConfigIssue(self.filename, at.line, at.column, path, problem, fix, severity)
