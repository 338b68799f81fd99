"""sd_notify: what the daemon tells systemd, on a fake notify socket."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from vrrpd.host.systemd import SystemdNotifier


def receiver(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(2)
    return sock


def test_ready_status_and_watchdog_reach_a_path_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with receiver(path) as sock:
        notifier = SystemdNotifier({"NOTIFY_SOCKET": path})
        assert notifier.ready("VI_1 BACKUP prio 100")
        lines = sock.recv(4096).decode().split("\n")
        assert lines[:2] == ["READY=1", "STATUS=VI_1 BACKUP prio 100"]
        assert lines[2] == f"MAINPID={os.getpid()}"
        assert notifier.watchdog()
        assert sock.recv(4096) == b"WATCHDOG=1"
        assert notifier.reloading()
        assert sock.recv(4096).startswith(b"RELOADING=1\n")
        assert notifier.stopping()
        assert sock.recv(4096).startswith(b"STOPPING=1\n")


def test_abstract_socket_named_with_at_sign() -> None:
    name = f"vrrpd-test-{os.getpid()}"
    with receiver("\0" + name) as sock:
        assert SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).status("x")
        assert sock.recv(4096) == b"STATUS=x"


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = SystemdNotifier({})
    assert not notifier.enabled
    assert not notifier.ready("x")


def test_a_vanished_socket_is_logged_not_raised(tmp_path: Path) -> None:
    assert not SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).watchdog()


def test_watchdog_pings_at_half_watchdog_sec_and_only_for_our_pid() -> None:
    ours = {"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}
    assert SystemdNotifier(ours).watchdog_interval == 5.0
    assert SystemdNotifier({"WATCHDOG_USEC": "4000000"}).watchdog_interval == 2.0
    assert SystemdNotifier({**ours, "WATCHDOG_PID": "1"}).watchdog_interval is None
    assert SystemdNotifier({}).watchdog_interval is None
