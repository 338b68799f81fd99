"""What goes into a virtual router (events) and what comes out (actions).

Events are facts in the past tense, reported by the shell. Actions are
imperatives for the shell to carry out, in the order given.
"""

from __future__ import annotations

from dataclasses import dataclass

from vrrpd.protocol.model import IPAddress, State, Vip
from vrrpd.protocol.packet import Advert, DropReason

# ── events ──────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Started:
    """The shell is ready: sockets bound, tracks and link state first reported."""


@dataclass(frozen=True, slots=True)
class AdvertReceived:
    """A decoded advert for this router's VRID, past the shell's checks."""

    advert: Advert
    source: IPAddress


@dataclass(frozen=True, slots=True)
class AdvertDropped:
    """The shell refused a packet for this router; the router counts it."""

    reason: DropReason
    source: IPAddress | None
    detail: str


@dataclass(frozen=True, slots=True)
class TrackChanged:
    """A track's new result: up or down (scripts, interfaces) or a number (files)."""

    name: str
    up: bool
    value: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """The instance's own interface went up or down."""

    up: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class GroupFaultChanged:
    """Another member of the sync group is in FAULT (reason), or none is (None)."""

    reason: str | None


@dataclass(frozen=True, slots=True)
class GroupStateRequested:
    """The sync group asks the router to follow a member to MASTER or BACKUP."""

    state: State
    reason: str


@dataclass(frozen=True, slots=True)
class MaintenanceChanged:
    """The operator drains the node (on) or gives it back (off)."""

    on: bool


@dataclass(frozen=True, slots=True)
class ShutdownRequested:
    """The daemon is stopping (SIGTERM) or the instance was removed."""


Event = (
    Started
    | AdvertReceived
    | AdvertDropped
    | TrackChanged
    | LinkChanged
    | GroupFaultChanged
    | GroupStateRequested
    | MaintenanceChanged
    | ShutdownRequested
)

# ── actions ─────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class SendAdvert:
    """Send this advert now (multicast, or to each unicast peer)."""

    advert: Advert


@dataclass(frozen=True, slots=True)
class AddVips:
    """Add these virtual IPs to their interfaces."""

    vips: tuple[Vip, ...]


@dataclass(frozen=True, slots=True)
class RemoveVips:
    """Remove these virtual IPs from their interfaces."""

    vips: tuple[Vip, ...]


@dataclass(frozen=True, slots=True)
class Announce:
    """Send `count` gratuitous ARPs (IPv4) / unsolicited NAs (IPv6) for each VIP."""

    vips: tuple[Vip, ...]
    count: int


@dataclass(frozen=True, slots=True)
class Notify:
    """The router changed state: log it and run the notify hooks."""

    previous: State
    state: State
    priority: int
    reason: str


@dataclass(frozen=True, slots=True)
class ReportDrop:
    """An advert was refused: count and log it (once per reason and source)."""

    reason: DropReason
    source: IPAddress | None
    detail: str


Action = SendAdvert | AddVips | RemoveVips | Announce | Notify | ReportDrop
