"""Status records of a virtual router, and their JSON form.

Shared by the daemon (which publishes them) and vrrpctl (which shows them),
so this module imports nothing but the standard library.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_CONTROL_SOCKET = "/run/vrrpd/vrrpd.sock"
CONTROL_PROTOCOL_VERSION = 1


@dataclass(frozen=True, slots=True)
class TrackStatus:
    """One track as an instance sees it, with its share of the priority."""

    name: str
    kind: str
    weight: int
    up: bool
    value: int
    delta: int
    faults: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Counters:
    """Counts since the instance started."""

    adverts_sent: int = 0
    adverts_received: int = 0
    transitions: int = 0
    drops: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HookRecord:
    """One notify hook that ran."""

    hook: str  # notify_master, ..., notify
    state: str
    command: str
    ok: bool
    detail: str  # "exit status 0", "timed out after 30 s (process group killed)"
    duration: float  # seconds
    ago: float  # seconds before the status was taken


@dataclass(frozen=True, slots=True)
class ScriptRecord:
    """What the shell knows of one track script's runs."""

    name: str
    runs: int
    failures: int
    timeouts: int
    last_detail: str
    last_output: str


@dataclass(frozen=True, slots=True)
class HostStatus:
    """What only the shell knows: the VIPs really present, hooks and scripts run."""

    vips_present: dict[str, bool] = field(default_factory=dict)
    notify_history: tuple[HookRecord, ...] = ()
    scripts: tuple[ScriptRecord, ...] = ()
    send_errors: int = 0


@dataclass(frozen=True, slots=True)
class RouterStatus:
    """What one virtual router thinks, and why."""

    name: str
    interface: str
    vrid: int
    version: int
    family: int
    state: str
    in_state_for: float  # seconds
    reason: str  # a sentence: why the router is in its state now
    last_transition: str  # the reason given when it entered this state
    maintenance: bool  # drained by the operator (vrrpctl maintenance)
    base_priority: int
    effective_priority: int
    advertisement_interval: float  # seconds, configured
    master_adver_interval: float  # seconds, learnt from the master (v3)
    master_address: str | None  # the current master, ourselves included
    master_priority: int | None
    master_down_in: float | None  # seconds until a backup takes over
    vips: tuple[str, ...]
    tracks: tuple[TrackStatus, ...]
    counters: Counters
    host: HostStatus | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (lists for tuples)."""
        data = asdict(self)
        data["vips"] = list(self.vips)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RouterStatus:
        """The inverse of to_json."""
        fields = dict(data)
        fields["vips"] = tuple(data["vips"])
        fields["tracks"] = tuple(TrackStatus(**t) for t in data["tracks"])
        fields["counters"] = Counters(**data["counters"])
        host = data.get("host")
        if host is not None:
            fields["host"] = HostStatus(
                vips_present=dict(host["vips_present"]),
                notify_history=tuple(HookRecord(**h) for h in host["notify_history"]),
                scripts=tuple(ScriptRecord(**s) for s in host["scripts"]),
                send_errors=host["send_errors"],
            )
        return cls(**fields)
