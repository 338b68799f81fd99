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
class RouterStatus:
    """What one virtual router thinks, and why."""

    name: str
    interface: str
    vrid: int
    version: int
    family: int
    state: str
    in_state_for: float  # seconds
    reason: str  # a sentence: why the router is in its state
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
        return cls(**fields)
