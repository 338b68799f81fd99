"""The control socket: a Unix socket speaking one JSON object per line.

Request:  {"v": 1, "cmd": "status"}            (or "reload")
Reply:    {"v": 1, "ok": true, ...}  or  {"v": 1, "ok": false, "error": "..."}

A malformed or oversized request gets an error reply; it never disturbs the
daemon. The socket is mode 0600, in a directory nobody else may write to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any, Protocol

import structlog

from vrrpd import __version__
from vrrpd.protocol.status import CONTROL_PROTOCOL_VERSION, RouterStatus

MAX_REQUEST = 64 * 1024


class Controlled(Protocol):
    """What the control socket may ask of the daemon."""

    last_reload_error: str | None

    async def status_report(self) -> list[RouterStatus]: ...

    def interface_drops(self) -> list[dict[str, Any]]: ...

    def request_reload(self) -> None: ...

    def set_maintenance(self, name: str, on: bool) -> str | None: ...


class ControlError(Exception):
    """The control socket cannot be set up safely."""


class ControlServer:
    def __init__(self, path: str, daemon: Controlled) -> None:
        self.path = Path(path)
        self.daemon = daemon
        self.log = structlog.get_logger("vrrpd.control")
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        directory = self.path.parent
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        mode = directory.stat().st_mode
        if mode & (stat.S_IWGRP | stat.S_IWOTH) and not mode & stat.S_ISVTX:
            raise ControlError(
                f"{directory} is writable by others: anyone could replace the control "
                "socket; make it 0755 root:root"
            )
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        old_umask = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=MAX_REQUEST
            )
        finally:
            os.umask(old_umask)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=5)
            reply = await self._answer(line)
        except (ValueError, asyncio.LimitOverrunError):
            reply = _error(f"request too large (limit {MAX_REQUEST} bytes)")
        except TimeoutError:
            reply = _error("no request within 5 s")
        try:
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return _error(f"not JSON: {error}")
        if not isinstance(request, dict) or request.get("v") != CONTROL_PROTOCOL_VERSION:
            return _error(f'expected {{"v": {CONTROL_PROTOCOL_VERSION}, "cmd": ...}}')
        command = request.get("cmd")
        if command == "status":
            return {
                "v": CONTROL_PROTOCOL_VERSION,
                "ok": True,
                "version": __version__,
                "pid": os.getpid(),
                "last_reload_error": self.daemon.last_reload_error,
                "instances": [s.to_json() for s in await self.daemon.status_report()],
                "interface_drops": self.daemon.interface_drops(),
            }
        if command == "reload":
            self.daemon.request_reload()
            return {"v": CONTROL_PROTOCOL_VERSION, "ok": True}
        if command == "maintenance":
            name, on = request.get("instance"), request.get("on")
            if not isinstance(name, str) or not isinstance(on, bool):
                return _error('maintenance needs "instance": NAME and "on": true|false')
            problem = self.daemon.set_maintenance(name, on)
            if problem:
                return _error(problem)
            return {"v": CONTROL_PROTOCOL_VERSION, "ok": True}
        return _error(f"unknown command {command!r}; try status, reload or maintenance")


def _error(text: str) -> dict[str, Any]:
    return {"v": CONTROL_PROTOCOL_VERSION, "ok": False, "error": text}
