"""vrrpd and real Keepalived 2.2.x in one virtual router: the mixed cluster.

Every scenario runs in both directions where the roles differ (vrrpd master and
Keepalived backup, then the reverse), in a lab of namespaces
(tests/lab/netlab.py) with Keepalived started by tests/lab/keepalived.py on
the same description of the routers that vrrpd reads. Witnesses: the wire (the
observer's capture, kernel timestamps), the kernel (addresses) and each
daemon's own account (vrrpd's status and log, Keepalived's log).

Keepalived is the reference: where the two disagree on the wire, vrrpd is
wrong. Every takeover is timed on the wire, from the old master's last advert
(or its priority-0 advert) to the new master's first, for vrrpd and for
Keepalived in the same run; the times are printed, written to
``takeovers.json`` in each test's lab workdir, and gathered in
``interop-takeovers.json`` in pytest's base temp directory.

Bounds: "not before the RFC allows" (EPSILON for clocks) and "within the RFC's
bound + MARGIN": correctness on two loaded cores, not a benchmark. VRRPv2
counts in whole seconds, so its scenarios use advert_int 1; the v3 ones use
0.1 s where the interval is not the point.
"""

from __future__ import annotations

import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from tests.lab.daemon import FAST_ADVERT_INT, VrrpNode, instance, switch_as_hub, wait_adverts
from tests.lab.keepalived import (
    Daemon,
    KeepalivedNode,
    Kind,
    crash,
    kind_of,
    start_daemon,
)
from tests.lab.netlab import Advert, Capture, Lab, LabFactory, Node, vip4, vip6, wait_until
from vrrpd.protocol.model import Version
from vrrpd.protocol.timing import master_down_interval, skew_time

IPAddress = IPv4Address | IPv6Address
GROUP_V4 = IPv4Address("224.0.0.18")
GROUP_V6 = IPv6Address("ff02::12")
MARGIN = 0.3  # seconds of slack on every upper bound
EPSILON = 0.03  # seconds of slack on lower bounds (clock reading, not scheduling)
DOUBLE_HOLDER_LIMIT = 0.05  # seconds two nodes may both hold the VIP at a handover
PRIO_HIGH, PRIO_LOW = 200, 100
TIMEOUT = 8.0  # for waits that should end far sooner

pytestmark = pytest.mark.lab

# (the node that starts as master, the other): both directions of each scenario.
DIRECTIONS = pytest.mark.parametrize(
    ("first", "second"),
    [("vrrpd", "keepalived"), ("keepalived", "vrrpd")],
    ids=["vrrpd-master", "keepalived-master"],
)


def mdi(version: int, priority: int, advert_int: float) -> float:
    return master_down_interval(Version(version), priority, advert_int)


def skew(version: int, priority: int, advert_int: float) -> float:
    return skew_time(Version(version), priority, advert_int)


# ------------------------------------------------------------------ takeover times


@dataclass(frozen=True, slots=True)
class Takeover:
    """One handover timed on the wire."""

    scenario: str
    new_master: Kind
    old_master: Kind
    measure: str  # what was timed, from what to what
    seconds: float
    rfc_seconds: float  # what the RFC says it should be


@dataclass
class TakeoverLog:
    """Every takeover of this module's tests, for the closing note."""

    path: Path
    records: list[Takeover] = field(default_factory=list)

    def record(
        self,
        lab: Lab,
        scenario: str,
        *,
        new: Daemon,
        old: Daemon,
        measure: str,
        seconds: float,
        rfc_seconds: float,
    ) -> Takeover:
        entry = Takeover(scenario, kind_of(new), kind_of(old), measure, seconds, rfc_seconds)
        self.records.append(entry)
        per_lab = lab.workdir / "takeovers.json"
        earlier = json.loads(per_lab.read_text()) if per_lab.exists() else []
        per_lab.write_text(json.dumps([*earlier, asdict(entry)], indent=2))
        print(f"\n{_row(entry)}")
        return entry

    def write(self) -> None:
        self.path.write_text(json.dumps([asdict(r) for r in self.records], indent=2))

    def table(self) -> str:
        header = (
            f"{'scenario':<34} {'new master':<11} {'old master':<11} {'s':>7} {'RFC s':>7}  measure"
        )
        return "\n".join([header, *(_row(r) for r in self.records)])


def _row(r: Takeover) -> str:
    return (
        f"{r.scenario:<34} {r.new_master:<11} {r.old_master:<11} "
        f"{r.seconds:7.3f} {r.rfc_seconds:7.3f}  {r.measure}"
    )


@pytest.fixture(scope="module")
def takeovers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TakeoverLog]:
    log = TakeoverLog(tmp_path_factory.getbasetemp() / "interop-takeovers.json")
    yield log
    if log.records:
        log.write()
        print(f"\ntakeover times (also in {log.path}):\n{log.table()}")


# --------------------------------------------------------------------------- helpers


def source(node: Node, ipv6: bool = False) -> IPAddress:
    """The address ``node`` advertises from: link-local for IPv6 (RFC 9568 §7.2)."""
    if ipv6:
        assert node.link_local is not None
        return node.link_local
    return node.ipv4


def wait_vip(node: Node, vip: IPAddress, present: bool = True) -> None:
    where = "on" if present else "gone from"
    wait_until(
        lambda: node.has_address(vip) == present, TIMEOUT, message=f"VIP {vip} {where} {node.name}"
    )


def start_pair(
    lab: Lab,
    first: Kind,
    second: Kind,
    first_router: Mapping[str, Any],
    second_router: Mapping[str, Any],
    *,
    ipv6: bool = False,
    scripts: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[Daemon, Daemon]:
    """``first`` on n1 becomes master, ``second`` on n2 follows it.

    The second starts as soon as the first is up, not once it is master: with
    whole-second intervals waiting in turn costs seconds, and the first still
    wins (its Master_Down_Interval is the shorter one and it started first).
    """
    n1, n2 = lab.nodes[:2]
    d1 = start_daemon(first, n1, {"VI_1": first_router}, scripts=scripts)
    d2 = start_daemon(second, n2, {"VI_1": second_router}, scripts=scripts)
    d1.wait_state("MASTER", timeout=TIMEOUT)
    wait_following(lab, d2, source(n1, ipv6))
    return d1, d2


def wait_following(lab: Lab, daemon: Daemon, master: IPAddress) -> None:
    """``daemon`` is BACKUP and has heard ``master`` advertise since it started."""
    if isinstance(daemon, VrrpNode):
        daemon.wait_following(master, timeout=TIMEOUT)
        return
    daemon.wait_state("BACKUP", timeout=TIMEOUT)
    # Keepalived does not say whom it follows: an advert of the master on the
    # wire with it still BACKUP says it for it.
    wait_adverts(lab.capture, 1, since=time.monotonic(), src=master)
    assert daemon.state() == "BACKUP", daemon.tail()


def takeover_after_silence(
    capture: Capture, old: IPAddress, new: IPAddress, *, since: float
) -> tuple[Advert, Advert]:
    """(the last advert of ``old``, the first of ``new`` after it), ``new`` has advertised."""
    (first_new,) = wait_adverts(capture, 1, since=since, src=new, where=lambda a: a.priority > 0)
    last_old = [a for a in capture.adverts(src=old) if a.mono < first_new.mono][-1]
    return last_old, first_new


def takeover_after_resign(
    capture: Capture, old: IPAddress, new: IPAddress, *, since: float
) -> tuple[Advert, Advert]:
    """(``old``'s priority-0 advert since ``since``, ``new``'s first advert after it)."""
    (resign,) = wait_adverts(capture, 1, since=since, src=old, where=lambda a: a.priority == 0)
    (first_new,) = wait_adverts(capture, 1, since=resign.mono, src=new)
    return resign, first_new


def up_since(daemon: Daemon, spawned_wall: float) -> float:
    """When ``daemon`` started listening as BACKUP (wall clock, as ``Advert.wall``).

    vrrpd logs its INIT -> BACKUP transition to the microsecond; Keepalived's
    log counts whole seconds, but it is up ~15 ms after its spawn, so the
    spawn stands for it.
    """
    if isinstance(daemon, KeepalivedNode):
        return spawned_wall
    record = daemon.log_events("transition", previous="INIT")[0]
    return datetime.fromisoformat(record["timestamp"]).timestamp()


def record_preempt(
    lab: Lab,
    takeovers: TakeoverLog,
    scenario: str,
    *,
    new: Daemon,
    old: Daemon,
    spawned_wall: float,
    first_advert: Advert,
    bound: float,
) -> None:
    """Time a preemption from the restarted daemon's start to its first advert."""
    seconds = first_advert.wall - up_since(new, spawned_wall)
    takeovers.record(
        lab,
        scenario,
        new=new,
        old=old,
        measure="restarted daemon up (Keepalived: spawned) -> its first advert",
        seconds=seconds,
        rfc_seconds=bound,
    )
    assert bound - EPSILON <= seconds <= bound + MARGIN, (seconds, bound)


# ------------------------------------------------ 1, 3: failover after kill -9


@pytest.mark.parametrize("version", [2, 3], ids=["vrrpv2-1s", "vrrpv3-1s"])
@DIRECTIONS
def test_interop_kill9_of_the_master_backup_takes_over_within_master_down_interval(
    make_lab: LabFactory, takeovers: TakeoverLog, first: Kind, second: Kind, version: int
) -> None:
    """Election by priority, then SIGKILL of the whole master: the other daemon
    takes over one Master_Down_Interval after the last advert it heard."""
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    advert_int = 1
    d1, d2 = start_pair(
        lab,
        first,
        second,
        instance(priority=PRIO_HIGH, version=version, advert_int=advert_int),
        instance(priority=PRIO_LOW, version=version, advert_int=advert_int),
    )
    wait_vip(n1, vip4())
    assert not n2.has_address(vip4())
    adverts = wait_adverts(lab.capture, 2, since=0.0, src=n1.ipv4)
    assert all(
        (a.version, a.priority, a.ttl, a.dst, a.checksum_ok)
        == (version, PRIO_HIGH, 255, GROUP_V4, True)
        for a in adverts
    ), adverts

    killed = time.monotonic()
    crash(d1)
    d2.wait_state("MASTER", timeout=TIMEOUT)
    last, first_new = takeover_after_silence(lab.capture, n1.ipv4, n2.ipv4, since=killed)
    bound = mdi(version, PRIO_LOW, advert_int)
    seconds = first_new.mono - last.mono
    takeovers.record(
        lab,
        f"v{version} kill -9, advert_int {advert_int:g}",
        new=d2,
        old=d1,
        measure="last advert of the old master -> first of the new",
        seconds=seconds,
        rfc_seconds=bound,
    )
    assert bound - EPSILON <= seconds <= bound + MARGIN, (seconds, bound)
    assert (first_new.version, first_new.priority) == (version, PRIO_LOW)
    wait_vip(n2, vip4())
    # Five gratuitous ARPs, the default of both (garp_master_repeat), advert first.
    garps = wait_until(
        lambda: g if len(g := lab.capture.gratuitous_arps(ip=vip4(), since=last.mono)) >= 5 else [],
        TIMEOUT,
        message="5 GARPs for the VIP from n2",
    )
    assert {(g.src_mac, g.sender_mac) for g in garps} == {(n2.mac, n2.mac)}
    assert garps[0].mono >= first_new.mono
    assert len(lab.capture.gratuitous_arps(ip=vip4(), since=last.mono)) == 5


# ------------------------------------------------------- 2: VRRPv2 PASS auth


def v2_auth(priority: int, password: str) -> dict[str, Any]:
    auth = {"auth_type": "PASS", "auth_pass": password}
    return instance(priority=priority, version=2, advert_int=1, authentication=auth)


@DIRECTIONS
def test_interop_vrrpv2_same_password_elects_one_master(
    make_lab: LabFactory, first: Kind, second: Kind
) -> None:
    """With the same PASS password each side accepts the other's adverts: one
    master holds the VIP, the other follows it; nobody counts a refusal."""
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    d1, d2 = start_pair(
        lab, first, second, v2_auth(PRIO_HIGH, "s3cret"), v2_auth(PRIO_LOW, "s3cret")
    )
    wait_vip(n1, vip4())
    assert not n2.has_address(vip4())
    adverts = lab.capture.adverts(src=n1.ipv4)
    assert adverts and all((a.version, a.auth_type) == (2, 1) for a in adverts)
    # The first is master and nobody refused anything.
    assert d1.state() == "MASTER" and d2.state() == "BACKUP"
    for daemon in (d1, d2):
        if isinstance(daemon, VrrpNode):
            assert "auth_mismatch" not in daemon.drops(), daemon.drops()
        else:
            assert not daemon.grep("invalid passwd"), daemon.tail()
    assert lab.capture.adverts(src=n2.ipv4) == []


def test_interop_vrrpv2_mismatched_password_each_side_refuses_the_other_so_both_are_master(
    make_lab: LabFactory,
) -> None:
    """One password differs: each side refuses the other's adverts (vrrpd counts
    auth_mismatch, Keepalived logs "received an invalid passwd!"), so neither
    hears a master and both end up MASTER holding the VIP. That split brain is the
    expected consequence of a mismatched password, in Keepalived as in vrrpd."""
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    started = time.monotonic()
    ka = start_daemon("keepalived", n1, {"VI_1": v2_auth(PRIO_HIGH, "s3cret")})
    vr = start_daemon("vrrpd", n2, {"VI_1": v2_auth(PRIO_LOW, "wrong!")})
    assert isinstance(ka, KeepalivedNode) and isinstance(vr, VrrpNode)
    ka.wait_state("MASTER", timeout=TIMEOUT)
    vr.wait_state("MASTER", timeout=TIMEOUT)
    vr.wait_drops("auth_mismatch", 1)  # one: Keepalived may go quiet (below)
    ka.wait_log(r"\(VI_1\) received an invalid passwd!")
    assert vr.log_events("advert_dropped", reason="auth_mismatch", source=str(n1.ipv4))
    wait_vip(n1, vip4())
    wait_vip(n2, vip4())
    # Each advertised as master, but not necessarily since both became master:
    # this lab's captures show Keepalived 2.2.7's master restarting its advert
    # timer when it reads a packet, refused ones included, so a peer that
    # advertises on the dot every advert_int (as vrrpd does) keeps it quiet.
    for node, priority in ((n1, PRIO_HIGH), (n2, PRIO_LOW)):
        (advert,) = wait_adverts(lab.capture, 1, since=started, src=node.ipv4)
        assert (advert.priority, advert.auth_type) == (priority, 1)
    assert ka.transitions() == ["BACKUP", "MASTER"]
    assert [r["state"] for r in vr.log_events("transition")] == ["BACKUP", "MASTER"]


# ------------------------------------------- 3: VRRPv3 learns the master's interval


@DIRECTIONS
def test_interop_vrrpv3_backup_learns_the_masters_advert_interval_and_times_out_on_it(
    make_lab: LabFactory, takeovers: TakeoverLog, first: Kind, second: Kind
) -> None:
    """The master advertises every 0.1 s, the backup is configured with 1 s: a v3
    backup adopts the master's interval (RFC 9568 §6.4.2), so after a kill -9 it
    takes over ~0.36 s after the last advert, not ~3.6 s."""
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    d1, d2 = start_pair(
        lab,
        first,
        second,
        instance(priority=PRIO_HIGH, advert_int=0.1),
        instance(priority=PRIO_LOW, advert_int=1),
    )
    adverts = wait_adverts(lab.capture, 3, since=time.monotonic(), src=n1.ipv4)
    assert all(a.advert_interval == pytest.approx(0.1) for a in adverts)
    if isinstance(d2, VrrpNode):
        status = d2.instance() or {}
        assert status["master_adver_interval"] == pytest.approx(0.1), status
        assert status["advertisement_interval"] == pytest.approx(1.0), status
    else:
        d2.wait_log(r"\(VI_1\) advertisement interval updated from 1000ms to 100ms by master")

    killed = time.monotonic()
    crash(d1)
    d2.wait_state("MASTER", timeout=TIMEOUT)
    last, first_new = takeover_after_silence(lab.capture, n1.ipv4, n2.ipv4, since=killed)
    bound = mdi(3, PRIO_LOW, 0.1)
    seconds = first_new.mono - last.mono
    takeovers.record(
        lab,
        "v3 kill -9, learnt advert_int 0.1",
        new=d2,
        old=d1,
        measure="last advert of the old master -> first of the new",
        seconds=seconds,
        rfc_seconds=bound,
    )
    assert bound - EPSILON <= seconds <= bound + MARGIN, (seconds, bound)
    # As master it advertises at its own configured interval again.
    assert first_new.advert_interval == pytest.approx(1.0)


# ------------------------------------------------------------------- 4: IPv6


@DIRECTIONS
def test_interop_vrrpv3_ipv6_adverts_from_link_local_to_ff02_12_and_failover(
    make_lab: LabFactory, takeovers: TakeoverLog, first: Kind, second: Kind
) -> None:
    lab = make_lab(2, ipv6=True)
    n1, n2 = lab.nodes
    vips = [f"{vip6()}/64"]
    d1, d2 = start_pair(
        lab,
        first,
        second,
        instance(priority=PRIO_HIGH, vips=vips),
        instance(priority=PRIO_LOW, vips=vips),
        ipv6=True,
    )
    wait_vip(n1, vip6())
    assert not n2.has_address(vip6())
    adverts = wait_adverts(lab.capture, 3, since=time.monotonic(), src=n1.link_local)
    assert all(
        (a.dst, a.ttl, a.version, a.checksum_ok, a.addresses) == (GROUP_V6, 255, 3, True, (vip6(),))
        for a in adverts
    ), adverts
    nas = wait_until(
        lambda: [n for n in lab.capture.unsolicited_nas(target=vip6()) if n.src_mac == n1.mac],
        TIMEOUT,
        message="unsolicited NA for the VIP from n1",
    )
    assert all(na.override and na.target_mac == n1.mac for na in nas)
    if isinstance(d2, VrrpNode):
        assert (d2.instance() or {})["master_address"] == str(n1.link_local)

    killed = time.monotonic()
    crash(d1)
    d2.wait_state("MASTER", timeout=TIMEOUT)
    last, first_new = takeover_after_silence(
        lab.capture, source(n1, True), source(n2, True), since=killed
    )
    bound = mdi(3, PRIO_LOW, FAST_ADVERT_INT)
    seconds = first_new.mono - last.mono
    takeovers.record(
        lab,
        "v3 IPv6 kill -9, advert_int 0.1",
        new=d2,
        old=d1,
        measure="last advert of the old master -> first of the new",
        seconds=seconds,
        rfc_seconds=bound,
    )
    assert bound - EPSILON <= seconds <= bound + MARGIN, (seconds, bound)
    assert first_new.dst == GROUP_V6
    wait_vip(n2, vip6())
    wait_until(
        lambda: [
            n
            for n in lab.capture.unsolicited_nas(target=vip6(), since=last.mono)
            if n.src_mac == n2.mac
        ],
        TIMEOUT,
        message="unsolicited NA for the VIP from n2",
    )


# ----------------------------------------------------------------- 5: unicast


@pytest.mark.parametrize("version", [2, 3], ids=["vrrpv2-1s", "vrrpv3-0.1s"])
@DIRECTIONS
def test_interop_unicast_peers_adverts_go_to_the_peer_and_a_stop_hands_over(
    make_lab: LabFactory, takeovers: TakeoverLog, first: Kind, second: Kind, version: int
) -> None:
    """unicast_src_ip / unicast_peer: adverts (priority 0 included) go to the
    peer, not to 224.0.0.18, and a SIGTERM of the master hands over in Skew_Time."""
    advert_int = 1 if version == 2 else FAST_ADVERT_INT
    lab = make_lab(2, ipv6=False)
    switch_as_hub(lab)  # the observer sees unicast frames too
    n1, n2 = lab.nodes

    def unicast(node: Node, peer: Node, priority: int) -> dict[str, Any]:
        return instance(
            priority=priority,
            version=version,
            advert_int=advert_int,
            unicast_src_ip=str(node.ipv4),
            unicast_peer=[str(peer.ipv4)],
        )

    d1, d2 = start_pair(lab, first, second, unicast(n1, n2, PRIO_HIGH), unicast(n2, n1, PRIO_LOW))
    wait_vip(n1, vip4())
    adverts = wait_adverts(lab.capture, 2, since=0.0, src=n1.ipv4)
    assert all(
        (a.dst, a.ttl, a.version, a.checksum_ok) == (n2.ipv4, 255, version, True) for a in adverts
    )

    stopping = time.monotonic()
    d1.proc.terminate()
    d2.wait_state("MASTER", timeout=TIMEOUT)
    resign, first_new = takeover_after_resign(lab.capture, n1.ipv4, n2.ipv4, since=stopping)
    assert resign.dst == n2.ipv4 and first_new.dst == n1.ipv4
    bound = skew(version, PRIO_LOW, advert_int)
    seconds = first_new.mono - resign.mono
    takeovers.record(
        lab,
        f"v{version} unicast SIGTERM, advert_int {advert_int:g}",
        new=d2,
        old=d1,
        measure="priority-0 advert of the old master -> first of the new",
        seconds=seconds,
        rfc_seconds=bound,
    )
    assert bound - 0.01 <= seconds <= bound + MARGIN, (seconds, bound)
    assert d1.proc.wait(TIMEOUT) == 0
    wait_vip(n2, vip4())
    assert not [a for a in lab.capture.adverts() if a.dst == GROUP_V4]


# -------------------------------------------------- 6: equal priority, address


def _isolate(lab: Lab, on: bool) -> None:
    """Bridge port isolation: the nodes stop hearing each other; the observer hears both."""
    for node in lab.nodes:
        lab.switch.ip("link", "set", node.switch_port, "type", "bridge_slave",
                      "isolated", "on" if on else "off")  # fmt: skip


@pytest.mark.parametrize(
    "higher", ["vrrpd", "keepalived"], ids=["vrrpd-higher-address", "keepalived-higher-address"]
)
def test_interop_equal_priority_two_masters_meet_and_the_higher_primary_address_stays(
    make_lab: LabFactory, higher: Kind
) -> None:
    """RFC 9568 §6.4.3: a master that hears an advert of its own priority from a
    higher primary address becomes backup; the higher address stays master.

    Both start at once. Started on one wire, whichever times out first would
    become master and the other, a backup, would follow it at equal priority
    whatever its address (§6.4.2, in Keepalived as in vrrpd): the rule under
    test would depend on start-up speed. So both start with their switch ports
    isolated from each other (the observer still hears both), both become
    master, and the isolation is then lifted: two masters meet.
    """
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes  # n2 (192.0.2.12) has the higher primary address
    lower: Kind = "keepalived" if higher == "vrrpd" else "vrrpd"
    _isolate(lab, True)
    d1 = start_daemon(lower, n1, {"VI_1": instance(priority=PRIO_LOW)}, wait=False)
    d2 = start_daemon(higher, n2, {"VI_1": instance(priority=PRIO_LOW)}, wait=False)
    d1.wait_state("MASTER", timeout=TIMEOUT)
    d2.wait_state("MASTER", timeout=TIMEOUT)
    wait_vip(n1, vip4())
    wait_vip(n2, vip4())
    both = time.monotonic()
    for node in (n1, n2):  # two masters, neither hearing the other
        wait_adverts(lab.capture, 2, since=both, src=node.ipv4)

    joined = time.monotonic()
    _isolate(lab, False)
    d1.wait_state("BACKUP", timeout=TIMEOUT)
    wait_vip(n1, vip4(), present=False)
    settled = time.monotonic()
    adverts = wait_adverts(lab.capture, 5, since=settled, src=n2.ipv4)
    assert all(a.priority == PRIO_LOW for a in adverts)
    assert lab.capture.adverts(src=n1.ipv4, since=adverts[0].mono) == []
    assert d2.state() == "MASTER" and n2.has_address(vip4())
    stepped_down = lab.capture.adverts(src=n1.ipv4, since=joined)
    print(f"\nequal priority: {len(stepped_down)} adverts of n1 after the two met")
    if isinstance(d1, VrrpNode):
        reason = (d1.instance() or {})["last_transition"]
        assert "higher address" in reason, reason


# ------------------------------------------------------------ 7: graceful stop


@DIRECTIONS
def test_interop_sigterm_master_sends_priority_zero_and_the_other_takes_over_in_skew_time(
    make_lab: LabFactory, takeovers: TakeoverLog, first: Kind, second: Kind
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    d1, d2 = start_pair(
        lab,
        first,
        second,
        instance(priority=PRIO_HIGH, advert_int=1),
        instance(priority=PRIO_LOW, advert_int=1),
    )
    wait_vip(n1, vip4())

    stopping = time.monotonic()
    d1.proc.terminate()
    d2.wait_state("MASTER", timeout=TIMEOUT)
    resign, first_new = takeover_after_resign(lab.capture, n1.ipv4, n2.ipv4, since=stopping)
    bound = skew(3, PRIO_LOW, 1.0)
    seconds = first_new.mono - resign.mono
    takeovers.record(
        lab,
        "v3 SIGTERM, advert_int 1",
        new=d2,
        old=d1,
        measure="priority-0 advert of the old master -> first of the new",
        seconds=seconds,
        rfc_seconds=bound,
    )
    assert bound - 0.01 <= seconds <= bound + MARGIN, (seconds, bound)
    assert resign.mono - stopping < 0.5, "the priority-0 advert is sent at once"
    assert d1.proc.wait(TIMEOUT) == 0
    assert not n1.has_address(vip4())
    assert lab.capture.adverts(src=n1.ipv4, since=resign.mono + 1e-6) == []
    wait_vip(n2, vip4())


# --------------------------------------------------------------- 8: preemption


@DIRECTIONS
def test_interop_preempt_restarted_higher_priority_takes_back_and_nopreempt_keeps_the_master(
    make_lab: LabFactory, takeovers: TakeoverLog, first: Kind, second: Kind
) -> None:
    """Preempt (the default): the higher-priority side, restarted, takes the VIP
    back once its own Master_Down_Interval has run out. nopreempt on both: the
    lower-priority master keeps the VIP while the higher one stays backup."""
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    high, low = instance(priority=PRIO_HIGH), instance(priority=PRIO_LOW)
    d1, d2 = start_pair(lab, first, second, high, low)
    crash(d1)
    d2.wait_state("MASTER", timeout=TIMEOUT)
    wait_vip(n2, vip4())

    restarted, restarted_wall = time.monotonic(), time.time()
    d1 = start_daemon(first, n1, {"VI_1": high}, tag="again", wait=False)
    d1.wait_state("MASTER", timeout=TIMEOUT)
    d2.wait_state("BACKUP", timeout=TIMEOUT)
    wait_vip(n1, vip4())
    wait_vip(n2, vip4(), present=False)
    (first_new,) = wait_adverts(lab.capture, 1, since=restarted, src=n1.ipv4)
    record_preempt(
        lab,
        takeovers,
        "v3 preempt after restart, 0.1",
        new=d1,
        old=d2,
        spawned_wall=restarted_wall,
        first_advert=first_new,
        bound=mdi(3, PRIO_HIGH, FAST_ADVERT_INT),
    )
    # The old master says no more once the new one has spoken.
    assert lab.capture.adverts(src=n2.ipv4, since=first_new.mono + 0.05) == []
    assert d1.stop() == 0
    assert d2.stop() == 0

    # nopreempt on both: the lower-priority node is master first and stays.
    high_np = instance(priority=PRIO_HIGH, nopreempt=True)
    low_np = instance(priority=PRIO_LOW, nopreempt=True)
    d2 = start_daemon(second, n2, {"VI_1": low_np}, tag="np")
    d2.wait_state("MASTER", timeout=TIMEOUT)
    restarted = time.monotonic()
    d1 = start_daemon(first, n1, {"VI_1": high_np}, tag="np")
    wait_following(lab, d1, n2.ipv4)
    # Five of n1's Master_Down_Intervals, counted in n2's adverts.
    wait_adverts(
        lab.capture,
        round(5 * mdi(3, PRIO_HIGH, FAST_ADVERT_INT) / FAST_ADVERT_INT),
        since=restarted,
        src=n2.ipv4,
    )
    assert d1.state() == "BACKUP" and d2.state() == "MASTER"
    assert lab.capture.adverts(src=n1.ipv4, since=restarted) == []
    assert n2.has_address(vip4()) and not n1.has_address(vip4())


# ---------------------------------------------------------- 9: track scripts


@pytest.mark.parametrize("weight", [0, -60], ids=["weight0-fault", "weight-60"])
@DIRECTIONS
def test_interop_track_script_failure_on_the_master_moves_the_vip_to_the_other(
    make_lab: LabFactory, takeovers: TakeoverLog, first: Kind, second: Kind, weight: int
) -> None:
    """A track script (``test -e FLAG``, interval 1, fall 1, rise 1) fails on
    the master: with weight 0 it goes to FAULT and resigns with priority 0; with
    weight -60 its priority 150 falls to 90, below the other's 100, which then
    preempts once its Master_Down_Interval has run out."""
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    flags = {node.name: lab.workdir / f"{node.name}.healthy" for node in (n1, n2)}
    for flag in flags.values():
        flag.touch()

    def router(node: Node, priority: int) -> tuple[dict[str, Any], dict[str, Any]]:
        script = {
            "script": f"/usr/bin/test -e {flags[node.name]}",
            "interval": 1,
            "fall": 1,
            "rise": 1,
            "weight": weight,
        }
        return instance(priority=priority, track_script=["chk"]), {"chk": script}

    r1, s1 = router(n1, 150)
    r2, s2 = router(n2, PRIO_LOW)
    d1 = start_daemon(first, n1, {"VI_1": r1}, scripts=s1)
    d2 = start_daemon(second, n2, {"VI_1": r2}, scripts=s2)
    d1.wait_state("MASTER", timeout=TIMEOUT)
    wait_following(lab, d2, n1.ipv4)
    wait_vip(n1, vip4())

    failed = time.monotonic()
    flags[n1.name].unlink()
    d2.wait_state("MASTER", timeout=TIMEOUT)
    wait_vip(n2, vip4())
    wait_vip(n1, vip4(), present=False)
    if weight == 0:
        d1.wait_state("FAULT", timeout=TIMEOUT)
        resign, first_new = takeover_after_resign(lab.capture, n1.ipv4, n2.ipv4, since=failed)
        bound = skew(3, PRIO_LOW, FAST_ADVERT_INT)
        measure = "priority-0 advert (FAULT) of the old master -> first of the new"
        seconds = first_new.mono - resign.mono
        assert bound - 0.01 <= seconds <= bound + MARGIN, (seconds, bound)
    else:
        d1.wait_state("BACKUP", timeout=TIMEOUT)
        lowered = wait_adverts(
            lab.capture, 1, since=failed, src=n1.ipv4, where=lambda a: a.priority == 90
        )[0]
        last_high = [a for a in lab.capture.adverts(src=n1.ipv4) if a.mono < lowered.mono][-1]
        assert last_high.priority == 150
        (first_new,) = wait_adverts(lab.capture, 1, since=lowered.mono, src=n2.ipv4)
        bound = mdi(3, PRIO_LOW, FAST_ADVERT_INT)
        measure = "last priority-150 advert of the old master -> first of the new"
        seconds = first_new.mono - last_high.mono
        assert bound - EPSILON <= seconds <= bound + MARGIN, (seconds, bound)
    takeovers.record(
        lab,
        f"v3 track script fails, weight {weight}",
        new=d2,
        old=d1,
        measure=measure,
        seconds=seconds,
        rfc_seconds=bound,
    )
    print(f"script failure -> first advert of the new master: {first_new.mono - failed:.3f} s")

    # The script succeeds again: preempt brings the VIP back to n1.
    flags[n1.name].touch()
    d1.wait_state("MASTER", timeout=TIMEOUT)
    d2.wait_state("BACKUP", timeout=TIMEOUT)
    wait_vip(n1, vip4())
    wait_vip(n2, vip4(), present=False)


# ----------------------------------------------------- 10: rolling migration


class VipHolders:
    """Which nodes hold a VIP, sampled every ``period`` seconds in a thread.

    Each sample is one netlink address dump per node (well under a millisecond),
    so the nodes are compared at nearly the same instant, which ``ip addr``
    subprocesses (a few ms each) would not give.
    """

    def __init__(self, nodes: Sequence[Node], vip: IPv4Address, period: float = 0.02) -> None:
        self.nodes = tuple(nodes)
        self.vip = vip
        self.period = period
        self.samples: list[tuple[float, tuple[str, ...]]] = []
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        self._thread = threading.Thread(target=self._run, name="vip-holders", daemon=True)
        self._seq = itertools.count(1)

    def __enter__(self) -> VipHolders:
        self._socks = [
            node.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            for node in self.nodes
        ]
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self._socks:
            sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            holders = tuple(
                node.name
                for node, sock in zip(self.nodes, self._socks, strict=True)
                if self.vip in _ipv4_addresses(sock, next(self._seq))
            )
            self.samples.append((now, holders))
            self._stop.wait(self.period)

    def windows(self) -> list[tuple[float, float, int]]:
        """(start, end, most holders) of each run of samples where not exactly one
        node held the VIP; end is the first sample after the run."""
        found = []
        run: list[tuple[float, tuple[str, ...]]] = []
        for sample in self.samples:
            if len(sample[1]) != 1:
                run.append(sample)
                continue
            if run:
                found.append((run[0][0], sample[0], max(len(h) for _, h in run)))
                run = []
        if run:
            found.append((run[0][0], run[-1][0], max(len(h) for _, h in run)))
        return found


def _ipv4_addresses(sock: socket.socket, seq: int) -> set[IPv4Address]:
    """Every IPv4 address in the socket's namespace (an RTM_GETADDR dump)."""
    rtm_newaddr, rtm_getaddr, nlmsg_error, nlmsg_done = 20, 22, 2, 3
    nlm_f_request_dump = 0x301
    header = struct.Struct("=IHHII")
    request = struct.pack("=BBBBI", socket.AF_INET, 0, 0, 0, 0)
    sock.send(
        header.pack(header.size + len(request), rtm_getaddr, nlm_f_request_dump, seq, 0) + request
    )
    found: set[IPv4Address] = set()
    while True:
        data = sock.recv(65536)
        offset = 0
        while offset + header.size <= len(data):
            length, kind, _, _, _ = header.unpack_from(data, offset)
            if kind == nlmsg_done:
                return found
            if kind == nlmsg_error:
                raise OSError("netlink: RTM_GETADDR dump failed")
            if kind == rtm_newaddr:
                attr, end = offset + header.size + 8, offset + length
                while attr + 4 <= end:
                    attr_len, attr_type = struct.unpack_from("=HH", data, attr)
                    if attr_len < 4:
                        break
                    if attr_type in (1, 2) and attr_len == 8:  # IFA_ADDRESS, IFA_LOCAL
                        found.add(IPv4Address(data[attr + 4 : attr + 8]))
                    attr += (attr_len + 3) & ~3
            offset += (length + 3) & ~3


def test_interop_rolling_migration_from_keepalived_to_vrrpd_keeps_one_vip_holder(
    make_lab: LabFactory, takeovers: TakeoverLog
) -> None:
    """A Keepalived pair (n1 priority 150 ``state MASTER``, n2 100; VRRPv2, PASS,
    advert_int 1) is replaced node by node with vrrpd on the equivalent config:
    first the backup n2, then n1 (its VIP moves to vrrpd on n2, and vrrpd on n1
    preempts it back). Sampled every 20 ms throughout, the VIP is held by exactly
    one node but in one short window per handover, and never by two nodes for
    more than ~50 ms."""
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    high, low = v2_auth(150, "s3cret"), v2_auth(PRIO_LOW, "s3cret")
    ka1 = start_daemon("keepalived", n1, {"VI_1": high}, state="MASTER")
    ka2 = start_daemon("keepalived", n2, {"VI_1": low})
    ka1.wait_state("MASTER", timeout=TIMEOUT)
    wait_following(lab, ka2, n1.ipv4)
    wait_vip(n1, vip4())

    with VipHolders(lab.nodes, vip4()) as holders:
        # n2: the backup goes, vrrpd takes its place and follows n1.
        assert ka2.stop() == 0
        vr2 = start_daemon("vrrpd", n2, {"VI_1": low})
        wait_following(lab, vr2, n1.ipv4)

        # n1: the master goes (priority 0), vrrpd on n2 takes over in Skew_Time.
        stopping = time.monotonic()
        assert lab.capture.adverts(src=n2.ipv4) == []  # replacing the backup was silent
        ka1.proc.terminate()
        vr2.wait_state("MASTER", timeout=TIMEOUT)
        resign, first_new = takeover_after_resign(lab.capture, n1.ipv4, n2.ipv4, since=stopping)
        takeovers.record(
            lab,
            "migration: v2 SIGTERM of n1, PASS",
            new=vr2,
            old=ka1,
            measure="priority-0 advert of the old master -> first of the new",
            seconds=first_new.mono - resign.mono,
            rfc_seconds=skew(2, PRIO_LOW, 1),
        )
        assert ka1.proc.wait(TIMEOUT) == 0
        wait_vip(n2, vip4())

        # vrrpd on n1 starts as backup and preempts after its Master_Down_Interval.
        restarted, restarted_wall = time.monotonic(), time.time()
        vr1 = start_daemon("vrrpd", n1, {"VI_1": high})
        vr1.wait_state("MASTER", timeout=TIMEOUT)
        vr2.wait_state("BACKUP", timeout=TIMEOUT)
        wait_vip(n1, vip4())
        wait_vip(n2, vip4(), present=False)
        (back,) = wait_adverts(lab.capture, 1, since=restarted, src=n1.ipv4)
        record_preempt(
            lab,
            takeovers,
            "migration: v2 preempt by vrrpd n1",
            new=vr1,
            old=vr2,
            spawned_wall=restarted_wall,
            first_advert=back,
            bound=mdi(2, 150, 1),
        )
        wait_adverts(lab.capture, 2, since=back.mono + 0.01, src=n1.ipv4)

    windows = holders.windows()
    spans = [f"{end - start:.3f} s ({most} holders)" for start, end, most in windows]
    print(f"\nmigration: {len(holders.samples)} samples; windows without one holder: {spans}")
    assert len(holders.samples) >= 200
    assert holders.samples[0][1] == (n1.name,) and holders.samples[-1][1] == (n1.name,)
    assert len(windows) <= 2, spans  # the two handovers; replacing the backup is silent
    for start, end, most in windows:
        limit = DOUBLE_HOLDER_LIMIT if most == 2 else mdi(2, PRIO_LOW, 1) + MARGIN
        assert end - start <= limit, spans
