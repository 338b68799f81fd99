"""vrrpctl: its rendering, its exit codes, and how little it imports."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.factories import ME, PEER, advert_from, config
from vrrpd import ctl
from vrrpd.protocol import events as ev
from vrrpd.protocol.fsm import VirtualRouter
from vrrpd.protocol.model import TrackKind, TrackRef
from vrrpd.protocol.status import HookRecord, HostStatus, RouterStatus, ScriptRecord


def backup_status() -> RouterStatus:
    track = TrackRef("chk_haproxy", TrackKind.SCRIPT, weight=-60)
    router = VirtualRouter(config(tracks=(track,)), ME)
    router.handle(ev.Started(), 0.0)
    router.handle(ev.AdvertReceived(advert_from(router.config, 150), PEER), 1.0)
    router.handle(ev.TrackChanged("chk_haproxy", False, detail="exit status 1"), 1.5)
    hook = HookRecord(
        "notify_backup", "BACKUP", "/etc/vrrpd/notify.sh", True, "exit status 0", 0.004, 1.0
    )
    script = ScriptRecord("chk_haproxy", 10, 3, 0, "exit status 1", "no haproxy\n")
    host = HostStatus({"192.0.2.100/24": False}, (hook,), (script,), 0)
    status = router.status(2.0)
    return RouterStatus.from_json({**status.to_json(), "host": {
        "vips_present": host.vips_present,
        "notify_history": [vars_of(hook)],
        "scripts": [vars_of(script)],
        "send_errors": 0,
    }})  # fmt: skip


def vars_of(record: object) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}  # type: ignore[attr-defined]


def test_table_has_one_row_per_instance_with_the_reason_last() -> None:
    table = ctl.render_table([backup_status()])
    header, row = table.splitlines()
    assert header.split()[:5] == ["INSTANCE", "IFACE", "VRID", "VER", "STATE"]
    assert row.startswith("VI_1")
    assert "40 (base 100)" in row
    assert f"{PEER} prio 150" in row
    assert row.endswith(
        f"following master {PEER} (priority 150); takes over after 3.844 s of silence"
        "; our priority 40 (base 100): chk_haproxy -60"
    )


def test_detail_shows_tracks_scripts_and_hooks() -> None:
    text = ctl.render_detail(backup_status())
    assert "track script chk_haproxy: DOWN, weight -60, -60 (exit status 1)" in text
    assert "script chk_haproxy: 10 runs, 3 failed, 0 timed out; last: exit status 1" in text
    assert "output: no haproxy" in text
    assert "notify_backup BACKUP: ok, exit status 0, 4 ms" in text


def status_reply(*statuses: RouterStatus) -> dict[str, Any]:
    return {"v": 1, "ok": True, "instances": [s.to_json() for s in statuses]}


def run_ctl(path: str, replies: list[dict[str, Any]], *args: str) -> int:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()

    def serve() -> None:
        for reply in replies:
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(json.dumps(reply).encode() + b"\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        return ctl.main(["--socket", path, *args])
    finally:
        server.close()


def test_status_exits_0_when_all_is_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "s")
    assert run_ctl(path, [status_reply(backup_status())], "status") == 0
    assert "VI_1" in capsys.readouterr().out


def test_status_exits_1_when_an_instance_is_in_fault(tmp_path: Path) -> None:
    router = VirtualRouter(config(tracks=(TrackRef("chk", TrackKind.SCRIPT, 0),)), ME)
    router.handle(ev.TrackChanged("chk", False), 0.0)
    router.handle(ev.Started(), 0.0)
    assert run_ctl(str(tmp_path / "s"), [status_reply(router.status(1.0))], "status") == 1


def test_status_exits_3_when_the_daemon_is_not_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ctl.main(["--socket", str(tmp_path / "none.sock"), "status"]) == 3
    assert "vrrpd is not running" in capsys.readouterr().err


def test_status_json_is_the_daemons_reply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = status_reply(backup_status())
    assert run_ctl(str(tmp_path / "s"), [reply], "status", "--json") == 0
    assert json.loads(capsys.readouterr().out)["instances"][0]["name"] == "VI_1"


def test_maintenance_sends_the_instance_and_mode(tmp_path: Path) -> None:
    assert run_ctl(str(tmp_path / "s"), [{"v": 1, "ok": True}], "maintenance", "VI_1", "on") == 0


def test_importing_vrrpctl_loads_no_heavy_library() -> None:
    code = (
        "import sys, vrrpd.ctl;"
        "print(sorted({'scapy', 'pyroute2', 'yaml', 'structlog', 'asyncio'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
