"""Helpers for lab tests of real vrrpd processes: configs, start, status, logs.

Every daemon of a lab shares the host's filesystem, so each gets its own
directory under the lab's workdir (``<workdir>/<node>-<tag>/``) holding its
config, its control socket and its log::

    d1 = start_vrrpd(lab.node(1), {"VI_1": instance(vrid=51, priority=200)})
    d1.wait_state("MASTER")
    d1.status()["instances"][0]["reason"]

Status is read over the control socket with vrrpctl's own client
(:func:`vrrpd.ctl.request`), which is what ``vrrpctl --socket PATH status
--json`` prints; :meth:`VrrpNode.vrrpctl` runs the real command when a test
wants the CLI itself.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

import yaml

from tests.lab.netlab import Advert, Capture, Lab, Node, Proc, vip4, wait_until
from vrrpd.ctl import NotRunningError, request

IPAddress = IPv4Address | IPv6Address

# Fast but not frantic: v3 adverts every 0.1 s (Master_Down_Interval ~0.35 s).
FAST_ADVERT_INT = 0.1
# Generous: the suite runs on two loaded cores.
START_TIMEOUT = 10.0
WAIT_TIMEOUT = 8.0  # for waits that should end far sooner


def instance(
    *,
    vrid: int = 51,
    priority: int = 100,
    vips: Sequence[str] | None = None,
    version: int = 3,
    advert_int: float = FAST_ADVERT_INT,
    **extra: Any,
) -> dict[str, Any]:
    """One instance's YAML mapping on eth0; ``extra`` keys are copied as they are."""
    body: dict[str, Any] = {
        "interface": "eth0",
        "vrid": vrid,
        "priority": priority,
        "version": version,
        "advert_int": advert_int,
        "virtual_ipaddress": list(vips) if vips is not None else [f"{vip4()}/24"],
        # One announcement burst, no delayed second one: keeps captures readable.
        "garp_master_delay": 0,
    }
    body.update(extra)
    return body


def write_config(
    path: Path,
    instances: Mapping[str, Mapping[str, Any]],
    *,
    control_socket: Path,
    global_extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a vrrpd YAML config with these instances and this control socket."""
    document = {
        "global": {"control_socket": str(control_socket), **(global_extra or {})},
        "instances": {name: dict(body) for name, body in instances.items()},
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@dataclass
class VrrpNode:
    """One vrrpd running in a lab node, with its own files."""

    node: Node
    directory: Path
    config_path: Path
    socket_path: Path
    log_path: Path
    proc: Proc

    # ---- the daemon's view

    def status(self) -> dict[str, Any]:
        """The control socket's status reply (what ``vrrpctl status --json`` prints)."""
        return request(str(self.socket_path), "status")

    def instance(self, name: str = "VI_1") -> dict[str, Any] | None:
        """One instance's status, or None when the daemon does not answer (yet)."""
        try:
            reply = self.status()
        except (NotRunningError, OSError, ValueError):
            return None
        for item in reply.get("instances", []):
            if item["name"] == name:
                found: dict[str, Any] = item
                return found
        return None

    def state(self, name: str = "VI_1") -> str | None:
        found = self.instance(name)
        return None if found is None else str(found["state"])

    def wait_state(self, state: str, name: str = "VI_1", timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the instance is in ``state``; its status then."""

        def reached() -> dict[str, Any]:
            found = self.instance(name)
            return found if found is not None and found["state"] == state else {}

        return wait_until(
            reached,
            timeout,
            interval=0.02,
            message=lambda: f"{self.node.name} {name} {state} (is {self.instance(name)})",
        )

    def wait_following(
        self, master: IPAddress, name: str = "VI_1", timeout: float = 5.0
    ) -> dict[str, Any]:
        """Wait until the instance is BACKUP and names ``master`` as the master."""

        def following() -> dict[str, Any]:
            found = self.instance(name) or {}
            ok = found.get("state") == "BACKUP" and found.get("master_address") == str(master)
            return found if ok else {}

        return wait_until(
            following,
            timeout,
            interval=0.02,
            message=lambda: f"{self.node.name} {name} follows {master} (is {self.instance(name)})",
        )

    def drops(self, name: str = "VI_1") -> dict[str, int]:
        found = self.instance(name)
        return {} if found is None else dict(found["counters"]["drops"])

    def wait_drops(self, reason: str, at_least: int, name: str = "VI_1") -> int:
        """Wait until ``reason`` has been counted ``at_least`` times; the count."""
        return wait_until(
            lambda: count if (count := self.drops(name).get(reason, 0)) >= at_least else 0,
            10.0,
            interval=0.05,
            message=lambda: f"{self.node.name}: {at_least} {reason} drops ({self.drops(name)})",
        )

    def vrrpctl(self, *args: str) -> Any:
        """Run the real ``vrrpctl --socket PATH ARGS...`` in the node; parsed JSON stdout."""
        argv = [sys.executable, "-m", "vrrpd.ctl", "--socket", str(self.socket_path), *args]
        result = self.node.run(argv, timeout=20)
        assert result.returncode in (0, 1), f"vrrpctl {args}: {result.stderr}"
        return json.loads(result.stdout)

    # ---- the log

    def log_events(self, event: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        """The JSON log records, oldest first, optionally only those matching."""
        records = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue  # not a structlog record (a traceback, a hook's output)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if event is not None and record.get("event") != event:
                continue
            if any(record.get(k) != v for k, v in fields.items()):
                continue
            records.append(record)
        return records

    def wait_log(self, event: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """Wait for a log record ``event`` (with these fields); the first such record."""
        found = wait_until(
            lambda: self.log_events(event, **fields),
            timeout,
            interval=0.05,
            message=f"{self.node.name}: log record {event} {fields or ''}",
        )
        return found[0]

    # ---- life cycle

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, and the exit status."""
        self.proc.terminate()
        return self.proc.wait(timeout)

    def reload(self) -> None:
        self.proc.send_signal(signal.SIGHUP)


def start_vrrpd(
    node: Node,
    instances: Mapping[str, Mapping[str, Any]],
    *,
    tag: str = "vrrpd",
    global_extra: Mapping[str, Any] | None = None,
    wait: bool = True,
) -> VrrpNode:
    """Write the node's config and start vrrpd; with ``wait``, until its socket answers."""
    directory = node_directory(node, tag)
    write_config(
        directory / "vrrpd.yaml",
        instances,
        control_socket=directory / "vrrpd.sock",
        global_extra={"router_id": node.name, **(global_extra or {})},
    )
    return launch(node, directory, wait=wait)


def switch_as_hub(lab: Lab) -> None:
    """Make the lab's bridge flood unicast to every port, the observer's included.

    A learning bridge sends a frame for a known MAC to that port only, so the
    observer would miss unicast adverts; with learning off (and the table
    flushed) every frame reaches every port, as on a hub or a mirror port.
    """
    ports = [node.switch_port for node in lab.nodes] + ["to-obs"]
    for port in ports:
        lab.switch.ip("link", "set", port, "type", "bridge_slave", "learning", "off")
    lab.switch.ip("link", "set", "br0", "type", "bridge", "fdb_flush")


def node_directory(node: Node, tag: str = "vrrpd") -> Path:
    """``<workdir>/<node>-<tag>/``, mode 0755 (the control socket refuses a writable one)."""
    directory = node._lab.workdir / f"{node.name}-{tag}"
    directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    directory.chmod(0o755)
    return directory


def launch(node: Node, directory: Path, *, wait: bool = True) -> VrrpNode:
    """Start (or restart) vrrpd on the config already in ``directory``."""
    config = directory / "vrrpd.yaml"
    number = len(list(directory.glob("vrrpd-*.log"))) + 1
    log_path = directory / f"vrrpd-{number}.log"
    argv = [
        sys.executable, "-m", "vrrpd.daemon", "--config", str(config),
        "--log-format", "json", "--log-level", "debug",
    ]  # fmt: skip
    proc = node.spawn(argv, log_path=log_path)
    daemon = VrrpNode(node, directory, config, directory / "vrrpd.sock", log_path, proc)
    if wait:

        def answering() -> bool:
            if not proc.running:
                raise AssertionError(f"vrrpd on {node.name} exited: {proc.log_text()[-2000:]}")
            return daemon.instance(first_instance(config)) is not None

        wait_until(answering, START_TIMEOUT, interval=0.05, message=f"vrrpd on {node.name} up")
    return daemon


def first_instance(config: Path) -> str:
    document = yaml.safe_load(config.read_text())
    return str(next(iter(document["instances"])))


def wait_adverts(
    capture: Capture,
    count: int,
    *,
    since: float,
    src: IPAddress | None = None,
    vrid: int | None = None,
    where: Callable[[Advert], bool] = lambda advert: True,
    timeout: float = WAIT_TIMEOUT,
) -> list[Advert]:
    """Wait until ``count`` matching adverts are on the wire since ``since``; the first ones."""

    def found() -> list[Advert]:
        adverts = [a for a in capture.adverts(src=src, vrid=vrid, since=since) if where(a)]
        return adverts[:count] if len(adverts) >= count else []

    return wait_until(
        found, timeout, interval=0.02, message=f"{count} adverts from {src} since {since:.3f}"
    )
