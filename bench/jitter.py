"""Advert timing at rest: interval jitter and spurious transitions, idle and under CPU load.

The windows themselves are run by :mod:`bench.window` (one pair, one
instance, N seconds; vrrpd's and Keepalived's at the same time, in two labs;
the idle 1 s and 0.1 s windows are shared with the scale family's K=1 rows).
Loaded means both cores busy with ``stress-ng --cpu 2`` (or one pinned Python
busy loop per core when stress-ng is not installed) at nice 0, as the anchors
did; the loaded windows of every interval and both implementations run at the
same time, under one hog.
"""

from __future__ import annotations

from bench.failover import Record
from bench.lab import IMPLS, Impl
from bench.report import Row, Target, all_zero, p99_at_most
from bench.settings import Settings
from bench.window import WindowKey, label


def window_samples(
    records: list[Record], key: WindowKey, pick: str, scale: float = 1.0
) -> dict[Impl, list[float]]:
    """One value per implementation (a window is run once each) from its record."""
    found: dict[Impl, list[float]] = {impl: [] for impl in IMPLS}
    for r in records:
        if r.get("family") != "window" or not r.get("ok"):
            continue
        if (r["count"], r["advert_int"], r["loaded"]) != key:
            continue
        value: object = r
        for part in pick.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            found[r["impl"]].append(float(value) * scale)
    return found


def _mean_within(interval_ms: float, tolerance: float) -> Target:
    def check(row: Row) -> bool | None:
        values = row.values("vrrpd")
        return all(abs(v - interval_ms) <= tolerance for v in values) if values else None

    return Target(f"within {tolerance:g} ms of {interval_ms:g}", check)


def rows(records: list[Record], settings: Settings) -> list[Row]:
    if not settings.wants("jitter"):
        return []
    out: list[Row] = []
    loads = (False, True) if settings.load else (False,)
    for loaded in loads:
        section = "Advert timing at rest" + (
            " with both cores loaded (CPU hog at nice 0)" if loaded else ""
        )
        for interval in settings.load_intervals if loaded else settings.jitter_intervals:
            key = (1, interval, loaded)
            config = label(key)
            ms = interval * 1000
            p99_target = p99_at_most(1.0, "< 1 ms") if interval == 0.1 else None
            out += [
                Row(section, "advert interval mean", config, "ms",
                    window_samples(records, key, "interval_mean", 1000), digits=3,
                    target=_mean_within(ms, 0.05)),
                Row(section, "advert interval p50", config, "ms",
                    window_samples(records, key, "interval_p50", 1000), digits=3),
                Row(section, "abs(interval - advert_int) p99", config, "ms",
                    window_samples(records, key, "dev_p99", 1000), digits=2, target=p99_target),
                Row(section, "abs(interval - advert_int) max", config, "ms",
                    window_samples(records, key, "dev_max", 1000), digits=2),
                Row(section, "intervals > 1.5 x advert_int", config, "count",
                    window_samples(records, key, "over_1_5x"), stat="sum", digits=0),
                Row(section, "spurious transitions / events", config, "count",
                    window_samples(records, key, "spurious_total"), stat="sum", digits=0,
                    target=all_zero("0")),
            ]  # fmt: skip
    return out
