"""Many instances on one interface: CPU, memory, adverts per second and stability.

K instances (VRIDs 1..K, one /32 VIP each) on each node of a pair, at advert
intervals 1 s and 0.1 s; each window is run by :mod:`bench.window`, those for
K > 1 at one interval all at the same time (six labs, both implementations).
CPU is the percentage of one core over the window, from ``utime+stime`` in
``/proc/PID/stat`` (the scheduler's ns run time, from
``/proc/PID/task/*/schedstat``, is in the JSON as ``cpu_sched``): each process's
own time, whatever else runs. The process is the one that does the VRRP work:
vrrpd itself, Keepalived's VRRP child (its parent is shown on a row of its own).
"""

from __future__ import annotations

from bench.failover import Record
from bench.jitter import window_samples
from bench.report import Row, Target, all_zero
from bench.settings import Settings
from bench.window import WindowKey


def _below(limit: float, text: str, applies: bool) -> Target | None:
    if not applies:
        return None

    def check(row: Row) -> bool | None:
        values = row.values("vrrpd")
        return max(values) < limit if values else None

    return Target(text, check)


def rows(records: list[Record], settings: Settings) -> list[Row]:
    if not settings.wants("scale"):
        return []
    out: list[Row] = []
    section = "Scale: K instances on one interface, a pair at rest"
    for interval in settings.scale_intervals:
        for count in settings.scale_counts:
            key: WindowKey = (count, interval, False)
            config = f"K={count}, {interval:g} s"
            headline = count == 255 and interval == 0.1
            parent = "processes.master_parent"
            parent_cpu = Row(
                section,
                "Keepalived parent: CPU",
                config,
                "% of a core",
                window_samples(records, key, f"{parent}.cpu_ticks"),
                digits=2,
            )
            parent_rss = Row(
                section,
                "Keepalived parent: RSS",
                config,
                "MB",
                window_samples(records, key, f"{parent}.rss_kb", 1 / 1024),
                digits=1,
            )
            for row in (parent_cpu, parent_rss):
                row.missing["vrrpd"] = "n/a (one process)"
            nominal = count / interval
            out += [
                Row(section, "master CPU (VRRP process, utime+stime)", config, "% of a core",
                    window_samples(records, key, "processes.master_vrrp.cpu_ticks"), digits=2,
                    target=_below(10.0, "< 10 %", headline)),
                Row(section, "master CPU (VRRP process, schedstat)", config, "% of a core",
                    window_samples(records, key, "processes.master_vrrp.cpu_sched"), digits=2),
                Row(section, "backup CPU (VRRP process, utime+stime)", config, "% of a core",
                    window_samples(records, key, "processes.backup_vrrp.cpu_ticks"), digits=2),
                Row(section, "master RSS (VRRP process)", config, "MB",
                    window_samples(records, key, "processes.master_vrrp.rss_kb", 1 / 1024),
                    digits=1, target=_below(40.0, "< 40 MB", headline)),
                parent_cpu,
                parent_rss,
                Row(section, f"adverts/s sent (wire; nominal {nominal:g})", config, "1/s",
                    window_samples(records, key, "sent_per_s"), digits=1),
                Row(section, "adverts/s received (backup's counter)", config, "1/s",
                    window_samples(records, key, "received_per_s"), digits=1),
                Row(section, "spurious events (0 = stable)", config, "count",
                    window_samples(records, key, "spurious_total"), stat="sum", digits=0,
                    target=all_zero("0")),
            ]  # fmt: skip
    return out
