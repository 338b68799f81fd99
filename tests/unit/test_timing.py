"""RFC timer arithmetic."""

from __future__ import annotations

import pytest

from vrrpd.protocol.model import Version
from vrrpd.protocol.timing import master_down_interval, skew_time


def test_rfc9568_6_1_skew_time_scales_with_master_adver_interval() -> None:
    assert skew_time(Version.V3, 100, 1.0) == 156 / 256
    assert skew_time(Version.V3, 100, 0.1) == pytest.approx(15.6 / 256)


def test_rfc3768_6_1_v2_skew_time_is_in_seconds_whatever_the_interval() -> None:
    assert skew_time(Version.V2, 100, 1.0) == 156 / 256
    assert skew_time(Version.V2, 100, 5.0) == 156 / 256


def test_rfc9568_6_1_master_down_interval_is_three_intervals_plus_skew() -> None:
    # The figure Keepalived 2.2.7 measured against: 3.609375 s at priority 100, 1 s.
    assert master_down_interval(Version.V3, 100, 1.0) == 3.609375
    assert master_down_interval(Version.V3, 100, 0.1) == pytest.approx(0.3609375)
    assert master_down_interval(Version.V2, 200, 1.0) == 3 + 56 / 256


def test_rfc9568_6_1_higher_priority_waits_less() -> None:
    waits = [master_down_interval(Version.V3, p, 1.0) for p in range(1, 255)]
    assert waits == sorted(waits, reverse=True)
