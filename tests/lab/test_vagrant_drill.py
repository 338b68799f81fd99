"""The Vagrant lab's failover drill (vagrant/README.md), on network namespaces.

The drill of the two VMs, run on two lab nodes with the very files the VMs get:
``vagrant/provision/write-config.sh`` writes each node's ``/etc/vrrpd/vrrpd.yaml``
and installs its notify hook, ``vagrant/provision/haproxy.cfg`` is HAProxy's
config, the backend and vrrpd run the ``ExecStart=`` lines of
``vrrpd-lab-backend.service`` and ``systemd/vrrpd.service`` (vrrpd from this
checkout instead of ``/usr/local/bin``), and ``vrrpctl status`` finds vrrpd on its
default socket. So the Vagrant lab cannot rot unseen: ``make test`` runs its drill.

Each node gets a root of its own, as a VM has: ``/etc`` and ``/dev`` are overlays
on the host's (whatever the node writes there stays in the lab's workdir),
``/run`` and ``/srv`` are empty tmpfs, and a stand-in for journald listens on the
node's ``/dev/log``, where the hook's ``logger`` writes. The lab network is
192.0.2.0/24, the Vagrantfile's default: lb1 is node 1 (.11), lb2 node 2 (.12),
and node 3 (.13) plays the host that fetches http://192.0.2.100/.

The VMs' "reboot" is a crash here: ``kill -9`` of vrrpd, then a start through the
unit's ``ExecStartPre=`` and ``ExecStart=`` again. What only systemd can show
(Type=notify, the watchdog, a real reboot) is ``make vagrant-test``'s part.
"""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.lab.netlab import Lab, LabFactory, Node, Proc, vip4, wait_until
from vrrpd.ctl import ControlSocketError, NotRunningError, request
from vrrpd.protocol.status import DEFAULT_CONTROL_SOCKET

REPO = Path(__file__).resolve().parents[2]
PROVISION = REPO / "vagrant" / "provision"
VRRPD_UNIT = REPO / "systemd" / "vrrpd.service"
BACKEND_UNIT = PROVISION / "vrrpd-lab-backend.service"
HAPROXY = shutil.which("haproxy", path="/usr/sbin:/usr/bin:/sbin:/bin")
HAPROXY_CONFIG = "/etc/haproxy/haproxy.cfg"
INSTALLED_VRRPD = "/usr/local/bin/vrrpd"  # make install's link, named by the unit
VIP = vip4()  # 192.0.2.100, .100 of the Vagrantfile's default network
INSTANCE = "VI_WEB"


def _overlay_supported() -> bool:
    try:
        return "\toverlay\n" in Path("/proc/filesystems").read_text()
    except OSError:
        return False


pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed (make test installs it)"),
    pytest.mark.skipif(
        not _overlay_supported(), reason="the kernel has no overlayfs (a node's own /etc needs it)"
    ),
]

# A stand-in for journald on the node's /dev/log: one line per syslog datagram.
JOURNAL_SOURCE = """\
import os, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("/dev/log")
os.chmod("/dev/log", 0o666)
print("listening", flush=True)
with open(sys.argv[1], "ab", buffering=0) as journal:
    while True:
        journal.write(sock.recv(65536).rstrip(b"\\n") + b"\\n")
"""

# The host's `curl http://VIP/`, run in the client node.
FETCH_SOURCE = """\
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(sys.argv[1], timeout=2.0) as reply:
        sys.stdout.write(reply.read().decode())
except OSError as error:
    sys.stdout.write(f"no answer ({error})")
"""

# What the hook logs (vagrant/provision/notify.sh), as the journal stand-in keeps it.
NOTIFY_LINE = re.compile(
    r"vrrpd-notify: INSTANCE (?P<name>\S+) (?P<previous>\S+) -> (?P<state>\S+) "
    r"priority (?P<priority>\d+) vips (?P<vips>.*?): (?P<reason>.*)$"
)


def unit_command(unit: Path, key: str) -> list[str]:
    """The argv of a unit's ``KEY=`` line, with vrrpd taken from this checkout."""
    for line in unit.read_text().splitlines():
        if line.startswith(f"{key}="):
            argv = shlex.split(line.split("=", 1)[1].lstrip("-@:+!"))
            break
    else:
        raise AssertionError(f"{unit} has no {key}= line")
    if argv[0] == INSTALLED_VRRPD:
        return [sys.executable, "-m", "vrrpd.daemon", *argv[1:]]
    return argv


def run_ok(node: Node, argv: Sequence[str | Path | int]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``node``; fail the test, with its output, unless it exits 0."""
    words = [str(a) for a in argv]
    result = node.run(words)
    assert result.returncode == 0, (
        f"{node.name}: `{shlex.join(words)}` exited {result.returncode}:\n"
        f"{result.stdout}{result.stderr}"
    )
    return result


@dataclass
class Balancer:
    """One VM of the Vagrant lab, played by a lab node."""

    name: str
    priority: int
    node: Node
    root: Path  # on the host: the node's overlay layers and its journal
    haproxy: Proc | None = None
    vrrpd: Proc | None = None
    backend: Proc | None = None

    @property
    def journal(self) -> Path:
        return self.root / "journal.log"

    @property
    def control_socket(self) -> str:
        """The node's /run/vrrpd/vrrpd.sock, as the host reaches it."""
        return f"/proc/{self.node.init_pid}/root{DEFAULT_CONTROL_SOCKET}"

    # ---- "vagrant up": the node's own root, then what provision.sh does

    def boot(self) -> None:
        """Give the node its own /etc, /dev, /run and /srv, and a journal on /dev/log."""
        mounts: list[list[str]] = []
        for directory in ("etc", "dev"):
            upper, work = self.root / directory / "upper", self.root / directory / "work"
            upper.mkdir(parents=True)
            work.mkdir()
            options = f"lowerdir=/{directory},upperdir={upper},workdir={work}"
            mounts.append(["mount", "-t", "overlay", "-o", options, "vagrant-lab", f"/{directory}"])
        mounts += [
            ["mount", "-t", "tmpfs", "-o", "mode=1777", "vagrant-lab", "/dev/shm"],
            ["mount", "-t", "tmpfs", "-o", "mode=0755", "vagrant-lab", "/run"],
            ["mount", "-t", "tmpfs", "-o", "mode=0755", "vagrant-lab", "/srv"],
        ]
        for argv in mounts:
            run_ok(self.node, argv)
        journald = self.node.spawn([sys.executable, "-I", "-c", JOURNAL_SOURCE, str(self.journal)])
        wait_until(
            lambda: "listening" in journald.log_text() or journald.returncode is not None,
            10,
            message=f"{self.name}: the journal stand-in listens",
        )
        assert journald.running, f"{self.name}: journal stand-in: {journald.log_text()}"

    def provision(self) -> None:
        """provision.sh's steps, with the same files (make install aside)."""
        page = f"printf 'served by %s\\n' {self.name} > /srv/vrrpd-lab/index.html"
        run_ok(self.node, ["install", "-d", "-m", "0755", "/srv/vrrpd-lab"])
        run_ok(self.node, ["sh", "-c", page])
        self.backend = self.node.spawn(unit_command(BACKEND_UNIT, "ExecStart"))
        run_ok(self.node, ["install", "-m", "0644", PROVISION / "haproxy.cfg", HAPROXY_CONFIG])
        run_ok(self.node, [str(HAPROXY), "-c", "-q", "-f", HAPROXY_CONFIG])
        self.start_haproxy()
        written = run_ok(
            self.node,
            ["bash", PROVISION / "write-config.sh", self.name, self.priority, "/etc/vrrpd"],
        )
        assert "interface eth0" in written.stdout, written.stdout  # found by its address
        self.start_vrrpd()

    # ---- services, as systemd would run them

    def start_haproxy(self) -> None:
        """``systemctl start haproxy``."""
        assert HAPROXY is not None
        self.haproxy = self.node.spawn([HAPROXY, "-db", "-f", HAPROXY_CONFIG])
        wait_until(lambda: self.node.pidof("haproxy"), 10, message=f"haproxy runs on {self.name}")

    def stop_haproxy(self) -> None:
        """``systemctl stop haproxy``: SIGTERM, and wait until it is gone."""
        assert self.haproxy is not None
        self.haproxy.terminate()
        self.haproxy.wait(10)
        self.haproxy = None
        assert not self.node.pidof("haproxy")

    def start_vrrpd(self) -> None:
        """``systemctl start vrrpd``: ExecStartPre (the config check), then ExecStart."""
        check = run_ok(self.node, unit_command(VRRPD_UNIT, "ExecStartPre"))
        assert check.stdout.strip() == f"/etc/vrrpd/vrrpd.yaml: OK (1 instance(s): {INSTANCE})"
        assert check.stderr == "", f"{self.name}: --check-config warned:\n{check.stderr}"
        self.vrrpd = self.node.spawn(unit_command(VRRPD_UNIT, "ExecStart"))
        wait_until(
            lambda: self.status() is not None or not self.running(),
            15,
            interval=0.05,
            message=f"vrrpd on {self.name} answers on {DEFAULT_CONTROL_SOCKET}",
        )
        assert self.running(), f"vrrpd on {self.name} exited:\n{self.vrrpd.log_text()[-3000:]}"

    def running(self) -> bool:
        return self.vrrpd is not None and self.vrrpd.running

    # ---- what vrrpd says

    def status(self) -> dict[str, Any] | None:
        """VI_WEB's status from the control socket (None: no answer)."""
        try:
            reply = request(self.control_socket, "status")
        except (NotRunningError, ControlSocketError, OSError, ValueError):
            return None
        for item in reply.get("instances", []):
            if item["name"] == INSTANCE:
                found: dict[str, Any] = item
                return found
        return None

    def state(self) -> str | None:
        status = self.status()
        return None if status is None else str(status["state"])

    def vrrpctl_status(self) -> str:
        """``vagrant ssh NODE -c 'sudo vrrpctl status'``: the table; it must exit 0."""
        result = run_ok(self.node, [sys.executable, "-m", "vrrpd.ctl", "status"])
        return result.stdout

    def notify_states(self) -> list[str]:
        """The states the notify hook logged to the journal, oldest first."""
        try:
            text = self.journal.read_text(errors="replace")
        except FileNotFoundError:
            return []
        states = []
        for line in text.splitlines():
            match = NOTIFY_LINE.search(line)
            assert match is not None, f"{self.name}: unexpected journal line {line!r}"
            assert match["name"] == INSTANCE and match["vips"] == f"{VIP}/24", line
            states.append(match["state"])
        return states

    def diagnostics(self) -> str:
        lines = [f"--- {self.name}: journal"]
        if self.journal.exists():
            lines.append(self.journal.read_text(errors="replace"))
        if self.vrrpd is not None:
            lines += [f"--- {self.name}: vrrpd log (end)", self.vrrpd.log_text()[-4000:]]
        return "\n".join(lines)


class Drill:
    """The README's steps, each checked."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.lb1 = Balancer("lb1", 150, lab.node(1), lab.workdir / "lb1-root")
        self.lb2 = Balancer("lb2", 100, lab.node(2), lab.workdir / "lb2-root")
        self.host = lab.node(3)

    def fetch(self) -> str:
        """``curl http://192.0.2.100/`` from the host."""
        argv = [sys.executable, "-I", "-c", FETCH_SOURCE, f"http://{VIP}/"]
        return self.host.run(argv, timeout=10).stdout

    def expect_served_by(self, lb: Balancer) -> None:
        answers: list[str] = []

        def served() -> bool:
            answers.append(self.fetch())
            return answers[-1] == f"served by {lb.name}\n"

        wait_until(
            served, 15, interval=0.2, message=lambda: f"{lb.name} serves {VIP}: {answers[-3:]}"
        )

    def expect_master(self, master: Balancer, backup: Balancer, timeout: float = 20) -> None:
        """``master`` is MASTER holding the VIP, ``backup`` is BACKUP following it."""
        wait_until(
            lambda: master.state() == "MASTER" and backup.state() == "BACKUP",
            timeout,
            interval=0.1,
            message=lambda: (
                f"{master.name} MASTER ({master.state()}), {backup.name} BACKUP ({backup.state()})"
            ),
        )
        wait_until(
            lambda: master.node.has_address(VIP) and not backup.node.has_address(VIP),
            10,
            message=f"{VIP} on {master.name} only",
        )
        status = backup.status()
        assert status is not None and status["master_address"] == str(master.node.ipv4), status

    def run(self) -> None:
        lb1, lb2 = self.lb1, self.lb2

        # vagrant up: both provisioned; lb1 (150) wins the election.
        for lb in (lb1, lb2):
            lb.boot()
        for lb in (lb1, lb2):
            lb.provision()
        self.expect_master(lb1, lb2)

        # vagrant ssh lb1 -c 'sudo vrrpctl status'
        table = lb1.vrrpctl_status()
        assert re.search(rf"^{INSTANCE}\s+eth0\s+51\s+v3\s+MASTER\s", table, re.M), table
        assert f"{VIP}/24 (here)" in table, table
        table = lb2.vrrpctl_status()
        assert re.search(rf"^{INSTANCE}\s+eth0\s+51\s+v3\s+BACKUP\s", table, re.M), table
        assert f"{lb1.node.ipv4} prio 150" in table, table
        assert "(here)" not in table, table

        # curl http://192.0.2.100/ from the host
        self.expect_served_by(lb1)

        # sudo systemctl stop haproxy on lb1: chk_haproxy fails, lb1 drops to 90, lb2 takes over.
        lb1.stop_haproxy()
        self.expect_master(lb2, lb1)
        status = lb1.status()
        assert status is not None and status["effective_priority"] == 90, status
        assert status["tracks"][0]["up"] is False, status
        self.expect_served_by(lb2)

        # sudo systemctl start haproxy on lb1: back to 150, lb1 preempts.
        lb1.start_haproxy()
        self.expect_master(lb1, lb2)
        status = lb1.status()
        assert status is not None and status["effective_priority"] == 150, status
        self.expect_served_by(lb1)

        # sudo systemctl reload vrrpd on lb1 (ExecReload: kill -HUP): nothing moves.
        assert lb1.vrrpd is not None
        transitions = status["counters"]["transitions"]
        lb1.vrrpd.send_signal(signal.SIGHUP)
        wait_until(
            lambda: '"event": "reloaded"' in lb1.vrrpd.log_text() if lb1.vrrpd else False,
            10,
            message="lb1 logs reloaded",
        )
        status = lb1.status()
        assert status is not None and status["state"] == "MASTER", status
        assert status["counters"]["transitions"] == transitions, status

        # The VM "reboots": vrrpd dies at once (kill -9) and starts again.
        lb1.vrrpd.kill()
        lb1.vrrpd.wait(10)
        wait_until(lambda: lb2.state() == "MASTER", 15, message="lb2 takes over from the dead lb1")
        wait_until(lambda: lb2.node.has_address(VIP), 10, message=f"{VIP} on lb2")
        # (No fetch now: unlike a rebooted VM, lb1 still has the VIP its dead vrrpd added.)
        lb1.start_vrrpd()  # removes the VIP its predecessor left, then preempts
        self.expect_master(lb1, lb2)
        self.expect_served_by(lb1)

        # journalctl -t vrrpd-notify: one line per transition, every hook run OK.
        self.expect_notified(lb1, ["BACKUP", "MASTER", "BACKUP", "MASTER", "BACKUP", "MASTER"])
        self.expect_notified(lb2, ["BACKUP", "MASTER", "BACKUP", "MASTER", "BACKUP"])

    @staticmethod
    def expect_notified(lb: Balancer, states: list[str]) -> None:
        wait_until(
            lambda: lb.notify_states() == states,
            10,
            message=lambda: f"{lb.name}'s hook logged {states} (it logged {lb.notify_states()})",
        )
        status = lb.status()
        assert status is not None and status["host"]["notify_history"], status
        failed = [h for h in status["host"]["notify_history"] if not h["ok"]]
        assert not failed, f"{lb.name}: notify hooks failed: {failed}"


def test_vagrant_lab_drill_on_namespaces_with_the_provisioned_files(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(3, ipv6=False)
    drill = Drill(lab)
    try:
        drill.run()
    except BaseException as error:
        error.add_note(drill.lb1.diagnostics())
        error.add_note(drill.lb2.diagnostics())
        raise
