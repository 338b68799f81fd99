"""The control socket: requests, refusals, and the permissions it insists on."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.factories import ME, config
from vrrpd.host.control import MAX_REQUEST, ControlError, ControlServer
from vrrpd.protocol import events as ev
from vrrpd.protocol.fsm import VirtualRouter
from vrrpd.protocol.status import RouterStatus


class FakeDaemon:
    def __init__(self) -> None:
        self.last_reload_error: str | None = None
        self.reloads = 0
        self.maintenance: list[tuple[str, bool]] = []
        router = VirtualRouter(config(), ME)
        router.handle(ev.Started(), 0.0)
        self.router = router

    async def status_report(self) -> list[RouterStatus]:
        return [self.router.status(1.0)]

    def interface_drops(self) -> list[dict[str, Any]]:
        return [{"interface": "eth0", "family": 4, "drops": {"wrong_vrid": 2}}]

    def request_reload(self) -> None:
        self.reloads += 1

    def set_maintenance(self, name: str, on: bool) -> str | None:
        if name != "VI_1":
            return f"no instance named {name}"
        self.maintenance.append((name, on))
        return None


async def ask(path: Path, payload: bytes) -> dict[str, Any]:
    reader, writer = await asyncio.open_unix_connection(str(path), limit=2**20)
    writer.write(payload)
    await writer.drain()
    line = await reader.readline()
    writer.close()
    reply: dict[str, Any] = json.loads(line)
    return reply


@pytest.fixture
async def server(tmp_path: Path) -> Any:
    daemon = FakeDaemon()
    path = tmp_path / "run" / "vrrpd.sock"
    control = ControlServer(str(path), daemon)
    await control.start()
    yield path, daemon
    await control.close()


async def test_status_reply_carries_every_instance(server: tuple[Path, FakeDaemon]) -> None:
    path, _ = server
    reply = await ask(path, b'{"v": 1, "cmd": "status"}\n')
    assert reply["ok"] is True
    (instance,) = reply["instances"]
    assert RouterStatus.from_json(instance).state == "BACKUP"
    assert reply["interface_drops"][0]["drops"] == {"wrong_vrid": 2}


async def test_socket_is_private_to_root(server: tuple[Path, FakeDaemon]) -> None:
    path, _ = server
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_malformed_requests_get_an_error_reply(server: tuple[Path, FakeDaemon]) -> None:
    path, _ = server
    assert "not JSON" in (await ask(path, b"hello\n"))["error"]
    assert "expected" in (await ask(path, b'{"cmd": "status"}\n'))["error"]
    assert "unknown command" in (await ask(path, b'{"v": 1, "cmd": "dance"}\n'))["error"]
    assert "maintenance needs" in (await ask(path, b'{"v": 1, "cmd": "maintenance"}\n'))["error"]
    # ...and the server is still there afterwards.
    assert (await ask(path, b'{"v": 1, "cmd": "status"}\n'))["ok"] is True


async def test_oversized_request_is_refused(server: tuple[Path, FakeDaemon]) -> None:
    path, _ = server
    reply = await ask(path, b"x" * (MAX_REQUEST + 10) + b"\n")
    assert "too large" in reply["error"]


async def test_reload_and_maintenance_reach_the_daemon(server: tuple[Path, FakeDaemon]) -> None:
    path, daemon = server
    assert (await ask(path, b'{"v": 1, "cmd": "reload"}\n'))["ok"]
    assert daemon.reloads == 1
    request = b'{"v": 1, "cmd": "maintenance", "instance": "VI_1", "on": true}\n'
    assert (await ask(path, request))["ok"]
    assert daemon.maintenance == [("VI_1", True)]
    request = b'{"v": 1, "cmd": "maintenance", "instance": "VI_9", "on": true}\n'
    assert (await ask(path, request))["error"] == "no instance named VI_9"


async def test_refuses_a_directory_others_may_write(tmp_path: Path) -> None:
    directory = tmp_path / "open"
    directory.mkdir()
    os.chmod(directory, 0o777)
    with pytest.raises(ControlError, match="writable by others"):
        await ControlServer(str(directory / "vrrpd.sock"), FakeDaemon()).start()
