"""`vrrpctl watch IFACE`: every VRRP speaker heard on a segment, and where they disagree.

Two halves, cleanly apart:

* the view (pure: no clock, no I/O; every call takes `now`, a monotonic time in
  seconds): :class:`Sighting` (one advert as heard), :class:`Speaker` (what one
  source says for one VRID), :class:`SegmentView` (the speakers, their expiry and
  their :class:`Conflict` s) and :func:`render` (the table);
* the capture: :func:`run_watch` reads the interface with scapy (imported there
  and nowhere else, so `vrrpctl` starts fast) and shows the view.

Only masters advertise (RFC 9568 §6.4.3), so on a healthy segment each VRID has
one speaker; a second one means two masters (split brain), a handover in
progress or a VRID clash between two clusters.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import hashlib
import json as jsonlib
import os
import select
import socket
import struct
import sys
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any, Protocol, TextIO

from vrrpd.ctl import EXIT_ERROR, EXIT_OK, format_duration
from vrrpd.protocol.model import AuthType, Family, IPAddress

__all__ = [
    "VRRP_BPF",
    "Conflict",
    "ConflictKind",
    "JsonLines",
    "ScapyLayers",
    "SegmentView",
    "Sighting",
    "Speaker",
    "TableOutput",
    "WatchError",
    "attach_filter",
    "conflict_json",
    "render",
    "run_watch",
    "sighting_from_frame",
    "sighting_json",
    "snapshot_key",
    "title",
]

# A speaker is gone when silent for 3 x its advert interval + 1 s (about a
# backup's Master_Down_Interval, RFC 9568 §6.1), and forgotten this much later.
GONE_INTERVALS = 3
GONE_SLACK = 1.0
FORGET_AFTER = 60.0
# A master's run of adverts is broken by a gap longer than this many intervals
# (one lost advert is tolerated) or by its priority-0 advert.
RUN_GAP_INTERVALS = 2.5
# OBSERVED is the mean gap over this many most recent adverts.
OBSERVED_WINDOW = 10
VRRP_TTL = 255  # RFC 9568 §7.1 / RFC 3768 §7.1: TTL / hop limit must be 255


# ══ the view: pure ═══════════════════════════════════════════════════════


@dataclass(frozen=True, slots=True)
class Sighting:
    """One advert as heard on the wire: who sent it, to whom, and what it says.

    adver_int_cs is centiseconds for both versions (v2's whole seconds x 100).
    auth_type and auth_data are v2's (RFC 3768 §5.3.6, §5.3.10); None for v3.
    """

    source: IPAddress
    version: int
    vrid: int
    priority: int
    adver_int_cs: int
    addresses: tuple[IPAddress, ...]
    auth_type: int | None = None
    auth_data: bytes = b""
    ttl: int = VRRP_TTL
    destination: IPAddress | None = None

    @property
    def family(self) -> Family:
        return Family.IPV4 if self.source.version == 4 else Family.IPV6

    @property
    def auth(self) -> str | None:
        """The v2 auth as shown: none, PASS#<fingerprint>, AH or type N; None for v3.

        The password itself is not shown (it goes on tickets and screenshots);
        the fingerprint tells equal passwords from different ones.
        """
        if self.auth_type is None:
            return None
        if self.auth_type == AuthType.NONE:
            return "none"
        if self.auth_type == AuthType.PASS:
            return f"PASS#{hashlib.sha256(self.auth_data).hexdigest()[:4]}"
        if self.auth_type == AuthType.AH:
            return "AH"
        return f"type {self.auth_type}"


SpeakerKey = tuple[Family, int, IPAddress]


@dataclass(frozen=True, slots=True)
class Speaker:
    """What one source last said for one VRID, and when it was heard.

    first_seen: its first advert (since it was last gone); run_start: the start
    of its current unbroken run of adverts; arrivals: its most recent advert
    times, for the observed interval.
    """

    family: Family
    vrid: int
    source: IPAddress
    version: int
    priority: int
    adver_int_cs: int
    addresses: tuple[IPAddress, ...]
    auth: str | None
    ttl: int
    first_seen: float
    last_seen: float
    run_start: float
    adverts: int
    arrivals: tuple[float, ...]

    @property
    def key(self) -> SpeakerKey:
        return (self.family, self.vrid, self.source)

    @property
    def adver_interval(self) -> float:
        """The advertised interval in seconds."""
        return self.adver_int_cs / 100

    @property
    def observed_interval(self) -> float | None:
        """The mean gap between its recent adverts; None before its second one."""
        if len(self.arrivals) < 2:
            return None
        return (self.arrivals[-1] - self.arrivals[0]) / (len(self.arrivals) - 1)

    def silent_for(self, now: float) -> float:
        return max(0.0, now - self.last_seen)

    def gone(self, now: float) -> bool:
        """Silent for longer than a backup would wait for it (3 x interval + 1 s)."""
        return self.silent_for(now) > GONE_INTERVALS * self.adver_interval + GONE_SLACK

    def advertising(self, now: float) -> bool:
        """A master now: priority > 0 and its run of adverts is unbroken up to `now`."""
        return self.priority > 0 and self.silent_for(now) <= self._run_gap

    @property
    def _run_gap(self) -> float:
        return RUN_GAP_INTERVALS * self.adver_interval

    def heard(self, sighting: Sighting, now: float) -> Speaker:
        """This speaker after `sighting`, heard at `now`."""
        last_seen = max(self.last_seen, now)
        broken = now - self.last_seen > self._run_gap or self.priority == 0
        return replace(
            self,
            version=sighting.version,
            priority=sighting.priority,
            adver_int_cs=sighting.adver_int_cs,
            addresses=sighting.addresses,
            auth=sighting.auth,
            ttl=sighting.ttl,
            last_seen=last_seen,
            run_start=now if broken else self.run_start,
            adverts=self.adverts + 1,
            arrivals=(*self.arrivals, now)[-(OBSERVED_WINDOW + 1) :],
        )

    @classmethod
    def first(cls, sighting: Sighting, now: float) -> Speaker:
        return cls(
            sighting.family,
            sighting.vrid,
            sighting.source,
            sighting.version,
            sighting.priority,
            sighting.adver_int_cs,
            sighting.addresses,
            sighting.auth,
            sighting.ttl,
            first_seen=now,
            last_seen=now,
            run_start=now,
            adverts=1,
            arrivals=(now,),
        )


class ConflictKind(enum.StrEnum):
    """What speakers of one VRID disagree on (or one speaker does wrong)."""

    TWO_MASTERS = "two_masters"
    VERSIONS_DIFFER = "versions_differ"
    INTERVALS_DIFFER = "intervals_differ"
    ADDRESSES_DIFFER = "addresses_differ"
    AUTH_DIFFERS = "auth_differs"
    BAD_TTL = "bad_ttl"
    RESIGNING = "resigning"


ConflictKey = tuple[ConflictKind, Family, int, tuple[IPAddress, ...]]


@dataclass(frozen=True, slots=True)
class Conflict:
    """One problem on the segment: its kind, where, who, and a sentence for people."""

    kind: ConflictKind
    family: Family
    vrid: int
    sources: tuple[IPAddress, ...]
    text: str

    @property
    def key(self) -> ConflictKey:
        return (self.kind, self.family, self.vrid, self.sources)

    def __str__(self) -> str:
        return self.text


class SegmentView:
    """Every VRRP speaker heard on one segment. Pure: feed it sightings with `now`."""

    def __init__(self, *, forget_after: float = FORGET_AFTER) -> None:
        self._speakers: dict[SpeakerKey, Speaker] = {}
        self.forget_after = forget_after
        self.adverts_seen = 0
        self.frames_skipped = 0  # captured, but no VRRP advert we could read

    def observe(self, sighting: Sighting, now: float) -> Speaker:
        """Record one advert heard at `now`; returns its speaker as it now stands."""
        key = (sighting.family, sighting.vrid, sighting.source)
        known = self._speakers.get(key)
        if known is None or known.gone(now):
            speaker = Speaker.first(sighting, now)
        else:
            speaker = known.heard(sighting, now)
        self._speakers[key] = speaker
        self.adverts_seen += 1
        return speaker

    def speakers(self, now: float) -> list[Speaker]:
        """Speakers by VRID, then as the election ranks them; gone ones included
        (see Speaker.gone) until silent for `forget_after` more seconds, then dropped."""
        for key, speaker in list(self._speakers.items()):
            if speaker.silent_for(now) > self._forget_at(speaker):
                del self._speakers[key]
        return sorted(self._speakers.values(), key=_rank)

    def _forget_at(self, speaker: Speaker) -> float:
        return GONE_INTERVALS * speaker.adver_interval + GONE_SLACK + self.forget_after

    def conflicts(self, now: float) -> list[Conflict]:
        """What the live (not gone) speakers of each VRID disagree on, VRID by VRID."""
        groups: dict[tuple[Family, int], list[Speaker]] = {}
        for speaker in self.speakers(now):
            if not speaker.gone(now):
                groups.setdefault((speaker.family, speaker.vrid), []).append(speaker)
        found: list[Conflict] = []
        for group in groups.values():
            found += _group_conflicts(group, now)
        return found


def _rank(speaker: Speaker) -> tuple[int, int, int, int]:
    # RFC 9568 §6.4.3: the higher priority wins, then the higher primary address.
    return (speaker.family, speaker.vrid, -speaker.priority, -int(speaker.source))


def _group_conflicts(group: list[Speaker], now: float) -> list[Conflict]:
    """The conflicts among the live speakers of one (family, VRID), ranked."""
    v2 = [s for s in group if s.auth is not None]
    candidates = [
        _two_masters(group, now),
        _differing(VERSIONS, group, lambda s: s.version, lambda s: f"v{s.version}"),
        _differing(INTERVALS, group, lambda s: s.adver_int_cs, lambda s: f"{s.adver_interval:g} s"),
        _differing(ADDRESSES, group, lambda s: frozenset(s.addresses), _vip_list),
        _differing(AUTH, v2, lambda s: s.auth, lambda s: str(s.auth)),
    ]
    found = [c for c in candidates if c is not None]
    found += [_bad_ttl(s) for s in group if s.ttl != VRRP_TTL]
    found += [_resigning(s) for s in group if s.priority == 0]
    return found


def _bad_ttl(s: Speaker) -> Conflict:
    # RFC 9568 §7.1 / RFC 3768 §7.1: a receiver drops adverts whose TTL is not 255.
    hop = "TTL" if s.family == Family.IPV4 else "hop limit"
    text = f"{_prefix(s)}: {s.source} sends {hop} {s.ttl}, not 255: peers drop its adverts"
    return Conflict(ConflictKind.BAD_TTL, s.family, s.vrid, (s.source,), text)


def _resigning(s: Speaker) -> Conflict:
    # RFC 9568 §6.4.3: a master sends priority 0 when it stops being master.
    text = f"{_prefix(s)} priority 0: {s.source} is resigning"
    return Conflict(ConflictKind.RESIGNING, s.family, s.vrid, (s.source,), text)


def _two_masters(group: list[Speaker], now: float) -> Conflict | None:
    """Masters whose runs of adverts overlap: both advertise now, each since before
    the other's latest advert. A handover (the old master stops as the new one
    starts) is not a conflict; a split brain shows within one interval."""
    masters = [s for s in group if s.advertising(now)]
    clashing = [
        m
        for m in masters
        if any(
            o is not m and m.last_seen > o.run_start and o.last_seen > m.run_start for o in masters
        )
    ]
    if len(clashing) < 2:
        return None
    count = "two" if len(clashing) == 2 else str(len(clashing))
    who = _and([f"{s.source} (prio {s.priority})" for s in clashing])
    first = clashing[0]
    return Conflict(
        ConflictKind.TWO_MASTERS,
        first.family,
        first.vrid,
        tuple(s.source for s in clashing),
        f"{_prefix(first)}: {count} masters: {who}",
    )


@dataclass(frozen=True, slots=True)
class _Difference:
    kind: ConflictKind
    phrase: str
    separator: str = ", "


VERSIONS = _Difference(ConflictKind.VERSIONS_DIFFER, "versions differ")
INTERVALS = _Difference(ConflictKind.INTERVALS_DIFFER, "intervals differ")
# The lists hold commas, so groups are set apart with semicolons.
ADDRESSES = _Difference(ConflictKind.ADDRESSES_DIFFER, "VIP lists differ", "; ")
AUTH = _Difference(ConflictKind.AUTH_DIFFERS, "v2 auth differs")


def _differing(
    difference: _Difference,
    speakers: list[Speaker],
    value: Callable[[Speaker], Hashable],
    label: Callable[[Speaker], str],
) -> Conflict | None:
    """'VRID 51: <phrase>: <label> from <sources>, ...' if the speakers' values differ."""
    by_value: dict[Hashable, list[Speaker]] = {}
    for s in speakers:  # ranked: the likely master's value comes first
        by_value.setdefault(value(s), []).append(s)
    if len(by_value) < 2:
        return None
    parts = [
        f"{label(same[0])} from {' and '.join(str(s.source) for s in same)}"
        for same in by_value.values()
    ]
    first = speakers[0]
    text = f"{_prefix(first)}: {difference.phrase}: {difference.separator.join(parts)}"
    sources = tuple(s.source for s in speakers)
    return Conflict(difference.kind, first.family, first.vrid, sources, text)


def _prefix(speaker: Speaker) -> str:
    # RFC 9568 §7.3: IPv4 and IPv6 VRIDs are separate spaces; say which when it is v6.
    return f"VRID {speaker.vrid}" + (" (IPv6)" if speaker.family == Family.IPV6 else "")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _addresses(speaker: Speaker) -> str:
    return ",".join(str(a) for a in speaker.addresses)


def _vip_list(speaker: Speaker) -> str:
    return ", ".join(str(a) for a in speaker.addresses)


COLUMNS = ("VRID", "VER", "SOURCE", "PRIO", "INTERVAL", "OBSERVED", "ADDRESSES", "AUTH", "AGE")


def render(view: SegmentView, now: float) -> str:
    """The speakers as a fixed-width table, then the conflicts."""
    speakers = view.speakers(now)
    if not speakers:
        return "no VRRP adverts heard yet"
    rows = [list(COLUMNS)] + [_row(s, now) for s in speakers]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    conflicts = view.conflicts(now)
    lines += ["", "conflicts:" if conflicts else "no conflicts"]
    lines += [f"  {c}" for c in conflicts]
    return "\n".join(lines)


def _row(s: Speaker, now: float) -> list[str]:
    observed = s.observed_interval
    age = format_duration(s.silent_for(now)) + (" gone" if s.gone(now) else "")
    return [
        str(s.vrid),
        f"v{s.version}",
        str(s.source),
        str(s.priority),
        f"{s.adver_interval:g} s",
        "-" if observed is None else f"{observed:.2f} s",
        _addresses(s),
        s.auth or "-",
        age,
    ]


def sighting_json(sighting: Sighting, *, interface: str, wall_time: float) -> dict[str, Any]:
    """The JSON line `--json` prints for one advert."""
    return {
        "event": "advert",
        "time": round(wall_time, 6),
        "interface": interface,
        "family": int(sighting.family),
        "source": str(sighting.source),
        "destination": None if sighting.destination is None else str(sighting.destination),
        "ttl": sighting.ttl,
        "version": sighting.version,
        "vrid": sighting.vrid,
        "priority": sighting.priority,
        "interval": sighting.adver_int_cs / 100,
        "addresses": [str(a) for a in sighting.addresses],
        "auth": sighting.auth,
    }


def conflict_json(conflict: Conflict, event: str, *, interface: str) -> dict[str, Any]:
    """The JSON line for a conflict that appeared (event "conflict") or ended ("resolved")."""
    return {
        "event": event,
        "interface": interface,
        "kind": str(conflict.kind),
        "family": int(conflict.family),
        "vrid": conflict.vrid,
        "sources": [str(s) for s in conflict.sources],
        "text": conflict.text,
    }


def snapshot_key(view: SegmentView, now: float) -> Hashable:
    """What a reader of the table cares about, without ages: changes when it should
    be printed again (for output that is not a terminal)."""
    speakers = tuple(
        (s.key, s.version, s.priority, s.adver_int_cs, s.addresses, s.auth, s.gone(now))
        for s in view.speakers(now)
    )
    return (speakers, tuple(c.text for c in view.conflicts(now)))


# ══ the capture: scapy, the terminal, the clock ══════════════════════════

EXIT_CONFLICT = 1  # --once found conflicts (as `status` exits 1 when something is wrong)
REFRESH = 1.0  # seconds between redraws
ONCE_DURATION = 3.0  # --once without --duration: listen this long
IPPROTO_VRRP = 112
IPPROTO_AH = 51  # Keepalived's v2 auth_type AH: IP / AH / VRRP
_SO_ATTACH_FILTER = 26

# "ip proto 112 or (ip proto 51 and AH next header 112) or ip6 proto 112" as
# classic BPF (what libpcap compiles it to). Scapy compiles filter strings with
# libpcap, which Debian does not install with scapy; this needs nothing.
# (code, jump if true, jump if false, k); jumps count instructions skipped.
VRRP_BPF = (
    (0x28, 0, 0, 12),  # 0  ldh [12]              EtherType
    (0x15, 0, 6, 0x0800),  # 1  jeq IPv4 ? 2 : 8
    (0x30, 0, 0, 23),  # 2  ldb [23]              IPv4 protocol
    (0x15, 7, 0, IPPROTO_VRRP),  # 3  jeq 112 ? accept : 4
    (0x15, 0, 7, IPPROTO_AH),  # 4  jeq 51 ? 5 : drop
    (0xB1, 0, 0, 14),  # 5  ldx 4*([14]&0xf)      IPv4 header length
    (0x50, 0, 0, 14),  # 6  ldb [x+14]            AH next header
    (0x15, 3, 4, IPPROTO_VRRP),  # 7  jeq 112 ? accept : drop
    (0x15, 0, 3, 0x86DD),  # 8  jeq IPv6 ? 9 : drop
    (0x30, 0, 0, 20),  # 9  ldb [20]              IPv6 next header
    (0x15, 0, 1, IPPROTO_VRRP),  # 10 jeq 112 ? accept : drop
    (0x06, 0, 0, 0x40000),  # 11 accept (up to 256 KiB)
    (0x06, 0, 0, 0),  # 12 drop
)


class WatchError(Exception):
    """Watching cannot start or go on: a message for the user (exit status 2)."""


def run_watch(
    iface: str, *, duration: float | None = None, once: bool = False, json: bool = False
) -> int:
    """Capture VRRP adverts on `iface` and show who speaks, until Ctrl-C or `duration` s.

    On a terminal the table is redrawn once a second; otherwise it is printed
    again whenever it changes. `json`: one JSON line per advert, and one per
    conflict as it appears and is resolved. `once`: listen (`duration`, default
    3 s), print the table once. Exit status 0; with `once`, 1 if there are
    conflicts; 2 if it cannot capture.
    """
    if once and duration is None:
        duration = ONCE_DURATION
    output: Output
    if json:
        output = JsonLines(sys.stdout, iface)
    else:
        live = sys.stdout.isatty() and not once
        output = TableOutput(sys.stdout, iface, live=live, once=once)
    view = SegmentView()
    try:
        with contextlib.closing(_Capture(iface)) as capture:
            started = time.monotonic()  # listening from here: scapy took its time to load
            deadline = None if duration is None else started + duration
            with contextlib.suppress(KeyboardInterrupt):
                _listen(capture, view, output, started, deadline)
        output.finish(view, time.monotonic(), started)
    except WatchError as error:
        print(f"vrrpctl watch: {error}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `vrrpctl watch eth0 | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:  # a second Ctrl-C while finishing
        return EXIT_OK
    if once and view.conflicts(time.monotonic()):
        return EXIT_CONFLICT
    return EXIT_OK


def _listen(
    capture: _Capture, view: SegmentView, output: Output, started: float, deadline: float | None
) -> None:
    """Feed the view until the deadline; let the output show it every REFRESH s."""
    next_draw = started
    while True:
        now = time.monotonic()
        if now >= next_draw:
            output.tick(view, now, started)
            next_draw = now + REFRESH
        if deadline is not None and now >= deadline:
            return
        wake = next_draw if deadline is None else min(next_draw, deadline)
        frame = capture.receive(max(0.0, wake - now))
        if frame is None:
            continue
        sighting, wall_time = frame
        if sighting is None:
            view.frames_skipped += 1
            continue
        # The kernel's receive time, on the monotonic clock.
        at = time.monotonic() - max(0.0, time.time() - wall_time)
        view.observe(sighting, at)
        output.advert(sighting, wall_time, view, time.monotonic())


class _Capture:
    """An AF_PACKET capture of VRRP on one interface: scapy reads and dissects."""

    def __init__(self, iface: str) -> None:
        try:
            socket.if_nametoindex(iface)
        except OSError:
            raise WatchError(f"no interface named {iface!r} here (see `ip link`)") from None
        try:
            self._scapy = ScapyLayers.load()
        except ImportError as error:
            raise WatchError(f"scapy is needed for watch: {error}") from None
        try:
            self._socket: Any = self._scapy.conf.L2listen(iface=iface)
        except PermissionError:
            raise WatchError(
                f"capturing on {iface} needs root (CAP_NET_RAW): try sudo vrrpctl watch {iface}"
            ) from None
        except (OSError, ValueError) as error:
            raise WatchError(f"cannot capture on {iface}: {error}") from None
        try:
            attach_filter(self._socket.ins, VRRP_BPF)
        except OSError as error:
            self.close()
            raise WatchError(f"cannot filter the capture on {iface}: {error}") from None
        self.iface = iface

    def receive(self, timeout: float) -> tuple[Sighting | None, float] | None:
        """The next frame within `timeout` s, if any: its advert (None if it holds
        none we can read) and its kernel receive time (wall clock)."""
        ready, _, _ = select.select([self._socket], [], [], timeout)
        if not ready:
            return None
        try:
            frame = self._socket.recv()
        except OSError as error:  # the interface went away, or went down
            raise WatchError(f"capture on {self.iface} failed: {error}") from None
        if frame is None:  # scapy read nothing it could keep
            return None
        return sighting_from_frame(frame, self._scapy), float(frame.time)

    def close(self) -> None:
        self._socket.close()


def attach_filter(sock: socket.socket, program: Iterable[tuple[int, int, int, int]]) -> None:
    """Attach a classic BPF program (SO_ATTACH_FILTER, struct sock_fprog)."""
    instructions = [struct.pack("HBBI", *instruction) for instruction in program]
    buffer = ctypes.create_string_buffer(b"".join(instructions))
    fprog = struct.pack("HL", len(instructions), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)


@dataclass(frozen=True, slots=True)
class ScapyLayers:
    """The scapy classes watch uses, imported by load() (scapy weighs ~60 MB).

    Dissect frames only after load(): it binds the layers (AH, VRRP) to IP.
    """

    conf: Any
    Ether: Any
    IP: Any
    IPv6: Any
    AH: Any
    VRRP: Any
    VRRPv3: Any

    @classmethod
    def load(cls) -> ScapyLayers:
        from scapy.config import conf  # noqa: PLC0415
        from scapy.layers.inet import IP  # noqa: PLC0415
        from scapy.layers.inet6 import IPv6  # noqa: PLC0415
        from scapy.layers.ipsec import AH  # noqa: PLC0415
        from scapy.layers.l2 import Ether  # noqa: PLC0415
        from scapy.layers.vrrp import VRRP, VRRPv3  # noqa: PLC0415

        return cls(conf, Ether, IP, IPv6, AH, VRRP, VRRPv3)


def sighting_from_frame(frame: Any, scapy: ScapyLayers) -> Sighting | None:
    """The advert in an Ethernet frame scapy dissected, or None if it holds none."""
    try:
        return _sighting(frame, scapy)
    except (AttributeError, IndexError, TypeError, ValueError, struct.error):
        return None  # network input: a frame we cannot read is skipped, not fatal


def _sighting(frame: Any, scapy: ScapyLayers) -> Sighting | None:
    ip = frame.getlayer(scapy.IP)
    ip6 = frame.getlayer(scapy.IPv6)
    if ip is not None:
        ttl, source, destination = int(ip.ttl), ip_address(ip.src), ip_address(ip.dst)
        if ip.proto == IPPROTO_AH and isinstance(ip.payload, scapy.AH):
            if ip.payload.nh != IPPROTO_VRRP:
                return None
            # Keepalived: auth_type AH puts an IPsec AH header before the VRRP message.
            vrrp = scapy.VRRP(bytes(ip.payload.payload))
        else:
            vrrp = ip.payload
    elif ip6 is not None:
        ttl, source, destination = int(ip6.hlim), ip_address(ip6.src), ip_address(ip6.dst)
        vrrp = ip6.payload
    else:
        return None
    if not isinstance(vrrp, scapy.VRRP | scapy.VRRPv3) or int(vrrp.type) != 1:
        return None  # RFC 9568 §5.2.2: type 1, advertisement, is the only type
    addresses = tuple(ip_address(a) for a in vrrp.addrlist)
    if len(addresses) != vrrp.ipcount or not all(
        isinstance(a, IPv4Address if source.version == 4 else IPv6Address) for a in addresses
    ):
        return None
    version = int(vrrp.version)
    if version == 2:
        return Sighting(
            source,
            version,
            int(vrrp.vrid),
            int(vrrp.priority),
            int(vrrp.adv) * 100,  # RFC 3768 §5.3.7: whole seconds
            addresses,
            auth_type=int(vrrp.authtype),
            auth_data=struct.pack("!II", vrrp.auth1, vrrp.auth2),
            ttl=ttl,
            destination=destination,
        )
    if version == 3:
        # RFC 9568 §5.2.7: Max Adver Int in centiseconds.
        adver_int_cs = int(vrrp.adv)
        return Sighting(
            source, version, int(vrrp.vrid), int(vrrp.priority), adver_int_cs, addresses,
            ttl=ttl, destination=destination,
        )  # fmt: skip
    return None


# ── outputs ───────────────────────────────────────────────────────────────


class Output(Protocol):
    """Where the view goes: told of each advert, ticked every REFRESH s, finished once."""

    def advert(
        self, sighting: Sighting, wall_time: float, view: SegmentView, now: float
    ) -> None: ...

    def tick(self, view: SegmentView, now: float, started: float) -> None: ...

    def finish(self, view: SegmentView, now: float, started: float) -> None: ...


def title(iface: str, view: SegmentView, now: float, started: float) -> str:
    speakers = len(view.speakers(now))
    skipped = view.frames_skipped
    return (
        f"vrrpctl watch {iface}: {speakers} speaker{'s' * (speakers != 1)}, "
        f"{view.adverts_seen} advert{'s' * (view.adverts_seen != 1)} "
        f"in {format_duration(now - started)} ({time.strftime('%H:%M:%S')})"
        + (f", {skipped} unreadable frame{'s' * (skipped != 1)} skipped" if skipped else "")
    )


class TableOutput:
    """The table: on a terminal (`live`) cleared and redrawn every tick; otherwise
    printed again when it changes; with `once`, printed at the end only."""

    def __init__(self, stream: TextIO, iface: str, *, live: bool, once: bool) -> None:
        self.stream, self.iface, self.live, self.once = stream, iface, live, once
        self._shown: Hashable = None

    def advert(self, sighting: Sighting, wall_time: float, view: SegmentView, now: float) -> None:
        pass

    def tick(self, view: SegmentView, now: float, started: float) -> None:
        if not self.once:
            self._show(view, now, started, hint="  (Ctrl-C to stop)" if self.live else "")

    def finish(self, view: SegmentView, now: float, started: float) -> None:
        self._show(view, now, started, hint="")

    def _show(self, view: SegmentView, now: float, started: float, hint: str) -> None:
        text = f"{title(self.iface, view, now, started)}{hint}\n\n{render(view, now)}\n"
        if self.live:
            self.stream.write("\x1b[H\x1b[2J" + text)  # cursor home, clear the screen
        else:
            key = snapshot_key(view, now)
            if key == self._shown:
                return
            self._shown = key
            self.stream.write(text + ("" if self.once else "\n"))
        self.stream.flush()


class JsonLines:
    """--json: a line per advert; a line when a conflict appears and when it ends."""

    def __init__(self, stream: TextIO, iface: str) -> None:
        self.stream, self.iface = stream, iface
        self._open: dict[ConflictKey, Conflict] = {}

    def _emit(self, record: dict[str, Any]) -> None:
        self.stream.write(jsonlib.dumps(record) + "\n")

    def advert(self, sighting: Sighting, wall_time: float, view: SegmentView, now: float) -> None:
        self._emit(sighting_json(sighting, interface=self.iface, wall_time=wall_time))
        self._conflicts(view, now)

    def _conflicts(self, view: SegmentView, now: float) -> None:
        current = {c.key: c for c in view.conflicts(now)}
        for key, conflict in self._open.items():
            if key not in current:
                self._emit(conflict_json(conflict, "resolved", interface=self.iface))
        for key, conflict in current.items():
            if self._open.get(key) != conflict:
                self._emit(conflict_json(conflict, "conflict", interface=self.iface))
        self._open = current
        self.stream.flush()

    def tick(self, view: SegmentView, now: float, started: float) -> None:
        self._conflicts(view, now)

    def finish(self, view: SegmentView, now: float, started: float) -> None:
        self._conflicts(view, now)
