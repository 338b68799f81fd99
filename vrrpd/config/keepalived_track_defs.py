"""vrrp_script and track_file: the named tracks instances and sync groups use.

Scripts and track files share one namespace of names in vrrpd, and each must
be defined before it is used (Keepalived ignores a later definition's use).
"""

from __future__ import annotations

from collections.abc import Callable

from vrrpd.config.keepalived_blocks import Section, read_named
from vrrpd.config.keepalived_drafts import DefinedTrack, Drafts, FileDraft, ScriptDraft
from vrrpd.config.keepalived_policies import TRACK_FILE_POLICIES
from vrrpd.config.keepalived_syntax import Statement, Token
from vrrpd.config.keepalived_values import SCRIPT_INTERVAL_MAX, SCRIPT_WEIGHT, ValueReader
from vrrpd.config.loader import WEIGHT_MAX
from vrrpd.protocol.model import TrackKind

# --- vrrp_script -----------------------------------------------------------------------------


def _script(r: ValueReader, stmt: Statement, path: str, s: ScriptDraft) -> None:
    s.command = r.command(stmt, path, hook=False)


def _interval(r: ValueReader, stmt: Statement, path: str, s: ScriptDraft) -> None:
    s.interval = r.integer_at(stmt, path, 1, SCRIPT_INTERVAL_MAX) or s.interval


def _timeout(r: ValueReader, stmt: Statement, path: str, s: ScriptDraft) -> None:
    s.timeout = r.integer_at(stmt, path, 1, None)


def _fall(r: ValueReader, stmt: Statement, path: str, s: ScriptDraft) -> None:
    s.fall = r.integer_at(stmt, path, 1, None) or s.fall


def _rise(r: ValueReader, stmt: Statement, path: str, s: ScriptDraft) -> None:
    s.rise = r.integer_at(stmt, path, 1, None) or s.rise


def _script_weight(r: ValueReader, stmt: Statement, path: str, s: ScriptDraft) -> None:
    weight = _weight(r, stmt, path, SCRIPT_WEIGHT)
    if weight is not None:
        s.weight = weight


def _user(r: ValueReader, stmt: Statement, path: str, s: ScriptDraft) -> None:
    s.user = r.user(stmt, path)


def _init_fail(r: ValueReader, stmt: Statement, path: str, s: ScriptDraft) -> None:
    s.init_fail = r.bare(stmt, path) or s.init_fail


VRRP_SCRIPT: Section[ScriptDraft] = Section(
    "vrrp_script",
    {
        "script": _script,
        "interval": _interval,
        "timeout": _timeout,
        "weight": _script_weight,
        "rise": _rise,
        "fall": _fall,
        "user": _user,
        "init_fail": _init_fail,
    },
)


def read_vrrp_script(r: ValueReader, stmt: Statement, drafts: Drafts, seq: int) -> None:
    """`vrrp_script NAME { ... }`."""
    found = read_named(
        r,
        stmt,
        "script",
        VRRP_SCRIPT,
        new=lambda name, path: ScriptDraft(),
        taken=_taken(drafts, TrackKind.SCRIPT),
    )
    if found is None:
        return
    name, path, draft = found
    r.report.require(
        draft.command is not None,
        stmt.head,
        f"{path}.script",
        "missing the script to run",
        'add `script "/path/to/check arg"`',
    )
    drafts.scripts[name] = draft.track(name)
    _define(r, drafts, TrackKind.SCRIPT, stmt, path, weight=draft.weight, seq=seq)


# --- track_file ------------------------------------------------------------------------------


def _file(r: ValueReader, stmt: Statement, path: str, f: FileDraft) -> None:
    token = r.one(stmt, path, "/etc/keepalived/maintenance")
    if token is None:
        return
    if not token.text.startswith("/"):
        fix = "write an absolute path: vrrpd does not run in the configuration's directory"
        r.report.error(token, path, f"{token.text!r} is a relative path", fix)
        return
    f.path = token.text


def _file_weight(r: ValueReader, stmt: Statement, path: str, f: FileDraft) -> None:
    weight = _weight(r, stmt, path, WEIGHT_MAX)
    if weight is not None:
        f.weight = weight


TRACK_FILE: Section[FileDraft] = Section(
    "track_file", {"file": _file, "weight": _file_weight}, TRACK_FILE_POLICIES
)


def read_track_file(r: ValueReader, stmt: Statement, drafts: Drafts, seq: int) -> None:
    """`track_file NAME { ... }` (or vrrp_track_file, its older name)."""
    found = read_named(
        r,
        stmt,
        "track file",
        TRACK_FILE,
        new=lambda name, path: FileDraft(),
        taken=_taken(drafts, TrackKind.FILE),
    )
    if found is None:
        return
    name, path, draft = found
    r.report.require(
        draft.path is not None,
        stmt.head,
        f"{path}.file",
        "missing the file to track",
        "add `file /etc/keepalived/maintenance`",
    )
    drafts.files[name] = draft.track(name)
    _define(r, drafts, TrackKind.FILE, stmt, path, weight=draft.weight, seq=seq)


# --- what both share --------------------------------------------------------------------------


def _weight(r: ValueReader, stmt: Statement, path: str, limit: int) -> int | None:
    """`weight W [reverse|noreverse]` in a vrrp_script or track_file block."""
    if not r.no_block(stmt, path):
        return None
    if not stmt.args:
        r.report.error(stmt.head, path, "needs a value", "write `weight -20`")
        return None
    for word in stmt.args[1:]:
        if word.text == "reverse":
            fix = "remove `reverse`, and express the track the other way round"
            r.report.error(word, path, "reversed tracks are not supported", fix)
            return None
        if word.text not in ("noreverse", "no_reverse"):
            r.report.error(word, path, f"unexpected {word.text!r}", "write `weight -20`")
            return None
    return r.integer(stmt.args[0], path, -limit, limit)


def _taken(drafts: Drafts, kind: TrackKind) -> Callable[[str], Token | None]:
    """Where a track of this kind with a given name is defined already, if it is."""

    def first(name: str) -> Token | None:
        found = drafts.defined.get((kind, name))
        return None if found is None else found.at

    return first


def _define(
    r: ValueReader,
    drafts: Drafts,
    kind: TrackKind,
    stmt: Statement,
    path: str,
    *,
    weight: int,
    seq: int,
) -> None:
    """Record a definition; a script and a track file cannot have the same name."""
    name = stmt.args[0].text
    other = TrackKind.FILE if kind is TrackKind.SCRIPT else TrackKind.SCRIPT
    clash = drafts.defined.get((other, name))
    if clash is not None:
        r.report.error(
            stmt.args[0],
            path,
            f"{name!r} is also the name of a {other.value} (line {clash.at.line})",
            "rename one: vrrpd's scripts and track files share one namespace",
        )
    drafts.defined[(kind, name)] = DefinedTrack(weight, seq, stmt.head, path)
