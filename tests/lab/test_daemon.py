"""Real vrrpd processes on a real wire: election, failover, hooks, reload, bad packets.

Each test builds a lab of namespaces (tests/lab/netlab.py), starts vrrpd in its
nodes with configs written by tests/lab/daemon.py, and checks three witnesses
that do not depend on each other: the kernel (addresses, by netlink), the wire
(the observer's capture, with kernel timestamps) and the daemon's own account
(``vrrpctl status --json`` and its JSON log).

Timing: v3 adverts every 0.1 s, so Master_Down_Interval is about 0.35 s. Bounds
are asserted as "not before the RFC allows" (a small epsilon for clocks) and
"within the RFC's bound + MARGIN": these are correctness tests on two loaded
cores, not benchmarks.
"""

from __future__ import annotations

import itertools
import socket
import struct
import time
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

import pytest

from tests.lab.daemon import (
    FAST_ADVERT_INT,
    VrrpNode,
    instance,
    start_vrrpd,
    switch_as_hub,
    wait_adverts,
    write_config,
)
from tests.lab.netlab import Capture, Lab, LabFactory, Node, vip4, vip6, wait_until
from vrrpd.protocol.model import Version
from vrrpd.protocol.packet import Advert as WireAdvert
from vrrpd.protocol.packet import encode
from vrrpd.protocol.timing import master_down_interval, skew_time

IPAddress = IPv4Address | IPv6Address
GROUP_V4 = IPv4Address("224.0.0.18")
MARGIN = 0.3  # seconds of slack on every upper bound
EPSILON = 0.03  # seconds of slack on lower bounds (clock reading, not scheduling)
PRIO_HIGH, PRIO_LOW = 200, 100
MDI_LOW = master_down_interval(Version.V3, PRIO_LOW, FAST_ADVERT_INT)
MDI_HIGH = master_down_interval(Version.V3, PRIO_HIGH, FAST_ADVERT_INT)
SKEW_LOW = skew_time(Version.V3, PRIO_LOW, FAST_ADVERT_INT)
TIMEOUT = 8.0  # for waits that should end far sooner

pytestmark = pytest.mark.lab


# --------------------------------------------------------------------------- helpers


def start_pair(lab: Lab, **common: Any) -> tuple[VrrpNode, VrrpNode]:
    """n1 (priority 200) MASTER, then n2 (priority 100) BACKUP following it."""
    n1, n2 = lab.node(1), lab.node(2)
    d1 = start_vrrpd(n1, {"VI_1": instance(priority=PRIO_HIGH, **common)})
    d1.wait_state("MASTER")
    d2 = start_vrrpd(n2, {"VI_1": instance(priority=PRIO_LOW, **common)})
    d2.wait_following(_source(n1, common))
    return d1, d2


def _source(node: Node, common: dict[str, Any]) -> IPAddress:
    """The address ``node`` advertises from: link-local for IPv6 VIPs (RFC 9568 §7.2)."""
    ipv6 = any(":" in str(v) for v in common.get("vips", []))
    if ipv6:
        assert node.link_local is not None
        return node.link_local
    return node.ipv4


def assert_steady_adverts(
    capture: Capture, src: IPAddress, vrid: int, start: float, end: float
) -> None:
    """``src`` advertised ``vrid`` from 0.5 s before ``start`` to 0.5 s after ``end``
    without a gap longer than 2 x the advert interval."""
    (after,) = wait_adverts(capture, 1, since=end + 0.5, src=src, vrid=vrid)
    window = [
        a for a in capture.adverts(src=src, vrid=vrid, since=start - 0.5) if a.mono <= after.mono
    ]
    gaps = [b.mono - a.mono for a, b in itertools.pairwise(window)]
    assert len(window) >= 10, window
    assert max(gaps) <= 2 * FAST_ADVERT_INT, f"gap of {max(gaps):.3f} s in {vrid}'s adverts"


def transitions(daemon: VrrpNode, name: str = "VI_1") -> list[tuple[str, str]]:
    """(previous, state) of each transition in the daemon's log, in order."""
    return [(r["previous"], r["state"]) for r in daemon.log_events("transition", instance=name)]


def observe(seconds: float, check: Callable[[], None]) -> int:
    """Run ``check`` over and over for ``seconds`` (a sampling window); the sample count."""
    samples = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        check()
        samples += 1
    return samples


# ---------------------------------------------------------------------------- tests


def test_rfc9568_6_4_election_higher_priority_is_the_one_master_holding_the_vip(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    # Both at once: the election, not the start order, decides.
    d1 = start_vrrpd(n1, {"VI_1": instance(priority=PRIO_HIGH)}, wait=False)
    d2 = start_vrrpd(n2, {"VI_1": instance(priority=PRIO_LOW)}, wait=False)
    d1.wait_state("MASTER", timeout=TIMEOUT)
    d2.wait_following(n1.ipv4, timeout=TIMEOUT)
    wait_until(lambda: n1.has_address(vip4()), TIMEOUT, message="VIP on n1")
    assert not n2.has_address(vip4())

    # The wire: n1's GARPs for the VIP, from its MAC, naming its MAC.
    garps = wait_until(
        lambda: [g for g in lab.capture.gratuitous_arps(ip=vip4()) if g.src_mac == n1.mac],
        TIMEOUT,
        message="GARP for the VIP from n1",
    )
    assert all(g.sender_mac == n1.mac for g in garps)

    # Both daemons, asked through the real vrrpctl, tell the same story.
    for daemon, state in ((d1, "MASTER"), (d2, "BACKUP")):
        reply = daemon.vrrpctl("status", "--json")
        (status,) = reply["instances"]
        assert status["state"] == state
        assert status["master_address"] == str(n1.ipv4)
        assert status["master_priority"] == PRIO_HIGH
        assert reply["last_reload_error"] is None

    # After convergence only n1 advertises (priority 200, TTL 255, to the group).
    converged = time.monotonic()
    adverts = wait_adverts(lab.capture, 5, since=converged)
    assert {a.src for a in adverts} == {n1.ipv4}
    assert all(a.priority == PRIO_HIGH and a.ttl == 255 and a.dst == GROUP_V4 for a in adverts)
    assert all(a.checksum_ok and a.version == 3 for a in adverts)


def test_rfc9568_6_4_2_backup_takes_over_within_master_down_interval_after_kill(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    d1, d2 = start_pair(lab)
    wait_adverts(lab.capture, 3, since=time.monotonic(), src=n1.ipv4)

    d1.proc.kill()
    assert d1.proc.wait(5) == -9
    status = d2.wait_state("MASTER", timeout=TIMEOUT)
    last = lab.capture.adverts(src=n1.ipv4)[-1]
    (first,) = wait_adverts(lab.capture, 1, since=last.mono, src=n2.ipv4)
    takeover = first.mono - last.mono
    print(f"kill -9: last advert of n1 -> first of n2 as master: {takeover:.3f} s")
    assert MDI_LOW - EPSILON <= takeover <= MDI_LOW + MARGIN, (takeover, MDI_LOW)
    assert first.priority == PRIO_LOW

    wait_until(lambda: n2.has_address(vip4()), TIMEOUT, message="VIP on n2")
    garps = wait_until(
        lambda: [
            g
            for g in lab.capture.gratuitous_arps(ip=vip4(), since=last.mono)
            if g.src_mac == n2.mac
        ],
        TIMEOUT,
        message="GARP for the VIP from n2",
    )
    assert garps[0].mono >= first.mono  # RFC 9568 §6.4.2: advert, then announce
    assert "Master_Down_Interval" in status["reason"], status["reason"]
    assert status["master_address"] == str(n2.ipv4)


def test_rfc9568_6_4_3_sigterm_master_sends_priority_zero_and_backup_waits_skew_time(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    d1, d2 = start_pair(lab)
    before = time.monotonic()

    assert d1.stop() == 0
    # The VIP was released before the process exited.
    assert not n1.has_address(vip4())
    (resign,) = wait_adverts(
        lab.capture, 1, since=before, src=n1.ipv4, where=lambda a: a.priority == 0
    )
    status = d2.wait_state("MASTER", timeout=TIMEOUT)
    (first,) = wait_adverts(lab.capture, 1, since=resign.mono, src=n2.ipv4)
    delay = first.mono - resign.mono
    print(f"SIGTERM: priority-0 advert of n1 -> first of n2 as master: {delay:.3f} s")
    assert SKEW_LOW - 0.01 <= delay <= SKEW_LOW + MARGIN, (delay, SKEW_LOW)
    assert "priority 0" in status["reason"] and "Skew_Time" in status["reason"]
    assert lab.capture.adverts(src=n1.ipv4, since=resign.mono + 1e-6) == []
    wait_until(lambda: n2.has_address(vip4()), TIMEOUT, message="VIP on n2")
    assert [t[1] for t in transitions(d1)][-1] == "STOP"


def test_keepalived_preempt_higher_priority_takes_back_and_nopreempt_keeps_the_master(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    # Preempt (the default): the restarted higher priority node takes the VIP back.
    d1, d2 = start_pair(lab)
    d1.proc.kill()
    d1.proc.wait(5)
    d2.wait_state("MASTER", timeout=TIMEOUT)
    wait_until(lambda: n2.has_address(vip4()), TIMEOUT, message="VIP on n2")
    assert n1.has_address(vip4())  # kill -9 left it behind; vrrpd removes it at start
    d1 = start_vrrpd(n1, {"VI_1": instance(priority=PRIO_HIGH)}, tag="vrrpd-again")
    d1.wait_state("MASTER", timeout=TIMEOUT)
    d2.wait_state("BACKUP", timeout=TIMEOUT)
    wait_until(lambda: n1.has_address(vip4()), TIMEOUT, message="VIP back on n1")
    wait_until(lambda: not n2.has_address(vip4()), TIMEOUT, message="VIP gone from n2")
    assert transitions(d1) == [("INIT", "BACKUP"), ("BACKUP", "MASTER")]
    assert d1.log_events("stale_vip_removed", vip=f"{vip4()}/24")
    assert "preempted" in (d1.instance() or {})["reason"]
    assert d1.stop() == 0
    assert d2.stop() == 0

    # nopreempt on both: the lower priority master keeps the VIP.
    d1 = start_vrrpd(n1, {"VI_1": instance(priority=PRIO_HIGH, nopreempt=True)}, tag="np")
    d1.wait_state("MASTER", timeout=TIMEOUT)
    d2 = start_vrrpd(n2, {"VI_1": instance(priority=PRIO_LOW, nopreempt=True)}, tag="np")
    d2.wait_following(n1.ipv4, timeout=TIMEOUT)
    assert d1.stop() == 0
    d2.wait_state("MASTER", timeout=TIMEOUT)
    restarted = time.monotonic()
    d1 = start_vrrpd(n1, {"VI_1": instance(priority=PRIO_HIGH, nopreempt=True)}, tag="np2")
    d1.wait_following(n2.ipv4, timeout=TIMEOUT)
    # Let five of n1's Master_Down_Intervals pass, counted in n2's adverts.
    wait_adverts(lab.capture, round(5 * MDI_HIGH / FAST_ADVERT_INT), since=restarted, src=n2.ipv4)
    assert d1.state() == "BACKUP" and d2.state() == "MASTER"
    assert lab.capture.adverts(src=n1.ipv4, since=restarted) == []
    assert transitions(d1) == [("INIT", "BACKUP")]
    assert n2.has_address(vip4()) and not n1.has_address(vip4())


@pytest.mark.parametrize("how", ["cable", "admin"])
def test_keepalived_interface_down_puts_the_master_in_fault_and_the_backup_takes_over(
    make_lab: LabFactory, how: str
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    d1, d2 = start_pair(lab)

    if how == "cable":
        n1.set_switch_port(False)
    else:
        n1.set_link(False)
    fault = d1.wait_state("FAULT", timeout=TIMEOUT)
    assert "interface eth0" in fault["reason"], fault["reason"]
    d2.wait_state("MASTER", timeout=TIMEOUT)
    wait_until(lambda: not n1.has_address(vip4()), TIMEOUT, message="VIP gone from n1")
    wait_until(lambda: n2.has_address(vip4()), TIMEOUT, message="VIP on n2")

    plugged = time.monotonic()
    if how == "cable":
        n1.set_switch_port(True)
    else:
        n1.set_link(True)
    d1.wait_state("MASTER", timeout=TIMEOUT)
    d2.wait_state("BACKUP", timeout=TIMEOUT)
    wait_until(lambda: n1.has_address(vip4()), TIMEOUT, message="VIP back on n1")
    wait_until(lambda: not n2.has_address(vip4()), TIMEOUT, message="VIP gone from n2")
    assert transitions(d1)[-3:] == [
        ("MASTER", "FAULT"),
        ("FAULT", "BACKUP"),
        ("BACKUP", "MASTER"),
    ]
    assert wait_adverts(lab.capture, 1, since=plugged, src=n1.ipv4)[0].priority == PRIO_HIGH


HOOK_SCRIPT = """#!/bin/sh
out="$1"; shift
printf '%s|%s %s %s>%s %s %s\\n' "$*" "$VRRPD_INSTANCE" "$VRRPD_VRID" \\
    "$VRRPD_PREVIOUS_STATE" "$VRRPD_STATE" "$VRRPD_PRIORITY" "$VRRPD_VIPS" >> "$out"
"""


def test_keepalived_notify_hooks_run_in_transition_order_with_arguments_and_environment(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    hook = lab.workdir / "hook.sh"
    hook.write_text(HOOK_SCRIPT)
    hook.chmod(0o755)

    def hooks(node: Node) -> tuple[dict[str, str], Path]:
        calls = lab.workdir / f"{node.name}.calls"
        return {
            kind: f"{hook} {calls} {kind}"
            for kind in ("notify_master", "notify_backup", "notify_fault", "notify_stop", "notify")
        }, calls

    hooks1, calls1 = hooks(n1)
    hooks2, calls2 = hooks(n2)
    d1 = start_vrrpd(n1, {"VI_1": {**instance(priority=PRIO_HIGH), **hooks1}})
    d1.wait_state("MASTER")
    d2 = start_vrrpd(n2, {"VI_1": {**instance(priority=PRIO_LOW), **hooks2}})
    d2.wait_following(n1.ipv4)
    assert d1.stop() == 0  # notify_stop has run when vrrpd exits
    d2.wait_state("MASTER", timeout=TIMEOUT)
    assert d2.stop() == 0

    vip = f"{vip4()}/24"

    def expected(prio: int) -> list[str]:
        return [
            f"notify_backup|VI_1 51 INIT>BACKUP {prio} {vip}",
            f"notify INSTANCE VI_1 BACKUP {prio}|VI_1 51 INIT>BACKUP {prio} {vip}",
            f"notify_master|VI_1 51 BACKUP>MASTER {prio} {vip}",
            f"notify INSTANCE VI_1 MASTER {prio}|VI_1 51 BACKUP>MASTER {prio} {vip}",
            f"notify_stop|VI_1 51 MASTER>STOP {prio} {vip}",
            f"notify INSTANCE VI_1 STOP {prio}|VI_1 51 MASTER>STOP {prio} {vip}",
        ]

    assert calls1.read_text().splitlines() == expected(PRIO_HIGH)
    assert calls2.read_text().splitlines() == expected(PRIO_LOW)


def test_keepalived_unicast_peers_adverts_go_to_the_peer_and_strangers_are_dropped(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(3, ipv6=False)
    switch_as_hub(lab)  # the observer sees unicast frames too
    n1, n2, n3 = lab.nodes

    def unicast(node: Node, priority: int, *peers: Node) -> dict[str, Any]:
        return instance(
            priority=priority,
            unicast_src_ip=str(node.ipv4),
            unicast_peer=[str(p.ipv4) for p in peers],
        )

    d1 = start_vrrpd(n1, {"VI_1": unicast(n1, PRIO_HIGH, n2)})
    d1.wait_state("MASTER")
    d2 = start_vrrpd(n2, {"VI_1": unicast(n2, PRIO_LOW, n1)})
    d2.wait_following(n1.ipv4)
    converged = time.monotonic()
    adverts = wait_adverts(lab.capture, 5, since=converged, src=n1.ipv4)
    assert {a.dst for a in adverts} == {n2.ipv4}
    assert all(a.ttl == 255 and a.checksum_ok for a in adverts)

    # A stranger with the same VRID, a higher priority and n1, n2 as its peers.
    before = [d.instance() or {} for d in (d1, d2)]
    d3 = start_vrrpd(n3, {"VI_1": unicast(n3, 250, n1, n2)})
    d3.wait_state("MASTER", timeout=TIMEOUT)
    for daemon in (d1, d2):
        daemon.wait_drops("not_a_peer", 5)
    after = [d.instance() or {} for d in (d1, d2)]
    for old, new in zip(before, after, strict=True):
        assert new["state"] == old["state"]
        assert new["counters"]["transitions"] == old["counters"]["transitions"]
    assert d1.log_events("advert_dropped", reason="not_a_peer", source=str(n3.ipv4))

    # Failover still works, and n2's adverts go to n1 only.
    d1.proc.kill()
    d1.proc.wait(5)
    killed = time.monotonic()
    d2.wait_state("MASTER", timeout=TIMEOUT)
    adverts = wait_adverts(lab.capture, 3, since=killed, src=n2.ipv4)
    assert {a.dst for a in adverts} == {n1.ipv4}
    assert not [a for a in lab.capture.adverts() if a.dst == GROUP_V4]


def test_rfc9568_ipv6_adverts_from_link_local_to_ff02_12_with_unsolicited_nas_and_failover(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=True)
    n1, n2 = lab.nodes
    vip = f"{vip6()}/64"
    d1, d2 = start_pair(lab, vips=[vip])
    wait_until(lambda: n1.has_address(vip6()), TIMEOUT, message="VIP on n1")
    assert not n2.has_address(vip6())
    adverts = wait_adverts(lab.capture, 3, since=time.monotonic(), src=n1.link_local)
    assert all(a.dst == IPv6Address("ff02::12") for a in adverts)
    assert all(a.ttl == 255 and a.version == 3 and a.checksum_ok for a in adverts)
    assert all(a.addresses == (vip6(),) for a in adverts)
    nas = [n for n in lab.capture.unsolicited_nas(target=vip6()) if n.src_mac == n1.mac]
    assert nas, "no unsolicited NA for the VIP from n1"
    for na in nas:  # RFC 4861 §7.2.6: to all-nodes, Override set, our MAC as the target's
        assert (na.src, na.dst, na.hop_limit) == (vip6(), IPv6Address("ff02::1"), 255)
        assert na.override and not na.router and na.target_mac == n1.mac
    status = d2.instance() or {}
    assert status["master_address"] == str(n1.link_local)

    d1.proc.kill()
    d1.proc.wait(5)
    d2.wait_state("MASTER", timeout=TIMEOUT)
    last = lab.capture.adverts(src=n1.link_local)[-1]
    (first,) = wait_adverts(lab.capture, 1, since=last.mono, src=n2.link_local)
    takeover = first.mono - last.mono
    print(f"IPv6 kill -9: last advert of n1 -> first of n2 as master: {takeover:.3f} s")
    assert MDI_LOW - EPSILON <= takeover <= MDI_LOW + MARGIN, (takeover, MDI_LOW)
    wait_until(lambda: n2.has_address(vip6()), TIMEOUT, message="VIP on n2")
    wait_until(
        lambda: [
            n
            for n in lab.capture.unsolicited_nas(target=vip6(), since=last.mono)
            if n.src_mac == n2.mac
        ],
        TIMEOUT,
        message="unsolicited NA for the VIP from n2",
    )


def test_rfc3768_5_3_6_vrrpv2_password_works_and_a_wrong_one_is_dropped_as_auth_mismatch(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(3, ipv6=False)
    n1, n2, n3 = lab.nodes

    def v2(priority: int, password: str) -> dict[str, Any]:
        auth = {"auth_type": "PASS", "auth_pass": password}
        return instance(priority=priority, version=2, advert_int=1, authentication=auth)

    # All three at once: v2 counts in whole seconds, so waiting in turn is slow.
    d1 = start_vrrpd(n1, {"VI_1": v2(PRIO_HIGH, "s3cret")}, wait=False)
    d2 = start_vrrpd(n2, {"VI_1": v2(PRIO_LOW, "s3cret")}, wait=False)
    d3 = start_vrrpd(n3, {"VI_1": v2(250, "wrong!")}, wait=False)
    d1.wait_state("MASTER", timeout=2 * TIMEOUT)
    d2.wait_following(n1.ipv4, timeout=TIMEOUT)
    d3.wait_state("MASTER", timeout=TIMEOUT)  # it hears no one it trusts
    wait_until(lambda: n1.has_address(vip4()), TIMEOUT, message="VIP on n1")
    assert not n2.has_address(vip4())
    adverts = lab.capture.adverts(src=n1.ipv4)
    assert adverts and all(a.version == 2 and a.auth_type == 1 for a in adverts)

    before = [d.instance() or {} for d in (d1, d2)]
    seen = [d.drops().get("auth_mismatch", 0) for d in (d1, d2)]
    for daemon, count in zip((d1, d2), seen, strict=True):
        daemon.wait_drops("auth_mismatch", count + 2)
    after = [d.instance() or {} for d in (d1, d2)]
    for old, new in zip(before, after, strict=True):
        assert (new["state"], new["counters"]["transitions"]) == (
            old["state"],
            old["counters"]["transitions"],
        )
        assert new["master_address"] == str(n1.ipv4)
    for daemon in (d1, d2):
        assert daemon.log_events("advert_dropped", reason="auth_mismatch", source=str(n3.ipv4))
        # n3's adverts (priority 250) never moved anyone: no reason names it.
        assert not [r for r in daemon.log_events("transition") if str(n3.ipv4) in r["reason"]]

    # Failover in v2: Skew_Time is (256 - Priority) / 256 seconds (RFC 3768 §6.1).
    stopping = time.monotonic()
    assert d1.stop() == 0
    (resign,) = wait_adverts(
        lab.capture, 1, since=stopping, src=n1.ipv4, where=lambda a: a.priority == 0
    )
    d2.wait_state("MASTER", timeout=TIMEOUT)
    (first,) = wait_adverts(lab.capture, 1, since=resign.mono, src=n2.ipv4)
    skew = skew_time(Version.V2, PRIO_LOW, 1.0)
    delay = first.mono - resign.mono
    print(f"VRRPv2 SIGTERM: priority-0 advert of n1 -> first of n2 as master: {delay:.3f} s")
    assert skew - 0.01 <= delay <= skew + MARGIN, (delay, skew)
    assert (first.version, first.auth_type, first.priority) == (2, 1, PRIO_LOW)
    wait_until(lambda: n2.has_address(vip4()), TIMEOUT, message="VIP on n2")


def test_rfc9568_never_two_masters_holding_the_vip_in_steady_state(make_lab: LabFactory) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    start_pair(lab)
    converged = time.monotonic()

    def one_holder() -> None:
        holders = [n.name for n in (n1, n2) if n.has_address(vip4())]
        assert holders == [n1.name], holders

    samples = observe(3.0, one_holder)
    assert samples >= 20
    speakers = {a.src for a in lab.capture.adverts(since=converged) if a.priority > 0}
    assert speakers == {n1.ipv4}
    assert len(lab.capture.adverts(since=converged, src=n1.ipv4)) >= 20


def test_vip_deleted_behind_the_masters_back_is_restored_and_logged(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, _ = lab.nodes
    d1, _ = start_pair(lab)
    wait_until(lambda: n1.has_address(vip4()), TIMEOUT, message="VIP on n1")
    n1.ip("addr", "del", f"{vip4()}/24", "dev", "eth0")
    wait_until(lambda: n1.has_address(vip4()), TIMEOUT, message="VIP restored on n1")
    record = d1.wait_log("vip_restored")
    assert record["vip"] == f"{vip4()}/24"
    assert d1.state() == "MASTER"


def test_stale_vip_at_start_is_removed_unless_the_node_becomes_master(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    for node in (n1, n2):
        node.ip("addr", "add", f"{vip4()}/24", "dev", "eth0")
    d1 = start_vrrpd(n1, {"VI_1": instance(priority=PRIO_HIGH)})
    d1.wait_state("MASTER")
    # n1 removed it at start, then added it back as master.
    events = [
        r["event"] for r in d1.log_events() if r["event"] in ("stale_vip_removed", "vips_added")
    ]
    assert events[:2] == ["stale_vip_removed", "vips_added"], events
    wait_until(lambda: n1.has_address(vip4()), TIMEOUT, message="VIP on n1")

    d2 = start_vrrpd(n2, {"VI_1": instance(priority=PRIO_LOW)})
    assert d2.log_events("stale_vip_removed", vip=f"{vip4()}/24")
    d2.wait_following(n1.ipv4)
    assert not n2.has_address(vip4())
    assert not d2.log_events("vips_added")


def test_sighup_reload_rebuilds_only_the_changed_instance_and_refuses_a_broken_config(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes

    def pair(priority_1: int, priority_2: int) -> dict[str, dict[str, Any]]:
        return {
            "VI_1": instance(vrid=51, priority=priority_1, vips=[f"{vip4(0)}/24"]),
            "VI_2": instance(vrid=52, priority=priority_2, vips=[f"{vip4(1)}/24"]),
        }

    d1 = start_vrrpd(n1, pair(PRIO_HIGH, PRIO_HIGH))
    d1.wait_state("MASTER", "VI_1")
    d1.wait_state("MASTER", "VI_2")
    d2 = start_vrrpd(n2, pair(PRIO_LOW, PRIO_LOW))
    d2.wait_state("BACKUP", "VI_1")
    d2.wait_state("BACKUP", "VI_2")
    vi1_before = len(transitions(d1, "VI_1"))

    # Only VI_2 changes: n1 drops to 50 there, so n2 takes VI_2 over.
    write_config(
        d1.config_path,
        pair(PRIO_HIGH, 50),
        control_socket=d1.socket_path,
        global_extra={"router_id": n1.name},
    )
    hup = time.monotonic()
    d1.reload()
    record = d1.wait_log("reloaded", timeout=TIMEOUT)
    assert record["unchanged"] == ["VI_1"] and record["rebuilt"] == ["VI_2"]
    d2.wait_state("MASTER", "VI_2", timeout=TIMEOUT)
    d1.wait_state("BACKUP", "VI_2", timeout=TIMEOUT)
    wait_until(lambda: n2.has_address(vip4(1)), TIMEOUT, message="VI_2's VIP on n2")
    done = time.monotonic()

    assert len(transitions(d1, "VI_1")) == vi1_before
    assert d1.state("VI_1") == "MASTER" and n1.has_address(vip4(0))
    assert_steady_adverts(lab.capture, n1.ipv4, 51, hup, done)

    # A broken config is refused; the running one goes on.
    good = d1.config_path.read_text()
    d1.config_path.write_text(good.replace("vrid: 52", "vrid: 300"))
    hup = time.monotonic()
    d1.reload()
    refused = d1.wait_log("reload_refused", timeout=TIMEOUT)
    assert "vrid" in refused["errors"]
    error = wait_until(lambda: d1.status()["last_reload_error"], TIMEOUT, message="reload error")
    assert "300" in error
    assert d1.state("VI_1") == "MASTER" and d1.state("VI_2") == "BACKUP"
    assert len(transitions(d1, "VI_1")) == vi1_before
    assert_steady_adverts(lab.capture, n1.ipv4, 51, hup, time.monotonic())


def _send_raw(node: Node, payload: bytes, *, ttl: int) -> None:
    """One VRRP packet from ``node`` to 224.0.0.18 with this TTL (the kernel adds IPv4)."""
    with node.socket(socket.AF_INET, socket.SOCK_RAW, 112) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        mreqn = struct.pack("4s4si", bytes(4), node.ipv4.packed, node.ifindex_eth0)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
        sock.sendto(payload, (str(GROUP_V4), 0))


def test_rfc9568_7_1_bad_ttl_and_bad_checksum_are_dropped_counted_and_logged(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(3, ipv6=False)
    n1, _, n3 = lab.nodes
    d1, d2 = start_pair(lab)
    before = [d.instance() or {} for d in (d1, d2)]
    # Priority 250: were any of them accepted, n1 would step down.
    advert = WireAdvert(Version.V3, 51, 250, 10, (vip4(),))
    good = encode(advert, n3.ipv4, GROUP_V4)
    assert good != encode(advert, n3.ipv4, IPv4Address("192.0.2.11"))
    bad_checksum = good[:6] + bytes([good[6] ^ 0xFF, good[7]]) + good[8:]
    for _ in range(3):
        _send_raw(n3, good, ttl=64)
        _send_raw(n3, bad_checksum, ttl=255)

    def counted() -> dict[str, int] | None:
        drops = d1.drops()
        return drops if drops.get("bad_ttl", 0) >= 3 and drops.get("bad_checksum", 0) >= 3 else None

    wait_until(counted, TIMEOUT, message="n1 counts bad_ttl and bad_checksum")
    ttl = d1.wait_log("advert_dropped", reason="bad_ttl", source=str(n3.ipv4))
    checksum = d1.wait_log("advert_dropped", reason="bad_checksum", source=str(n3.ipv4))
    assert "64" in ttl["detail"] and "checksum" in checksum["detail"]
    wire = lab.capture.adverts(src=n3.ipv4)
    assert sorted((a.ttl, a.checksum_ok) for a in wire) == [(64, True)] * 3 + [(255, False)] * 3
    after = [d.instance() or {} for d in (d1, d2)]
    for old, new in zip(before, after, strict=True):
        assert (new["state"], new["counters"]["transitions"]) == (
            old["state"],
            old["counters"]["transitions"],
        )
    assert n1.has_address(vip4())
