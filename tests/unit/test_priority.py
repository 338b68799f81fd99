"""Effective priority from tracks: Keepalived's weight rules."""

from __future__ import annotations

from vrrpd.protocol.model import TrackKind, TrackRef
from vrrpd.protocol.priority import TrackState, contribution, contributions, effective_priority

UP, DOWN = TrackState(up=True), TrackState(up=False)


def script(weight: int) -> TrackRef:
    return TrackRef("chk", TrackKind.SCRIPT, weight)


def test_keepalived_positive_weight_is_added_while_up() -> None:
    assert contribution(script(20), UP).delta == 20
    assert contribution(script(20), DOWN).delta == 0


def test_keepalived_negative_weight_is_added_while_down() -> None:
    assert contribution(script(-20), UP).delta == 0
    assert contribution(script(-20), DOWN).delta == -20


def test_keepalived_weight_zero_down_is_a_fault() -> None:
    assert contribution(script(0), DOWN).faults
    assert not contribution(script(0), UP).faults
    assert not contribution(script(-50), DOWN).faults


def test_keepalived_interface_track_follows_the_same_rules() -> None:
    ref = TrackRef("eth1", TrackKind.INTERFACE, -30)
    assert contribution(ref, DOWN).delta == -30


def test_keepalived_file_track_adds_value_times_weight() -> None:
    ref = TrackRef("f", TrackKind.FILE, 2)
    assert contribution(ref, TrackState(value=-10)).delta == -20
    assert not contribution(ref, TrackState(value=-10)).faults


def test_keepalived_file_track_faults_at_minus_254() -> None:
    assert contribution(TrackRef("f", TrackKind.FILE, 1), TrackState(value=-254)).faults
    assert contribution(TrackRef("f", TrackKind.FILE, 0), TrackState(value=3)).faults
    assert not contribution(TrackRef("f", TrackKind.FILE, 0), TrackState(value=0)).faults


def test_keepalived_effective_priority_is_clamped_to_1_254() -> None:
    refs = [TrackRef("a", TrackKind.SCRIPT, -100), TrackRef("b", TrackKind.SCRIPT, -100)]
    tracks = contributions(refs, {"a": DOWN, "b": DOWN})
    assert effective_priority(150, tracks) == 1
    up = contributions([TrackRef("a", TrackKind.SCRIPT, 100)], {})
    assert effective_priority(200, up) == 254


def test_rfc9568_5_2_4_owner_priority_is_not_moved_by_tracks() -> None:
    tracks = contributions([script(-100)], {"chk": DOWN})
    assert effective_priority(255, tracks) == 255


def test_unreported_track_counts_as_up() -> None:
    (track,) = contributions([script(10)], {})
    assert track.up
    assert track.delta == 10
