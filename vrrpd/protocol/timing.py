"""RFC timer arithmetic, as pure functions of priority and interval.

All results are in seconds (float). We keep the RFC's exact fractions rather
than truncating to centiseconds: Keepalived does the same (in microseconds),
so both sides agree on when a backup takes over.
"""

from __future__ import annotations

from vrrpd.protocol.model import Version


def skew_time(version: Version, priority: int, master_adver_interval: float) -> float:
    """Skew_Time in seconds: how much later a lower priority backup takes over."""
    if version is Version.V2:
        # RFC 3768 §6.1: Skew_Time = (256 - Priority) / 256 seconds.
        return (256 - priority) / 256
    # RFC 9568 §6.1: Skew_Time = ((256 - Priority) * Active_Adver_Interval) / 256.
    return (256 - priority) * master_adver_interval / 256


def master_down_interval(version: Version, priority: int, master_adver_interval: float) -> float:
    """Master_Down_Interval in seconds: how long a backup waits for the master."""
    # RFC 9568 §6.1 / RFC 3768 §6.1: 3 * (Active_)Adver_Interval + Skew_Time.
    return 3 * master_adver_interval + skew_time(version, priority, master_adver_interval)
