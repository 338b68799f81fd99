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

Windows run in *slots* (:func:`slots`): every window of a slot at the same time,
each in a two-node lab of its own (its own namespaces, bridge, observer and
address logs), so a window sees only its own pair on its wire and in its
netlink, and its CPU and memory figures are its own processes'. vrrpd's and
Keepalived's window of a configuration always share a slot. The pairs of a slot
start in parallel threads; the windows open once all have converged (and the
hog, if any, has run for 1 s) and each lasts N seconds.

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

import contextlib
import itertools
import math
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench.failover import Record, mdi
from bench.lab import (
    ERRORS,
    HIGH,
    LOW,
    BenchError,
    CpuHog,
    CpuSample,
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


Slot = tuple[WindowKey, ...]


def slots(settings: Settings) -> list[Slot]:
    """:func:`plan`'s windows grouped into slots: the windows of a slot run at the same time,
    each implementation's in a lab of its own.

    * one instance at rest (a jitter window): a slot of its own, so only vrrpd's and
      Keepalived's window of that interval run side by side;
    * the loaded windows: one slot, under one CPU hog (it loads every core anyway);
    * the scale windows (K > 1) of one advert interval: one slot.
    """
    groups: dict[tuple[str, float], list[WindowKey]] = {}
    for key in plan(settings):
        count, interval, loaded = key
        group = ("loaded", 0.0) if loaded else ("scale" if count > 1 else "rest", interval)
        groups.setdefault(group, []).append(key)
    return [tuple(keys) for keys in groups.values()]


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
class Before:
    """The readings at a window's start, to subtract at its end."""

    daemons: tuple[Daemon, Daemon]
    pids: dict[str, int]
    received: tuple[int, float] | None
    transitions: int
    cpu: dict[str, CpuSample]
    t0: float


@dataclass
class Observed:
    """What the window saw of the daemons themselves (the wire is read afterwards)."""

    t0: float
    t1: float
    cpu: dict[str, dict[str, float]]
    received_per_s: float | None
    transitions: int


def _begin(d1: Daemon, d2: Daemon) -> Before:
    """The backup's advert counter, the state changes logged and every process's CPU time."""
    daemons = (d1, d2)
    pids = {
        f"{'master' if d is d1 else 'backup'}_{role}": pid
        for d in daemons
        for role, pid in _processes(d).items()
    }
    received = d2.adverts_received()
    transitions = sum(d.transition_count() for d in daemons)
    cpu = {name: cpu_sample(pid) for name, pid in pids.items()}
    return Before(daemons, pids, received, transitions, cpu, time.monotonic())


def _end(before: Before) -> Observed:
    t1 = time.monotonic()
    cpu: dict[str, dict[str, float]] = {}
    for name, pid in before.pids.items():
        ticks, sched = cpu_percent(before.cpu[name], cpu_sample(pid))
        rss, hwm = memory_kb(pid)
        cpu[name] = {"cpu_ticks": ticks, "cpu_sched": sched, "rss_kb": rss, "hwm_kb": hwm}
    received_after = before.daemons[1].adverts_received()  # the backup's
    received = None
    if received_after is not None and before.received is not None:
        (count0, at0), (count1, at1) = before.received, received_after
        received = (count1 - count0) / (at1 - at0)
    transitions = sum(d.transition_count() for d in before.daemons) - before.transitions
    return Observed(before.t0, t1, cpu, received, transitions)


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


@dataclass
class Job:
    """One window of a slot: a configuration, an implementation and the lab it runs in."""

    key: WindowKey
    impl: Impl
    bench: PairLab
    daemons: tuple[Daemon, Daemon] | None = None
    started: Record = field(default_factory=dict)
    before: Before | None = None
    seen: Observed | None = None
    error: str | None = None

    @property
    def what(self) -> str:
        return f"{label(self.key)} {self.impl}"

    @property
    def going(self) -> bool:
        return self.error is None

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """A step of this window: what it raises fails this window only, and is kept."""
        try:
            yield
        except ERRORS as error:
            self.error = self.error or str(error)


def _start_job(job: Job) -> None:
    count, advert_int, _ = job.key
    with job.guard():
        d1, d2, job.started = _start(job.bench.pair, job.impl, count, advert_int)
        job.daemons = (d1, d2)


def _start_all(jobs: list[Job]) -> None:
    """Every pair of the slot up and converged, each started by a thread of its own.

    The threads only start daemons and wait; the labs are built, reset and closed by the
    main thread, whose life bounds the nodes' inits.
    """
    threads = [
        threading.Thread(target=_start_job, args=(job,), name=f"bench {job.what}", daemon=True)
        for job in jobs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _watch(jobs: list[Job], seconds: float) -> None:
    """Every converged pair watched for ``seconds``, all at the same time.

    The windows open one after the other (reading the backup's counter takes some ms)
    and each closes ``seconds`` after it opened; every daemon is checked once a second.
    """
    for job in jobs:
        if job.going and job.daemons is not None:
            with job.guard():
                job.before = _begin(*job.daemons)
    watched = [job for job in jobs if job.going and job.before is not None]
    while watched:
        job, before = watched[0], watched[0].before
        assert before is not None
        left = before.t0 + seconds - time.monotonic()
        if left > 0:
            time.sleep(min(1.0, left))
            for other in watched:
                with other.guard():
                    _alive(list(other.daemons or ()))
            watched = [other for other in watched if other.going]
            continue
        with job.guard():
            job.seen = _end(before)
        watched.pop(0)


def _record(job: Job, slot: list[Job], hog: CpuHog | None) -> Record:
    count, advert_int, loaded = job.key
    base: Record = {
        "family": "window",
        "impl": job.impl,
        "count": count,
        "advert_int": advert_int,
        "loaded": loaded,
        "alongside": [other.what for other in slot if other is not job],
    }
    timing: Record = {}
    if job.seen is not None:
        with job.guard():
            timing = _timing(job.bench.pair, job.seen, count, advert_int)
    if not job.going or job.seen is None:
        tails = {d.node.name: d.tail(8) for d in job.bench.pair.daemons}
        return {**base, "ok": False, "error": job.error or "not measured", "logs": tails}
    return {
        **base,
        "hog": hog.tool if hog is not None else None,
        "window": job.seen.t1 - job.seen.t0,
        **job.started,
        "processes": job.seen.cpu,
        "received_per_s": job.seen.received_per_s,
        **timing,
        "ok": True,
    }


def measure(jobs: list[Job], seconds: float) -> list[Record]:
    """The windows of one slot, side by side in their labs: start, load if asked, watch."""
    _start_all(jobs)
    loaded = any(job.key[2] for job in jobs)
    hog = CpuHog(jobs[0].bench.pair.n1) if loaded else None  # one hog loads the machine
    try:
        if hog is not None:
            hog.start(seconds + 30)
            time.sleep(1.0)
        _watch(jobs, seconds)
    finally:
        if hog is not None:
            hog.stop()
    return [_record(job, jobs, hog) for job in jobs]


def _say(settings: Settings, record: Record) -> None:
    what = f"window {label((record['count'], record['advert_int'], record['loaded']))}"
    if not record["ok"]:
        settings.say(f"{what} {record['impl']}: FAILED {record['error']}")
        return
    cpu = record["processes"]["master_vrrp"]["cpu_sched"]
    settings.say(
        f"{what} {record['impl']}: mean {record['interval_mean'] * 1000:.3f} ms, "
        f"p99 dev {record['dev_p99'] * 1000:.2f} ms, master CPU {cpu:.2f} %, "
        f"spurious {record['spurious_total']}"
    )


def run(settings: Settings, records: list[Record]) -> None:
    """Every planned window, slot by slot, each window in a lab of its own, into ``records``."""
    groups = slots(settings)
    if not groups:
        return
    width = max(len(group) for group in groups) * len(settings.impls)
    with contextlib.ExitStack() as stack:
        labs = [stack.enter_context(PairLab(settings.seed + n, f"bw{n}")) for n in range(width)]
        for group in groups:
            pairs = itertools.product(group, settings.impls)
            jobs = [Job(key, impl, labs[n]) for n, (key, impl) in enumerate(pairs)]
            settings.say(f"windows side by side: {'; '.join(job.what for job in jobs)}")
            found = measure(jobs, settings.window)
            for record in found:
                records.append(record)
                _say(settings, record)
            for bench in labs[: len(jobs)]:
                rebuilt = bench.recover()
                if rebuilt:
                    settings.say(f"window: lab {bench.name} rebuilt ({rebuilt})")
