"""What the real daemon tells systemd: READY, STATUS, WATCHDOG, RELOADING, STOPPING."""

from __future__ import annotations

import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from tests.lab.netlab import LabFactory, Node, vip4, wait_until

CONFIG = """\
global:
  control_socket: {workdir}/n1.sock
instances:
  VI_1:
    interface: eth0
    vrid: 51
    priority: {priority}
    advert_int: 0.1
    virtual_ipaddress: [{vip}/24]
"""


class NotifyListener:
    """A stand-in for systemd's notify socket."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                return self.messages

    def seen(self, prefix: str) -> list[str]:
        return [m for m in self.drain() if m.startswith(prefix)]


def start_vrrpd(node: Node, workdir: Path, notify_path: Path, priority: int) -> None:
    config = workdir / "n1.yaml"
    config.write_text(CONFIG.format(workdir=workdir, priority=priority, vip=vip4()))
    node.spawn(
        [sys.executable, "-m", "vrrpd.daemon", "--config", str(config), "--log-format", "json"],
        env={"NOTIFY_SOCKET": str(notify_path), "WATCHDOG_USEC": "200000"},
    )


@pytest.mark.lab
def test_sd_notify_ready_status_watchdog_reload_and_stopping(make_lab: LabFactory) -> None:
    lab = make_lab(1, ipv6=False, capture=False)
    (node,) = lab.nodes
    listener = NotifyListener(lab.workdir / "notify")
    start_vrrpd(node, lab.workdir, lab.workdir / "notify", priority=200)
    ready = wait_until(lambda: listener.seen("READY=1"), 10, message="READY=1 from vrrpd")
    assert "STATUS=VI_1 BACKUP prio 200" in ready[0].split("\n")
    # The single node takes over, and systemctl status would show it.
    wait_until(
        lambda: "STATUS=VI_1 MASTER prio 200" in listener.drain(), 5, message="MASTER in STATUS"
    )
    # WATCHDOG_USEC 0.2 s: pinged every 0.1 s from the event loop.
    count = len(listener.seen("WATCHDOG=1"))
    wait_until(lambda: len(listener.seen("WATCHDOG=1")) >= count + 3, 2, message="watchdog")
    (proc,) = node.procs
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: listener.seen("RELOADING=1"), 5, message="RELOADING=1")
    wait_until(lambda: len(listener.seen("READY=1")) >= 2, 5, message="READY=1 after reload")
    started = time.monotonic()
    proc.terminate()
    wait_until(lambda: listener.seen("STOPPING=1"), 5, message="STOPPING=1")
    assert proc.wait(10) == 0
    assert time.monotonic() - started < 10
    assert not node.has_address(vip4())
