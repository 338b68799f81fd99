"""Real Keepalived 2.2.x next to vrrpd in a lab: its config, start, stop, state.

A test describes a node's virtual routers once, in vrrpd's YAML shape (what
:func:`tests.lab.daemon.instance` returns, plus vrrpd's ``scripts`` mapping),
and :func:`start_daemon` runs either program on it: vrrpd reads the YAML,
Keepalived reads the same routers rendered as ``keepalived.conf`` by
:func:`keepalived_conf`. So "replace Keepalived by vrrpd with the equivalent
config" is one description, two renderings::

    routers = {"VI_1": instance(priority=150, version=2, advert_int=1)}
    ka = start_daemon("keepalived", lab.node(1), routers)
    ka.wait_state("MASTER", timeout=8)
    ka.stop()
    d1 = start_daemon("vrrpd", lab.node(1), routers)

Each Keepalived gets its own directory under the lab's workdir
(``<workdir>/<node>-<tag>/``) with its config, its log and all four pid files
(``-p -r -c -b``), so two Keepalived processes on one host never share a pid
file and none is written outside the lab. It runs in the foreground (``-n``),
VRRP only (``-P``), logging in detail (``-D``) to its console (``-l``, which
the lab sends to the log file) and not to syslog (``-G``).

Its state is read from its own log, ``(VI_1) Entering MASTER STATE`` and the
like: the log's timestamps have a one-second resolution, so times come from
the capture, never from here.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from tests.lab.daemon import START_TIMEOUT, VrrpNode, launch, node_directory
from tests.lab.netlab import Node, Proc, wait_until

KEEPALIVED = "/usr/sbin/keepalived"
Kind = Literal["vrrpd", "keepalived"]
KINDS: tuple[Kind, Kind] = ("vrrpd", "keepalived")

_ENTERING = re.compile(r"\((?P<name>[^)]+)\) Entering (?P<state>[A-Z]+) STATE")
# "Sun Nov 22 04:37:59 2026: " before every line Keepalived logs to its console.
_TIMESTAMP = re.compile(r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: ")


# ------------------------------------------------------------------ keepalived.conf


def _number(value: float) -> str:
    """1 -> "1", 0.1 -> "0.1" (Keepalived reads both)."""
    return f"{value:g}"


def _quoted(command: str) -> str:
    if '"' in command:
        raise ValueError(f"cannot quote a command holding a double quote: {command!r}")
    return f'"{command}"'


def _tracks(items: Sequence[str | Mapping[str, Any]]) -> list[str]:
    lines = []
    for item in items:
        if isinstance(item, str):
            lines.append(f"        {item}")
        else:
            lines.append(f"        {item['name']} weight {item['weight']}")
    return lines


def _vrrp_script(name: str, body: Mapping[str, Any]) -> list[str]:
    known = {"script", "interval", "timeout", "fall", "rise", "weight"}
    unknown = set(body) - known
    if unknown:
        raise ValueError(f"script {name}: no Keepalived rendering for {sorted(unknown)}")
    lines = [f"vrrp_script {name} {{", f"    script {_quoted(body['script'])}"]
    for key in ("interval", "timeout", "fall", "rise", "weight"):
        if key in body:
            lines.append(f"    {key} {_number(body[key])}")
    return [*lines, "}"]


def _vrrp_instance(name: str, body: Mapping[str, Any], state: str) -> list[str]:
    lines = [
        f"vrrp_instance {name} {{",
        f"    state {state}",
        f"    interface {body['interface']}",
        f"    virtual_router_id {body['vrid']}",
        f"    priority {body.get('priority', 100)}",
        f"    version {body.get('version', 3)}",
        f"    advert_int {_number(body.get('advert_int', 1))}",
    ]
    handled = {"interface", "vrid", "priority", "version", "advert_int", "virtual_ipaddress"}
    if "garp_master_delay" in body:
        lines.append(f"    garp_master_delay {_number(body['garp_master_delay'])}")
        handled.add("garp_master_delay")
    if body.get("nopreempt") or body.get("preempt") is False:
        lines.append("    nopreempt")
    handled |= {"nopreempt", "preempt"}
    if "authentication" in body:
        auth = body["authentication"]
        lines += [
            "    authentication {",
            f"        auth_type {auth['auth_type']}",
            f"        auth_pass {auth['auth_pass']}",
            "    }",
        ]
        handled.add("authentication")
    if "unicast_src_ip" in body:
        lines.append(f"    unicast_src_ip {body['unicast_src_ip']}")
        handled.add("unicast_src_ip")
    if "unicast_peer" in body:
        peers = [f"        {peer}" for peer in body["unicast_peer"]]
        lines += ["    unicast_peer {", *peers, "    }"]
        handled.add("unicast_peer")
    if "track_script" in body:
        lines += ["    track_script {", *_tracks(body["track_script"]), "    }"]
        handled.add("track_script")
    unknown = set(body) - handled
    if unknown:  # never drop a setting silently: the two daemons would differ
        raise ValueError(f"instance {name}: no Keepalived rendering for {sorted(unknown)}")
    vips = []
    for vip in body["virtual_ipaddress"]:
        if not isinstance(vip, str):
            raise ValueError(f"instance {name}: only plain VIPs are rendered, not {vip!r}")
        vips.append(f"        {vip}")
    return [*lines, "    virtual_ipaddress {", *vips, "    }", "}"]


def keepalived_conf(
    instances: Mapping[str, Mapping[str, Any]],
    *,
    scripts: Mapping[str, Mapping[str, Any]] | None = None,
    state: str = "BACKUP",
) -> str:
    """The keepalived.conf for routers and scripts given in vrrpd's YAML shape.

    Every instance gets ``state`` (Keepalived's initial state: either way it
    waits out its Master_Down_Interval first) and an explicit ``version``, since
    Keepalived defaults to 2 and vrrpd to 3. No ``vrrp_strict``. Scripts run as
    root with ``enable_script_security`` on, which keeps Keepalived quiet.
    """
    lines = [
        "global_defs {",
        "    enable_script_security",
        "    script_user root",
        "}",
    ]
    for name, body in (scripts or {}).items():
        lines += _vrrp_script(name, body)
    for name, body in instances.items():
        lines += _vrrp_instance(name, body, state)
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------- running


@dataclass
class KeepalivedNode:
    """One Keepalived running in a lab node, with its own files (VrrpNode's API)."""

    node: Node
    directory: Path
    config_path: Path
    log_path: Path
    proc: Proc
    kind: Kind = "keepalived"

    # ---- its view, from its log

    def log_lines(self) -> list[str]:
        """What it logged, oldest first, without the timestamps."""
        text = self.log_path.read_text(errors="replace")
        return [_TIMESTAMP.sub("", line) for line in text.splitlines()]

    def transitions(self, name: str = "VI_1") -> list[str]:
        """Every state ``name`` entered, in order (``Entering X STATE`` lines)."""
        found = []
        for line in self.log_lines():
            match = _ENTERING.search(line)
            if match and match["name"] == name:
                found.append(match["state"])
        return found

    def state(self, name: str = "VI_1") -> str | None:
        """The state ``name`` entered last (None before the first)."""
        states = self.transitions(name)
        return states[-1] if states else None

    def wait_state(self, state: str, name: str = "VI_1", timeout: float = 5.0) -> list[str]:
        """Wait until ``name`` is in ``state``; its transitions then."""

        def reached() -> list[str]:
            if not self.proc.running:
                raise AssertionError(f"keepalived on {self.node.name} exited: {self.tail()}")
            states = self.transitions(name)
            return states if states and states[-1] == state else []

        return wait_until(
            reached,
            timeout,
            interval=0.02,
            message=lambda: f"keepalived {self.node.name} {name} {state} (is {self.state(name)})",
        )

    def grep(self, pattern: str) -> list[str]:
        """Log lines matching the regular expression ``pattern``."""
        regex = re.compile(pattern)
        return [line for line in self.log_lines() if regex.search(line)]

    def wait_log(self, pattern: str, timeout: float = 5.0) -> list[str]:
        """Wait for a log line matching ``pattern``; all such lines."""
        return wait_until(
            lambda: self.grep(pattern),
            timeout,
            interval=0.05,
            message=f"keepalived {self.node.name}: log line /{pattern}/",
        )

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_lines()[-lines:])

    # ---- life cycle

    def kill(self) -> None:
        """SIGKILL to Keepalived's parent and its VRRP child at once: a crash.

        Both are in the process group the lab started. Killing only the parent
        is *not* a crash: the VRRP child sees it go and resigns with priority 0.
        """
        self.proc.signal_group(signal.SIGKILL)
        self.proc.wait(5)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM (the master sends priority 0 and removes its VIPs), and the exit status."""
        self.proc.terminate()
        return self.proc.wait(timeout)


def start_keepalived(
    node: Node,
    instances: Mapping[str, Mapping[str, Any]],
    *,
    scripts: Mapping[str, Mapping[str, Any]] | None = None,
    state: str = "BACKUP",
    tag: str = "keepalived",
    wait: bool = True,
) -> KeepalivedNode:
    """Write the node's keepalived.conf and start it; with ``wait``, until every
    instance has entered its first state (BACKUP, or FAULT)."""
    directory = node_directory(node, tag)
    config = directory / "keepalived.conf"
    config.write_text(keepalived_conf(instances, scripts=scripts, state=state))
    number = len(list(directory.glob("keepalived-*.log"))) + 1
    log_path = directory / f"keepalived-{number}.log"
    argv = [
        KEEPALIVED, "-n", "-l", "-D", "-G", "-P", "-f", str(config),
        "-p", str(directory / "keepalived.pid"), "-r", str(directory / "vrrp.pid"),
        "-c", str(directory / "checkers.pid"), "-b", str(directory / "bfd.pid"),
    ]  # fmt: skip
    proc = node.spawn(argv, log_path=log_path)
    daemon = KeepalivedNode(node, directory, config, log_path, proc)
    if wait:

        def started() -> bool:
            if not proc.running:
                raise AssertionError(f"keepalived on {node.name} exited: {daemon.tail()}")
            return all(daemon.transitions(name) for name in instances)

        wait_until(started, START_TIMEOUT, interval=0.02, message=f"keepalived on {node.name} up")
    return daemon


def start_vrrpd_with_scripts(
    node: Node,
    instances: Mapping[str, Mapping[str, Any]],
    *,
    scripts: Mapping[str, Mapping[str, Any]] | None = None,
    tag: str = "vrrpd",
    wait: bool = True,
) -> VrrpNode:
    """:func:`tests.lab.daemon.start_vrrpd` with a ``scripts`` section as well."""
    directory = node_directory(node, tag)
    document: dict[str, Any] = {
        "global": {"control_socket": str(directory / "vrrpd.sock"), "router_id": node.name},
    }
    if scripts:
        document["scripts"] = {name: dict(body) for name, body in scripts.items()}
    document["instances"] = {name: dict(body) for name, body in instances.items()}
    (directory / "vrrpd.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return launch(node, directory, wait=wait)


Daemon = VrrpNode | KeepalivedNode


def start_daemon(
    kind: Kind,
    node: Node,
    instances: Mapping[str, Mapping[str, Any]],
    *,
    scripts: Mapping[str, Mapping[str, Any]] | None = None,
    state: str = "BACKUP",
    tag: str | None = None,
    wait: bool = True,
) -> Daemon:
    """Start vrrpd or Keepalived on the same description of the node's routers.

    ``state`` is Keepalived's initial state; vrrpd has none (every instance
    starts as BACKUP, as Keepalived's do in practice).
    """
    if kind == "vrrpd":
        return start_vrrpd_with_scripts(
            node, instances, scripts=scripts, tag=tag or "vrrpd", wait=wait
        )
    return start_keepalived(
        node, instances, scripts=scripts, state=state, tag=tag or "keepalived", wait=wait
    )


def kind_of(daemon: Daemon) -> Kind:
    return "keepalived" if isinstance(daemon, KeepalivedNode) else "vrrpd"


def crash(daemon: Daemon) -> None:
    """kill -9 of the whole daemon, as a crash would: nothing more goes on the wire."""
    if isinstance(daemon, KeepalivedNode):
        daemon.kill()
    else:
        daemon.proc.kill()
        daemon.proc.wait(5)
