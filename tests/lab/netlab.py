"""A network lab of Linux namespaces for running real vrrpd (and Keepalived) processes.

Shape of a lab (every name carries a random prefix, e.g. ``vl3fa2c1``)::

    <prefix>-n1  eth0 192.0.2.11/24 2001:db8::11/64 ──┐
    <prefix>-n2  eth0 192.0.2.12/24 2001:db8::12/64 ──┤ br0 in <prefix>-sw
    ...                                               │ (multicast snooping off,
    <prefix>-obs eth0 (no address, capturing)  ───────┘  so 224.0.0.18 and ff02::12
                                                          reach every port)

Every interface is created inside a namespace the lab made (``ip -n <prefix>-sw link
add to-n1 type veth peer name eth0 netns <prefix>-n1``): nothing ever appears in, or
is added to, the root namespace. Only 192.0.2.0/24 and 2001:db8::/64 are used; VIPs
for tests come from :func:`vip4` / :func:`vip6` (.100 and up, ::100 and up).

IPv6: node addresses are added with ``nodad`` and each node's eth0 runs DAD with a
100 ms retransmit timer and no start delay, so the kernel's link-local address (which
VRRPv3 over IPv6 sends from) is usable about 0.1 s after the link comes up. The lab
waits for that. DAD itself stays on, so a VIP added without ``nodad`` is tentative for
a moment, as on a real host (the 100 ms timer also paces neighbour solicitations).
The switch and the observer have IPv6 disabled: they send nothing.

PID namespaces. Each node has one long-lived init: ``setpriv --pdeathsig KILL -- ip
netns exec NS unshare --pid --fork --mount-proc --kill-child -- python -c INIT``.
It is PID 1 of the node's PID namespace, with /proc remounted for it (and /sys for
the netns, which ``ip netns exec`` does); it only reaps orphans. Programs are started
by a short-lived helper *thread* of the test process that enters the node with
``setns(2)``: net, mount and ``pid_for_children`` (after ``unshare(CLONE_FS)``, which
entering a mount namespace needs). A ``subprocess.Popen`` from that thread creates the
program directly inside the node's namespaces, so

* there is no wrapper: ``Proc.pid`` is the program itself (as the root namespace sees
  it) and ``proc.kill()`` / ``proc.terminate()`` / ``proc.send_signal()`` reach the
  program, exactly like ``kill -9 <keepalived pid>`` on a real host;
* all programs of a node share one PID namespace (``pidof haproxy`` in node 1 sees
  node 1's haproxy and vrrpd, and nothing of node 2);
* the test process stays the parent, so ``proc.wait()`` gives the real exit status.

(``nsenter --target INIT --pid ...`` would work too, but nsenter forks: its pid is a
wrapper that does not pass signals on, and a test would have to find the real
program among its children.) The node's mount namespace is a private copy taken
when the node started: files are shared with the host, mounts made later are not.

The test's own threads never change namespace. ``Node.kill_all()`` SIGKILLs every
process of a node. Closing the lab SIGKILLs every program it started, then each init,
which makes the kernel kill whatever is left in that PID namespace, then deletes the
namespaces (which deletes the veths and the bridge). If the test process itself dies
hard, the chain still ends the processes: the wrapper has a parent-death SIGKILL
(bound to the thread that built the lab: build labs in a thread that outlives them),
``unshare --kill-child`` passes it to the init, and the init's death empties the PID
namespace. The namespace names such a run leaves behind are recorded under
``/run/vrrpd-netlab/`` and removed by :func:`sweep_stale_labs`, which every new lab
calls (it removes only the recorded names of labs whose owner process is gone).

Capture. The observer has an AF_PACKET socket on its eth0 read by a background
thread; every frame on the segment is kept with its kernel receive time
(``SO_TIMESTAMPNS``, wall clock) and that time on ``time.monotonic()``'s scale, so a
test can compare "when I sent the SIGKILL" with "when the first advert was on the
wire". Scapy decodes adverts, gratuitous ARPs and unsolicited NAs on demand.

Example::

    with Lab(nodes=2) as lab:
        n1, n2 = lab.nodes
        vrrpd = n1.spawn(["vrrpd", "-f", "n1.yaml"])
        wait_until(lambda: lab.capture.adverts(src=n1.ipv4), 5, message="n1 advertises")
        vrrpd.kill()                      # SIGKILL to vrrpd itself
        wait_until(lambda: n2.has_address(vip4()), 5, message="VIP moved to n2")

Wait on conditions with :func:`wait_until`, never with fixed sleeps.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ipaddress
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

__all__ = [
    "Advert",
    "Capture",
    "CaptureStats",
    "Frame",
    "GratuitousArp",
    "Lab",
    "LabError",
    "LabFactory",
    "Namespace",
    "Node",
    "Proc",
    "UnsolicitedNa",
    "lab_unavailable_reason",
    "sweep_stale_labs",
    "vip4",
    "vip6",
    "wait_until",
]

T = TypeVar("T")
R = TypeVar("R")
IPAddress = IPv4Address | IPv6Address

LAB_NET_V4 = ipaddress.IPv4Network("192.0.2.0/24")
LAB_NET_V6 = ipaddress.IPv6Network("2001:db8::/64")
MAX_NODES = 50  # nodes use .11-.60 and ::11-::60; VIPs .100 and ::100 up
VRRP_PROTO = 112
STATE_DIR = Path("/run/vrrpd-netlab")
NODE_IFNAME = "eth0"
BRIDGE = "br0"
OBSERVER_MAC = "02:00:00:00:00:fe"
DAD_RETRANS_MS = 100

_PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{1,9}$")
_TOOLS = {
    "ip": "iproute2",
    "unshare": "util-linux",
    "setpriv": "util-linux",
}

# Node init: PID 1 of the node's PID namespace. It reaps orphans and nothing else;
# SIGKILL from the test (an ancestor namespace) ends it and, with it, the namespace.
_INIT_SOURCE = """\
import os, signal
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
os.write(1, b"ready\\n")
os.close(1)
while True:
    signal.sigtimedwait({signal.SIGCHLD}, 60)
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
"""


class LabError(RuntimeError):
    """The lab could not be built, used or torn down as asked."""


# --------------------------------------------------------------------------- waiting


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    interval: float = 0.01,
    message: str | Callable[[], str] = "condition",
) -> T:
    """Poll ``predicate`` until it returns something truthy, and return that.

    Raises AssertionError naming ``message`` (a string, or a callable for details
    computed only on failure) and the last value seen if ``timeout`` seconds pass.
    The predicate is always tried at least once, and once more at the deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            text = message() if callable(message) else message
            raise AssertionError(f"{text}: not true after {timeout:g} s (last value: {value!r})")
        time.sleep(min(interval, remaining))


def vip4(k: int = 0) -> IPv4Address:
    """The k-th test VIP: 192.0.2.100, .101, ... (never a node address)."""
    if not 0 <= k < 100:
        raise ValueError(f"VIP index {k} out of range 0..99")
    return IPv4Address(f"192.0.2.{100 + k}")


def vip6(k: int = 0) -> IPv6Address:
    """The k-th IPv6 test VIP: 2001:db8::100, ::101, ... (digits match vip4)."""
    if not 0 <= k < 100:
        raise ValueError(f"VIP index {k} out of range 0..99")
    return IPv6Address(f"2001:db8::1{k:02d}")


# ------------------------------------------------------------------ kernel plumbing

_CLONE_FS = 0x00000200
_CLONE_NEWNS = 0x00020000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_SO_TIMESTAMPNS = 35  # SO_TIMESTAMPNS_OLD; a 64-bit timespec on 64-bit Linux
_SO_RCVBUFFORCE = 33
_SOL_PACKET = 263
_PACKET_STATISTICS = 6
_ETH_P_ALL = 0x0003


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _call_in_namespaces(
    targets: Sequence[tuple[int, int]], fn: Callable[[], T], *, private_fs: bool
) -> T:
    """Run ``fn`` in a fresh thread that has entered the namespaces ``targets``.

    ``targets`` are (open namespace fd, CLONE_NEW* type). setns(2) changes only the
    calling thread, so the caller's threads never leave the root namespaces; sockets
    and child processes the thread creates belong to the namespaces it entered.
    """
    outcome: list[tuple[bool, Any]] = []

    def body() -> None:
        try:
            libc = _libc()
            if private_fs:
                _check(libc.unshare(_CLONE_FS), "unshare(CLONE_FS)")
            for fd, nstype in targets:
                _check(libc.setns(fd, nstype), f"setns(type {nstype:#x})")
            outcome.append((True, fn()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=body, name="netlab-setns", daemon=True)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    result: T = value
    return result


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if path is None:
        raise LabError(f"`{name}` not found: install the Debian package {_TOOLS.get(name, name)}")
    return path


def _run(
    argv: Sequence[str], *, stdin: str | None = None, check: bool = True, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        list(argv), input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        shown = " ".join(argv)
        detail = (result.stderr or result.stdout).strip()
        commands = f"\ncommands:\n{stdin}" if stdin else ""
        raise LabError(f"`{shown}` exited {result.returncode}: {detail}{commands}")
    return result


def _ip_batch(commands: Iterable[str], *, netns: str | None = None, force: bool = False) -> None:
    argv = [_tool("ip")]
    if netns is not None:
        argv += ["-n", netns]
    if force:
        argv.append("-force")
    _run([*argv, "-batch", "-"], stdin="".join(f"{c}\n" for c in commands), check=not force)


def _ns_identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


def _proc_start_time(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat (start time in clock ticks), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _inet_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def lab_unavailable_reason() -> str | None:
    """Why lab tests cannot run here (not root, a tool missing), or None."""
    if os.geteuid() != 0:
        return "lab tests need root: they create network and PID namespaces (run as root)"
    for name, package in _TOOLS.items():
        if shutil.which(name) is None and shutil.which(name, path="/usr/sbin:/sbin") is None:
            return f"lab tests need `{name}` (Debian package {package})"
    return None


# ---------------------------------------------------------------------- namespaces


class Namespace:
    """A named network namespace (``/run/netns/<name>``) the lab created."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def enter(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` in a helper thread that is inside this network namespace."""
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY | os.O_CLOEXEC)
        try:
            return _call_in_namespaces([(fd, _CLONE_NEWNET)], fn, private_fs=False)
        finally:
            os.close(fd)

    def socket(self, family: int, type: int, proto: int = 0) -> socket.socket:
        """A socket that lives in this namespace (the caller owns and closes it)."""
        return self.enter(lambda: socket.socket(family, type, proto))

    def sysctl(self, key: str, value: str | int | None = None) -> str:
        """Read (and with ``value``, first write) ``net.*`` sysctl ``key`` in this netns."""
        path = "/proc/sys/" + key.replace(".", "/")

        def access() -> str:
            if value is not None:
                with open(path, "w") as f:
                    f.write(str(value))
            with open(path) as f:
                return f.read().strip()

        return self.enter(access)

    def ip(self, *args: str, check: bool = True) -> str:
        """``ip -n <name> args...``; returns stdout, raises LabError on failure."""
        return _run([_tool("ip"), "-n", self.name, *args], check=check).stdout

    def ip_json(self, *args: str) -> list[dict[str, Any]]:
        out = self.ip("-j", *args)
        parsed: list[dict[str, Any]] = json.loads(out) if out.strip() else []
        return parsed

    def ifindex(self, ifname: str) -> int:
        return self.enter(lambda: socket.if_nametoindex(ifname))


# ------------------------------------------------------------------------ processes


class Proc:
    """A program started in a node by :meth:`Node.spawn`.

    ``pid`` is the program itself as the root namespace sees it; signals go to it,
    not to a wrapper. ``ns_pid`` is its pid inside the node (what ``pidof`` prints
    there). The program runs in its own session and process group.
    """

    def __init__(
        self, node: Node, argv: Sequence[str], popen: subprocess.Popen[bytes], log_path: Path
    ) -> None:
        self.node = node
        self.argv = tuple(argv)
        self.popen = popen
        self.pid = popen.pid
        self.log_path = log_path
        self.ns_pid = -1  # read by spawn() from the root /proc (the node's /proc hides it)

    def __repr__(self) -> str:
        state = "running" if self.returncode is None else f"exited {self.returncode}"
        return f"<Proc {self.node.name} pid={self.pid} ns_pid={self.ns_pid} {self.argv!r} {state}>"

    def _read_ns_pid(self) -> int:
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("NSpid:"):
                        return int(line.split()[-1])
        except OSError:
            pass
        return -1

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for exit; the status as subprocess gives it (-9 after SIGKILL)."""
        return self.popen.wait(timeout)

    def send_signal(self, sig: int) -> None:
        """Signal the program (a no-op once it has exited and been reaped)."""
        self.popen.send_signal(sig)

    def terminate(self) -> None:
        """SIGTERM to the program."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL to the program (only it: its children live on, as on a real host)."""
        self.send_signal(signal.SIGKILL)

    def signal_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal the program's whole process group (it and children that stayed in it)."""
        if self.popen.poll() is None:
            os.killpg(self.pid, sig)

    def log_text(self) -> str:
        """Everything the program wrote to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")


class _NodeInit:
    """The PID 1 of a node's PID namespace, and open handles on its namespaces."""

    def __init__(self, netns: str, log_path: Path) -> None:
        self.netns = netns
        self.log_path = log_path
        self.wrapper: subprocess.Popen[bytes] | None = None
        self.pid = -1
        self.pidfd = -1
        self.ns_fds: list[tuple[int, int]] = []
        self.pidns: tuple[int, int] | None = None

    def start(self) -> None:
        argv = [
            _tool("setpriv"), "--pdeathsig", "KILL", "--",
            _tool("ip"), "netns", "exec", self.netns,
            _tool("unshare"), "--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL", "--",
            sys.executable, "-I", "-S", "-c", _INIT_SOURCE,
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.wrapper = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log
            )

    def await_ready(self, timeout: float = 10.0) -> None:
        wrapper = self.wrapper
        assert wrapper is not None and wrapper.stdout is not None
        ready, _, _ = select.select([wrapper.stdout], [], [], timeout)
        line = wrapper.stdout.readline() if ready else b""
        wrapper.stdout.close()
        if line != b"ready\n":
            log = self.log_path.read_text(errors="replace").strip()
            raise LabError(f"init of {self.netns} did not start: {log or 'no output'}")
        with open(f"/proc/{wrapper.pid}/task/{wrapper.pid}/children") as f:
            children = [int(p) for p in f.read().split()]
        if len(children) != 1:
            raise LabError(f"init of {self.netns}: expected one child of unshare, got {children}")
        self.pid = children[0]
        self.pidfd = os.pidfd_open(self.pid)
        base = f"/proc/{self.pid}/ns"
        for name, nstype in (("net", _CLONE_NEWNET), ("mnt", _CLONE_NEWNS), ("pid", _CLONE_NEWPID)):
            self.ns_fds.append((os.open(f"{base}/{name}", os.O_RDONLY | os.O_CLOEXEC), nstype))
        self.pidns = _ns_identity(f"{base}/pid")

    def kill(self) -> None:
        if self.pidfd >= 0:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        elif self.wrapper is not None and self.wrapper.poll() is None:
            self.wrapper.kill()  # init never came up: end the wrapper (it kills its child)

    def reap(self, timeout: float) -> None:
        if self.wrapper is not None:
            try:
                self.wrapper.wait(timeout)
            except subprocess.TimeoutExpired:
                self.wrapper.kill()
                self.wrapper.wait(timeout)
            if self.wrapper.stdout is not None:
                self.wrapper.stdout.close()
        for fd, _ in self.ns_fds:
            os.close(fd)
        self.ns_fds.clear()
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1


class Node(Namespace):
    """One lab node: a network namespace with eth0 on the bridge and a PID namespace."""

    def __init__(self, lab: Lab, index: int, *, ipv6: bool) -> None:
        super().__init__(f"{lab.prefix}-n{index}")
        self.index = index
        self.ifname = NODE_IFNAME
        digits = f"{10 + index}"  # the same digits in the v4, v6 and MAC addresses
        self.ipv4 = IPv4Address(f"192.0.2.{digits}")
        self.ipv4_interface = IPv4Interface(f"{self.ipv4}/24")
        self.ipv6: IPv6Address | None = IPv6Address(f"2001:db8::{digits}") if ipv6 else None
        self.mac = f"02:00:00:00:00:{digits}"
        self.switch_port = f"to-n{index}"
        self.link_local: IPv6Address | None = None
        self.ifindex_eth0 = -1
        self._lab = lab
        self._init = _NodeInit(self.name, lab.workdir / f"{self.name}-init.log")
        self._procs: list[Proc] = []
        self._spawned = 0
        self._lock = threading.Lock()

    # ---- processes

    @property
    def init_pid(self) -> int:
        """Root-namespace pid of this node's PID 1."""
        return self._init.pid

    @property
    def pidns(self) -> tuple[int, int]:
        """(st_dev, st_ino) of the node's PID namespace, as /proc/PID/ns/pid shows it."""
        if self._init.pidns is None:
            raise LabError(f"{self.name}: the node's PID namespace is not up")
        return self._init.pidns

    @property
    def procs(self) -> list[Proc]:
        with self._lock:
            return list(self._procs)

    def _enter_node(self, fn: Callable[[], T]) -> T:
        if not self._init.ns_fds:
            raise LabError(f"{self.name}: the node's namespaces are not up")
        return _call_in_namespaces(self._init.ns_fds, fn, private_fs=True)

    @staticmethod
    def _environment(env: Mapping[str, str] | None) -> dict[str, str]:
        merged = dict(os.environ)
        if env:
            merged.update(env)
        return merged

    def spawn(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        log_path: str | os.PathLike[str] | None = None,
    ) -> Proc:
        """Start ``argv`` in this node's network, mount and PID namespaces.

        ``env`` is added to the test's environment. stdout and stderr go to
        ``log_path`` (default: ``<workdir>/<node>-<program>-<n>.log``). The lab kills
        the program on close if it still runs.
        """
        if not argv:
            raise ValueError("spawn needs a program")
        with self._lock:
            self._spawned += 1
            number = self._spawned
        default = self._lab.workdir / f"{self.name}-{Path(argv[0]).name}-{number}.log"
        path = Path(log_path) if log_path is not None else default
        cwd = os.getcwd()
        environment = self._environment(env)
        with open(path, "ab") as log:

            def start() -> Proc:
                popen = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=cwd,
                    env=environment,
                    start_new_session=True,
                )
                proc = Proc(self, argv, popen, path)
                with self._lock:  # registered before anyone can lose track of it
                    self._procs.append(proc)
                return proc

            proc = self._enter_node(start)
        proc.ns_pid = proc._read_ns_pid()
        return proc

    def run(
        self,
        argv: Sequence[str],
        *,
        check: bool = False,
        timeout: float = 30.0,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` to completion inside the node (as :meth:`spawn` places it)."""
        cwd = os.getcwd()
        environment = self._environment(env)
        return self._enter_node(
            lambda: subprocess.run(
                list(argv),
                input=input,
                capture_output=True,
                text=True,
                check=check,
                timeout=timeout,
                cwd=cwd,
                env=environment,
            )
        )

    def pidof(self, program: str) -> list[int]:
        """Pids (as the node sees them) of ``program``, by ``pidof`` run in the node."""
        out = self.run(["pidof", program]).stdout
        return sorted(int(p) for p in out.split())

    def processes(self) -> list[int]:
        """Root-namespace pids of the live processes in this node but its init.

        Zombies (exited, not yet reaped) are left out: they are dead.
        """
        pidns = self.pidns
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == self._init.pid:
                continue
            try:
                if _ns_identity(f"/proc/{entry}/ns/pid") != pidns:
                    continue
                with open(f"/proc/{entry}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue  # exited while we looked
            if state not in ("Z", "X"):
                found.append(int(entry))
        return sorted(found)

    def kill_all(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to every process in the node but its init (a crash of the node)."""
        pidns = self.pidns
        for pid in self.processes():
            try:
                pidfd = os.pidfd_open(pid)
            except ProcessLookupError:
                continue
            try:  # the pidfd pins the process: check it is still the one we found
                if _ns_identity(f"/proc/{pid}/ns/pid") == pidns:
                    signal.pidfd_send_signal(pidfd, sig)
            except (ProcessLookupError, FileNotFoundError):
                pass
            finally:
                os.close(pidfd)

    # ---- network

    def addresses(
        self, ifname: str = NODE_IFNAME, *, tentative: bool = True
    ) -> list[IPv4Interface | IPv6Interface]:
        """Addresses on ``ifname`` in the kernel's order (``ip -j addr``)."""
        found: list[IPv4Interface | IPv6Interface] = []
        for link in self.ip_json("addr", "show", "dev", ifname):
            for info in link.get("addr_info", []):
                if not tentative and info.get("tentative"):
                    continue
                text = f"{info['local']}/{info['prefixlen']}"
                if info["family"] == "inet":
                    found.append(IPv4Interface(text))
                elif info["family"] == "inet6":
                    found.append(IPv6Interface(text))
        return found

    def has_address(self, address: IPAddress | str, ifname: str = NODE_IFNAME) -> bool:
        wanted = ipaddress.ip_address(address)
        return any(i.ip == wanted for i in self.addresses(ifname))

    def operstate(self, ifname: str = NODE_IFNAME) -> str:
        """The kernel's operstate of ``ifname``: UP, DOWN, LOWERLAYERDOWN, ..."""
        links = self.ip_json("link", "show", "dev", ifname)
        return str(links[0]["operstate"]) if links else "ABSENT"

    def _lab_addresses(self) -> list[str]:
        if self.ipv4 not in LAB_NET_V4 or (self.ipv6 is not None and self.ipv6 not in LAB_NET_V6):
            raise LabError(f"{self.name}: address outside the documentation ranges")
        commands = [f"addr replace {self.ipv4_interface} dev {self.ifname}"]
        if self.ipv6 is not None:
            commands.append(f"addr replace {self.ipv6}/64 dev {self.ifname} nodad")
        return commands

    def set_link(self, up: bool, *, wait: bool = True) -> None:
        """Set eth0 administratively up or down (the node's own side).

        Going down, the kernel drops the node's IPv6 addresses; going up, the lab
        puts its addresses back (as a network manager would) and, with ``wait``,
        waits until the link-local address has passed DAD.
        """
        if up:
            _ip_batch([*self._lab_addresses(), f"link set {self.ifname} up"], netns=self.name)
            if wait and self.ipv6 is not None:
                self.wait_for_dad()
        else:
            self.ip("link", "set", self.ifname, "down")

    def set_switch_port(self, up: bool, *, wait: bool = True) -> None:
        """Pull (or plug back) the node's cable: its port on the bridge goes down/up.

        The node's eth0 stays administratively up and loses carrier (operstate DOWN,
        NO-CARRIER); its addresses stay. Plugged back, the link-local address goes
        through DAD again: with ``wait``, this waits for carrier and DAD.
        """
        self._lab.switch.ip("link", "set", self.switch_port, "up" if up else "down")
        if wait:
            wait_until(lambda: self.carrier() == up, 5, message=f"{self.name}: carrier {up}")
            if up and self.ipv6 is not None:
                self.wait_for_dad()

    def carrier(self, ifname: str = NODE_IFNAME) -> bool:
        """Whether ``ifname`` has carrier (LOWER_UP): false when down or unplugged."""
        links = self.ip_json("link", "show", "dev", ifname)
        return bool(links) and "LOWER_UP" in links[0].get("flags", [])

    def wait_for_dad(self, timeout: float = 5.0) -> None:
        """Wait until eth0 has a link-local address and no address is tentative."""

        def settled() -> bool:
            addrs = self.ip_json("-6", "addr", "show", "dev", self.ifname)
            infos = [i for link in addrs for i in link.get("addr_info", [])]
            if any(i.get("dadfailed") for i in infos):
                raise LabError(f"{self.name}: IPv6 DAD failed: {infos}")
            link_local = [i for i in infos if i.get("scope") == "link"]
            if not link_local or any(i.get("tentative") for i in infos):
                return False
            self.link_local = IPv6Address(link_local[0]["local"])
            return True

        wait_until(settled, timeout, message=f"{self.name}: IPv6 DAD on {self.ifname}")

    def ping(self, destination: IPAddress | str, timeout: float = 2.0) -> bool:
        """ICMP echo from this node; True when a reply came within ``timeout``.

        Uses a raw socket in the node (no ping binary needed). A link-local
        destination is reached over eth0.
        """
        dst = ipaddress.ip_address(destination)
        ident = secrets.randbits(16)
        if dst.version == 4:
            sock = self.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            echo_request, echo_reply = 8, 0
            address: tuple[Any, ...] = (str(dst), 0)
        else:
            sock = self.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            echo_request, echo_reply = 128, 129  # the kernel fills the ICMPv6 checksum
            scope = self.ifindex_eth0 if dst.is_link_local else 0
            address = (str(dst), 0, 0, scope)
        deadline = time.monotonic() + timeout
        with sock:
            sequence = 0
            while (remaining := deadline - time.monotonic()) > 0:
                sequence += 1
                body = struct.pack("!HH", ident, sequence) + b"netlab-ping"
                header = struct.pack("!BBH", echo_request, 0, 0)
                if dst.version == 4:
                    header = struct.pack("!BBH", echo_request, 0, _inet_checksum(header + body))
                with contextlib.suppress(OSError):  # e.g. ENETUNREACH while the link is down
                    sock.sendto(header + body, address)
                retry_at = time.monotonic() + min(0.2, remaining)
                while (wait := retry_at - time.monotonic()) > 0:
                    ready, _, _ = select.select([sock], [], [], wait)
                    if not ready:
                        break
                    packet, source = sock.recvfrom(65535)
                    if dst.version == 4:
                        packet = packet[(packet[0] & 0x0F) * 4 :]
                    if (
                        len(packet) >= 8
                        and packet[0] == echo_reply
                        and struct.unpack("!H", packet[4:6])[0] == ident
                        and ipaddress.ip_address(source[0].split("%")[0]) == dst
                    ):
                        return True
        return False

    # ---- life cycle (called by Lab)

    def _configure(self) -> None:
        if self.ipv6 is not None:
            # Fast but real DAD: no random start delay, a 100 ms retransmit timer.
            self.sysctl(f"net.ipv6.conf.{self.ifname}.router_solicitation_delay", 0)
            self.sysctl(f"net.ipv6.neigh.{self.ifname}.retrans_time_ms", DAD_RETRANS_MS)
        _ip_batch(
            ["link set lo up", *self._lab_addresses(), f"link set {self.ifname} up"],
            netns=self.name,
        )
        self.ifindex_eth0 = self.ifindex(self.ifname)

    def _signal_everything(self) -> None:
        for proc in self.procs:
            if proc.running:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
        self._init.kill()

    def _reap(self, timeout: float, errors: list[str]) -> None:
        for proc in self.procs:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                errors.append(f"{self.name}: {proc!r} did not exit after SIGKILL")
        try:
            self._init.reap(timeout)
        except (subprocess.TimeoutExpired, OSError) as exc:
            errors.append(f"{self.name}: init did not exit: {exc}")


# -------------------------------------------------------------------------- capture


@dataclass(frozen=True, slots=True)
class Frame:
    """One Ethernet frame as the observer received it.

    ``wall`` is the kernel receive time (CLOCK_REALTIME, seconds); ``mono`` is that
    instant on ``time.monotonic()``'s scale (mapped once when the capture started).
    """

    wall: float
    mono: float
    data: bytes


@dataclass(frozen=True, slots=True)
class CaptureStats:
    received: int
    dropped: int


@dataclass(frozen=True, slots=True)
class Advert:
    """A VRRP advertisement on the wire, decoded by scapy (v2 or v3, IPv4 or IPv6)."""

    wall: float
    mono: float
    src_mac: str
    src: IPAddress
    dst: IPAddress
    ttl: int  # IPv4 TTL or IPv6 hop limit: 255 if the sender follows the RFC
    version: int
    vrid: int
    priority: int
    advert_interval: float  # seconds (v2 field in s, v3 field in cs)
    addresses: tuple[IPAddress, ...]
    auth_type: int | None  # v2 only
    checksum_ok: bool


@dataclass(frozen=True, slots=True)
class GratuitousArp:
    """An ARP request or reply whose sender and target IP are the same address."""

    wall: float
    mono: float
    src_mac: str
    dst_mac: str
    op: int  # 1 request, 2 reply
    ip: IPv4Address
    sender_mac: str


@dataclass(frozen=True, slots=True)
class UnsolicitedNa:
    """An IPv6 Neighbor Advertisement with the Solicited flag clear."""

    wall: float
    mono: float
    src_mac: str
    src: IPv6Address
    dst: IPv6Address
    hop_limit: int
    target: IPv6Address
    router: bool
    override: bool
    target_mac: str | None  # the target link-layer address option, if present


def _vrrp_payload(data: bytes) -> tuple[bytes, bytes] | None:
    """(pseudo-header for the v3 checksum, VRRP bytes) of a raw Ethernet frame."""
    offset, ethertype = 14, struct.unpack("!H", data[12:14])[0]
    if ethertype == 0x8100:
        offset, ethertype = 18, struct.unpack("!H", data[16:18])[0]
    if ethertype == 0x0800:
        ihl = (data[offset] & 0x0F) * 4
        total = struct.unpack("!H", data[offset + 2 : offset + 4])[0]
        payload = data[offset + ihl : offset + total]
        addrs = data[offset + 12 : offset + 20]
        return addrs + struct.pack("!BBH", 0, VRRP_PROTO, len(payload)), payload
    if ethertype == 0x86DD:
        length = struct.unpack("!H", data[offset + 4 : offset + 6])[0]
        payload = data[offset + 40 : offset + 40 + length]
        addrs = data[offset + 8 : offset + 40]
        return addrs + struct.pack("!I3xB", len(payload), VRRP_PROTO), payload
    return None


def _decode_advert(frame: Frame, pkt: Any) -> Advert | None:
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether
    from scapy.layers.vrrp import VRRP, VRRPv3

    if IP in pkt and pkt[IP].proto == VRRP_PROTO:
        net, ttl = pkt[IP], int(pkt[IP].ttl)
    elif IPv6 in pkt and pkt[IPv6].nh == VRRP_PROTO:
        net, ttl = pkt[IPv6], int(pkt[IPv6].hlim)
    else:
        return None
    vrrp = net.payload
    if not isinstance(vrrp, VRRP | VRRPv3):
        return None
    raw = _vrrp_payload(frame.data)
    version = int(vrrp.version)
    if raw is None:
        checksum_ok = False
    elif version == 3:
        checksum_ok = _inet_checksum(raw[0] + raw[1]) == 0
    else:
        checksum_ok = _inet_checksum(raw[1]) == 0
    addrlist = vrrp.addrlist if isinstance(vrrp.addrlist, list) else []
    return Advert(
        wall=frame.wall,
        mono=frame.mono,
        src_mac=str(pkt[Ether].src),
        src=ipaddress.ip_address(net.src),
        dst=ipaddress.ip_address(net.dst),
        ttl=ttl,
        version=version,
        vrid=int(vrrp.vrid),
        priority=int(vrrp.priority),
        advert_interval=float(vrrp.adv) / (100.0 if version == 3 else 1.0),
        addresses=tuple(ipaddress.ip_address(a) for a in addrlist),
        auth_type=int(vrrp.authtype) if version == 2 else None,
        checksum_ok=checksum_ok,
    )


def _decode_garp(frame: Frame, pkt: Any) -> GratuitousArp | None:
    from scapy.layers.l2 import ARP, Ether

    if ARP not in pkt or pkt[ARP].psrc != pkt[ARP].pdst:
        return None
    arp = pkt[ARP]
    return GratuitousArp(
        wall=frame.wall,
        mono=frame.mono,
        src_mac=str(pkt[Ether].src),
        dst_mac=str(pkt[Ether].dst),
        op=int(arp.op),
        ip=IPv4Address(arp.psrc),
        sender_mac=str(arp.hwsrc),
    )


def _decode_na(frame: Frame, pkt: Any) -> UnsolicitedNa | None:
    from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
    from scapy.layers.l2 import Ether

    if ICMPv6ND_NA not in pkt or pkt[ICMPv6ND_NA].S:
        return None
    na = pkt[ICMPv6ND_NA]
    option = pkt[ICMPv6NDOptDstLLAddr].lladdr if ICMPv6NDOptDstLLAddr in pkt else None
    return UnsolicitedNa(
        wall=frame.wall,
        mono=frame.mono,
        src_mac=str(pkt[Ether].src),
        src=IPv6Address(pkt[IPv6].src),
        dst=IPv6Address(pkt[IPv6].dst),
        hop_limit=int(pkt[IPv6].hlim),
        target=IPv6Address(na.tgt),
        router=bool(na.R),
        override=bool(na.O),
        target_mac=str(option) if option is not None else None,
    )


class Capture:
    """Every frame on the observer's interface, read by a background thread."""

    def __init__(self, namespace: Namespace, ifname: str = NODE_IFNAME) -> None:
        self.namespace = namespace
        self.ifname = ifname
        self._frames: list[Frame] = []
        self._packets: dict[int, Any] = {}  # frame index -> scapy packet
        self._found: dict[Callable[[Frame, Any], Any], dict[int, Any]] = {}
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None
        self._offset_ns = 0
        self._received = 0
        self._dropped = 0

    def start(self) -> None:
        if self._sock is not None:
            raise LabError("capture already started")
        sock = self.namespace.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        try:
            sock.bind((self.ifname, _ETH_P_ALL))
            sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, 16 * 1024 * 1024)
        except BaseException:
            sock.close()
            raise
        before = time.monotonic_ns()
        wall = time.time_ns()
        self._offset_ns = wall - (before + time.monotonic_ns()) // 2
        self._sock = sock
        self._wake = os.pipe()
        self._thread = threading.Thread(target=self._loop, name="netlab-capture", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop capturing; the frames already captured stay readable."""
        if self._sock is None:
            return
        if self._wake is not None:
            os.write(self._wake[1], b"x")
        if self._thread is not None:
            self._thread.join(5.0)
        self._read_stats()
        self._sock.close()
        self._sock = None
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)
            self._wake = None

    @property
    def running(self) -> bool:
        return self._sock is not None

    def _loop(self) -> None:
        sock, wake = self._sock, self._wake
        assert sock is not None and wake is not None
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        poller.register(wake[0], select.POLLIN)
        ancillary = socket.CMSG_SPACE(16)
        while True:
            if any(fd == wake[0] for fd, _ in poller.poll()):
                return
            while True:
                try:
                    data, cmsgs, _, _ = sock.recvmsg(65536, ancillary, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                except OSError:
                    return
                wall_ns = time.time_ns()
                for level, kind, value in cmsgs:
                    if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                        seconds, nanoseconds = struct.unpack("qq", value[:16])
                        wall_ns = seconds * 1_000_000_000 + nanoseconds
                frame = Frame(wall_ns / 1e9, (wall_ns - self._offset_ns) / 1e9, data)
                with self._lock:
                    self._frames.append(frame)

    def _read_stats(self) -> None:
        if self._sock is None:
            return
        raw = self._sock.getsockopt(_SOL_PACKET, _PACKET_STATISTICS, 8)
        packets, drops = struct.unpack("II", raw)  # the kernel resets them on each read
        self._received += packets
        self._dropped += drops

    def stats(self) -> CaptureStats:
        """Frames the kernel delivered to the capture and frames it dropped."""
        self._read_stats()
        return CaptureStats(self._received, self._dropped)

    def frames(self, since: float | None = None) -> list[Frame]:
        """Frames so far, oldest first; ``since`` keeps those with ``mono >= since``."""
        with self._lock:
            frames = list(self._frames)
        return frames if since is None else [f for f in frames if f.mono >= since]

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._packets.clear()
            self._found.clear()

    def _packet(self, index: int, frame: Frame) -> Any:
        # The layers must be registered before the first dissection, or the first
        # frame decodes as Ether / Raw and is cached that way.
        import scapy.layers.inet
        import scapy.layers.inet6
        import scapy.layers.vrrp  # noqa: F401
        from scapy.layers.l2 import Ether

        with self._lock:
            pkt = self._packets.get(index)
        if pkt is None:
            pkt = Ether(frame.data)
            with self._lock:
                self._packets[index] = pkt
        return pkt

    def packets(self, since: float | None = None) -> list[tuple[Frame, Any]]:
        """(frame, scapy ``Ether`` packet) pairs; each frame is dissected once."""
        with self._lock:
            frames = list(enumerate(self._frames))
        return [
            (frame, self._packet(index, frame))
            for index, frame in frames
            if since is None or frame.mono >= since
        ]

    def _records(self, decoder: Callable[[Frame, Any], R | None], since: float | None) -> list[R]:
        """What ``decoder`` finds in each frame (None: nothing), computed once per frame."""
        with self._lock:
            frames = list(enumerate(self._frames))
            cache = self._found.setdefault(decoder, {})
        found = []
        for index, frame in frames:
            if since is not None and frame.mono < since:
                continue
            if index not in cache:
                cache[index] = decoder(frame, self._packet(index, frame))
            record = cache[index]
            if record is not None:
                found.append(record)
        return found

    def adverts(
        self,
        *,
        vrid: int | None = None,
        src: IPAddress | str | None = None,
        since: float | None = None,
    ) -> list[Advert]:
        """VRRP adverts (v2 and v3, IPv4 and IPv6), optionally filtered."""
        source = ipaddress.ip_address(src) if src is not None else None
        return [
            a
            for a in self._records(_decode_advert, since)
            if (vrid is None or a.vrid == vrid) and (source is None or a.src == source)
        ]

    def gratuitous_arps(
        self, *, ip: IPv4Address | str | None = None, since: float | None = None
    ) -> list[GratuitousArp]:
        """ARPs whose sender and target IP are equal, optionally for one ``ip``."""
        wanted = IPv4Address(ip) if ip is not None else None
        return [g for g in self._records(_decode_garp, since) if wanted in (None, g.ip)]

    def unsolicited_nas(
        self, *, target: IPv6Address | str | None = None, since: float | None = None
    ) -> list[UnsolicitedNa]:
        """Neighbor Advertisements with S=0, optionally for one ``target``."""
        wanted = IPv6Address(target) if target is not None else None
        return [n for n in self._records(_decode_na, since) if wanted in (None, n.target)]

    def write_pcap(self, path: str | os.PathLike[str]) -> Path:
        """Save the frames as a nanosecond pcap (for Wireshark/tcpdump)."""
        target = Path(path)
        with open(target, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65536, 1))
            for frame in self.frames():
                wall_ns = round(frame.wall * 1e9)
                seconds, nanoseconds = divmod(wall_ns, 1_000_000_000)
                size = len(frame.data)
                f.write(struct.pack("<IIII", seconds, nanoseconds, size, size))
                f.write(frame.data)
        return target


# ------------------------------------------------------------------------------ lab


def _write_state(path: Path, names: Sequence[str]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    state = {"pid": os.getpid(), "start": _proc_start_time(os.getpid()), "netns": list(names)}
    path.write_text(json.dumps(state))


def sweep_stale_labs(state_dir: Path = STATE_DIR) -> list[str]:
    """Delete the namespaces of labs whose owning process is gone; return their names.

    A lab records its namespace names in ``state_dir`` before creating them and
    removes the record when it is closed, so a record with a dead owner is what a
    hard-killed test run left behind. Only recorded names are deleted.
    """
    removed: list[str] = []
    if not state_dir.is_dir():
        return removed
    for record in state_dir.glob("*.json"):
        try:
            state = json.loads(record.read_text())
            owner, start = int(state["pid"]), state["start"]
            names = [str(n) for n in state["netns"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _proc_start_time(owner) == start:
            continue  # its owner still runs (or is another lab of this process)
        prefix = record.stem
        existing = [
            n for n in names if n.startswith(f"{prefix}-") and Path(f"/run/netns/{n}").exists()
        ]
        if existing:
            _ip_batch([f"netns del {n}" for n in existing], force=True)
        removed += existing
        record.unlink(missing_ok=True)
    return removed


class Lab:
    """An N-node lab: nodes and an observer on one bridge, each in its own namespaces.

    Use it as a context manager (or call :meth:`build` and :meth:`close`). Closing
    is idempotent and tolerates a lab that was only half built.
    """

    def __init__(
        self,
        nodes: int = 2,
        *,
        ipv6: bool = True,
        capture: bool = True,
        prefix: str | None = None,
        workdir: str | os.PathLike[str] | None = None,
        state_dir: Path = STATE_DIR,
    ) -> None:
        if not 1 <= nodes <= MAX_NODES:
            raise ValueError(f"nodes must be 1..{MAX_NODES}, not {nodes}")
        self.prefix = prefix if prefix is not None else f"vl{secrets.token_hex(3)}"
        if not _PREFIX_RE.match(self.prefix):
            raise ValueError(f"prefix {self.prefix!r}: 2-10 lowercase letters and digits")
        self.ipv6 = ipv6
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"netlab-{self.prefix}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.switch = Namespace(f"{self.prefix}-sw")
        self.observer = Namespace(f"{self.prefix}-obs")
        self.nodes: tuple[Node, ...] = tuple(Node(self, i, ipv6=ipv6) for i in range(1, nodes + 1))
        self._capture = Capture(self.observer) if capture else None
        self._state_file = state_dir / f"{self.prefix}.json"
        self._state_dir = state_dir
        self._netns_created: list[str] = []
        self._built = False
        self._closed = False
        self.build_seconds = 0.0
        self.close_seconds = 0.0

    def __repr__(self) -> str:
        return f"<Lab {self.prefix} nodes={len(self.nodes)}>"

    @property
    def namespaces(self) -> list[str]:
        """Every namespace name of this lab (switch, observer, nodes)."""
        return [self.switch.name, self.observer.name, *(n.name for n in self.nodes)]

    @property
    def capture(self) -> Capture:
        if self._capture is None:
            raise LabError("this lab was built with capture=False")
        return self._capture

    def node(self, index: int) -> Node:
        """Node by its 1-based number (node(1) is <prefix>-n1, 192.0.2.11)."""
        if not 1 <= index <= len(self.nodes):
            raise LabError(f"no node {index}: this lab has nodes 1..{len(self.nodes)}")
        return self.nodes[index - 1]

    # ---- build

    def __enter__(self) -> Self:
        return self.build()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
            return
        try:
            self.close(keep_workdir=True)
        except Exception as teardown:  # do not hide the test's own failure
            exc.add_note(f"netlab teardown also failed: {teardown}")
        if self._own_workdir:
            exc.add_note(f"netlab logs kept in {self.workdir}")

    def build(self) -> Self:
        """Create everything; on any failure (or interrupt) undo what was made."""
        if self._built or self._closed:
            raise LabError(f"{self!r} was already built")
        self._built = True
        started = time.monotonic()
        atexit.register(self.close)
        try:
            self._build()
        except BaseException:
            with contextlib.suppress(Exception):
                self.close(keep_workdir=True)
            raise
        self.build_seconds = time.monotonic() - started
        return self

    def _build(self) -> None:
        with contextlib.suppress(LabError, OSError):
            sweep_stale_labs(self._state_dir)
        names = self.namespaces
        clashing = [n for n in names if Path(f"/run/netns/{n}").exists()]
        if clashing:  # never adopt (and later delete) a namespace someone else made
            raise LabError(f"namespaces already exist: {clashing}; choose another prefix")
        _write_state(self._state_file, names)
        self._netns_created = names  # before creation: close() deletes what exists
        _ip_batch([f"netns add {name}" for name in names])
        for node in self.nodes:
            node._init.start()
        for ns in (self.switch, self.observer) + (() if self.ipv6 else self.nodes):
            ns.sysctl("net.ipv6.conf.all.disable_ipv6", 1)
            ns.sysctl("net.ipv6.conf.default.disable_ipv6", 1)
        switch = [f"link add {BRIDGE} type bridge mcast_snooping 0 stp_state 0 forward_delay 0"]
        for node in self.nodes:
            switch += [
                f"link add {node.switch_port} type veth peer name {node.ifname}"
                f" address {node.mac} netns {node.name}",
                f"link set {node.switch_port} master {BRIDGE} up",
            ]
        switch += [
            f"link add to-obs type veth peer name {NODE_IFNAME}"
            f" address {OBSERVER_MAC} netns {self.observer.name}",
            f"link set to-obs master {BRIDGE} up",
            f"link set {BRIDGE} up",
        ]
        _ip_batch(switch, netns=self.switch.name)
        _ip_batch([f"link set {NODE_IFNAME} up"], netns=self.observer.name)
        if self._capture is not None:
            self._capture.start()
        for node in self.nodes:
            node._configure()
        for node in self.nodes:
            node._init.await_ready()
        if self.ipv6:
            for node in self.nodes:
                node.wait_for_dad()

    # ---- teardown

    def close(self, *, keep_workdir: bool = False) -> None:
        """Kill every process, delete every namespace. Safe to call more than once."""
        if self._closed or not self._built:
            if not self._closed and self._own_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)  # never built: nothing in it
            self._closed = True
            return
        self._closed = True
        started = time.monotonic()
        errors: list[str] = []
        if self._capture is not None:
            try:
                self._capture.stop()
            except OSError as exc:
                errors.append(f"capture: {exc}")
        for node in self.nodes:
            node._signal_everything()
        for node in self.nodes:
            node._reap(10.0, errors)
        existing = [n for n in self._netns_created if Path(f"/run/netns/{n}").exists()]
        if existing:
            try:
                _ip_batch([f"netns del {n}" for n in existing], force=True)
            except (LabError, OSError, subprocess.SubprocessError) as exc:
                errors.append(f"deleting namespaces: {exc}")
        left = [n for n in existing if Path(f"/run/netns/{n}").exists()]
        if left:
            errors.append(f"namespaces not deleted: {left}")
        else:
            self._state_file.unlink(missing_ok=True)
        atexit.unregister(self.close)
        if self._own_workdir and not keep_workdir and not errors:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.close_seconds = time.monotonic() - started
        if errors:
            raise LabError(f"{self!r} teardown: " + "; ".join(errors))

    # ---- diagnostics

    def save_diagnostics(self, directory: str | os.PathLike[str] | None = None) -> str:
        """Write the capture as a pcap and summarise every process and its log tail."""
        target = Path(directory) if directory is not None else self.workdir
        target.mkdir(parents=True, exist_ok=True)
        lines = [f"{self!r}: namespaces {', '.join(self.namespaces)}"]
        if self._capture is not None and self._capture.frames():
            pcap = self._capture.write_pcap(target / f"{self.prefix}-observer.pcap")
            lines.append(f"capture: {pcap} ({len(self._capture.frames())} frames)")
        for node in self.nodes:
            for proc in node.procs:
                lines.append(f"{proc!r} log {proc.log_path}")
                with contextlib.suppress(OSError):
                    tail = proc.log_text().splitlines()[-20:]
                    lines += [f"    {line}" for line in tail]
        return "\n".join(lines)


class LabFactory(Protocol):
    """The ``make_lab`` fixture: builds a lab that is closed after the test."""

    def __call__(self, nodes: int = 2, *, ipv6: bool = True, capture: bool = True) -> Lab: ...
