"""A keepalived.conf as read, before Keepalived's defaults and rules apply: the drafts.

The section readers fill the drafts, keeping where each setting was written;
the rules and checks turn them into the model once the whole text is read
(a sync group, a global default or a track definition may come later).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from vrrpd.config.keepalived_syntax import Token
from vrrpd.protocol.model import (
    AuthType,
    FileTrack,
    IPAddress,
    NotifyHooks,
    ScriptTrack,
    TrackKind,
    Vip,
)

NOTIFY_KEYWORDS = ("notify_master", "notify_backup", "notify_fault", "notify_stop", "notify")

Member = tuple[str, Token, str]  # a sync group member: the instance's name, where, its key path


def notify_hooks(given: Mapping[str, str]) -> NotifyHooks:
    """The hooks given by keyword (notify_master: ...) as the model's NotifyHooks."""
    return NotifyHooks(
        master=given.get("notify_master"),
        backup=given.get("notify_backup"),
        fault=given.get("notify_fault"),
        stop=given.get("notify_stop"),
        notify=given.get("notify"),
    )


@dataclass(slots=True)
class GlobalsDraft:
    """global_defs, as read."""

    router_id: str | None = None
    script_user: str | None = None
    script_security: Token | None = None
    vrrp_version: int | None = None
    version_at: Token | None = None
    garp: dict[str, int] = field(default_factory=dict)
    lower_prio_no_advert: bool = False
    v3_checksum_as_v2: bool = False


@dataclass(slots=True)
class ScriptDraft:
    """A vrrp_script block, as read."""

    command: str | None = None
    interval: int = 1
    timeout: int | None = None
    fall: int = 1
    rise: int = 1
    weight: int = 0
    user: str | None = None
    init_fail: bool = False

    def track(self, name: str) -> ScriptTrack:
        return ScriptTrack(
            name=name,
            command=self.command or "",
            interval=float(self.interval),
            timeout=None if self.timeout is None else float(self.timeout),
            fall=self.fall,
            rise=self.rise,
            weight=self.weight,
            user=self.user,
            init_fail=self.init_fail,
        )


@dataclass(slots=True)
class FileDraft:
    """A track_file block, as read."""

    path: str | None = None
    weight: int = 1

    def track(self, name: str) -> FileTrack:
        return FileTrack(name=name, path=self.path or "", weight=self.weight)


@dataclass(frozen=True, slots=True)
class DefinedTrack:
    """A named track script or file, and where in the text it was defined."""

    weight: int
    seq: int
    at: Token
    path: str


@dataclass(frozen=True, slots=True)
class TrackUse:
    """A line of a track_script, track_interface or track_file block."""

    kind: TrackKind
    name: str
    weight: int | None  # None: the track's own weight
    at: Token
    path: str
    seq: int  # where in the text (a track must be defined before it is used)


@dataclass(slots=True)
class AuthDraft:
    """An authentication block, as read."""

    auth_type: AuthType | None = None
    secret: bytes | None = None


@dataclass(slots=True)
class InstanceDraft:
    """A vrrp_instance, as read, before the global defaults and sync groups apply."""

    name: str
    path: str
    head: Token
    seq: int  # the top-level statement it is (its track uses are at the same place)
    interface: str | None = None
    vrid: int | None = None
    priority: int | None = None
    state: Token | None = None
    version: int | None = None
    version_at: Token | None = None
    advert_int: tuple[Decimal, Token] | None = None
    vips: list[Vip] = field(default_factory=list)
    vip_at: dict[IPAddress, Token] = field(default_factory=dict)
    nopreempt: Token | None = None
    preempt_at: Token | None = None
    preempt_delay: tuple[Decimal, Token] | None = None
    auth: tuple[AuthType, bytes, Token] | None = None
    source: tuple[IPAddress, Token, str] | None = None
    peers_block: Token | None = None
    peers: list[tuple[IPAddress, Token, str]] = field(default_factory=list)
    v3_checksum_as_v2: bool | None = None
    lower_prio_no_advert: bool | None = None
    garp: dict[str, int] = field(default_factory=dict)
    tracks: list[TrackUse] = field(default_factory=list)
    notify: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # items so far in each list block


@dataclass(slots=True)
class GroupDraft:
    """A vrrp_sync_group, as read."""

    name: str
    path: str
    head: Token
    seq: int
    members: list[Member] = field(default_factory=list)
    tracks: list[TrackUse] = field(default_factory=list)
    notify: dict[str, str] = field(default_factory=dict)
    keep_weights: bool = False
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Drafts:
    """Everything read from the text, by section."""

    globals_: GlobalsDraft = field(default_factory=GlobalsDraft)
    scripts: dict[str, ScriptTrack] = field(default_factory=dict)
    files: dict[str, FileTrack] = field(default_factory=dict)
    defined: dict[tuple[TrackKind, str], DefinedTrack] = field(default_factory=dict)
    instances: dict[str, InstanceDraft] = field(default_factory=dict)
    groups: dict[str, GroupDraft] = field(default_factory=dict)
