"""A simulated LAN of pure virtual routers, on a simulated clock.

Every node is a real VirtualRouter; only the wire and the clock are made up.
Adverts travel as bytes through our codec (encode, then decode at each
receiver), with loss and delay that a test can set. The harness records
every advert on the wire, every transition and who held the VIPs when, so
tests can check cluster properties: one master, failover at the RFC bound,
no moment with two VIP holders in steady state.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import ip_address

from vrrpd.protocol import events as ev
from vrrpd.protocol.fsm import VirtualRouter
from vrrpd.protocol.model import InstanceConfig, IPAddress, State
from vrrpd.protocol.packet import Advert, PacketError, decode, encode

MULTICAST_V4 = ip_address("224.0.0.18")
MULTICAST_V6 = ip_address("ff02::12")


@dataclass(frozen=True, slots=True)
class WireAdvert:
    """An advert seen on the simulated wire."""

    at: float
    sender: str
    advert: Advert


@dataclass(frozen=True, slots=True)
class Transition:
    at: float
    node: str
    previous: State
    state: State
    reason: str


@dataclass
class Node:
    """One simulated host running one virtual router."""

    name: str
    address: IPAddress
    config: InstanceConfig
    router: VirtualRouter
    alive: bool = True
    vips_since: float | None = None  # holding the VIPs since then, or not holding
    holdings: list[tuple[float, float]] = field(default_factory=list)  # closed intervals


class Cluster:
    """N nodes on one simulated segment; time only moves inside run_until()."""

    def __init__(self, *, delay: float = 0.0, loss: float = 0.0, seed: int = 0) -> None:
        self.now = 0.0
        self.delay = delay
        self.loss = loss
        self.nodes: dict[str, Node] = {}
        self.wire: list[WireAdvert] = []
        self.transitions: list[Transition] = []
        self.dropped: list[tuple[str, ev.ReportDrop]] = []
        self._random = random.Random(seed)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    # ── building and driving ────────────────────────────────────────────

    def add(self, name: str, address: str, config: InstanceConfig, *, start: bool = True) -> Node:
        address_ip = ip_address(address)
        node = Node(name, address_ip, config, VirtualRouter(config, address_ip))
        self.nodes[name] = node
        if start:
            self._feed(node, ev.Started())
        return node

    def at(self, when: float, what: Callable[[], None]) -> None:
        """Schedule something (a kill, a restart, a track change) at a time."""
        heapq.heappush(self._queue, (when, next(self._order), what))

    def run_until(self, until: float) -> None:
        while True:
            when, source = self._next_event()
            if when is None or when > until:
                self.now = until
                return
            self.now = when
            if isinstance(source, Node):
                self._carry_out(source, source.router.on_deadline(when))
            else:
                _, _, what = heapq.heappop(self._queue)
                what()

    def kill(self, name: str) -> None:
        """kill -9: the node stops at once and says nothing."""
        node = self.nodes[name]
        node.alive = False
        self._release(node)

    def stop(self, name: str) -> None:
        """SIGTERM: the node shuts down gracefully (priority 0 if master)."""
        node = self.nodes[name]
        self._feed(node, ev.ShutdownRequested())
        node.alive = False

    def restart(self, name: str) -> None:
        """A fresh process on the same node."""
        node = self.nodes[name]
        self._release(node)
        node.router = VirtualRouter(node.config, node.address)
        node.alive = True
        self._feed(node, ev.Started())

    def feed(self, name: str, event: ev.Event) -> None:
        self._feed(self.nodes[name], event)

    # ── what tests look at ──────────────────────────────────────────────

    def masters(self) -> list[str]:
        return [n.name for n in self.nodes.values() if n.alive and n.router.state is State.MASTER]

    def vip_holders(self) -> list[str]:
        return [n.name for n in self.nodes.values() if n.vips_since is not None]

    def became_master(self, name: str, after: float = 0.0) -> float:
        """When `name` next became MASTER after a time."""
        return next(
            t.at
            for t in self.transitions
            if t.node == name and t.state is State.MASTER and t.at >= after
        )

    def last_advert_from(self, name: str, before: float) -> WireAdvert:
        return [w for w in self.wire if w.sender == name and w.at <= before][-1]

    def overlaps(self, since: float) -> float:
        """Total time after `since` during which two or more nodes held the VIPs."""
        edges: list[tuple[float, int]] = []
        for node in self.nodes.values():
            spans = list(node.holdings)
            if node.vips_since is not None:
                spans.append((node.vips_since, self.now))
            for start, end in spans:
                edges += [(max(start, since), 1), (max(end, since), -1)]
        total, holders, last = 0.0, 0, since
        for when, step in sorted(edges):
            if holders >= 2:
                total += when - last
            holders += step
            last = when
        return total

    # ── internals ───────────────────────────────────────────────────────

    def _next_event(self) -> tuple[float | None, Node | None]:
        best: tuple[float | None, Node | None] = (None, None)
        if self._queue:
            best = (self._queue[0][0], None)
        for node in self.nodes.values():
            deadline = node.router.next_deadline() if node.alive else None
            if deadline is not None and (best[0] is None or deadline < best[0]):
                best = (deadline, node)
        return best

    def _feed(self, node: Node, event: ev.Event) -> None:
        self._carry_out(node, node.router.handle(event, self.now))

    def _carry_out(self, node: Node, actions: list[ev.Action]) -> None:
        for action in actions:
            match action:
                case ev.SendAdvert(advert=advert):
                    self._transmit(node, advert)
                case ev.AddVips():
                    if node.vips_since is None:
                        node.vips_since = self.now
                case ev.RemoveVips():
                    self._release(node)
                case ev.Notify(previous=previous, state=state, reason=reason):
                    self.transitions.append(
                        Transition(self.now, node.name, previous, state, reason)
                    )
                case ev.ReportDrop():
                    self.dropped.append((node.name, action))
                case _:
                    pass

    def _release(self, node: Node) -> None:
        if node.vips_since is not None:
            node.holdings.append((node.vips_since, self.now))
            node.vips_since = None

    def _transmit(self, sender: Node, advert: Advert) -> None:
        self.wire.append(WireAdvert(self.now, sender.name, advert))
        group = MULTICAST_V4 if sender.address.version == 4 else MULTICAST_V6
        data = encode(advert, sender.address, group)
        for node in list(self.nodes.values()):
            if node is sender or self._random.random() < self.loss:
                continue
            self.at(self.now + self.delay, self._delivery(node, data, sender.address, group))

    def _delivery(
        self, node: Node, data: bytes, source: IPAddress, group: IPAddress
    ) -> Callable[[], None]:
        router = node.router  # a restarted node's new router must not get old mail

        def deliver() -> None:
            if not node.alive or node.router is not router:
                return
            try:
                advert = decode(data, source, group)
            except PacketError as error:
                self._feed(node, ev.AdvertDropped(error.reason, source, error.detail))
                return
            self._feed(node, ev.AdvertReceived(advert, source))

        return deliver
