"""Start-up: process start to READY=1, and the wall time of `vrrpctl status`.

Both daemons run under a stand-in for systemd: PID 1 of a PID namespace of
its own, named ``systemd``, with ``NOTIFY_SOCKET`` set. That is what Keepalived
needs before it speaks sd_notify at all (it checks that its parent is PID 1 and
that ``/proc/1/stat`` says ``(systemd)``; Debian's unit is ``Type=notify``). It
sends ``READY=1`` once every child has read its configuration (the ``Startup
complete`` log line); vrrpd sends it once every instance runs and its control
socket listens. The clock starts when the stand-in calls ``fork()`` to start the
daemon (CLOCK_MONOTONIC, written to a file) and stops when the harness receives
the datagram. Advert interval 1 s, so no VIP is taken during the measurement.

``vrrpctl status`` is timed as a user runs it, a fresh process each time,
against a vrrpd that is MASTER (one instance) and one with 255 instances
(:func:`bench.ctl_status.status_times`). Keepalived has no equivalent command.
"""

from __future__ import annotations

import functools
import socket
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench.ctl_status import status_times
from bench.failover import Record
from bench.lab import ERRORS, HIGH, IMPLS, BenchError, Impl, remove_vips, routers, start, wait_up
from bench.report import Row, median_at_most
from bench.settings import Settings
from tests.lab.netlab import Lab, Node, wait_until


def _ready(node: Node, impl: Impl, count: int, notify: socket.socket, path: Path) -> Record:
    notify.setblocking(False)
    while True:  # nothing from an earlier daemon may count
        try:
            notify.recv(4096)
        except BlockingIOError:
            break
    daemon = start(impl, node, routers(count, priority=HIGH, advert_int=1.0), notify_socket=path)
    try:
        deadline = time.monotonic() + 60
        ready_at = None
        notify.settimeout(0.1)
        while ready_at is None:
            try:
                message = notify.recv(4096).decode(errors="replace")
            except TimeoutError:
                if not daemon.running or time.monotonic() > deadline:
                    raise BenchError(f"no READY=1 from {impl}: {daemon.tail()}") from None
                continue
            if "READY=1" in message.split("\n"):
                ready_at = time.monotonic()
        assert daemon.stamp_path is not None
        stamp = daemon.stamp_path
        wait_until(lambda: stamp.exists() and stamp.read_text(), 5, message="fork time stamp")
        forked = int(stamp.read_text()) / 1e9
        return {
            "family": "startup",
            "impl": impl,
            "count": count,
            "ready": ready_at - forked,
            "spawn_to_ready": ready_at - daemon.spawned_at,
        }
    finally:
        daemon.crash()
        remove_vips(node)


def _vrrpctl(node: Node, count: int, runs: int) -> Record:
    advert_int = 0.1 if count == 1 else 1.0
    daemon = start("vrrpd", node, routers(count, priority=HIGH, advert_int=advert_int))
    try:
        wait_up(daemon)
        if count == 1:
            wait_until(lambda: node.has_address("192.0.2.100"), 10, message="vrrpd master")
        assert daemon.socket_path is not None
        times = status_times(daemon.socket_path, runs)
        return {"family": "vrrpctl", "impl": "vrrpd", "count": count, "times": times}
    finally:
        daemon.crash()
        remove_vips(node)


def _attempt(settings: Settings, what: str, base: Record, measure: Callable[[], Record]) -> Record:
    """One measurement; a failure is recorded (and reported) instead of raised."""
    try:
        record = {**base, **measure(), "ok": True}
    except ERRORS as error:
        settings.say(f"{what}: FAILED {error}")
        return {**base, "ok": False, "error": str(error)}
    if "ready" in record:
        settings.say(f"{what}: READY after {record['ready'] * 1000:.0f} ms")
    else:
        median = statistics.median(record["times"]) * 1000
        settings.say(f"{what}: median {median:.1f} ms")
    return record


def run(settings: Settings, records: list[Record]) -> None:
    """READY=1 times, then `vrrpctl status` times, into ``records``."""
    if not settings.wants("startup"):
        return
    with Lab(1, ipv6=False, capture=False) as lab:
        (node,) = lab.nodes
        path = lab.workdir / "notify.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
            notify.bind(str(path))
            for count in settings.startup_counts:
                for rep in range(settings.startup_reps):
                    for impl in settings.impls:
                        records.append(
                            _attempt(
                                settings,
                                f"startup K={count} {impl} #{rep + 1}",
                                {"family": "startup", "impl": impl, "count": count, "rep": rep},
                                functools.partial(_ready, node, impl, count, notify, path),
                            )
                        )
        if "vrrpd" in settings.impls:
            for count in sorted({1, *settings.startup_counts}):
                records.append(
                    _attempt(
                        settings,
                        f"vrrpctl status K={count}",
                        {"family": "vrrpctl", "impl": "vrrpd", "count": count},
                        functools.partial(_vrrpctl, node, count, settings.ctl_runs),
                    )
                )


def rows(records: list[Record], settings: Settings) -> list[Row]:
    if not settings.wants("startup"):
        return []
    section = "Start-up"
    out: list[Row] = []
    for count in settings.startup_counts:
        samples: dict[Impl, list[float]] = {impl: [] for impl in IMPLS}
        for r in records:
            if r.get("ok") and r["family"] == "startup" and r["count"] == count:
                samples[r["impl"]].append(r["ready"] * 1000)
        row = Row(section, "process start -> READY=1 (sd_notify)", f"K={count}, 1 s", "ms", samples)
        row.digits = 1
        out.append(row)
    for count in sorted({1, *settings.startup_counts}):
        times: dict[Impl, list[float]] = {impl: [] for impl in IMPLS}
        for r in records:
            if r.get("ok") and r["family"] == "vrrpctl" and r["count"] == count:
                times["vrrpd"] += [t * 1000 for t in r["times"]]
        row = Row(section, "`vrrpctl status` wall time", f"K={count}", "ms", times, digits=1)
        if count == 1:
            row.target = median_at_most(60.0, "median < 60 ms")
        row.missing["keepalived"] = "n/a (no such command)"
        out.append(row)
    return out
