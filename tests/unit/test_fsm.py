"""The virtual router state machine, one RFC rule per test, on a simulated clock."""

from __future__ import annotations

import pytest

from tests.factories import ME, PEER, VIP, addr, advert_from, config
from vrrpd.protocol import events as ev
from vrrpd.protocol.fsm import VirtualRouter
from vrrpd.protocol.model import (
    Announcements,
    AuthType,
    InstanceConfig,
    State,
    TrackKind,
    TrackRef,
    Version,
)
from vrrpd.protocol.packet import DropReason
from vrrpd.protocol.status import RouterStatus

MDI_100 = 3 * 1.0 + 156 / 256  # Master_Down_Interval at priority 100, 1 s
SKEW_100 = 156 / 256


def started(cfg: InstanceConfig | None = None, now: float = 0.0) -> VirtualRouter:
    router = VirtualRouter(cfg or config(), ME)
    router.handle(ev.Started(), now)
    return router


def master(cfg: InstanceConfig | None = None) -> VirtualRouter:
    """A router that became master by timing out at t = MDI."""
    router = started(cfg)
    deadline = router.next_deadline()
    assert deadline is not None
    router.on_deadline(deadline)
    assert state_of(router) is State.MASTER
    return router


def state_of(router: VirtualRouter) -> State:
    """The router's state, read afresh (mypy would narrow `router.state` across calls)."""
    return router.state


def kinds(actions: list[ev.Action]) -> list[type]:
    return [type(a) for a in actions]


def sent_priorities(actions: list[ev.Action]) -> list[int]:
    return [a.advert.priority for a in actions if isinstance(a, ev.SendAdvert)]


def receive(router: VirtualRouter, priority: int, now: float, **kw: object) -> list[ev.Action]:
    source = kw.pop("source", PEER)
    advert = advert_from(router.config, priority, **kw)
    return router.handle(ev.AdvertReceived(advert, source), now)  # type: ignore[arg-type]


# ── RFC 9568 §6.4.1 Initialize ─────────────────────────────────────────


def test_rfc9568_6_4_1_owner_becomes_master_at_once() -> None:
    router = VirtualRouter(config(priority=255), ME)
    actions = router.handle(ev.Started(), 0.0)
    assert state_of(router) is State.MASTER
    assert kinds(actions) == [ev.SendAdvert, ev.AddVips, ev.Announce, ev.Notify]
    assert sent_priorities(actions) == [255]
    assert router.next_deadline() == pytest.approx(1.0)


def test_rfc9568_6_4_1_non_owner_starts_as_backup_and_waits_master_down_interval() -> None:
    router = VirtualRouter(config(), ME)
    actions = router.handle(ev.Started(), 10.0)
    assert state_of(router) is State.BACKUP
    assert actions == [ev.Notify(State.INIT, State.BACKUP, 100, router.status(10).reason)]
    assert router.next_deadline() == pytest.approx(10.0 + MDI_100)


def test_started_twice_is_a_bug() -> None:
    router = started()
    with pytest.raises(RuntimeError):
        router.handle(ev.Started(), 1.0)


# ── RFC 9568 §6.4.2 Backup ─────────────────────────────────────────────


def test_rfc9568_6_4_2_master_down_timer_makes_backup_master_advert_first() -> None:
    router = started()
    actions = router.on_deadline(MDI_100)
    assert state_of(router) is State.MASTER
    # The advert goes out first, then the VIPs are added and announced.
    assert kinds(actions) == [ev.SendAdvert, ev.AddVips, ev.Announce, ev.Notify]
    assert actions[1] == ev.AddVips((VIP,))
    assert actions[2] == ev.Announce((VIP,), 5)
    notify = actions[3]
    assert isinstance(notify, ev.Notify)
    assert notify.previous is State.BACKUP
    assert "Master_Down_Interval" in notify.reason


def test_rfc9568_6_4_2_advert_restarts_master_down_timer() -> None:
    router = started()
    assert receive(router, 200, 2.0) == []
    assert router.next_deadline() == pytest.approx(2.0 + MDI_100)
    assert router.on_deadline(MDI_100) == []
    assert state_of(router) is State.BACKUP


def test_rfc9568_6_4_2_backup_takes_over_master_down_interval_after_last_advert() -> None:
    router = started()
    receive(router, 200, 5.0)
    assert router.on_deadline(5.0 + MDI_100 - 0.001) == []
    actions = router.on_deadline(5.0 + MDI_100)
    assert state_of(router) is State.MASTER
    reason = router.status(5.0 + MDI_100).reason
    assert reason == f"no advert from {PEER} for 3.609 s (Master_Down_Interval)"
    assert sent_priorities(actions) == [100]


def test_rfc9568_6_4_2_v3_backup_learns_master_adver_interval() -> None:
    router = started()
    receive(router, 200, 1.0, adver_int_cs=10)
    # 3 x 0.1 + (256 - 100) x 0.1 / 256
    assert router.next_deadline() == pytest.approx(1.0 + 0.3 + 15.6 / 256)
    assert router.status(1.0).master_adver_interval == pytest.approx(0.1)


def test_rfc9568_6_4_2_priority_zero_from_master_waits_skew_time() -> None:
    router = started()
    receive(router, 200, 1.0)
    receive(router, 0, 1.5)
    assert router.next_deadline() == pytest.approx(1.5 + SKEW_100)
    router.on_deadline(1.5 + SKEW_100)
    assert state_of(router) is State.MASTER
    assert "resigned (priority 0)" in router.status(2.2).reason


def test_rfc9568_6_4_2_preempt_discards_lower_priority_advert() -> None:
    router = started(config(priority=200))
    receive(router, 100, 1.0)
    # The lower advert does not restart the timer: we take over at the first MDI.
    first_deadline = 3.0 + 56 / 256
    assert router.next_deadline() == pytest.approx(first_deadline)
    router.on_deadline(first_deadline)
    assert state_of(router) is State.MASTER
    assert "preempted" in router.status(first_deadline).reason


def test_rfc9568_6_4_2_nopreempt_accepts_lower_priority_master() -> None:
    router = started(config(priority=200, preempt=False))
    receive(router, 100, 1.0)
    assert router.next_deadline() == pytest.approx(1.0 + 3 + 56 / 256)
    for t in (2.0, 3.0, 4.0, 5.0):
        receive(router, 100, t)
        router.on_deadline(t)
    assert state_of(router) is State.BACKUP


def test_rfc9568_6_4_2_equal_priority_advert_restarts_backup_timer() -> None:
    router = started()
    receive(router, 100, 1.0, source=addr("192.0.2.1"))  # lower address, same priority
    assert router.next_deadline() == pytest.approx(1.0 + MDI_100)


def test_keepalived_preempt_delay_holds_then_preempts() -> None:
    router = started(config(priority=200, preempt_delay=10.0))
    for t in range(1, 11):
        receive(router, 100, float(t))  # delay started at t=1, runs to t=11
    assert router.next_deadline() == pytest.approx(10.0 + 3 + 56 / 256)
    receive(router, 100, 11.0)  # past the delay: discarded, the timer runs out
    router.on_deadline(10.0 + 3 + 56 / 256)
    assert state_of(router) is State.MASTER


def test_keepalived_preempt_delay_restarts_after_a_higher_priority_advert() -> None:
    router = started(config(priority=200, preempt_delay=5.0))
    receive(router, 100, 1.0)  # delay until 6
    receive(router, 250, 4.0)  # a higher master: the delay is cancelled
    receive(router, 100, 7.0)  # a new delay until 12
    assert router.next_deadline() == pytest.approx(7.0 + 3 + 56 / 256)


# ── RFC 9568 §6.4.3 Master ─────────────────────────────────────────────


def test_rfc9568_6_4_3_master_advertises_every_interval_without_drift() -> None:
    router = master(config(announcements=Announcements(delay=0)))
    sent_at = []
    for _ in range(100):
        deadline = router.next_deadline()
        assert deadline is not None
        # The shell wakes 4 ms late every time; the schedule must not slip.
        if sent_priorities(router.on_deadline(deadline + 0.004)):
            sent_at.append(deadline)
    assert sent_at == pytest.approx([MDI_100 + k for k in range(1, 101)])


def test_master_that_fell_behind_skips_missed_adverts_instead_of_bursting() -> None:
    router = master()
    actions = router.on_deadline(MDI_100 + 10.5)  # the loop stalled for 10 s
    assert sent_priorities(actions) == [100]
    assert router.next_deadline() == pytest.approx(MDI_100 + 11.5)


def test_rfc9568_6_4_3_master_answers_priority_zero_with_an_advert_at_once() -> None:
    router = master()
    actions = receive(router, 0, 4.0)
    assert sent_priorities(actions) == [100]
    assert state_of(router) is State.MASTER
    assert router.next_deadline() == pytest.approx(5.0)


def test_rfc9568_6_4_3_higher_priority_makes_master_backup_and_release_vips() -> None:
    router = master()
    actions = receive(router, 150, 4.0)
    assert state_of(router) is State.BACKUP
    assert kinds(actions) == [ev.RemoveVips, ev.Notify]
    assert sent_priorities(actions) == []
    assert router.next_deadline() == pytest.approx(4.0 + MDI_100)
    assert "priority 150, above ours (100)" in router.status(4.0).last_transition
    assert router.status(4.0).reason.startswith(f"following master {PEER} (priority 150)")


def test_rfc9568_6_4_3_equal_priority_from_higher_address_makes_master_backup() -> None:
    router = master()
    receive(router, 100, 4.0, source=addr("192.0.2.200"))
    assert state_of(router) is State.BACKUP


def test_rfc9568_6_4_3_equal_priority_from_lower_address_keeps_master() -> None:
    router = master()
    actions = receive(router, 100, 4.0, source=addr("192.0.2.5"))
    assert state_of(router) is State.MASTER
    assert sent_priorities(actions) == [100]


def test_rfc9568_6_4_3_address_compare_is_unsigned_network_order() -> None:
    # 192.0.2.11 vs 10.0.0.1: as signed 32-bit ints 192.x would be negative.
    router = VirtualRouter(config(), addr("10.0.0.1"))
    router.handle(ev.Started(), 0.0)
    router.on_deadline(MDI_100)
    receive(router, 100, 4.0, source=addr("192.0.2.11"))
    assert state_of(router) is State.BACKUP


def test_rfc9568_6_4_3_master_advertises_at_once_on_lower_priority_advert() -> None:
    router = master()
    actions = receive(router, 50, 4.2)
    assert state_of(router) is State.MASTER
    assert sent_priorities(actions) == [100]
    assert router.next_deadline() == pytest.approx(5.2)


def test_keepalived_lower_prio_no_advert_keeps_master_quiet() -> None:
    router = master(config(lower_prio_no_advert=True))
    assert receive(router, 50, 4.2) == []


def test_rfc9568_6_4_3_v3_master_learns_interval_when_yielding() -> None:
    router = master()
    receive(router, 150, 4.0, adver_int_cs=50)
    assert router.next_deadline() == pytest.approx(4.0 + 1.5 + 156 * 0.5 / 256)


# ── RFC 9568 §7.1 / RFC 3768 §7.1 receive rules ───────────────────────


def test_rfc9568_7_1_owner_ignores_adverts() -> None:
    router = started(config(priority=255))
    actions = receive(router, 254, 0.5)
    assert kinds(actions) == [ev.ReportDrop]
    assert state_of(router) is State.MASTER
    assert router.status(1).counters.drops == {DropReason.OWNER_IGNORES: 1}


def test_rfc3768_7_1_v2_interval_mismatch_is_dropped() -> None:
    router = started(config(version=Version.V2))
    actions = receive(router, 200, 1.0, adver_int_cs=200)
    assert actions == [
        ev.ReportDrop(DropReason.INTERVAL_MISMATCH, PEER, "advert_int 2 s, ours is 1 s")
    ]
    assert router.next_deadline() == pytest.approx(MDI_100)  # not restarted


def test_rfc3768_7_1_auth_type_mismatch_is_dropped() -> None:
    cfg = config(version=Version.V2, auth_type=AuthType.PASS, auth_pass=b"secret12")
    router = started(cfg)
    actions = receive(router, 200, 1.0, auth_type=AuthType.NONE, auth_data=bytes(8))
    assert kinds(actions) == [ev.ReportDrop]
    assert router.status(1).counters.drops == {DropReason.AUTH_MISMATCH: 1}


def test_rfc3768_7_1_wrong_password_is_dropped() -> None:
    cfg = config(version=Version.V2, auth_type=AuthType.PASS, auth_pass=b"secret12")
    router = started(cfg)
    actions = receive(router, 200, 1.0, auth_data=b"secret13")
    assert actions == [
        ev.ReportDrop(DropReason.AUTH_MISMATCH, PEER, "the password differs from ours")
    ]
    assert receive(router, 200, 2.0) == []  # the right one is taken
    assert router.next_deadline() == pytest.approx(2.0 + MDI_100)


def test_rfc3768_5_3_10_v2_pass_advert_carries_zero_padded_password() -> None:
    cfg = config(version=Version.V2, auth_type=AuthType.PASS, auth_pass=b"abc")
    actions = master(cfg).on_deadline(MDI_100 + 1)
    (send,) = (a for a in actions if isinstance(a, ev.SendAdvert))
    assert send.advert.auth_data == b"abc\0\0\0\0\0"


def test_rfc9568_7_1_v3_adopts_a_different_interval_instead_of_dropping() -> None:
    router = started()
    assert receive(router, 200, 1.0, adver_int_cs=300) == []
    assert router.status(1).master_adver_interval == 3.0


def test_keepalived_address_list_mismatch_is_dropped() -> None:
    # Another cluster reusing VRID 51 must not make us follow it and drop our VIPs.
    router = master()
    actions = receive(router, 250, 5.0, addresses=(addr("192.0.2.99"),))
    assert kinds(actions) == [ev.ReportDrop]
    assert state_of(router) is State.MASTER
    assert router.status(5).counters.drops == {DropReason.ADDRESS_LIST_MISMATCH: 1}
    (drop,) = actions
    assert isinstance(drop, ev.ReportDrop)
    assert "another cluster using VRID 51" in drop.detail


def test_rfc9568_6_4_1_recovery_from_fault_forgets_the_learnt_interval() -> None:
    router = started(config(tracks=(CHK,)))
    receive(router, 200, 1.0, adver_int_cs=10)
    router.handle(ev.TrackChanged("chk_haproxy", False), 1.1)
    router.handle(ev.TrackChanged("chk_haproxy", True), 2.0)
    assert router.next_deadline() == pytest.approx(2.0 + MDI_100)


def test_advert_for_another_vrid_or_version_is_dropped() -> None:
    router = started()
    assert kinds(receive(router, 200, 1.0, vrid=52)) == [ev.ReportDrop]
    assert kinds(receive(router, 200, 1.0, version=Version.V2)) == [ev.ReportDrop]
    drops = router.status(1).counters.drops
    assert drops == {DropReason.WRONG_VRID: 1, DropReason.BAD_VERSION: 1}


def test_drops_reported_by_the_shell_are_counted() -> None:
    router = started()
    actions = router.handle(ev.AdvertDropped(DropReason.BAD_TTL, PEER, "TTL 64"), 1.0)
    assert actions == [ev.ReportDrop(DropReason.BAD_TTL, PEER, "TTL 64")]
    assert router.status(1).counters.drops == {DropReason.BAD_TTL: 1}


# ── Keepalived FAULT, tracks and priority ──────────────────────────────

CHK = TrackRef("chk_haproxy", TrackKind.SCRIPT, weight=0)
CHK_MINUS = TrackRef("chk_haproxy", TrackKind.SCRIPT, weight=-60)


def test_keepalived_weight_zero_track_down_puts_master_in_fault_with_priority_zero() -> None:
    router = master(config(tracks=(CHK,)))
    actions = router.handle(ev.TrackChanged("chk_haproxy", False, detail="exit status 1"), 5.0)
    assert state_of(router) is State.FAULT
    assert kinds(actions) == [ev.SendAdvert, ev.RemoveVips, ev.Notify]
    assert sent_priorities(actions) == [0]
    assert router.next_deadline() is None
    assert router.status(5).reason == "track chk_haproxy failed: exit status 1"


def test_keepalived_fault_clears_to_backup() -> None:
    router = master(config(tracks=(CHK,)))
    router.handle(ev.TrackChanged("chk_haproxy", False), 5.0)
    assert receive(router, 200, 5.5) == []  # no part in elections while in FAULT
    actions = router.handle(ev.TrackChanged("chk_haproxy", True), 6.0)
    assert state_of(router) is State.BACKUP
    assert kinds(actions) == [ev.Notify]
    assert router.next_deadline() == pytest.approx(6.0 + MDI_100)


def test_keepalived_owner_leaves_fault_straight_to_master() -> None:
    router = started(config(priority=255, tracks=(CHK,)))
    router.handle(ev.TrackChanged("chk_haproxy", False), 1.0)
    assert state_of(router) is State.FAULT
    router.handle(ev.TrackChanged("chk_haproxy", True), 2.0)
    assert state_of(router) is State.MASTER


def test_keepalived_start_with_failed_track_is_fault() -> None:
    router = VirtualRouter(config(tracks=(CHK,)), ME)
    router.handle(ev.TrackChanged("chk_haproxy", False), 0.0)
    assert state_of(router) is State.INIT
    router.handle(ev.Started(), 0.0)
    assert state_of(router) is State.FAULT


def test_keepalived_interface_down_is_fault_and_up_recovers() -> None:
    router = master()
    actions = router.handle(ev.LinkChanged(False, "carrier lost"), 5.0)
    assert state_of(router) is State.FAULT
    assert router.status(5).reason == "interface eth0 is down: carrier lost"
    assert ev.RemoveVips((VIP,)) in actions
    router.handle(ev.LinkChanged(True), 6.0)
    assert state_of(router) is State.BACKUP


def test_keepalived_negative_weight_lowers_advertised_priority() -> None:
    router = master(config(tracks=(CHK_MINUS,)))
    router.handle(ev.TrackChanged("chk_haproxy", False), 4.0)
    assert state_of(router) is State.MASTER
    assert router.priority == 40
    assert sent_priorities(router.on_deadline(5.0)) == [40]  # the next one, from the change


def test_keepalived_lowered_master_loses_to_a_preempting_backup() -> None:
    # The backup (priority 100) ignores our adverts at 40 and takes over; we see its 100.
    router = master(config(tracks=(CHK_MINUS,)))
    router.handle(ev.TrackChanged("chk_haproxy", False), 4.0)
    receive(router, 100, 8.0)
    assert state_of(router) is State.BACKUP


def test_keepalived_raised_backup_preempts_after_master_down_interval() -> None:
    plus = TrackRef("chk_haproxy", TrackKind.SCRIPT, weight=50)
    router = started(config(tracks=(plus,)))  # 150 while up
    router.handle(ev.TrackChanged("chk_haproxy", False), 0.5)  # 100
    receive(router, 120, 1.0)  # follows the 120 master
    router.handle(ev.TrackChanged("chk_haproxy", True), 1.5)  # 150 again
    receive(router, 120, 2.0)  # discarded now: preempt
    deadline = router.next_deadline()
    assert deadline is not None
    router.on_deadline(deadline)
    assert state_of(router) is State.MASTER


# ── Shutdown ───────────────────────────────────────────────────────────


def test_rfc9568_6_4_3_shutdown_master_sends_priority_zero_and_releases_vips() -> None:
    router = master()
    actions = router.handle(ev.ShutdownRequested(), 9.0)
    assert kinds(actions) == [ev.SendAdvert, ev.RemoveVips, ev.Notify]
    assert sent_priorities(actions) == [0]
    assert state_of(router) is State.STOP
    assert router.next_deadline() is None


def test_rfc9568_6_4_2_shutdown_backup_stops_quietly() -> None:
    router = started()
    actions = router.handle(ev.ShutdownRequested(), 1.0)
    assert kinds(actions) == [ev.Notify]
    assert state_of(router) is State.STOP


def test_stopped_router_ignores_everything() -> None:
    router = master()
    router.handle(ev.ShutdownRequested(), 9.0)
    assert receive(router, 200, 10.0) == []
    assert router.handle(ev.LinkChanged(False), 10.0) == []


# ── Announcements (Keepalived garp_master_*) ───────────────────────────


def test_keepalived_garp_master_delay_sends_a_second_burst() -> None:
    router = master(config(announcements=Announcements(repeat=3, delay=5.0)))
    actions = router.on_deadline(MDI_100 + 5.0)
    assert ev.Announce((VIP,), 3) in actions
    later = router.on_deadline(MDI_100 + 10.0)
    assert not any(isinstance(a, ev.Announce) for a in later)


def test_keepalived_garp_master_refresh_repeats_while_master() -> None:
    cfg = config(announcements=Announcements(delay=0, refresh=60.0, refresh_repeat=2))
    router = master(cfg)
    assert ev.Announce((VIP,), 2) in router.on_deadline(MDI_100 + 60.0)
    assert ev.Announce((VIP,), 2) in router.on_deadline(MDI_100 + 120.0)
    receive(router, 200, MDI_100 + 121.0)
    assert router.next_deadline() == pytest.approx(MDI_100 + 121.0 + MDI_100)


# ── Sync group requests ────────────────────────────────────────────────


def test_keepalived_sync_group_fault_and_recovery() -> None:
    router = master()
    actions = router.handle(ev.GroupFaultChanged("sync group G: VI_2 is in FAULT"), 5.0)
    assert state_of(router) is State.FAULT
    assert sent_priorities(actions) == [0]
    router.handle(ev.GroupFaultChanged(None), 6.0)
    assert state_of(router) is State.BACKUP
    assert router.own_fault_reasons() == []


def test_keepalived_sync_group_follow_to_master_and_back() -> None:
    router = started()
    router.handle(ev.GroupStateRequested(State.MASTER, "sync group G: VI_2 is MASTER"), 1.0)
    assert state_of(router) is State.MASTER
    router.handle(ev.GroupStateRequested(State.BACKUP, "sync group G: VI_2 is BACKUP"), 2.0)
    assert state_of(router) is State.BACKUP


# ── Status ─────────────────────────────────────────────────────────────


def test_status_explains_state_and_round_trips_through_json() -> None:
    router = started(config(tracks=(CHK_MINUS,)))
    receive(router, 200, 1.0)
    router.handle(ev.TrackChanged("chk_haproxy", False, detail="exit status 1"), 1.5)
    status = router.status(2.0)
    assert status.state == "BACKUP"
    assert status.master_address == str(PEER)
    assert status.master_priority == 200
    assert status.effective_priority == 40
    # The timer armed at t=1 keeps the Master_Down_Interval of that moment.
    assert status.master_down_in == pytest.approx(1.0 + MDI_100 - 2.0)
    assert status.tracks[0].delta == -60
    assert status.counters.adverts_received == 1
    assert RouterStatus.from_json(status.to_json()) == status


def test_status_of_master_names_itself() -> None:
    status = master().status(MDI_100 + 2)
    assert status.master_address == str(ME)
    assert status.in_state_for == pytest.approx(2.0)
    assert status.counters.adverts_sent == 1
    assert status.counters.transitions == 2


# ── Maintenance (vrrpctl maintenance) ──────────────────────────────────


def test_maintenance_drains_a_master_with_priority_zero_and_never_takes_over() -> None:
    router = master()
    actions = router.handle(ev.MaintenanceChanged(True), 5.0)
    assert kinds(actions) == [ev.SendAdvert, ev.RemoveVips, ev.Notify]
    assert sent_priorities(actions) == [0]
    assert state_of(router) is State.BACKUP
    assert router.next_deadline() is None  # no Master_Down timer: it will not take over
    receive(router, 50, 6.0)  # even a lower master is followed, not preempted
    assert router.next_deadline() is None
    assert router.status(6).maintenance
    assert "maintenance" in router.status(6).reason


def test_maintenance_off_arms_the_timer_again() -> None:
    router = started()
    router.handle(ev.MaintenanceChanged(True), 1.0)
    assert router.next_deadline() is None
    router.handle(ev.MaintenanceChanged(False), 2.0)
    assert router.next_deadline() == pytest.approx(2.0 + MDI_100)
    router.on_deadline(2.0 + MDI_100)
    assert state_of(router) is State.MASTER


def test_maintenance_holds_through_fault_recovery_and_group_requests() -> None:
    router = started(config(tracks=(CHK,)))
    router.handle(ev.MaintenanceChanged(True), 1.0)
    router.handle(ev.TrackChanged("chk_haproxy", False), 2.0)
    router.handle(ev.TrackChanged("chk_haproxy", True), 3.0)
    assert state_of(router) is State.BACKUP
    assert router.next_deadline() is None
    router.handle(ev.GroupStateRequested(State.MASTER, "sync group"), 4.0)
    assert state_of(router) is State.BACKUP


def test_maintenance_set_before_start_starts_drained() -> None:
    router = VirtualRouter(config(priority=255), ME)
    router.handle(ev.MaintenanceChanged(True), 0.0)
    router.handle(ev.Started(), 0.0)
    assert state_of(router) is State.BACKUP


def test_maintenance_backup_does_not_take_over_when_the_master_resigns() -> None:
    router = started()
    router.handle(ev.MaintenanceChanged(True), 0.5)
    receive(router, 0, 1.0)
    assert router.next_deadline() is None


def test_master_advertises_at_once_when_its_priority_changes() -> None:
    router = master(config(tracks=(CHK_MINUS,)))
    actions = router.handle(ev.TrackChanged("chk_haproxy", False), 4.2)
    assert sent_priorities(actions) == [40]
    assert router.next_deadline() == pytest.approx(5.2)


def test_backup_status_names_the_tracks_that_moved_its_priority() -> None:
    router = started(config(tracks=(CHK_MINUS,)))
    router.handle(ev.TrackChanged("chk_haproxy", False), 0.5)
    receive(router, 60, 1.0)
    assert router.status(1.0).reason.endswith("; our priority 40 (base 100): chk_haproxy -60")
