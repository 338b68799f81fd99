"""Failover (kill -9), graceful handover (SIGTERM), preemption and take-over latency.

One *cycle* per repetition, on a two-node pair (n1 priority 200, n2 priority 100,
one VIP, the anchors' set-up), started fresh for each implementation in turn
(vrrpd cycle, Keepalived cycle, vrrpd cycle, ...)::

    start n1, then n2; n1 becomes master
    kill9     wait a random part of one advert interval, SIGKILL the master's
              process group (Keepalived: parent and VRRP child, a crash);
              n2 takes over
    preempt   remove the VIP the dead master left behind, start n1 again;
              it preempts n2 after its own Master_Down_Interval
    sigterm   wait a random part of an interval, SIGTERM n1's main pid; it sends
              priority 0 and n2 takes over after Skew_Time

Times come from the wire (the observer's kernel timestamps) and from the
nodes' address notifications (netlink, timed in the node). The take-over
deadline on the wire is the old master's last advert plus the RFC
Master_Down_Interval (its priority-0 advert plus Skew_Time for a handover).
Inside vrrpd, its ``takeover_timing`` log record gives, on its own
monotonic clock, how long after its own deadline the timer fired and the
advert, the VIPs and the announcements went out.

The track scenario runs HAProxy on both nodes and a ``pidof haproxy`` check
(every 1 s, fall 1, rise 1, weight 0: the node goes to FAULT); HAProxy is killed
on the master at a random moment.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from typing import Any

from bench.lab import (
    ERRORS,
    HIGH,
    IMPLS,
    LOW,
    VIP,
    BenchError,
    Daemon,
    Impl,
    Pair,
    PairLab,
    remove_vips,
    routers,
    wait_up,
    wire,
)
from bench.report import Row, all_of, every_at_most, p99_at_most
from bench.settings import Settings
from tests.lab.daemon import node_directory
from tests.lab.netlab import Node, Proc, wait_until
from vrrpd.protocol.model import Version
from vrrpd.protocol.timing import master_down_interval, skew_time

Record = dict[str, Any]
VIP_TEXT = str(VIP)


def mdi(version: int, priority: int, advert_int: float) -> float:
    return master_down_interval(Version(version), priority, advert_int)


def skew(version: int, priority: int, advert_int: float) -> float:
    return skew_time(Version(version), priority, advert_int)


def label(version: int, advert_int: float) -> str:
    return f"v{version} {advert_int:g} s"


# ------------------------------------------------------------------------ the cycle


# After a take-over, a node that still believed it was master would send its next
# advert one interval after its last one; 1.2 intervals + 10 ms leave room for a
# late timer.
LATE = 1.2
# How long after SIGTERM the master may take to exit before the run moves on (and
# the next reset kills it): vrrpd exits in about 0.1 s; Keepalived idles 1 s after
# removing its VIP, which would cost every Keepalived cycle a second.
EXIT_GRACE = 0.3


def _settle(pair: Pair, old: Node, new_first: float, advert_int: float) -> None:
    """Wait until the old master would have sent its next advert had it missed the new one.

    That is one interval (x 1.2, + 10 ms) after the old master's last advert before the new
    master's first, not after the take-over was seen: on average half an interval sooner.
    """
    last = wire(pair.capture).last_before(str(old.ipv4), new_first)
    start = last.mono if last is not None else new_first
    left = start + LATE * advert_int + 0.01 - time.monotonic()
    if left > 0:
        time.sleep(left)


def _converged(pair: Pair, version: int, advert_int: float, backup_up: float) -> None:
    """n1 holds the VIP and n2, up, has heard one of its adverts, having sent none itself.

    (The random wait before the kill or signal adds up to one more interval.)
    """
    n1, n2 = pair.n1, pair.n2
    timeout = mdi(version, HIGH, advert_int) + 15

    def done() -> bool:
        if VIP_TEXT not in pair.log(n1).held([VIP_TEXT]):
            return False
        return len(wire(pair.capture, backup_up).from_src(str(n1.ipv4))) >= 1

    wait_until(done, timeout, interval=0.01, message="n1 master with the VIP, n2 following")
    if wire(pair.capture).from_src(str(n2.ipv4)):
        raise BenchError("n2 advertised while n1 came up: not a clean start")
    if VIP_TEXT in pair.log(n2).held([VIP_TEXT]):
        raise BenchError("n2 holds the VIP after the start")


def _start_pair(
    pair: Pair,
    impl: Impl,
    version: int,
    advert_int: float,
    *,
    scripts: dict[str, dict[str, Any]] | None = None,
    track: tuple[str, ...] = (),
) -> tuple[Daemon, Daemon]:
    d1 = pair.start(
        impl,
        pair.n1,
        routers(1, priority=HIGH, advert_int=advert_int, version=version, track=track),
        scripts=scripts,
    )
    wait_up(d1)
    d2 = pair.start(
        impl,
        pair.n2,
        routers(1, priority=LOW, advert_int=advert_int, version=version, track=track),
        scripts=scripts,
    )
    wait_up(d2)
    _converged(pair, version, advert_int, time.monotonic())
    return d1, d2


def _wait_takeover(pair: Pair, new: Node, since: float, timeout: float) -> None:
    src = str(new.ipv4)

    def done() -> bool:
        w = wire(pair.capture, since)
        return (
            w.first(src, since) is not None
            and w.first_garp(new.mac, VIP_TEXT, since) is not None
            and pair.log(new).first(VIP_TEXT, added=True, since=since) is not None
        )

    wait_until(done, timeout, interval=0.01, message=f"{new.name} takes over")


def _takeover(pair: Pair, new: Node, since: float) -> Record:
    """When the new master's first advert, first GARP and VIP (netlink) came."""
    w = wire(pair.capture, since)
    first = w.first(str(new.ipv4), since)
    garp = w.first_garp(new.mac, VIP_TEXT, since)
    vip = pair.log(new).first(VIP_TEXT, added=True, since=since)
    if first is None or garp is None or vip is None:
        raise BenchError("take-over incomplete")
    return {
        "advert_mono": first.mono,
        "advert_wall": first.wall,
        "garp_mono": garp.mono,
        "garp_wall": garp.wall,
        "vip_mono": vip.mono,
        "advert_to_vip": vip.mono - first.mono,
        "advert_to_garp": garp.mono - first.mono,
    }


def _inside(daemon: Daemon, after_wall: float) -> Record:
    """vrrpd's own account of a take-over: its ``takeover_timing`` log record.

    Microseconds from its own master-down deadline (its clock: the old master's
    last advert as *it* received it + MDI) to the timer firing, the advert sent,
    the VIPs added and the announcements sent; CLOCK_MONOTONIC, not the log's
    wall-clock stamps, which are written after the actions.
    """
    if daemon.impl != "vrrpd":
        return {}
    later = [r for r in daemon.events("takeover_timing") if r["at"] >= after_wall]
    if not later:
        return {}
    return {f"own_{key}": later[0][f"{key}_us"] / 1e6 for key, _ in OWN_STEPS}


def _kill9(pair: Pair, d1: Daemon, d2: Daemon, version: int, advert_int: float) -> Record:
    time.sleep(pair.rng.uniform(0, advert_int))
    killed_wall = time.time()
    killed = time.monotonic()
    d1.crash()
    bound = mdi(version, LOW, advert_int)
    _wait_takeover(pair, pair.n2, killed, bound + 10)
    w = wire(pair.capture)
    last = w.last_before(str(pair.n1.ipv4), float("inf"))
    if last is None:
        raise BenchError("no advert from n1 before the kill")
    took = _takeover(pair, pair.n2, killed)
    record: Record = {
        "phase": "kill9",
        "bound": bound,
        "kill_to_advert": took["advert_mono"] - killed,
        "kill_to_garp": took["garp_mono"] - killed,
        "kill_to_vip": took["vip_mono"] - killed,
        "last_to_first": took["advert_mono"] - last.mono,
        "deadline_to_advert": took["advert_wall"] - (last.wall + bound),
        "deadline_to_garp": took["garp_wall"] - (last.wall + bound),
        "advert_to_vip": took["advert_to_vip"],
        "advert_to_garp": took["advert_to_garp"],
    }
    record.update(_inside(d2, killed_wall))
    return record


def _preempt(pair: Pair, impl: Impl, version: int, advert_int: float) -> tuple[Daemon, Record]:
    """n1 comes back (its stale VIP removed first, as after a reboot) and preempts n2."""
    remove_vips(pair.n1)
    restarted = time.monotonic()
    d1 = pair.start(
        impl, pair.n1, routers(1, priority=HIGH, advert_int=advert_int, version=version)
    )
    wait_up(d1)
    up = time.monotonic()
    timeout = mdi(version, HIGH, advert_int) + 10
    wait_until(
        lambda: pair.log(pair.n2).first(VIP_TEXT, added=False, since=restarted) is not None,
        timeout,
        interval=0.01,
        message="n2 gives the VIP back",
    )
    _wait_takeover(pair, pair.n1, restarted, timeout)
    took = _takeover(pair, pair.n1, restarted)
    _settle(pair, pair.n2, took["advert_mono"], advert_int)
    gone = pair.log(pair.n2).first(VIP_TEXT, added=False, since=restarted)
    assert gone is not None
    w = wire(pair.capture, restarted)
    return d1, {
        "phase": "preempt",
        "bound": mdi(version, HIGH, advert_int),
        "restart_to_up": up - restarted,
        "restart_to_advert": took["advert_mono"] - restarted,
        "up_to_advert": took["advert_mono"] - up,
        "restart_to_vip": took["vip_mono"] - restarted,
        "restart_to_vip_gone": gone.mono - restarted,
        "both_hold": max(0.0, gone.mono - took["vip_mono"]),
        "hold_delta": gone.mono - took["vip_mono"],  # < 0: a moment with no holder
        "old_master_adverts_after": len(
            [a for a in w.from_src(str(pair.n2.ipv4)) if a.mono > took["advert_mono"]]
        ),
        "advert_to_vip": took["advert_to_vip"],
        "advert_to_garp": took["advert_to_garp"],
    }


def _sigterm(pair: Pair, d1: Daemon, d2: Daemon, version: int, advert_int: float) -> Record:
    time.sleep(pair.rng.uniform(0, advert_int))
    signalled_wall = time.time()
    signalled = time.monotonic()
    d1.terminate()
    bound = skew(version, LOW, advert_int)
    _wait_takeover(pair, pair.n2, signalled, mdi(version, LOW, advert_int) + 10)
    with contextlib.suppress(AssertionError):  # a daemon that keeps its VIP: recorded as None
        wait_until(
            lambda: pair.log(pair.n1).first(VIP_TEXT, added=False, since=signalled),
            2,
            message="n1 removes its VIP",
        )
    with contextlib.suppress(subprocess.TimeoutExpired):  # not exited yet: None, killed later
        d1.proc.wait(max(0.0, signalled + EXIT_GRACE - time.monotonic()))
    w = wire(pair.capture, signalled)
    resign = w.first(str(pair.n1.ipv4), signalled, priority=0)
    if resign is None:
        raise BenchError("no priority-0 advert from n1 after SIGTERM")
    took = _takeover(pair, pair.n2, signalled)
    gone = pair.log(pair.n1).first(VIP_TEXT, added=False, since=signalled)
    record: Record = {
        "phase": "sigterm",
        "bound": bound,
        "exit_status": d1.proc.returncode,
        "signal_to_resign": resign.mono - signalled,
        "signal_to_advert": took["advert_mono"] - signalled,
        "signal_to_garp": took["garp_mono"] - signalled,
        "signal_to_vip": took["vip_mono"] - signalled,
        "signal_to_vip_gone": gone.mono - signalled if gone else None,
        "resign_to_first": took["advert_mono"] - resign.mono,
        "deadline_to_advert": took["advert_wall"] - (resign.wall + bound),
        "deadline_to_garp": took["garp_wall"] - (resign.wall + bound),
        "advert_to_vip": took["advert_to_vip"],
        "advert_to_garp": took["advert_to_garp"],
    }
    record.update(_inside(d2, signalled_wall))
    return record


def cycle(
    pair: Pair, impl: Impl, version: int, advert_int: float, phases: set[str]
) -> list[Record]:
    """One repetition: kill9 (+ preempt) and/or sigterm; a record per phase."""
    records: list[Record] = []
    d1, d2 = _start_pair(pair, impl, version, advert_int)
    if "kill9" in phases:
        records.append(_kill9(pair, d1, d2, version, advert_int))
        d1, record = _preempt(pair, impl, version, advert_int)
        records.append(record)
    if "sigterm" in phases:
        records.append(_sigterm(pair, d1, d2, version, advert_int))
    return records


# ------------------------------------------------------------------------- running


def repeat(
    settings: Settings,
    sink: list[Record],
    name: str,
    configs: list[dict[str, Any]],
    run_one: Callable[[Pair, Impl, dict[str, Any]], list[Record]],
) -> None:
    """Run ``run_one`` reps times per config, alternating implementations, into ``sink``.

    A failed repetition does not stop the run: it is recorded with its error and
    the daemons' log tails, the pair is reset (the lab rebuilt if need be).
    """
    with PairLab(settings.seed, f"b{name[0]}") as bench:
        for config in configs:
            reps = int(config.get("reps", settings.reps))
            for rep in range(reps):
                for impl in config.get("impls", settings.impls):
                    what = f"{name} {config.get('label', '')} {impl} #{rep + 1}"
                    base = {"family": name, "impl": impl, "rep": rep, **config}
                    base.pop("impls", None)
                    try:
                        found = run_one(bench.pair, impl, config)
                        sink += [{**base, **r, "ok": True} for r in found]
                        settings.say(f"{what}: {', '.join(_brief(r) for r in found)}")
                    except ERRORS as error:
                        tails = {d.node.name: d.tail(8) for d in bench.pair.daemons}
                        sink.append({**base, "ok": False, "error": str(error), "logs": tails})
                        settings.say(f"{what}: FAILED {error}")
                    finally:
                        rebuilt = bench.recover()
                        if rebuilt:
                            settings.say(f"{name}: lab rebuilt ({rebuilt})")


def _brief(record: Record) -> str:
    for key in ("last_to_first", "resign_to_first", "both_hold", "fail_to_vip"):
        if record.get(key) is not None:
            return f"{record['phase']} {key} {record[key] * 1000:.2f} ms"
    return str(record.get("phase"))


def run(settings: Settings, sink: list[Record]) -> None:
    phases = set()
    if settings.wants("failover", "takeover"):
        phases.add("kill9")
    if settings.wants("handover", "takeover"):
        phases.add("sigterm")
    if not phases:
        return
    configs = [
        {"version": v, "advert_int": a, "label": label(v, a)} for v, a in settings.failover_configs
    ]
    repeat(
        settings,
        sink,
        "failover",
        configs,
        lambda pair, impl, c: cycle(pair, impl, c["version"], c["advert_int"], phases),
    )


# --------------------------------------------------------------------------- track

HAPROXY = "/usr/sbin/haproxy"
HAPROXY_CONFIG = """\
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend web
    bind {address}:8080
    http-request return status 200 content-type text/plain string "{name}"
"""
# Through /bin/sh, as the anchors ran it: Keepalived given `pidof haproxy` directly
# never converged there (anchors.md, "track --track pidof").
TRACK_COMMAND = "/bin/sh -c 'pidof haproxy'"


def _haproxy(node: Node) -> Proc:
    config = node_directory(node, "haproxy") / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(address=node.ipv4, name=node.name))
    proc = node.spawn([HAPROXY, "-db", "-f", str(config)])
    wait_until(lambda: node.pidof("haproxy"), 5, message=f"haproxy on {node.name}")
    return proc


def track_cycle(pair: Pair, impl: Impl, script_interval: float, advert_int: float) -> list[Record]:
    scripts = {
        "chk_haproxy": {
            "script": TRACK_COMMAND,
            "interval": script_interval,
            "timeout": script_interval,
            "fall": 1,
            "rise": 1,
            "weight": 0,
        }
    }
    haproxy1 = _haproxy(pair.n1)
    haproxy2 = _haproxy(pair.n2)
    try:
        _start_pair(pair, impl, 3, advert_int, scripts=scripts, track=("chk_haproxy",))
        time.sleep(pair.rng.uniform(0, max(script_interval, advert_int)))
        failed = time.monotonic()
        haproxy1.kill()
        haproxy1.wait(5)
        _wait_takeover(pair, pair.n2, failed, 10)
        w = wire(pair.capture, failed)
        resign = w.first(str(pair.n1.ipv4), failed, priority=0)
        took = _takeover(pair, pair.n2, failed)
        return [
            {
                "phase": "track",
                "fail_to_resign": resign.mono - failed if resign else None,
                "fail_to_advert": took["advert_mono"] - failed,
                "fail_to_vip": took["vip_mono"] - failed,
                "resign_to_first": took["advert_mono"] - resign.mono if resign else None,
            }
        ]
    finally:
        for proc in (haproxy1, haproxy2):
            if proc.running:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)


def run_track(settings: Settings, sink: list[Record]) -> None:
    if not settings.wants("track"):
        return
    configs: list[dict[str, Any]] = [
        {"script_interval": 1.0, "advert_int": 1.0, "label": "script 1 s, v3 1 s"}
    ]
    if settings.track_extra and "vrrpd" in settings.impls:
        configs.append(
            {
                "script_interval": 0.1,
                "advert_int": 1.0,
                "label": "script 0.1 s, v3 1 s",
                "impls": ("vrrpd",),
            }
        )
    repeat(
        settings,
        sink,
        "track",
        configs,
        lambda pair, impl, c: track_cycle(pair, impl, c["script_interval"], c["advert_int"]),
    )


# ---------------------------------------------------------------------------- rows

Samples = dict[Impl, list[float]]


def _samples(
    records: list[Record], phases: tuple[str, ...], key: str, scale: float, **match: Any
) -> Samples:
    """Every ``key`` (times ``scale``) of the successful records of ``phases`` that match."""
    found: Samples = {impl: [] for impl in IMPLS}
    for r in records:
        if not r.get("ok") or r.get("phase") not in phases:
            continue
        if any(r.get(k) != v for k, v in match.items()):
            continue
        value = r.get(key)
        if value is not None:
            found[r["impl"]].append(float(value) * scale)
    return found


def _keepalived_median_plus(extra_ms: float) -> Callable[[Row], float | None]:
    def bound(row: Row) -> float | None:
        center = row.center("keepalived")
        return None if center is None else center + extra_ms

    return bound


def _constant(value: float) -> Callable[[Row], float]:
    return lambda _row: value


def _kill9_rows(records: list[Record], version: int, advert_int: float) -> list[Row]:
    section = "Failover: kill -9 of the master"
    config = label(version, advert_int)
    bound_ms = mdi(version, LOW, advert_int) * 1000
    m = {"version": version, "advert_int": advert_int}
    gap_target = all_of(
        every_at_most(_constant(bound_ms + 1.0), ""),
        every_at_most(_keepalived_median_plus(0.5), ""),
        text=f"every run <= MDI + 1 ms ({bound_ms + 1:.1f}) and <= KA median + 0.5",
    )
    return [
        Row(section, "kill -> backup's 1st advert", config, "s",
            _samples(records, ("kill9",), "kill_to_advert", 1, **m)),
        Row(section, "kill -> 1st GARP for the VIP", config, "s",
            _samples(records, ("kill9",), "kill_to_garp", 1, **m)),
        Row(section, "kill -> VIP on backup (netlink)", config, "s",
            _samples(records, ("kill9",), "kill_to_vip", 1, **m)),
        Row(section, f"master's last advert -> backup's 1st [MDI {bound_ms:.1f}]", config, "ms",
            _samples(records, ("kill9",), "last_to_first", 1000, **m), digits=2,
            target=gap_target),
    ]  # fmt: skip


def _sigterm_rows(records: list[Record], version: int, advert_int: float) -> list[Row]:
    section = "Graceful handover: SIGTERM of the master (priority 0)"
    config = label(version, advert_int)
    bound_ms = skew(version, LOW, advert_int) * 1000
    m = {"version": version, "advert_int": advert_int}
    return [
        Row(section, "signal -> master's priority-0 advert", config, "ms",
            _samples(records, ("sigterm",), "signal_to_resign", 1000, **m), digits=2),
        Row(section, "signal -> backup's 1st advert", config, "s",
            _samples(records, ("sigterm",), "signal_to_advert", 1, **m)),
        Row(section, "signal -> VIP on backup (netlink)", config, "s",
            _samples(records, ("sigterm",), "signal_to_vip", 1, **m)),
        Row(section, f"priority-0 advert -> backup's 1st [Skew_Time {bound_ms:.1f}]", config,
            "ms", _samples(records, ("sigterm",), "resign_to_first", 1000, **m), digits=2,
            target=every_at_most(_constant(bound_ms + 1.0),
                                 f"every run <= Skew_Time + 1 ms ({bound_ms + 1:.1f})")),
    ]  # fmt: skip


def _preempt_rows(records: list[Record], version: int, advert_int: float) -> list[Row]:
    section = "Preemption: the priority-200 node comes back"
    config = label(version, advert_int)
    m = {"version": version, "advert_int": advert_int}
    bound = mdi(version, HIGH, advert_int)
    return [
        Row(section, f"restart -> its 1st advert [MDI {bound:.3f}]", config, "s",
            _samples(records, ("preempt",), "restart_to_advert", 1, **m)),
        Row(section, "VIP held by both nodes", config, "ms",
            _samples(records, ("preempt",), "both_hold", 1000, **m),
            target=every_at_most(_constant(1.0), "every run < 1 ms")),
        Row(section, "old master's adverts after the new one's 1st", config, "count",
            _samples(records, ("preempt",), "old_master_adverts_after", 1, **m),
            stat="sum", digits=0),
    ]  # fmt: skip


TAKEOVER_PHASES = ("kill9", "sigterm", "preempt")
WIRE_STEPS = (  # the deadline: last advert + MDI (kill9), priority-0 advert + Skew_Time (sigterm)
    ("deadline_to_advert", "take-over deadline -> 1st advert (wire)"),
    ("deadline_to_garp", "take-over deadline -> 1st GARP (wire)"),
)
OWN_STEPS = (  # vrrpd's takeover_timing record: its own deadline, its monotonic clock
    ("late", "vrrpd's own deadline -> its timer fired"),
    ("advert", "vrrpd's own deadline -> advert sent"),
    ("vips", "vrrpd's own deadline -> VIPs added (netlink answered)"),
    ("garps", "vrrpd's own deadline -> GARPs sent"),
)


def _takeover_rows(records: list[Record], version: int, advert_int: float) -> list[Row]:
    section = "Take-over actions (samples from kill9, sigterm and preempt)"
    config = label(version, advert_int)
    m = {"version": version, "advert_int": advert_int}
    out = [
        Row(section, "1st advert -> VIP added (netlink)", config, "ms",
            _samples(records, TAKEOVER_PHASES, "advert_to_vip", 1000, **m), digits=2,
            target=p99_at_most(1.0, "p99 <= 1 ms")),
        Row(section, "1st advert -> 1st GARP (wire)", config, "ms",
            _samples(records, TAKEOVER_PHASES, "advert_to_garp", 1000, **m), digits=2,
            target=p99_at_most(1.0, "p99 <= 1 ms")),
    ]  # fmt: skip
    for key, what in WIRE_STEPS:
        out.append(Row(
            section, what, config, "ms",
            _samples(records, ("kill9", "sigterm"), key, 1000, **m), digits=2,
        ))  # fmt: skip
    for key, what in OWN_STEPS:
        row = Row(
            section, what, config, "ms",
            _samples(records, ("kill9", "sigterm"), f"own_{key}", 1000, **m), digits=3,
        )  # fmt: skip
        row.missing["keepalived"] = "n/a"
        out.append(row)
    return out


def rows(records: list[Record], settings: Settings) -> list[Row]:
    out: list[Row] = []
    for wanted, build in (
        (("failover",), _kill9_rows),
        (("handover",), _sigterm_rows),
        (("failover",), _preempt_rows),
        (("takeover", "failover", "handover"), _takeover_rows),
    ):
        if settings.wants(*wanted):
            for version, advert_int in settings.failover_configs:
                out += build(records, version, advert_int)
    return out


def track_rows(records: list[Record], settings: Settings) -> list[Row]:
    if not settings.wants("track"):
        return []
    section = "Track script: HAProxy killed on the master (pidof haproxy, fall 1, weight 0)"
    out: list[Row] = []
    for script_interval, config in ((1.0, "script 1 s, v3 1 s"), (0.1, "script 0.1 s, v3 1 s")):
        if script_interval < 1 and not settings.track_extra:
            continue
        m = {"script_interval": script_interval}
        new = [
            Row(section, "kill -> master's priority-0 advert", config, "s",
                _samples(records, ("track",), "fail_to_resign", 1, **m)),
            Row(section, "kill -> backup's 1st advert", config, "s",
                _samples(records, ("track",), "fail_to_advert", 1, **m)),
            Row(section, "kill -> VIP on backup (netlink)", config, "s",
                _samples(records, ("track",), "fail_to_vip", 1, **m)),
        ]  # fmt: skip
        if script_interval < 1:
            for row in new:
                row.missing["keepalived"] = "n/a (>= 1 s)"
        out += new
    return out
