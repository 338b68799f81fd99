"""Frozen value types for the protocol core: what an instance is configured as.

The config loaders (YAML, keepalived.conf) build these; the core only reads
them. Nothing here knows about files, positions or the OS.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field

from vrrpd.protocol.status import DEFAULT_CONTROL_SOCKET

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface

# RFC 9568 §5.2.3 / RFC 3768 §5.3.3: a VRID is 1..255.
VRID_MIN, VRID_MAX = 1, 255
# RFC 9568 §5.2.4: 255 is the address owner; 0 is only sent to resign.
PRIORITY_OWNER = 255
PRIORITY_RESIGN = 0
PRIORITY_MIN_BACKUP, PRIORITY_MAX_BACKUP = 1, 254
# RFC 9568 §5.2.7: Max Adver Int is 12 bits of centiseconds.
V3_ADVER_INT_CS_MAX = 4095
# RFC 3768 §5.3.7: Adver Int is 8 bits of whole seconds.
V2_ADVER_INT_S_MAX = 255


class Version(enum.IntEnum):
    """The VRRP version an instance speaks."""

    V2 = 2  # RFC 3768, IPv4 only
    V3 = 3  # RFC 9568, IPv4 and IPv6


class Family(enum.IntEnum):
    """The address family of an instance (and of every VIP in it)."""

    IPV4 = 4
    IPV6 = 6


class AuthType(enum.IntEnum):
    """RFC 3768 §5.3.6 authentication types (VRRPv2 only)."""

    NONE = 0
    PASS = 1  # simple text password, 8 bytes, zero padded
    AH = 2  # IP Authentication Header: decoded, never accepted


class State(enum.StrEnum):
    """A virtual router's state, in Keepalived's words (RFC 9568 says Active for MASTER)."""

    INIT = "INIT"
    BACKUP = "BACKUP"
    MASTER = "MASTER"
    FAULT = "FAULT"
    STOP = "STOP"


class TrackKind(enum.StrEnum):
    """What a track watches."""

    SCRIPT = "script"
    INTERFACE = "interface"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Vip:
    """A virtual IP address with its prefix, and where and how to add it."""

    interface: IPInterface
    dev: str | None = None  # None: the instance's interface
    label: str | None = None
    scope: str | None = None

    @property
    def address(self) -> IPAddress:
        return self.interface.ip

    @property
    def family(self) -> Family:
        return Family.IPV4 if self.interface.version == 4 else Family.IPV6


@dataclass(frozen=True, slots=True)
class TrackRef:
    """An instance's use of a track, with the weight that instance gives it.

    Keepalived: weight > 0 is added while the track is up, weight < 0 is added
    while it is down, weight 0 means the instance goes to FAULT while it is down.
    For a FILE track the number read from the file is multiplied by the weight.
    """

    name: str
    kind: TrackKind
    weight: int = 0


@dataclass(frozen=True, slots=True)
class Announcements:
    """Gratuitous ARP / unsolicited NA schedule (Keepalived's garp_master_* keys)."""

    repeat: int = 5  # garp_master_repeat: messages per burst
    delay: float = 5.0  # garp_master_delay: seconds until the second burst (0: none)
    refresh: float = 0.0  # garp_master_refresh: seconds between refresh bursts (0: none)
    refresh_repeat: int = 1  # garp_master_refresh_repeat


@dataclass(frozen=True, slots=True)
class NotifyHooks:
    """Commands run on transitions (Keepalived's notify_* keys); None: not set."""

    master: str | None = None
    backup: str | None = None
    fault: str | None = None
    stop: str | None = None
    notify: str | None = None  # generic: called as `notify INSTANCE name state priority`
    timeout: float = 30.0  # seconds before a hook's process group is killed


@dataclass(frozen=True, slots=True)
class ScriptTrack:
    """A named track script (Keepalived's vrrp_script)."""

    name: str
    command: str
    interval: float = 1.0  # seconds between runs (fractions allowed)
    timeout: float | None = None  # seconds; None: the interval
    fall: int = 1  # failures in a row before the track goes down
    rise: int = 1  # successes in a row before it comes up again
    weight: int = 0  # used by instances that do not give their own
    user: str | None = None  # run as this user (default: the global script_user)
    init_fail: bool = False  # Keepalived: start as down until the first success


@dataclass(frozen=True, slots=True)
class FileTrack:
    """A named track file (Keepalived's vrrp_track_file): a number in a file."""

    name: str
    path: str
    weight: int = 1


@dataclass(frozen=True, slots=True)
class InstanceConfig:
    """One virtual router, as configured (Keepalived's vrrp_instance)."""

    name: str
    interface: str
    vrid: int
    priority: int = 100
    version: Version = Version.V3
    family: Family = Family.IPV4
    advert_int_cs: int = 100  # Advertisement_Interval, centiseconds
    vips: tuple[Vip, ...] = ()
    preempt: bool = True  # RFC 9568 §6.1 Preempt_Mode
    preempt_delay: float = 0.0  # Keepalived: seconds a backup waits before preempting
    auth_type: AuthType = AuthType.NONE
    auth_pass: bytes = b""  # at most 8 bytes, PASS only
    unicast_src_ip: IPAddress | None = None
    unicast_peers: tuple[IPAddress, ...] = ()
    v3_checksum_as_v2: bool = False  # Keepalived: v3 IPv4 checksum without pseudo-header
    lower_prio_no_advert: bool = False  # Keepalived: master stays quiet on lower adverts
    tracks: tuple[TrackRef, ...] = ()
    announcements: Announcements = field(default_factory=Announcements)
    sync_group: str | None = None
    notify: NotifyHooks = field(default_factory=NotifyHooks)

    @property
    def is_owner(self) -> bool:
        """RFC 9568 §5.2.4: priority 255 is the owner of the virtual addresses."""
        return self.priority == PRIORITY_OWNER

    @property
    def advertisement_interval(self) -> float:
        """RFC 9568 §6.1 Advertisement_Interval, in seconds."""
        return self.advert_int_cs / 100

    @property
    def unicast(self) -> bool:
        return bool(self.unicast_peers)


@dataclass(frozen=True, slots=True)
class SyncGroupConfig:
    """A named set of instances that are MASTER, BACKUP or FAULT together."""

    name: str
    members: tuple[str, ...]
    notify: NotifyHooks = field(default_factory=NotifyHooks)


@dataclass(frozen=True, slots=True)
class GlobalConfig:
    """Daemon-wide settings (the VRRP part of Keepalived's global_defs)."""

    router_id: str | None = None  # None: the host name
    log_format: str = "auto"  # auto (console on a TTY, else json), console, json, logfmt
    log_level: str = "info"
    control_socket: str = DEFAULT_CONTROL_SOCKET
    script_user: str | None = None  # None: root, as Keepalived without script_user
    metrics_listen: str | None = None  # "127.0.0.1:9650", "[::1]:9650"; None: no metrics
    notify: NotifyHooks = field(default_factory=NotifyHooks)  # defaults for instances


@dataclass(frozen=True, slots=True)
class Config:
    """A whole, validated configuration."""

    global_: GlobalConfig = field(default_factory=GlobalConfig)
    instances: tuple[InstanceConfig, ...] = ()
    scripts: tuple[ScriptTrack, ...] = ()
    files: tuple[FileTrack, ...] = ()
    sync_groups: tuple[SyncGroupConfig, ...] = ()
