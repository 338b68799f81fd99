"""Steady-state windows: a converged pair with K instances, watched for N seconds.

The jitter and the scale families both measure a pair at rest, so one window
serves both: the jitter rows at 1 s and 0.1 s *are* the scale rows for K=1
(the same set-up, measured once). A window::

    start n1 (priority 200, K instances, VRIDs 1..K; K=1: VRID 51 and 192.0.2.100/24)
    wait until n1 holds all K VIPs, then start n2 (priority 100) and let it follow
    1 s of rest; with load, start the CPU hog and give it 1 s
    the window: N s, bracketed by /proc samples of every daemon process and by
                the backup's own count of adverts received
    stop the hog, crash both daemons, remove the VIPs

What is measured, all from the window only:

* the master's advert intervals on the wire, per VRID (kernel timestamps):
  mean, p50, p99 and max of |interval - advert_int|, intervals > 1.5x;
* adverts/s sent (wire) and received (the backup's counter: vrrpd's status,
  Keepalived's SIGUSR2 stats file);
* CPU % of one core (utime+stime; the schedstat run time too, in the JSON) and
  RSS/HWM of the process doing the VRRP work (Keepalived: its VRRP child; its
  parent is reported as well), for master and backup;
* spurious events: adverts from the backup, priority-0 adverts, any address
  added or removed on either node, any state change either daemon logged, and
  any VRID silent for 3 intervals. Stable = none of them.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from dataclasses import dataclass

from bench.failover import Record, mdi
from bench.lab import (
    ERRORS,
    HIGH,
    LOW,
    BenchError,
    CpuHog,
    Daemon,
    Impl,
    Pair,
    PairLab,
    cpu_percent,
    cpu_sample,
    memory_kb,
    routers,
    vips_of,
    wait_up,
    wire,
)
from bench.report import percentile
from bench.settings import Settings
from tests.lab.netlab import wait_until

WindowKey = tuple[int, float, bool]  # (instances, advert_int, loaded)


def plan(settings: Settings) -> list[WindowKey]:
    """The windows the selected families need, each once, in run order."""
    keys: list[WindowKey] = []
    if settings.wants("jitter"):
        keys += [(1, interval, False) for interval in settings.jitter_intervals]
        if settings.load:
            keys += [(1, interval, True) for interval in settings.load_intervals]
    if settings.wants("scale"):
        keys += [(k, i, False) for i in settings.scale_intervals for k in settings.scale_counts]
    return list(dict.fromkeys(keys))


def label(key: WindowKey) -> str:
    count, interval, loaded = key
    text = f"{interval:g} s" if count == 1 else f"K={count}, {interval:g} s"
    return text + (", loaded" if loaded else "")


def _processes(daemon: Daemon) -> dict[str, int]:
    pids = {"vrrp": daemon.vrrp_pid()}
    if daemon.impl == "keepalived":
        pids["parent"] = daemon.main_pid()
    return pids


def _alive(daemons: list[Daemon]) -> None:
    for daemon in daemons:
        if not daemon.running:
            raise BenchError(f"{daemon.impl} on {daemon.node.name} died: {daemon.tail()}")


def _start(pair: Pair, impl: Impl, count: int, advert_int: float) -> tuple[Daemon, Daemon, Record]:
    """n1 up and master of every instance, then n2 up and following it."""
    high = routers(count, priority=HIGH, advert_int=advert_int)
    vips = vips_of(high)
    started = time.monotonic()
    d1 = pair.start(impl, pair.n1, high)
    wait_up(d1)
    up = time.monotonic()
    wait_until(
        lambda: pair.log(pair.n1).held(vips) == vips,
        mdi(3, HIGH, advert_int) + 30,
        interval=0.05,
        message=f"n1 holds all {count} VIPs",
    )
    converged = time.monotonic()
    d2 = pair.start(impl, pair.n2, routers(count, priority=LOW, advert_int=advert_int))
    wait_up(d2)
    time.sleep(max(1.0, 2 * advert_int))
    if pair.log(pair.n2).held(vips):
        raise BenchError("n2 holds VIPs after it started: not a clean start")
    return d1, d2, {"start_to_master": converged - started, "up_to_master": converged - up}


@dataclass
class Observed:
    """What the window saw of the daemons themselves (the wire is read afterwards)."""

    t0: float
    t1: float
    cpu: dict[str, dict[str, float]]
    received_per_s: float | None
    transitions: int


def _observe(d1: Daemon, d2: Daemon, seconds: float) -> Observed:
    daemons = [d1, d2]
    pids = {
        f"{'master' if d is d1 else 'backup'}_{role}": pid
        for d in daemons
        for role, pid in _processes(d).items()
    }
    received_before = d2.adverts_received()
    transitions_before = sum(d.transition_count() for d in daemons)
    before = {name: cpu_sample(pid) for name, pid in pids.items()}
    t0 = time.monotonic()
    while (left := seconds - (time.monotonic() - t0)) > 0:
        time.sleep(min(1.0, left))
        _alive(daemons)
    t1 = time.monotonic()
    cpu: dict[str, dict[str, float]] = {}
    for name, pid in pids.items():
        ticks, sched = cpu_percent(before[name], cpu_sample(pid))
        rss, hwm = memory_kb(pid)
        cpu[name] = {"cpu_ticks": ticks, "cpu_sched": sched, "rss_kb": rss, "hwm_kb": hwm}
    received_after = d2.adverts_received()
    received = None
    if received_after is not None and received_before is not None:
        (count0, at0), (count1, at1) = received_before, received_after
        received = (count1 - count0) / (at1 - at0)
    transitions = sum(d.transition_count() for d in daemons) - transitions_before
    return Observed(t0, t1, cpu, received, transitions)


def _timing(pair: Pair, seen: Observed, count: int, advert_int: float) -> Record:
    """The master's intervals per VRID and every spurious event, from the wire and netlink."""
    n1, n2 = str(pair.n1.ipv4), str(pair.n2.ipv4)
    adverts = [a for a in wire(pair.capture, seen.t0).adverts if a.mono <= seen.t1]
    master = [a for a in adverts if a.src == n1]
    by_vrid: dict[int, list[float]] = {}
    for a in master:
        by_vrid.setdefault(a.vrid, []).append(a.mono)
    intervals = [b - a for times in by_vrid.values() for a, b in itertools.pairwise(times)]
    deviations = [abs(i - advert_int) for i in intervals]
    address_events = [
        e
        for node in (pair.n1, pair.n2)
        for e in pair.log(node).events(seen.t0)
        if e.mono <= seen.t1
    ]
    vrids = [51] if count == 1 else list(range(1, count + 1))
    spurious = {
        "backup_adverts": len([a for a in adverts if a.src == n2]),
        "priority0_adverts": len([a for a in master if a.priority == 0]),
        "address_events": len(address_events),
        "transitions_logged": seen.transitions,
        "silent_vrids": len([v for v in vrids if len(by_vrid.get(v, [])) < 2]),
        "gaps_over_3x": len([i for i in intervals if i >= 3 * advert_int]),
    }
    elapsed = seen.t1 - seen.t0
    return {
        "adverts": len(master),
        "intervals": len(intervals),
        "interval_mean": statistics.fmean(intervals) if intervals else math.nan,
        "interval_p50": statistics.median(intervals) if intervals else math.nan,
        "dev_p50": percentile(deviations, 50),
        "dev_p99": percentile(deviations, 99),
        "dev_max": max(deviations) if deviations else math.nan,
        "over_1_5x": len([i for i in intervals if i > 1.5 * advert_int]),
        "sent_per_s": len(master) / elapsed,
        "nominal_per_s": count / advert_int,
        "spurious": spurious,
        "spurious_total": sum(spurious.values()),
        "stable": sum(spurious.values()) == 0,
    }


def measure(pair: Pair, impl: Impl, key: WindowKey, seconds: float) -> Record:
    count, advert_int, loaded = key
    d1, d2, started = _start(pair, impl, count, advert_int)
    hog = CpuHog(pair.n1) if loaded else None
    try:
        if hog is not None:
            hog.start(seconds + 30)
            time.sleep(1.0)
        seen = _observe(d1, d2, seconds)
    finally:
        if hog is not None:
            hog.stop()
    return {
        "family": "window",
        "impl": impl,
        "count": count,
        "advert_int": advert_int,
        "loaded": loaded,
        "hog": hog.tool if hog is not None else None,
        "window": seen.t1 - seen.t0,
        **started,
        "processes": seen.cpu,
        "received_per_s": seen.received_per_s,
        **_timing(pair, seen, count, advert_int),
    }


def run(settings: Settings, records: list[Record]) -> None:
    """Every planned window, each implementation in turn, into ``records``."""
    keys = plan(settings)
    if not keys:
        return
    with PairLab(settings.seed) as bench:
        for key in keys:
            for impl in settings.impls:
                base = {"family": "window", "impl": impl, "count": key[0],
                        "advert_int": key[1], "loaded": key[2]}  # fmt: skip
                try:
                    record = measure(bench.pair, impl, key, settings.window)
                    records.append({**record, "ok": True})
                    cpu = record["processes"]["master_vrrp"]["cpu_sched"]
                    settings.say(
                        f"window {label(key)} {impl}: "
                        f"mean {record['interval_mean'] * 1000:.3f} ms, "
                        f"p99 dev {record['dev_p99'] * 1000:.2f} ms, master CPU {cpu:.2f} %, "
                        f"spurious {record['spurious_total']}"
                    )
                except ERRORS as error:
                    tails = {d.node.name: d.tail(8) for d in bench.pair.daemons}
                    records.append({**base, "ok": False, "error": str(error), "logs": tails})
                    settings.say(f"window {label(key)} {impl}: FAILED {error}")
                finally:
                    rebuilt = bench.recover()
                    if rebuilt:
                        settings.say(f"window: lab rebuilt ({rebuilt})")
