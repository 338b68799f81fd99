"""The driver: the pure router's only caller, and the hands that carry out its actions.

Every call into the router happens on the event loop's thread, one at a
time, so the router needs no locks: events arrive through `deliver()`, and
the router's next deadline is one timerfd (`DeadlineTimer`, exact to the
microsecond, where asyncio's own timers run up to milliseconds late).

Every action is carried out at once, in the call that decided it and in the
router's order: the advert, then the VIPs (one synchronous netlink request
each, see `addresses.py`), then the gratuitous ARPs / NAs, then the hand-off
to the notify runner. So the VIPs are in place before they are announced and
before notify_master runs, within microseconds of the advert.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from vrrpd.host.rawsock import Received, Unreadable, group_for
from vrrpd.host.timerfd import DeadlineTimer
from vrrpd.protocol import announce
from vrrpd.protocol import events as ev
from vrrpd.protocol.fsm import VirtualRouter
from vrrpd.protocol.model import Family, InstanceConfig, IPAddress, State, Vip
from vrrpd.protocol.packet import Advert, DropReason, PacketError, decode, encode
from vrrpd.protocol.status import RouterStatus

LogLine = tuple[Callable[..., object], str, dict[str, object]]  # (log method, event, fields)


class Notifier(Protocol):
    def submit(self, notify: ev.Notify) -> None: ...


class Frames(Protocol):
    def send(self, frame: bytes) -> None: ...


class Sender(Protocol):
    source: IPAddress

    def send(self, message: bytes, destination: IPAddress) -> None: ...


class AddressPort(Protocol):
    def prepare(self, vip: Vip, index: int) -> None: ...

    def add_vip(self, vip: Vip, index: int) -> str | None: ...

    def remove_vip(self, vip: Vip, index: int) -> str | None: ...


class PacketSource(Protocol):
    ifname: str
    family: Family

    def read(self) -> Received | Unreadable | None: ...


@dataclass
class VipKeeper:
    """Adds and removes one instance's VIPs, and knows which it should hold."""

    netlink: AddressPort
    indexes: dict[str, int]  # interface name -> index
    default_interface: str
    held: set[Vip] = field(default_factory=set)

    def index_of(self, vip: Vip) -> int:
        return self.indexes[vip.dev or self.default_interface]

    def prepare(self, vips: Iterable[Vip]) -> None:
        """Build the netlink requests now, not during a take-over."""
        for vip in vips:
            self.netlink.prepare(vip, self.index_of(vip))

    def add(self, vips: Iterable[Vip]) -> list[str]:
        problems = []
        for vip in vips:
            self.held.add(vip)
            error = self.netlink.add_vip(vip, self.index_of(vip))
            if error:
                problems.append(f"cannot add {vip.interface}: {error}")
        return problems

    def remove(self, vips: Iterable[Vip]) -> list[str]:
        problems = []
        for vip in vips:
            self.held.discard(vip)
            error = self.netlink.remove_vip(vip, self.index_of(vip))
            if error:
                problems.append(f"cannot remove {vip.interface}: {error}")
        return problems


@dataclass
class Announcer:
    """Gratuitous ARPs and unsolicited NAs for one instance's VIPs."""

    frames: dict[str, Frames]  # interface name -> sender
    macs: dict[str, bytes]  # interface name -> its MAC
    default_interface: str
    _built: dict[Vip, bytes] = field(default_factory=dict, init=False, repr=False)

    def frame(self, vip: Vip) -> bytes:
        """The GARP or NA for `vip`, built once (the MACs do not change while it runs)."""
        frame = self._built.get(vip)
        if frame is None:
            mac = self.macs[vip.dev or self.default_interface]
            if vip.address.version == 4:
                frame = announce.gratuitous_arp(vip.address, mac)
            else:
                frame = announce.unsolicited_na(vip.address, mac)
            self._built[vip] = frame
        return frame

    def announce(self, vips: Iterable[Vip], count: int) -> list[str]:
        problems = []
        for vip in vips:
            dev = vip.dev or self.default_interface
            frame = self.frame(vip)
            for _ in range(count):
                try:
                    self.frames[dev].send(frame)
                except OSError as error:
                    problems.append(f"cannot announce {vip.address} on {dev}: {error}")
                    break
        return problems


@dataclass
class Transmitter:
    """Encodes and sends one instance's adverts: to the group, or to each peer."""

    sender: Sender
    config: InstanceConfig
    # The last advert sent and its bytes per destination: a master sends the
    # same advert every interval, so it is encoded once.
    _last: Advert | None = field(default=None, init=False, repr=False)
    _messages: list[tuple[IPAddress, bytes]] = field(default_factory=list, init=False, repr=False)

    @property
    def destinations(self) -> tuple[IPAddress, ...]:
        return self.config.unicast_peers or (group_for(self.config.family),)

    def send(self, advert: Advert) -> list[str]:
        """Send to every destination; one failing peer does not starve the others."""
        if advert is not self._last:
            # The v3 checksum covers the pseudo-header: each destination has its own bytes.
            self._messages = [
                (
                    destination,
                    encode(
                        advert,
                        self.sender.source,
                        destination,
                        v3_checksum_as_v2=self.config.v3_checksum_as_v2,
                    ),
                )
                for destination in self.destinations
            ]
            self._last = advert
        problems = []
        for destination, message in self._messages:
            try:
                self.sender.send(message, destination)
            except OSError as error:
                problems.append(f"cannot send advert to {destination}: {error}")
        return problems


class RouterDriver:
    """Runs one VirtualRouter on the event loop and carries out its actions."""

    def __init__(
        self,
        router: VirtualRouter,
        *,
        transmitter: Transmitter,
        vips: VipKeeper,
        announcer: Announcer,
        notifier: Notifier | None,
        on_transition: Callable[[RouterDriver, ev.Notify, bool], None] | None = None,
    ) -> None:
        self.router = router
        self.config = router.config
        self.transmitter = transmitter
        self.vips = vips
        self.announcer = announcer
        self.notifier = notifier
        self.on_transition = on_transition
        self.log = structlog.get_logger("vrrpd").bind(
            instance=self.config.name, vrid=self.config.vrid
        )
        # What a take-over sends, built now: the VIP requests and the announcements.
        vips.prepare(self.config.vips)
        for vip in self.config.vips:
            announcer.frame(vip)
        self._loop = asyncio.get_running_loop()
        self._timer = DeadlineTimer(self._loop, self._fire)
        self._armed_for: float | None = None
        self._seen_drops: set[tuple[DropReason, IPAddress | None]] = set()
        self._group_event = False
        self.send_errors = 0

    # ── the router's inputs ─────────────────────────────────────────────

    def start(self) -> None:
        self.deliver(ev.Started())

    def deliver(self, event: ev.Event) -> None:
        """Hand one event to the router and carry out what it answers."""
        self._group_event = isinstance(event, ev.GroupFaultChanged | ev.GroupStateRequested)
        try:
            self._carry_out(self.router.handle(event, self._loop.time()))
        finally:
            self._group_event = False
        self._arm()

    def _fire(self) -> None:
        # _armed_for is the router's next deadline: every change to the router
        # goes through deliver() or here, and both end in _arm().
        deadline, now = self._armed_for, self._loop.time()
        self._armed_for = None
        if deadline is not None and deadline <= now:
            self._carry_out(self.router.on_deadline(now), deadline, now)
        self._arm()

    def _arm(self) -> None:
        deadline = self.router.next_deadline()
        if deadline != self._armed_for:
            self._armed_for = deadline
            self._timer.arm(deadline)

    def status(self) -> RouterStatus:
        return self.router.status(self._loop.time())

    def close(self) -> None:
        self._timer.close()

    # ── carrying out actions ────────────────────────────────────────────

    def _carry_out(
        self, actions: list[ev.Action], deadline: float | None = None, fired: float = 0.0
    ) -> None:
        """Every action at once, in the router's order; the log lines after the last one.

        Logging a line costs more than sending an advert, so nothing is written
        until the advert, the VIPs, the GARPs and the notify hand-off are done.
        """
        lines: list[LogLine] = []
        done: dict[str, float] = {}  # what was done when (loop clock), for takeover_timing
        became_master = False
        for action in actions:
            match action:
                case ev.SendAdvert(advert=advert):
                    for problem in self.transmitter.send(advert):
                        self.send_errors += 1
                        lines.append((self.log.warning, "advert_send_failed", {"error": problem}))
                    done.setdefault("advert_us", self._loop.time())
                case ev.AddVips(vips=vips):
                    lines += self._problems(self.vips.add(vips))
                    done.setdefault("vips_us", self._loop.time())
                    lines.append((self.log.debug, "vips_added", {"vips": _names(vips)}))
                case ev.RemoveVips(vips=vips):
                    lines += self._problems(self.vips.remove(vips))
                    lines.append((self.log.debug, "vips_removed", {"vips": _names(vips)}))
                case ev.Announce(vips=vips, count=count):
                    lines += self._problems(self.announcer.announce(vips, count))
                    done.setdefault("garps_us", self._loop.time())
                    addresses = [str(v.address) for v in vips]
                    lines.append((self.log.debug, "announced", {"vips": addresses, "count": count}))
                case ev.Notify():
                    became_master |= action.state is State.MASTER
                    if self.notifier is not None:
                        self.notifier.submit(action)
                    lines.append(
                        (
                            self.log.info,
                            "transition",
                            {
                                "previous": str(action.previous),
                                "state": str(action.state),
                                "priority": action.priority,
                                "reason": action.reason,
                            },
                        )
                    )
                    if self.on_transition is not None:
                        self.on_transition(self, action, self._group_event)
                case ev.ReportDrop(reason=reason, source=source, detail=detail):
                    self._log_drop(reason, source, detail)
        if became_master and deadline is not None:
            # The take-over's own latency, on the daemon's monotonic clock:
            # microseconds from the deadline to each step.
            timing = {"late_us": fired, **done}
            fields: dict[str, object] = {
                k: round((at - deadline) * 1e6) for k, at in timing.items()
            }
            lines.append((self.log.info, "takeover_timing", fields))
        for write, event, fields in lines:
            write(event, **fields)

    def _problems(self, problems: list[str]) -> list[LogLine]:
        return [(self.log.error, "vip_change_failed", {"error": p}) for p in problems]

    def _report(self, problems: list[str]) -> None:
        for problem in problems:
            self.log.error("vip_change_failed", error=problem)

    def _log_drop(self, reason: DropReason, source: IPAddress | None, detail: str) -> None:
        # Logged once per (reason, source) at WARNING, then at DEBUG; always counted.
        key = (reason, source)
        level = self.log.debug if key in self._seen_drops else self.log.warning
        self._seen_drops.add(key)
        level("advert_dropped", reason=str(reason), source=str(source), detail=detail)

    def restore_vip(self, vip: Vip) -> None:
        """A VIP we hold was removed by someone else: put it back (while master)."""
        if vip in self.vips.held:
            self.log.warning(
                "vip_restored", vip=str(vip.interface), detail="removed behind our back"
            )
            self._report(self.vips.add([vip]))


def _names(vips: Iterable[Vip]) -> list[str]:
    return [str(vip.interface) for vip in vips]


class Listener:
    """Reads one interface's VRRP socket and hands each advert to its router."""

    def __init__(self, receiver: PacketSource, own_addresses: frozenset[IPAddress]) -> None:
        self.receiver = receiver
        self.own_addresses = own_addresses
        self.by_vrid: dict[int, RouterDriver] = {}
        self.log = structlog.get_logger("vrrpd").bind(
            interface=receiver.ifname, family=int(receiver.family)
        )
        self.drops: dict[str, int] = {}
        self._seen: set[tuple[str, str]] = set()

    def on_readable(self, source: PacketSource | None = None) -> None:
        """Read what `source` (by default the VRRP socket) has, a bounded batch at a time."""
        source = source or self.receiver
        for _ in range(64):  # bounded, so one busy interface cannot starve the loop
            item = source.read()
            if item is None:
                return
            self._dispatch(item)

    def _dispatch(self, item: Received | Unreadable) -> None:
        if isinstance(item, Unreadable):
            self._drop_here(item.error.reason, item.source, item.error.detail)
            return
        message = item.message
        if len(message) < 2:
            self._drop_here(DropReason.TRUNCATED, item.source, "too short to carry a VRID")
            return
        driver = self.by_vrid.get(message[1])
        if driver is None:
            self._drop_here(
                DropReason.WRONG_VRID, item.source, f"no instance for VRID {message[1]}"
            )
            return
        refusal = self._refusal(driver.config, item)
        if refusal is not None:
            driver.deliver(ev.AdvertDropped(refusal[0], item.source, refusal[1]))
            return
        try:
            advert = decode(
                message,
                item.source,
                item.destination,
                v3_checksum_as_v2=driver.config.v3_checksum_as_v2,
            )
        except PacketError as error:
            driver.deliver(ev.AdvertDropped(error.reason, item.source, error.detail))
            return
        driver.deliver(ev.AdvertReceived(advert, item.source))

    def _refusal(self, config: InstanceConfig, item: Received) -> tuple[DropReason, str] | None:
        if item.source in self.own_addresses:
            return DropReason.OWN_ADVERT, "our own advert came back"
        if item.destination.is_multicast == config.unicast:
            # Keepalived: a multicast instance takes only multicast adverts, and a
            # unicast one only unicast adverts (a peer configured the other way).
            expected = "unicast" if config.unicast else f"to {group_for(config.family)}"
            return DropReason.WRONG_DESTINATION, f"sent to {item.destination}, expected {expected}"
        if config.unicast:
            if item.source not in config.unicast_peers:
                # Keepalived's check_unicast_src, always on: only configured peers count.
                return DropReason.NOT_A_PEER, f"{item.source} is not in unicast_peer"
        elif item.ttl != 255:
            # RFC 9568 §7.1: TTL / hop limit must be 255. Keepalived skips this
            # check for unicast peers (routed clouds), and so do we.
            return DropReason.BAD_TTL, f"TTL {item.ttl}, must be 255"
        return None

    def _drop_here(self, reason: DropReason, source: IPAddress | None, detail: str) -> None:
        self.drops[reason] = self.drops.get(reason, 0) + 1
        key = (str(reason), str(source))
        # Other VRIDs are normal on a shared segment: counted, logged at DEBUG only.
        quiet = key in self._seen or reason is DropReason.WRONG_VRID
        self._seen.add(key)
        (self.log.debug if quiet else self.log.warning)(
            "packet_dropped", reason=str(reason), source=str(source), detail=detail
        )
