"""What a keepalived.conf reading found, and where: the issues, and each key path's place.

Every part of the reader reports into one `Report`: an issue at the token
it is about, and the position of each key path it reads, in whichever file
(the main one or an include) it was written. The `KeepalivedSourceMap` it
gives keeps those places, for the checks that run on the model afterwards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vrrpd.config.errors import (
    FILE_AS_A_WHOLE,
    ConfigIssue,
    Position,
    Severity,
    SourceMap,
    parent_path,
)
from vrrpd.config.verdict import failed_under

if TYPE_CHECKING:  # keepalived_syntax reports here: only the type is needed
    from vrrpd.config.keepalived_syntax import Token


# The YAML schema's section names, as keepalived.conf spells them (for key paths).
_SECTION_NAMES = {
    "global": "global_defs",
    "scripts": "vrrp_script",
    "track_files": "track_file",
    "instances": "vrrp_instance",
    "sync_groups": "vrrp_sync_group",
}


# --- where things were written ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class KeepalivedSourceMap(SourceMap):
    """A SourceMap over several files (the main one and its includes).

    Key paths are Keepalived's (`vrrp_instance.VI_1.priority`); a path in the
    YAML schema's words (`instances.VI_1.notify`, as `script_issues` asks) is
    translated first, so the same checks point into the right file and line.
    """

    files: Mapping[str, str] = field(default_factory=dict)  # key path -> file it is in

    @staticmethod
    def translate(path: str) -> str:
        head, dot, rest = path.partition(".")
        return _SECTION_NAMES.get(head, head) + dot + rest

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.translate(path) in self.values

    def file_of(self, path: str) -> str:
        """The file `path` (or its nearest recorded ancestor) was written in."""
        path = self.translate(path)
        while path:
            if path in self.files:
                return self.files[path]
            path = parent_path(path)
        return self.filename

    def key_position(self, path: str) -> Position:
        return SourceMap.key_position(self, self.translate(path))

    def position(self, path: str) -> Position:
        return SourceMap.position(self, self.translate(path))

    def issue(
        self,
        path: str,
        problem: str,
        fix: str = "",
        severity: Severity = Severity.ERROR,
    ) -> ConfigIssue:
        """An issue placed at `path`'s value, in the file it was written in."""
        path = self.translate(path)
        placed = SourceMap.issue(self, path, problem, fix, severity)
        return dataclasses.replace(placed, file=self.file_of(path))


@dataclass(slots=True)
class Report:
    """Issues, and where each key path was written."""

    top_file: str
    issues: list[ConfigIssue] = field(default_factory=list)
    keys: dict[str, Position] = field(default_factory=dict)
    values: dict[str, Position] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    file_order: dict[str, int] = field(default_factory=dict)

    def add(self, at: Token | None, path: str, problem: str, fix: str, severity: Severity) -> None:
        if at is None:
            where = (self.top_file, FILE_AS_A_WHOLE.line, FILE_AS_A_WHOLE.column)
        else:
            where = (at.file, at.line, at.column)
        self.issues.append(ConfigIssue(*where, path, problem, fix, severity))

    def error(self, at: Token | None, path: str, problem: str, fix: str = "") -> None:
        self.add(at, path, problem, fix, Severity.ERROR)

    def warn(self, at: Token | None, path: str, problem: str, fix: str = "") -> None:
        self.add(at, path, problem, fix, Severity.WARNING)

    def note(self, at: Token | None, path: str, problem: str, fix: str = "") -> None:
        self.add(at, path, problem, fix, Severity.NOTE)

    def record(self, path: str, key: Token, value: Token | None = None) -> None:
        self.keys[path] = Position(key.line, key.column)
        self.values[path] = Position((value or key).line, (value or key).column)
        self.files[path] = key.file

    def failed(self, *paths: str) -> bool:
        """Whether an error was reported at, or under, any of these key paths."""
        return failed_under(self.issues, paths)

    def require(self, present: bool, at: Token, path: str, problem: str, fix: str) -> None:
        """An error at `path` if a required setting is not `present` (and had no error yet)."""
        if not present and not self.failed(path):
            self.error(at, path, problem, fix)

    @property
    def source(self) -> KeepalivedSourceMap:
        return KeepalivedSourceMap(self.top_file, self.keys, self.values, self.files)

    def sorted_issues(self) -> list[ConfigIssue]:
        def rank(issue: ConfigIssue) -> tuple[int, int, int]:
            return (self.file_order.get(issue.file, 0), issue.line, issue.column)

        return sorted(self.issues, key=rank)
