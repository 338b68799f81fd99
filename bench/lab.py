"""vrrpd or Keepalived on one description of a node's routers, and what the lab sees of them.

Both implementations are started from the same description (vrrpd's YAML shape,
as :func:`tests.lab.daemon.instance` builds it). vrrpd reads it as YAML;
Keepalived reads the same routers rendered by
:func:`tests.lab.keepalived.keepalived_conf` (``state BACKUP``, an explicit
``version``, no ``vrrp_strict``, scripts as root). Keepalived runs as a Debian
unit would: in the foreground (``-n``), VRRP only (``-P``), logging to its
console (``-l -D``, into the lab's log file), never to syslog (``-G``).

The witnesses are the ones the anchors used (``/work/shared/research/anchors.md``):

* the wire: the lab's observer captures every frame with its kernel receive time;
  :func:`wire` decodes adverts and gratuitous ARPs with ``struct`` (scapy is far too
  slow for the tens of thousands of adverts of a scale window);
* the kernel: :class:`AddressLog` is a small process in the node that reads the
  node's rtnetlink address notifications and writes each one with its
  ``CLOCK_MONOTONIC`` time (a process of its own, so the harness's threads and
  GIL never delay its clock reading);
* ``/proc``: CPU time (``utime+stime`` and the scheduler's ns run time) and RSS;
* the daemons' own logs (vrrpd's JSON log has ISO wall-clock timestamps; Keepalived's
  console log has one-second ones, so it is only used to count transitions).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from tests.lab.daemon import instance, node_directory
from tests.lab.keepalived import keepalived_conf
from tests.lab.netlab import Capture, Lab, LabError, Node, Proc, vip4, wait_until
from vrrpd.ctl import NotRunningError, request

Impl = Literal["vrrpd", "keepalived"]
IMPLS: tuple[Impl, Impl] = ("vrrpd", "keepalived")

KEEPALIVED = "/usr/sbin/keepalived"
VIP = vip4()  # 192.0.2.100, the one VIP of the failover scenarios
HIGH, LOW = 200, 100  # the anchors' priorities: n1 200 (the master), n2 100
START_TIMEOUT = 20.0  # a Python daemon with 255 instances on two busy cores
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A scenario could not be run or measured as planned (the run goes on)."""


# What a failed repetition may raise; it is recorded and the run goes on.
ERRORS = (BenchError, AssertionError, OSError, LabError, subprocess.SubprocessError)


# ---------------------------------------------------------------------- descriptions


def scale_vip(vrid: int) -> str:
    """A /32 VIP per VRID for the scale scenarios (documentation ranges only).

    192.0.2.0/24 holds the nodes and cannot hold 255 VIPs, so these come from
    TEST-NET-2 (198.51.100.1-254) and, for VRID 255, TEST-NET-3 (203.0.113.1);
    they live only on the lab's namespaced interfaces.
    """
    if not 1 <= vrid <= 255:
        raise ValueError(f"VRID {vrid} out of range 1..255")
    return f"198.51.100.{vrid}/32" if vrid < 255 else "203.0.113.1/32"


def routers(
    count: int,
    *,
    priority: int,
    advert_int: float,
    version: int = 3,
    track: Sequence[str] = (),
) -> dict[str, dict[str, Any]]:
    """The routers of one node: one (VRID 51, VIP 192.0.2.100/24) or ``count`` (VRIDs 1..K)."""
    extra: dict[str, Any] = {"track_script": list(track)} if track else {}
    if count == 1:
        return {
            "VI_1": instance(
                vrid=51, priority=priority, version=version, advert_int=advert_int, **extra
            )
        }
    return {
        f"VI_{vrid}": instance(
            vrid=vrid,
            priority=priority,
            version=version,
            advert_int=advert_int,
            vips=[scale_vip(vrid)],
            **extra,
        )
        for vrid in range(1, count + 1)
    }


def vrids_of(instances: Mapping[str, Mapping[str, Any]]) -> list[int]:
    return [int(body["vrid"]) for body in instances.values()]


def vips_of(instances: Mapping[str, Mapping[str, Any]]) -> set[str]:
    return {str(v).split("/")[0] for body in instances.values() for v in body["virtual_ipaddress"]}


def vrrpd_yaml(
    node: Node,
    instances: Mapping[str, Mapping[str, Any]],
    scripts: Mapping[str, Mapping[str, Any]] | None,
    control_socket: Path,
) -> str:
    document: dict[str, Any] = {
        "global": {"control_socket": str(control_socket), "router_id": node.name},
    }
    if scripts:
        document["scripts"] = {name: dict(body) for name, body in scripts.items()}
    document["instances"] = {name: dict(body) for name, body in instances.items()}
    return yaml.safe_dump(document, sort_keys=False)


# -------------------------------------------------------------------------- daemons

# A stand-in for systemd as PID 1 of a PID namespace of its own: Keepalived only
# speaks sd_notify when its parent is PID 1 and /proc/1/stat says "(systemd)"
# (keepalived/core/systemd.c: check_parent_systemd). It stamps CLOCK_MONOTONIC
# just before fork()+exec() of the daemon, then reaps until the daemon exits.
_FAKE_SYSTEMD = """\
import ctypes, os, signal, sys, time
ctypes.CDLL(None).prctl(15, b"systemd", 0, 0, 0)  # PR_SET_NAME
stamp, argv = sys.argv[1], sys.argv[2:]
started = time.monotonic_ns()
child = os.fork()
if child == 0:
    os.execv(argv[0], argv)
with open(stamp, "w") as f:
    f.write(str(started))
signal.signal(signal.SIGTERM, lambda *_: os.kill(child, signal.SIGTERM))
while True:
    try:
        pid, status = os.wait()
    except ChildProcessError:
        break
    if pid == child:
        break
"""


@dataclass
class Daemon:
    """One vrrpd or Keepalived in a lab node: its files, its process, its log."""

    impl: Impl
    node: Node
    directory: Path
    log_path: Path
    proc: Proc
    spawned_at: float  # time.monotonic() just before the spawn
    socket_path: Path | None = None  # vrrpd's control socket
    stamp_path: Path | None = None  # under the fake systemd: when it forked the daemon
    _vrrp_pid: int | None = field(default=None, repr=False)

    # ---- processes

    @property
    def running(self) -> bool:
        return self.proc.running

    def main_pid(self) -> int:
        """The daemon's own pid (root namespace); under the fake systemd, its child."""
        if self.stamp_path is None:
            return self.proc.pid
        children = _children(self.proc.pid)  # unshare -> fake systemd -> daemon
        grand = _children(children[0]) if children else []
        if not grand:
            raise BenchError(f"{self.impl} on {self.node.name}: no daemon under the wrapper")
        return grand[0]

    def vrrp_pid(self) -> int:
        """The process that does the VRRP work: vrrpd itself, or Keepalived's VRRP child."""
        if self.impl == "vrrpd":
            return self.main_pid()
        if self._vrrp_pid is None:
            children = wait_until(
                lambda: _children(self.main_pid()),
                5,
                message=f"keepalived's VRRP child on {self.node.name}",
            )
            self._vrrp_pid = children[0]
        return self._vrrp_pid

    def crash(self) -> None:
        """kill -9 of the whole daemon at once (Keepalived: parent and VRRP child)."""
        if self.proc.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    def terminate(self) -> None:
        """SIGTERM to the daemon's main pid, as `kill PID` or systemd's stop would."""
        os.kill(self.main_pid(), signal.SIGTERM)

    # ---- the log

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def is_up(self) -> bool:
        """Started: vrrpd logged ``started``; Keepalived logged ``Startup complete``."""
        if not self.proc.running:
            raise BenchError(f"{self.impl} on {self.node.name} exited: {self.tail()}")
        text = self.log_text()
        if self.impl == "vrrpd":
            return '"event": "started"' in text
        return "Startup complete" in text

    def events(self, event: str) -> list[dict[str, Any]]:
        """vrrpd's JSON log records named ``event``, each with ``at`` (wall clock, s)."""
        found = []
        for line in self.log_text().splitlines():
            if not line.startswith("{") or f'"{event}"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == event:
                record["at"] = datetime.fromisoformat(record["timestamp"]).timestamp()
                found.append(record)
        return found

    def transition_count(self) -> int:
        """State changes logged so far (vrrpd: ``transition``; Keepalived: ``Entering``)."""
        text = self.log_text()
        if self.impl == "vrrpd":
            return text.count('"event": "transition"')
        return len(_ENTERING.findall(text))

    def adverts_received(self) -> tuple[int, float] | None:
        """Adverts the daemon has accepted so far, summed over its instances, and when
        (time.monotonic(), the middle of the query); None if it did not say."""
        asked = time.monotonic()
        count = _vrrpd_received(self) if self.impl == "vrrpd" else _keepalived_received(self)
        return None if count is None else (count, (asked + time.monotonic()) / 2)


_ENTERING = re.compile(r"\) Entering [A-Z]+ STATE")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _vrrpd_received(daemon: Daemon) -> int | None:
    if daemon.socket_path is None:
        return None
    try:
        reply = request(str(daemon.socket_path), "status")
    except (NotRunningError, OSError, ValueError):
        return None
    return sum(int(i["counters"]["adverts_received"]) for i in reply.get("instances", []))


_RECEIVED = re.compile(r"^\s*Received: (\d+)", re.MULTILINE)


def _keepalived_received(daemon: Daemon) -> int | None:
    """SIGUSR2 makes Keepalived write ``$TMPDIR/keepalived.stats``; sum its Received."""
    stats = daemon.directory / "keepalived.stats"
    stats.unlink(missing_ok=True)
    try:
        os.kill(daemon.main_pid(), signal.SIGUSR2)
    except (ProcessLookupError, BenchError):
        return None
    seen: list[str] = []

    def complete() -> bool:  # written, and no longer growing
        seen.append(stats.read_text() if stats.exists() else "")
        return len(seen) > 1 and "Advertisements" in seen[-1] and seen[-1] == seen[-2]

    try:
        wait_until(complete, 5, interval=0.02, message="keepalived.stats")
    except AssertionError:
        return None
    text = seen[-1]
    counts = _RECEIVED.findall(text)
    return sum(int(c) for c in counts) if counts else None


def start(
    impl: Impl,
    node: Node,
    instances: Mapping[str, Mapping[str, Any]],
    *,
    scripts: Mapping[str, Mapping[str, Any]] | None = None,
    tag: str | None = None,
    notify_socket: Path | None = None,
) -> Daemon:
    """Start ``impl`` on ``node`` with these routers; returns at once (see :func:`wait_up`).

    With ``notify_socket`` the daemon runs under a fake systemd (PID 1 of a PID
    namespace of its own, named ``systemd``) with ``NOTIFY_SOCKET`` set, so both
    implementations send ``READY=1``; ``stamp_path`` then holds the fork time.
    """
    directory = node_directory(node, tag or impl)
    number = len(list(directory.glob("*.log"))) + 1
    log_path = directory / f"{impl}-{number}.log"
    env = {"TMPDIR": str(directory)}
    socket_path: Path | None = None
    if impl == "vrrpd":
        socket_path = directory / "vrrpd.sock"
        config = directory / "vrrpd.yaml"
        config.write_text(vrrpd_yaml(node, instances, scripts, socket_path))
        argv = [
            sys.executable, "-m", "vrrpd.daemon", "--config", str(config),
            "--log-format", "json", "--log-level", "info",
        ]  # fmt: skip
    else:
        config = directory / "keepalived.conf"
        config.write_text(keepalived_conf(instances, scripts=scripts))
        # A crash leaves the pid files behind, and Keepalived refuses to start ("daemon is
        # already running") when the pid in one is alive, as any pid of the node may be.
        for stale in ("keepalived.pid", "vrrp.pid", "checkers.pid", "bfd.pid"):
            (directory / stale).unlink(missing_ok=True)
        argv = [
            KEEPALIVED, "-n", "-l", "-D", "-G", "-P", "-f", str(config),
            "-p", str(directory / "keepalived.pid"), "-r", str(directory / "vrrp.pid"),
            "-c", str(directory / "checkers.pid"), "-b", str(directory / "bfd.pid"),
        ]  # fmt: skip
    stamp_path: Path | None = None
    if notify_socket is not None:
        stamp_path = directory / f"forked-{number}"
        stamp_path.unlink(missing_ok=True)
        env["NOTIFY_SOCKET"] = str(notify_socket)
        unshare = shutil.which("unshare") or "/usr/bin/unshare"
        argv = [
            unshare, "--pid", "--fork", "--mount-proc", "--kill-child", "--",
            sys.executable, "-I", "-S", "-c", _FAKE_SYSTEMD, str(stamp_path), *argv,
        ]  # fmt: skip
    spawned_at = time.monotonic()
    proc = node.spawn(argv, env=env, log_path=log_path)
    return Daemon(impl, node, directory, log_path, proc, spawned_at, socket_path, stamp_path)


def wait_up(*daemons: Daemon, timeout: float = START_TIMEOUT) -> None:
    for daemon in daemons:
        wait_until(
            daemon.is_up,
            timeout,
            interval=0.02,
            message=f"{daemon.impl} on {daemon.node.name} up",
        )


# ------------------------------------------------------------------------ the wire


@dataclass(frozen=True, slots=True)
class WireAdvert:
    mono: float
    wall: float
    src: str
    vrid: int
    priority: int
    version: int
    interval: float  # seconds, as the advert states it


@dataclass(frozen=True, slots=True)
class WireGarp:
    mono: float
    wall: float
    src_mac: str
    ip: str


@dataclass
class Wire:
    adverts: list[WireAdvert]
    garps: list[WireGarp]

    def from_src(self, src: str, since: float = 0.0, vrid: int | None = None) -> list[WireAdvert]:
        return [
            a
            for a in self.adverts
            if a.src == src and a.mono >= since and (vrid is None or a.vrid == vrid)
        ]

    def first(self, src: str, since: float, priority: int | None = None) -> WireAdvert | None:
        for a in self.adverts:
            if a.src == src and a.mono >= since and (priority is None or a.priority == priority):
                return a
        return None

    def last_before(self, src: str, before: float) -> WireAdvert | None:
        found = None
        for a in self.adverts:
            if a.mono >= before:
                break
            if a.src == src and a.priority > 0:
                found = a
        return found

    def first_garp(self, mac: str, ip: str, since: float) -> WireGarp | None:
        for g in self.garps:
            if g.mono >= since and g.src_mac == mac and g.ip == ip:
                return g
        return None


_ETH = 14


def wire(capture: Capture, since: float | None = None) -> Wire:
    """Adverts (IPv4, v2/v3) and gratuitous ARPs in the capture, oldest first."""
    adverts: list[WireAdvert] = []
    garps: list[WireGarp] = []
    for frame in capture.frames(since):
        data = frame.data
        if len(data) < _ETH + 28:
            continue
        ethertype = (data[12] << 8) | data[13]
        if ethertype == 0x0800 and data[_ETH + 9] == 112:
            ihl = (data[_ETH] & 0x0F) * 4
            v = _ETH + ihl
            if len(data) < v + 8:
                continue
            version = data[v] >> 4
            interval = (
                data[v + 5] if version == 2 else (((data[v + 4] & 0x0F) << 8) | data[v + 5]) / 100
            )
            adverts.append(
                WireAdvert(
                    frame.mono,
                    frame.wall,
                    socket.inet_ntoa(data[_ETH + 12 : _ETH + 16]),
                    data[v + 1],
                    data[v + 2],
                    version,
                    float(interval),
                )
            )
        elif ethertype == 0x0806:
            sender_ip, target_ip = data[_ETH + 14 : _ETH + 18], data[_ETH + 24 : _ETH + 28]
            if sender_ip == target_ip:
                garps.append(
                    WireGarp(
                        frame.mono, frame.wall, data[6:12].hex(":"), socket.inet_ntoa(sender_ip)
                    )
                )
    return Wire(adverts, garps)


# ------------------------------------------------------------------ kernel addresses

# Runs in the node: every IPv4 address added/removed, with CLOCK_MONOTONIC (ns).
_ADDRESS_LOG = """\
import os, socket, struct, sys, time
try:  # an instrument: woken at once, not after the busy daemons it watches
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
except OSError:
    pass
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind((0, 0x10))  # RTMGRP_IPV4_IFADDR
out = sys.stdout
out.write("ready\\n"); out.flush()
while True:
    data = s.recv(1 << 20)
    at = time.monotonic_ns()
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        if kind in (20, 21) and data[off + 16] == socket.AF_INET:
            a = off + 24
            while a + 4 <= off + length:
                alen, atype = struct.unpack_from("=HH", data, a)
                if alen < 4:
                    break
                if atype == 2:  # IFA_LOCAL
                    ip = socket.inet_ntoa(data[a + 4:a + 8])
                    out.write(f"{at} {'add' if kind == 20 else 'del'} {ip}\\n")
                a += (alen + 3) & ~3
        off += (length + 3) & ~3
    out.flush()
"""


@dataclass(frozen=True, slots=True)
class AddressEvent:
    mono: float
    added: bool
    ip: str


class AddressLog:
    """A node's IPv4 address additions and removals, timed in the node by a process of its own."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.path = node_directory(node, "addrlog") / f"addresses-{time.monotonic_ns()}.log"
        self.proc = node.spawn(
            [sys.executable, "-I", "-S", "-u", "-c", _ADDRESS_LOG], log_path=self.path
        )
        self._offset = 0
        self._events: list[AddressEvent] = []
        wait_until(
            lambda: self.path.read_text().startswith("ready"), 10, message="address log ready"
        )

    def events(self, since: float = 0.0) -> list[AddressEvent]:
        if not self.proc.running:
            raise BenchError(f"{self.node.name}: the address log stopped")
        with open(self.path, "rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1
        self._offset += end
        for line in chunk[:end].decode().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0].isdigit():
                self._events.append(AddressEvent(int(parts[0]) / 1e9, parts[1] == "add", parts[2]))
        return [e for e in self._events if e.mono >= since]

    def first(self, ip: str, *, added: bool, since: float) -> AddressEvent | None:
        for event in self.events(since):
            if event.ip == ip and event.added == added:
                return event
        return None

    def held(self, ips: Iterable[str] | None = None) -> set[str]:
        """Addresses added and not removed since the log started (of ``ips``, if given)."""
        present: set[str] = set()
        for event in self.events():
            if event.added:
                present.add(event.ip)
            else:
                present.discard(event.ip)
        return present if ips is None else present & set(ips)

    def forget(self) -> None:
        """Drop the events seen so far (keeps :meth:`held` right only if nothing is held)."""
        self.events()
        self._events.clear()


# ---------------------------------------------------------------------- the pair


@dataclass
class Pair:
    """A two-node lab (n1 the high-priority node, n2 the backup) and its witnesses."""

    lab: Lab
    n1: Node
    n2: Node
    addresses: dict[str, AddressLog]
    rng: random.Random
    daemons: list[Daemon] = field(default_factory=list)

    @classmethod
    def build(cls, lab: Lab, seed: int) -> Pair:
        n1, n2 = lab.nodes[0], lab.nodes[1]
        logs = {node.name: AddressLog(node) for node in (n1, n2)}
        return cls(lab, n1, n2, logs, random.Random(seed))

    @property
    def capture(self) -> Capture:
        return self.lab.capture

    def log(self, node: Node) -> AddressLog:
        return self.addresses[node.name]

    def start(
        self,
        impl: Impl,
        node: Node,
        instances: Mapping[str, Mapping[str, Any]],
        *,
        scripts: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Daemon:
        daemon = start(impl, node, instances, scripts=scripts)
        self.daemons.append(daemon)
        return daemon

    def reset(self) -> None:
        """Crash every daemon, remove every address but the nodes' own, forget the capture."""
        for daemon in self.daemons:
            daemon.crash()
        self.daemons.clear()
        for node in (self.n1, self.n2):
            remove_vips(node)
            self.log(node).forget()
        self.capture.clear()

    def healthy(self) -> bool:
        """The witnesses still work: the capture runs and both address logs too."""
        return self.capture.running and all(log.proc.running for log in self.addresses.values())


class PairLab:
    """The two-node lab of a whole family: reset after every run, rebuilt if it breaks.

    Its namespaces are named ``<name><6 random hex digits>-n1`` and so on (``bf`` for the
    failover labs, ``bw0``, ``bw1``, ... for the windows' labs), so several labs of one run,
    or of two runs, never share a name (netlab refuses to build over an existing one).
    Build, recover and close it in a thread that outlives it (the main one): each node's
    init is killed when the thread that started it ends.
    """

    def __init__(self, seed: int, name: str = "b") -> None:
        if not re.fullmatch(r"[a-z][a-z0-9]{0,3}", name):
            raise ValueError(f"lab name {name!r}: 1-4 lowercase letters and digits")
        self.seed = seed
        self.name = name
        self.rebuilds = 0
        self._lab: Lab | None = None
        self._pair: Pair | None = None

    def __enter__(self) -> PairLab:
        self._open()
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    @property
    def pair(self) -> Pair:
        if self._pair is None:
            raise BenchError("the lab is not built")
        return self._pair

    def _open(self) -> None:
        lab = Lab(2, ipv6=False, prefix=f"{self.name}{secrets.token_hex(3)}")
        self._lab = lab.build()
        try:
            self._pair = Pair.build(lab, self.seed + self.rebuilds)
        except BaseException:
            self._close()
            raise

    def _close(self) -> None:
        lab, self._lab, self._pair = self._lab, None, None
        if lab is not None:
            lab.close()

    def recover(self) -> str | None:
        """Reset the pair for the next run; rebuild the lab when that fails. Why it was rebuilt."""
        try:
            self.pair.reset()
            if self.pair.healthy():
                return None
            reason = "a witness (capture or address log) stopped"
        except ERRORS as error:
            reason = f"reset failed: {error}"
        with contextlib.suppress(*ERRORS):
            self._close()
        self.rebuilds += 1
        self._open()
        return reason


def remove_vips(node: Node) -> None:
    """Delete every address on eth0 but the node's own (what a crash leaves behind)."""
    stale = [
        a for a in node.addresses(tentative=True) if a.version == 4 and a != node.ipv4_interface
    ]
    if stale:
        commands = "".join(f"addr del {a} dev {node.ifname}\n" for a in stale)
        ip = shutil.which("ip") or "/usr/sbin/ip"
        subprocess.run(
            [ip, "-n", node.name, "-force", "-batch", "-"],
            input=commands,
            text=True,
            capture_output=True,
            check=False,
            timeout=30,
        )


# -------------------------------------------------------------------------- /proc


@dataclass(frozen=True, slots=True)
class CpuSample:
    mono: float
    ticks: int  # utime + stime, in clock ticks
    run_ns: int  # sum of the threads' schedstat run time


def cpu_sample(pid: int) -> CpuSample:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    run_ns = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/schedstat") as f:
            run_ns += int(f.read().split()[0])
    return CpuSample(time.monotonic(), ticks, run_ns)


def cpu_percent(before: CpuSample, after: CpuSample) -> tuple[float, float]:
    """(% of one core from utime+stime, % from schedstat) between two samples."""
    elapsed = after.mono - before.mono
    ticks = (after.ticks - before.ticks) / CLK_TCK
    run = (after.run_ns - before.run_ns) / 1e9
    return 100 * ticks / elapsed, 100 * run / elapsed


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


# ---------------------------------------------------------------------- CPU load


class CpuHog:
    """Both cores busy: ``stress-ng --cpu 2`` if installed, else one pinned Python loop per core.

    Started inside a lab node (as the anchors did), so the lab ends it however
    the run ends.
    """

    def __init__(self, node: Node, cores: int | None = None) -> None:
        self.node = node
        self.cpus = sorted(os.sched_getaffinity(0))
        self.cores = cores or len(self.cpus)
        self.procs: list[Proc] = []
        self.tool = "stress-ng" if shutil.which("stress-ng") else "python busy loop"

    def start(self, seconds: float) -> None:
        """Load every core for ``seconds`` at most (stop() ends it sooner)."""
        stress = shutil.which("stress-ng")
        if stress:
            argv = [stress, "--cpu", str(self.cores), "--timeout", f"{seconds:.0f}s", "--quiet"]
            self.procs.append(self.node.spawn(argv))
            return
        for core in self.cpus[: self.cores]:
            loop = (
                f"import os, time\nos.sched_setaffinity(0, {{{core}}})\n"
                f"end = time.monotonic() + {seconds:.0f}\nwhile time.monotonic() < end:\n    pass\n"
            )
            self.procs.append(self.node.spawn([sys.executable, "-I", "-S", "-c", loop]))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.running:
                with contextlib.suppress(ProcessLookupError):
                    proc.signal_group(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        self.procs.clear()
