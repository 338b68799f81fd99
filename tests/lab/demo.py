"""`make demo`: a live HAProxy failover between two vrrpd nodes, in network namespaces.

Run as root: ``python -m tests.lab.demo``. It builds a lab (see :mod:`tests.lab.netlab`)
of two load balancers, lb1 and lb2, and a client; runs HAProxy and vrrpd on lb1 and
lb2; kills HAProxy on lb1 and watches the VIP move to lb2; starts HAProxy again and
watches lb1 take the VIP back. Each step is timed: adverts and gratuitous ARPs by the
lab's capture (kernel receive times), states and addresses by polling. The lab removes
every namespace and process it made when the demo ends, however it ends; the host's
own interfaces are never touched.

Exit status: 0 when everything happened as the narrative says; 1 when an expectation
failed (what went wrong and the programs' log tails are printed); 130 when interrupted.
"""

from __future__ import annotations

import functools
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path
from types import FrameType
from typing import Any

# The lab's Capture dissects a frame before it imports scapy's IP and VRRP layers, so
# the very first frame it looks at would be read as Ether/Raw and its advert missed.
import scapy.layers.inet
import scapy.layers.vrrp  # noqa: F401

from tests.lab.netlab import Lab, LabError, Node, Proc, lab_unavailable_reason, vip4, wait_until
from vrrpd.ctl import NotRunningError, request
from vrrpd.protocol.model import Version
from vrrpd.protocol.timing import master_down_interval

VIP = vip4()  # 192.0.2.100
VIP_PREFIX = 24
VRID = 51
PORT = 8080
INSTANCE = "VI_WEB"
ADVERT_INT = 1.0
TRACK_INTERVAL = 0.2
TRACK_RISE = 2
TRACK_WEIGHT = -60
HAPROXY_SEARCH_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

# The client's HTTP request, run inside the client node (no proxy, short timeout).
FETCH_SOURCE = """\
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(sys.argv[1], timeout=1.0) as reply:
        sys.stdout.write(reply.read().decode())
except OSError as error:
    sys.stdout.write(f"no answer ({error})")
"""

NOTIFY_SOURCE = """\
#!/bin/sh
# vrrpd notify hook written by `make demo`: one line per transition, into $1.
# vrrpd runs it as: notify.sh LOGFILE INSTANCE VI_WEB <state> <priority>
printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$(date +%s.%N)" "$VRRPD_PREVIOUS_STATE" "$4" "$5" \\
    "$VRRPD_REASON" >> "$1"
"""


class DemoError(Exception):
    """Something did not happen as the demo expected."""


# ------------------------------------------------------------------------- narrative


class Narrator:
    """Prints the story, each line stamped with the seconds since the demo started."""

    def __init__(self) -> None:
        self.start_mono = time.monotonic()
        self.start_wall = time.time()

    def elapsed(self) -> float:
        return time.monotonic() - self.start_mono

    def say(self, text: str) -> None:
        print(f"[{self.elapsed():6.2f}s] {text}", flush=True)

    def step(self, number: int, title: str) -> None:
        print(flush=True)
        self.say(f"== {number}. {title}")

    @staticmethod
    def block(text: str, indent: int = 10) -> None:
        """Text shown as is (a config, a command's output), indented."""
        pad = " " * indent
        print("\n".join(pad + line if line else "" for line in text.splitlines()), flush=True)


# ---------------------------------------------------------------------- load balancers


@dataclass
class Balancer:
    """One load-balancer node: its lab node, its files and the programs it runs."""

    name: str
    node: Node
    priority: int
    workdir: Path
    haproxy: Proc | None = None
    vrrpd: Proc | None = None

    @property
    def control_socket(self) -> Path:
        return self.workdir / f"{self.name}.sock"

    @property
    def notify_log(self) -> Path:
        return self.workdir / f"{self.name}-notify.log"

    @property
    def vrrpd_config(self) -> Path:
        return self.workdir / f"{self.name}-vrrpd.yaml"

    @property
    def haproxy_config(self) -> Path:
        return self.workdir / f"{self.name}-haproxy.cfg"

    @property
    def greeting(self) -> str:
        """What this node's HAProxy answers."""
        return f"served by {self.name}\n"


def haproxy_config_text(lb: Balancer) -> str:
    return f"""\
# HAProxy on {lb.name}, written by `make demo`: it answers every request itself.
global
    log stderr format short local0 notice

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend web
    bind {lb.node.ipv4}:{PORT}
    bind {VIP}:{PORT}      # net.ipv4.ip_nonlocal_bind=1: bound before this node holds it
    http-request return status 200 content-type text/plain string "served by {lb.name}\\n"
"""


def vrrpd_config_text(lb: Balancer, notify_script: Path) -> str:
    return f"""\
# vrrpd on {lb.name}, written by `make demo`.
global:
  router_id: {lb.name}
  control_socket: {lb.control_socket}

scripts:
  chk_haproxy:
    script: pidof haproxy
    interval: {TRACK_INTERVAL:g}    # Keepalived's vrrp_script: once a second at most
    timeout: 1
    fall: 1
    rise: {TRACK_RISE}
    weight: {TRACK_WEIGHT}

instances:
  {INSTANCE}:
    interface: eth0
    vrid: {VRID}
    priority: {lb.priority}
    advert_int: {ADVERT_INT:g}
    virtual_ipaddress: [{VIP}/{VIP_PREFIX}]
    track_script: [chk_haproxy]
    notify: {notify_script} {lb.notify_log}
"""


def write_files(balancers: list[Balancer], workdir: Path) -> None:
    notify_script = workdir / "notify.sh"
    notify_script.write_text(NOTIFY_SOURCE)
    notify_script.chmod(0o755)
    for lb in balancers:
        lb.haproxy_config.write_text(haproxy_config_text(lb))
        lb.vrrpd_config.write_text(vrrpd_config_text(lb, notify_script))


def start_haproxy(lb: Balancer) -> Proc:
    haproxy = shutil.which("haproxy", path=HAPROXY_SEARCH_PATH) or "haproxy"
    lb.haproxy = lb.node.spawn([haproxy, "-db", "-f", str(lb.haproxy_config)])
    return lb.haproxy


def start_vrrpd(lb: Balancer) -> Proc:
    argv = [sys.executable, "-m", "vrrpd.daemon", "--config", str(lb.vrrpd_config)]
    lb.vrrpd = lb.node.spawn([*argv, "--log-format", "console"])
    return lb.vrrpd


def check_running(procs: dict[str, Proc]) -> None:
    """Fail at once if a program that should be running ({label: proc}) has exited."""
    for label, proc in procs.items():
        if not proc.running:
            raise DemoError(f"{label} exited with {proc.returncode} (its log is above)")


def router_status(lb: Balancer) -> dict[str, Any] | None:
    """The instance's status as the control socket sends it (None: no answer).

    The demo reads only ``state`` and ``effective_priority`` from it; the tables the
    user sees come from vrrpctl itself.
    """
    try:
        reply = request(str(lb.control_socket), "status")
    except (NotRunningError, OSError, ValueError):
        return None
    instances = reply.get("instances") if reply.get("ok") else None
    if not instances:
        return None
    status: dict[str, Any] = instances[0]
    return status


def state_of(lb: Balancer) -> str | None:
    status = router_status(lb)
    return None if status is None else str(status["state"])


def priority_of(lb: Balancer) -> int | None:
    status = router_status(lb)
    return None if status is None else int(status["effective_priority"])


def vrrpctl_status(lb: Balancer) -> str:
    """`vrrpctl --socket ... status`, run on the host (the socket is a file)."""
    argv = [sys.executable, "-m", "vrrpd.ctl", "--socket", str(lb.control_socket), "status"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    output = (result.stdout + result.stderr).rstrip()
    if result.returncode != 0:
        raise DemoError(f"`vrrpctl status` for {lb.name} exited {result.returncode}:\n{output}")
    return output


# ------------------------------------------------------------------ address monitor

RTMGRP_IPV4_IFADDR = 0x10
RTM_NEWADDR, RTM_DELADDR = 20, 21
IFA_LOCAL = 2
NLMSG_HEADER = struct.Struct("=IHHII")  # length, type, flags, sequence, port
IFADDRMSG_SIZE = 8  # family, prefix length, flags, scope, interface index
RTATTR_HEADER = struct.Struct("=HH")  # length, type


def address_changes(data: bytes) -> Iterator[tuple[bool, IPv4Address]]:
    """(added, address) for each IPv4 address notification in a netlink datagram."""
    offset = 0
    while offset + NLMSG_HEADER.size <= len(data):
        length, kind, _, _, _ = NLMSG_HEADER.unpack_from(data, offset)
        if length < NLMSG_HEADER.size:
            return
        end = offset + length
        family = data[offset + NLMSG_HEADER.size]
        if kind in (RTM_NEWADDR, RTM_DELADDR) and family == socket.AF_INET:
            attr = offset + NLMSG_HEADER.size + IFADDRMSG_SIZE
            while attr + RTATTR_HEADER.size <= end:
                attr_length, attr_type = RTATTR_HEADER.unpack_from(data, attr)
                if attr_length < RTATTR_HEADER.size:
                    break
                if attr_type == IFA_LOCAL:
                    value = data[attr + RTATTR_HEADER.size : attr + RTATTR_HEADER.size + 4]
                    yield kind == RTM_NEWADDR, IPv4Address(value)
                attr += (attr_length + 3) & ~3
        offset += (length + 3) & ~3


class AddressMonitor:
    """A node's IPv4 address additions and removals, timed as the kernel announces them.

    A thread reads the node's rtnetlink notifications (what `ip monitor address`
    shows), so the times do not depend on how often the demo polls.
    """

    def __init__(self, node: Node) -> None:
        self._sock = node.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self._sock.bind((0, RTMGRP_IPV4_IFADDR))
        self._sock.settimeout(0.1)
        self._events: list[tuple[float, bool, IPv4Address]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name=f"addr-{node.name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            at = time.monotonic()
            with self._lock:
                self._events += [(at, added, ip) for added, ip in address_changes(data)]

    def first(self, address: IPv4Address, *, added: bool, since: float) -> float | None:
        """When ``address`` was first added (or removed) after ``since``, if it was."""
        with self._lock:
            events = list(self._events)
        for at, was_added, ip in events:
            if at >= since and ip == address and was_added == added:
                return at
        return None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1.0)
        self._sock.close()


# ------------------------------------------------------------------------------ client


def fetch(client: Node, host: IPv4Address) -> str:
    """What the client gets from http://HOST:8080/ (``no answer (...)`` if nothing)."""
    url = f"http://{host}:{PORT}/"
    return client.run([sys.executable, "-I", "-c", FETCH_SOURCE, url], timeout=10).stdout


def expect_served_by(client: Node, lb: Balancer, host: IPv4Address, timeout: float) -> str:
    """Ask until ``lb`` answers through ``host``; return what the client got."""
    answers: list[str] = []

    def served() -> bool:
        answers.append(fetch(client, host))
        return answers[-1] == lb.greeting

    try:
        wait_until(served, timeout, interval=0.1)
    except AssertionError:
        raise DemoError(
            f"http://{host}:{PORT}/ should answer {lb.greeting!r}; the client got {answers[-1]!r}"
        ) from None
    return answers[-1]


# --------------------------------------------------------------------------- timelines

# When an event happened (time.monotonic()), or None while it has not.
Probe = Callable[[], float | None]


def polled(condition: Callable[[], bool]) -> Probe:
    """A probe for what can only be polled: its time is when a poll first saw it true.

    That is when the poll's answer came, so the event happened then or shortly before.
    """

    def probe() -> float | None:
        return time.monotonic() if condition() else None

    return probe


def watch(probes: dict[str, Probe], timeout: float, guard: Callable[[], None]) -> dict[str, float]:
    """Poll every probe until each has happened; their times, earliest first.

    ``guard`` is called on every round; it raises when waiting is pointless.
    """
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while True:
        guard()
        for label, probe in probes.items():
            if label not in seen and (at := probe()) is not None:
                seen[label] = at
        if len(seen) == len(probes):
            return dict(sorted(seen.items(), key=lambda item: item[1]))
        if time.monotonic() > deadline:
            missing = "; ".join(label for label in probes if label not in seen)
            raise DemoError(f"not seen within {timeout:g} s: {missing}")
        time.sleep(0.01)


def print_timeline(start: float, start_label: str, events: dict[str, float]) -> None:
    print(f"{'':10}{0:+7.3f} s  {start_label}")
    for label, at in events.items():
        print(f"{'':10}{at - start:+7.3f} s  {label}")


# ---------------------------------------------------------------------------- scenario


class Demo:
    """The scenario, step by step, on a built lab."""

    def __init__(self, lab: Lab, narrator: Narrator) -> None:
        self.lab = lab
        self.narrator = narrator
        self.say = narrator.say
        self.lb1 = Balancer("lb1", lab.node(1), 150, lab.workdir)
        self.lb2 = Balancer("lb2", lab.node(2), 100, lab.workdir)
        self.client = lab.node(3)
        self.lb1_up = 0.0  # when vrrpd on lb1 first answered: BACKUP, timer running
        self.monitors: dict[str, AddressMonitor] = {}

    @property
    def balancers(self) -> list[Balancer]:
        return [self.lb1, self.lb2]

    def run(self) -> None:
        try:
            for lb in self.balancers:
                self.monitors[lb.name] = AddressMonitor(lb.node)
            self.start_programs()
            self.elect()
            self.stop_haproxy()
            self.restart_haproxy()
            self.show_notify_logs()
        finally:
            for monitor in self.monitors.values():
                monitor.close()

    def guard(self) -> None:
        """Raise if a program that should be running is not."""
        procs = {
            f"{program} on {lb.name}": proc
            for lb in self.balancers
            for program, proc in (("vrrpd", lb.vrrpd), ("haproxy", lb.haproxy))
            if proc is not None
        }
        check_running(procs)

    # ---- 1. programs

    def start_programs(self) -> None:
        write_files(self.balancers, self.lab.workdir)
        for lb in self.balancers:
            lb.node.sysctl("net.ipv4.ip_nonlocal_bind", 1)
            start_haproxy(lb)
        for lb in self.balancers:
            expect_served_by(self.client, lb, lb.node.ipv4, timeout=5)
            assert lb.haproxy is not None
            self.say(
                f"HAProxy runs on {lb.name} (pid {lb.haproxy.pid}): "
                f"http://{lb.node.ipv4}:{PORT}/ answers {lb.greeting.strip()!r}"
            )
        self.say(f"vrrpd's config on lb1 ({self.lb1.vrrpd_config.name}; lb2's has priority 100):")
        Narrator.block(self.lb1.vrrpd_config.read_text())
        for lb in self.balancers:  # lb1 first: it is MASTER from the start, no preemption
            proc = start_vrrpd(lb)
            wait_until(
                functools.partial(self.answers, lb),
                10,
                message=f"vrrpd on {lb.name} answers on {lb.control_socket}",
            )
            if lb is self.lb1:
                self.lb1_up = time.monotonic()
            self.say(f"vrrpd runs on {lb.name} (pid {proc.pid}), priority {lb.priority}")

    def answers(self, lb: Balancer) -> bool:
        self.guard()
        return router_status(lb) is not None

    # ---- 2. election

    def elect(self) -> None:
        lb1, lb2 = self.lb1, self.lb2
        mdi = master_down_interval(Version.V3, lb1.priority, ADVERT_INT)
        self.narrator.step(2, "Waiting for a master")
        self.say(
            "Both start as BACKUP. Hearing no master for its Master_Down_Interval "
            f"(3 x advert_int + skew = {mdi:.2f} s at priority {lb1.priority}), lb1 takes over."
        )
        events = watch(
            {
                "lb1 says MASTER (vrrpctl, polled)": polled(lambda: state_of(lb1) == "MASTER"),
                "lb1 sends its first advert (on the wire)": self.first_advert(lb1, self.lb1_up),
                f"{VIP} added on lb1 (netlink)": self.vip_added(lb1, self.lb1_up),
                f"lb1's first gratuitous ARP for {VIP} (on the wire)": self.first_garp(
                    lb1, self.lb1_up
                ),
            },
            timeout=10,
            guard=self.guard,
        )
        print_timeline(
            self.lb1_up, "vrrpd on lb1 is up (BACKUP, its control socket answers)", events
        )
        if self.lab.capture.adverts(vrid=VRID, src=lb2.node.ipv4):
            raise DemoError("lb2 sent adverts: it was MASTER for a while, lb1 should have been")
        if state_of(lb2) != "BACKUP":
            raise DemoError(f"lb2 is {state_of(lb2)}, not BACKUP")
        self.expect_single_holder(lb1)
        self.show_status()
        got = expect_served_by(self.client, lb1, VIP, timeout=5)
        self.say(f"The client ({self.client.ipv4}) asks http://{VIP}:{PORT}/ -> {got.strip()!r}")

    # ---- 3. failover

    def stop_haproxy(self) -> None:
        lb1, lb2 = self.lb1, self.lb2
        haproxy = lb1.haproxy
        assert haproxy is not None
        degraded = lb1.priority + TRACK_WEIGHT
        mdi = master_down_interval(Version.V3, lb2.priority, ADVERT_INT)
        self.narrator.step(3, "Stopping HAProxy on lb1")
        self.say(
            f"vrrpd runs `pidof haproxy` every {TRACK_INTERVAL:g} s (Keepalived's scripts "
            "can't run more often than once per second), so lb1's priority soon drops to "
            f"{lb1.priority} {TRACK_WEIGHT:+d} = {degraded}, below lb2's {lb2.priority}. "
            "lb2 ignores the adverts of a lower priority (RFC 9568 preemption) and takes "
            f"over {mdi:.2f} s (its Master_Down_Interval) after lb1's last advert at "
            f"{lb1.priority}."
        )
        lb1.haproxy = None  # no longer expected to run
        killed = time.monotonic()
        haproxy.kill()  # SIGKILL to the pid: no other haproxy is touched
        haproxy.wait(5)
        with ThreadPoolExecutor(max_workers=1) as pool:
            meanwhile = pool.submit(fetch, self.client, VIP)
            events = watch(
                {
                    f"lb1's priority is {degraded} (vrrpctl, polled)": polled(
                        lambda: priority_of(lb1) == degraded
                    ),
                    f"lb1 advertises priority {degraded} (on the wire)": self.first_advert(
                        lb1, killed, priority=degraded
                    ),
                    "lb2 sends its first advert as MASTER (on the wire)": self.first_advert(
                        lb2, killed
                    ),
                    f"{VIP} added on lb2 (netlink)": self.vip_added(lb2, killed),
                    f"lb2's first gratuitous ARP for {VIP} (on the wire)": self.first_garp(
                        lb2, killed
                    ),
                    f"{VIP} removed from lb1 (netlink)": self.vip_removed(lb1, killed),
                },
                timeout=10,
                guard=self.guard,
            )
            print_timeline(killed, f"SIGKILL to haproxy on lb1 (pid {haproxy.pid})", events)
            self.say(f"Right after the kill, the client got: {meanwhile.result().strip()!r}")
        wait_until(lambda: state_of(lb1) == "BACKUP", 5, message="lb1 goes back to BACKUP")
        self.expect_single_holder(lb2)
        got = expect_served_by(self.client, lb2, VIP, timeout=5)
        self.say(f"Now the client asks http://{VIP}:{PORT}/ -> {got.strip()!r}")
        self.show_status()

    # ---- 4. preemption

    def restart_haproxy(self) -> None:
        lb1, lb2 = self.lb1, self.lb2
        mdi = master_down_interval(Version.V3, lb1.priority + TRACK_WEIGHT, ADVERT_INT)
        self.narrator.step(4, "Starting HAProxy on lb1 again")
        self.say(
            f"After {TRACK_RISE} good checks in a row (rise {TRACK_RISE}) lb1 is back at "
            f"priority {lb1.priority}. It ignores lb2's adverts from then on and preempts when "
            f"the Master_Down_Interval it set at priority {lb1.priority + TRACK_WEIGHT} "
            f"({mdi:.2f} s) runs out after the last one it accepted."
        )
        started = time.monotonic()
        haproxy = start_haproxy(lb1)
        events = watch(
            {
                f"lb1's priority is {lb1.priority} again (vrrpctl, polled)": polled(
                    lambda: priority_of(lb1) == lb1.priority
                ),
                "lb1 sends its first advert as MASTER (on the wire)": self.first_advert(
                    lb1, started
                ),
                f"{VIP} added on lb1 (netlink)": self.vip_added(lb1, started),
                f"lb1's first gratuitous ARP for {VIP} (on the wire)": self.first_garp(
                    lb1, started
                ),
                f"{VIP} removed from lb2 (netlink)": self.vip_removed(lb2, started),
            },
            timeout=10,
            guard=self.guard,
        )
        print_timeline(started, f"haproxy started on lb1 (pid {haproxy.pid})", events)
        wait_until(lambda: state_of(lb2) == "BACKUP", 5, message="lb2 goes back to BACKUP")
        self.expect_single_holder(lb1)
        got = expect_served_by(self.client, lb1, VIP, timeout=5)
        self.say(f"The client asks http://{VIP}:{PORT}/ -> {got.strip()!r}")
        self.show_status()

    # ---- 5. notify hooks

    def show_notify_logs(self) -> None:
        self.narrator.step(5, "What the notify hook logged on each node")
        self.show_notify_log(self.lb1, ["BACKUP", "MASTER", "BACKUP", "MASTER"])
        self.show_notify_log(self.lb2, ["BACKUP", "MASTER", "BACKUP"])

    def show_notify_log(self, lb: Balancer, expected: list[str]) -> None:
        wait_until(
            lambda: len(notify_lines(lb)) >= len(expected),
            5,
            message=f"{lb.name}'s notify hook ran for every transition",
        )
        self.say(f"{lb.notify_log.name}:")
        states = []
        for fields in notify_lines(lb):
            stamp, previous, state, priority, reason = (fields + [""] * 5)[:5]
            at = float(stamp) - self.narrator.start_wall
            states.append(state)
            transition = f"{previous} -> {state}"
            print(f"{'':10}[{at:6.2f}s] {transition:<16} priority {priority:>3}  {reason}")
        if states != expected:
            raise DemoError(f"{lb.name} went through {states}, expected {expected}")

    # ---- checks shared by the steps

    def expect_single_holder(self, holder: Balancer) -> None:
        for lb in self.balancers:
            if lb.node.has_address(VIP) != (lb is holder):
                verb = "does not hold" if lb is holder else "holds"
                raise DemoError(f"{lb.name} {verb} {VIP}; only {holder.name} should hold it")

    def show_status(self) -> None:
        for lb in self.balancers:
            self.say(f"$ vrrpctl --socket {lb.control_socket.name} status    # on {lb.name}")
            Narrator.block(vrrpctl_status(lb))

    def first_advert(self, lb: Balancer, since: float, priority: int | None = None) -> Probe:
        """When ``lb``'s first advert (of ``priority``, if given) after ``since`` was seen."""

        def probe() -> float | None:
            for advert in self.lab.capture.adverts(vrid=VRID, src=lb.node.ipv4, since=since):
                if priority is None or advert.priority == priority:
                    return advert.mono
            return None

        return probe

    def vip_added(self, lb: Balancer, since: float) -> Probe:
        monitor = self.monitors[lb.name]
        return lambda: monitor.first(VIP, added=True, since=since)

    def vip_removed(self, lb: Balancer, since: float) -> Probe:
        monitor = self.monitors[lb.name]
        return lambda: monitor.first(VIP, added=False, since=since)

    def first_garp(self, lb: Balancer, since: float) -> Probe:
        """When ``lb``'s first gratuitous ARP for the VIP after ``since`` was seen."""

        def probe() -> float | None:
            for garp in self.lab.capture.gratuitous_arps(ip=VIP, since=since):
                if garp.src_mac == lb.node.mac:
                    return garp.mono
            return None

        return probe


def notify_lines(lb: Balancer) -> list[list[str]]:
    """The notify log's lines, split into their tab-separated fields."""
    try:
        text = lb.notify_log.read_text()
    except FileNotFoundError:
        return []
    return [line.split("\t") for line in text.splitlines() if line]


# --------------------------------------------------------------------------------- main


def print_notes(error: BaseException) -> None:
    """What the lab added to the exception (where it kept its logs)."""
    for note in getattr(error, "__notes__", []):
        print(f"  {note}", file=sys.stderr)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_demo(narrator: Narrator) -> None:
    narrator.step(
        1,
        "Building a two-node lab in network namespaces "
        "(nothing touches this host's own interfaces)",
    )
    lab = Lab(nodes=3, ipv6=False)
    with lab:
        narrator.say(f"Namespaces {', '.join(lab.namespaces)}, built in {lab.build_seconds:.2f} s")
        narrator.say(
            f"lb1 {lab.node(1).ipv4}, lb2 {lab.node(2).ipv4} and a client {lab.node(3).ipv4} "
            f"on one bridge; the VIP is {VIP}; files in {lab.workdir}"
        )
        try:
            Demo(lab, narrator).run()
        except Exception:
            print(flush=True)
            narrator.say("Diagnostics: every program the demo started, and its log's end")
            Narrator.block(lab.save_diagnostics(), indent=4)
            raise
        narrator.step(6, "Cleaning up")
    leftover = [name for name in lab.namespaces if Path(f"/run/netns/{name}").exists()]
    if leftover:
        raise DemoError(f"namespaces left behind: {leftover}")
    narrator.say(f"Every namespace and process of the lab is gone ({lab.close_seconds:.2f} s)")


def main() -> int:
    reason = lab_unavailable_reason()
    if reason is not None:
        print(f"make demo: {reason}", file=sys.stderr)
        return 1
    if shutil.which("haproxy", path=HAPROXY_SEARCH_PATH) is None:
        print("make demo: haproxy not found; install it: apt-get install haproxy", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)  # clean up on `kill` too, as on Ctrl-C
    narrator = Narrator()
    try:
        run_demo(narrator)
    except KeyboardInterrupt as interrupt:
        print("\nInterrupted: the lab's namespaces and processes have been removed.")
        print_notes(interrupt)
        return 130
    except (DemoError, AssertionError, LabError, OSError, subprocess.SubprocessError) as error:
        print(f"\nmake demo FAILED: {error}", file=sys.stderr)
        print_notes(error)
        return 1
    print(flush=True)
    narrator.say(f"Demo complete in {narrator.elapsed():.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
