"""Whole-cluster properties of the pure core, on a simulated LAN and clock."""

from __future__ import annotations

import pytest

from tests.factories import config
from tests.sim.cluster import Cluster
from vrrpd.protocol import events as ev
from vrrpd.protocol.model import InstanceConfig, State, TrackKind, TrackRef, Version
from vrrpd.protocol.timing import master_down_interval, skew_time


def pair(
    high: InstanceConfig | None = None, low: InstanceConfig | None = None, delay: float = 0.0
) -> Cluster:
    cluster = Cluster(delay=delay)
    cluster.add("n1", "192.0.2.11", high or config(priority=200))
    cluster.add("n2", "192.0.2.12", low or config(priority=100))
    return cluster


def test_election_converges_to_exactly_one_master_the_highest_priority() -> None:
    cluster = pair()
    cluster.run_until(10.0)
    assert cluster.masters() == ["n1"]
    assert cluster.vip_holders() == ["n1"]
    # RFC 9568 §6.4.1: nobody is master before its Master_Down_Interval.
    assert cluster.became_master("n1") == pytest.approx(master_down_interval(Version.V3, 200, 1))
    assert cluster.overlaps(since=0.0) == 0.0


def test_rfc9568_6_4_2_failover_after_kill_at_master_down_interval() -> None:
    cluster = pair()
    cluster.at(20.5, lambda: cluster.kill("n1"))
    cluster.run_until(30.0)
    assert cluster.masters() == ["n2"]
    last = cluster.last_advert_from("n1", before=20.5)
    took_over = cluster.became_master("n2", after=20.5)
    # The backup takes over one Master_Down_Interval after the last advert it heard.
    assert took_over - last.at == pytest.approx(master_down_interval(Version.V3, 100, 1.0))


def test_rfc9568_6_4_2_failover_at_sub_second_interval() -> None:
    cluster = pair(config(priority=200, advert_int_cs=10), config(priority=100, advert_int_cs=10))
    cluster.at(5.05, lambda: cluster.kill("n1"))
    cluster.run_until(8.0)
    last = cluster.last_advert_from("n1", before=5.05)
    took_over = cluster.became_master("n2", after=5.05)
    assert took_over - last.at == pytest.approx(0.3 + 15.6 / 256)


def test_rfc9568_6_4_2_backup_learns_the_masters_interval() -> None:
    # The backup is configured at 1 s, the master at 0.1 s: the backup follows 0.1 s.
    cluster = pair(config(priority=200, advert_int_cs=10), config(priority=100))
    cluster.run_until(10.0)
    cluster.kill("n1")
    kill_at = cluster.now
    cluster.run_until(15.0)
    took_over = cluster.became_master("n2", after=kill_at)
    assert took_over - cluster.last_advert_from("n1", kill_at).at == pytest.approx(0.3 + 15.6 / 256)


def test_rfc9568_6_4_3_graceful_stop_hands_over_after_skew_time() -> None:
    cluster = pair()
    cluster.at(20.5, lambda: cluster.stop("n1"))
    cluster.run_until(25.0)
    resign = cluster.last_advert_from("n1", before=21.0)
    assert resign.advert.priority == 0
    assert resign.at == 20.5
    took_over = cluster.became_master("n2", after=20.5)
    assert took_over - 20.5 == pytest.approx(skew_time(Version.V3, 100, 1.0))
    assert cluster.overlaps(since=0.0) == 0.0


def test_rfc9568_6_4_3_equal_priority_tie_broken_by_higher_address() -> None:
    # Started together, both time out at once and meet as masters: the higher
    # address stays. (A backup follows an equal-priority master it already hears.)
    cluster = Cluster(delay=0.001)
    cluster.add("low", "192.0.2.11", config(priority=100))
    cluster.add("high", "192.0.2.12", config(priority=100))
    cluster.run_until(10.0)
    assert cluster.masters() == ["high"]


def test_rfc9568_6_4_2_preempt_when_higher_priority_returns() -> None:
    cluster = pair()
    cluster.at(10.2, lambda: cluster.kill("n1"))
    cluster.at(20.7, lambda: cluster.restart("n1"))
    cluster.run_until(30.0)
    assert cluster.masters() == ["n1"]
    back = cluster.became_master("n1", after=20.7)
    assert back - 20.7 == pytest.approx(master_down_interval(Version.V3, 200, 1.0))
    # The old master drops the VIPs as soon as it hears the new one.
    assert cluster.overlaps(since=20.7) == 0.0


def test_keepalived_nopreempt_keeps_the_lower_priority_master() -> None:
    cluster = pair(config(priority=200, preempt=False), config(priority=100, preempt=False))
    cluster.at(10.2, lambda: cluster.kill("n1"))
    cluster.at(20.7, lambda: cluster.restart("n1"))
    cluster.run_until(60.0)
    assert cluster.masters() == ["n2"]


def test_keepalived_preempt_delay_postpones_the_takeover() -> None:
    cluster = pair(config(priority=200, preempt_delay=10.0))
    cluster.at(10.2, lambda: cluster.kill("n1"))
    cluster.at(20.7, lambda: cluster.restart("n1"))
    cluster.run_until(60.0)
    back = cluster.became_master("n1", after=20.7)
    assert back - 20.7 > 10.0
    assert cluster.masters() == ["n1"]


def test_keepalived_track_fault_moves_the_vip_after_skew_time() -> None:
    track = TrackRef("chk_haproxy", TrackKind.SCRIPT, weight=0)
    cluster = pair(config(priority=200, tracks=(track,)))
    cluster.at(10.3, lambda: cluster.feed("n1", ev.TrackChanged("chk_haproxy", False)))
    cluster.at(30.3, lambda: cluster.feed("n1", ev.TrackChanged("chk_haproxy", True)))
    cluster.run_until(40.0)
    took_over = cluster.became_master("n2", after=10.3)
    assert took_over - 10.3 == pytest.approx(skew_time(Version.V3, 100, 1.0))
    assert cluster.masters() == ["n1"]  # back after recovery, by preemption


def test_keepalived_negative_weight_track_lets_the_backup_preempt() -> None:
    track = TrackRef("chk_haproxy", TrackKind.SCRIPT, weight=-150)
    cluster = pair(config(priority=200, tracks=(track,)))
    cluster.at(10.3, lambda: cluster.feed("n1", ev.TrackChanged("chk_haproxy", False)))
    cluster.run_until(20.0)
    assert cluster.masters() == ["n2"]
    assert cluster.nodes["n1"].router.state is State.BACKUP


def test_v2_pair_with_password_elects_and_fails_over() -> None:
    from vrrpd.protocol.model import AuthType

    v2 = {"version": Version.V2, "auth_type": AuthType.PASS, "auth_pass": b"secret12"}
    cluster = pair(config(priority=200, **v2), config(priority=100, **v2))
    cluster.at(10.5, lambda: cluster.kill("n1"))
    cluster.run_until(20.0)
    assert cluster.masters() == ["n2"]
    assert cluster.dropped == []


def test_v2_wrong_password_is_dropped_and_both_become_master() -> None:
    from vrrpd.protocol.model import AuthType

    cluster = pair(
        config(priority=200, version=Version.V2, auth_type=AuthType.PASS, auth_pass=b"right"),
        config(priority=100, version=Version.V2, auth_type=AuthType.PASS, auth_pass=b"wrong"),
    )
    cluster.run_until(10.0)
    assert sorted(cluster.masters()) == ["n1", "n2"]  # they cannot hear each other
    assert {drop.reason for _, drop in cluster.dropped} == {"auth_mismatch"}


def test_ipv6_v3_pair_elects_one_master() -> None:
    from ipaddress import ip_interface

    from vrrpd.protocol.model import Family, Vip

    v6 = {"family": Family.IPV6, "vips": (Vip(ip_interface("2001:db8::100/64")),)}
    cluster = Cluster()
    cluster.add("n1", "fe80::11", config(priority=200, **v6))
    cluster.add("n2", "fe80::12", config(priority=100, **v6))
    cluster.at(10.5, lambda: cluster.kill("n1"))
    cluster.run_until(20.0)
    assert cluster.masters() == ["n2"]


def test_no_two_masters_in_steady_state_with_delay() -> None:
    cluster = pair(delay=0.002)
    cluster.run_until(60.0)
    settled = cluster.became_master("n1") + 0.01
    assert cluster.overlaps(since=settled) == 0.0
    masters_after = {t.node for t in cluster.transitions if t.at > settled}
    assert masters_after == set()


def test_maintenance_hands_the_vip_over_after_skew_time_and_back() -> None:
    cluster = pair()
    cluster.at(10.5, lambda: cluster.feed("n1", ev.MaintenanceChanged(True)))
    cluster.at(20.5, lambda: cluster.feed("n1", ev.MaintenanceChanged(False)))
    cluster.run_until(15.0)
    assert cluster.masters() == ["n2"]
    assert cluster.became_master("n2", after=10.5) - 10.5 == pytest.approx(
        skew_time(Version.V3, 100, 1.0)
    )
    cluster.run_until(30.0)
    assert cluster.masters() == ["n1"]  # preempts again once back in service
    assert cluster.overlaps(since=0.0) == 0.0
