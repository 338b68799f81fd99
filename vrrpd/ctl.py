"""`vrrpctl`: ask a running vrrpd what it thinks, and why.

    vrrpctl status [INSTANCE] [--json]
    vrrpctl maintenance INSTANCE on|off
    vrrpctl reload
    vrrpctl check-config [FILE]
    vrrpctl convert FILE > vrrpd.yaml
    vrrpctl watch IFACE [--duration SECONDS] [--once] [--json]

Imports only the standard library and vrrpd.protocol.status, so it starts
fast. Exit status of `status`: 0 all well, 1 an instance is in FAULT,
3 the daemon is not running (usable as a health check).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from typing import Any

from vrrpd import __version__
from vrrpd.protocol.status import (
    CONTROL_PROTOCOL_VERSION,
    DEFAULT_CONTROL_SOCKET,
    RouterStatus,
)

EXIT_OK, EXIT_FAULT, EXIT_ERROR, EXIT_NOT_RUNNING = 0, 1, 2, 3
TIMEOUT = 5.0


class NotRunningError(Exception):
    """The daemon's control socket does not answer."""


class ControlSocketError(Exception):
    """The control socket is there but cannot be used (permissions, ...)."""


def request(path: str, command: str, **arguments: Any) -> dict[str, Any]:
    """One request on the control socket, one reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError) as error:
            raise NotRunningError(
                f"vrrpd is not running (no answer on {path}: {error.strerror})"
            ) from None
        except PermissionError:
            raise ControlSocketError(
                f"no permission to use {path}: the control socket is root's only; "
                "run vrrpctl as root (sudo vrrpctl ...)"
            ) from None
        except OSError as error:
            raise ControlSocketError(f"cannot reach vrrpd on {path}: {error}") from None
        message = {"v": CONTROL_PROTOCOL_VERSION, "cmd": command, **arguments}
        sock.sendall(json.dumps(message).encode() + b"\n")
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            raise ControlSocketError(
                f"vrrpd did not answer on {path} within {TIMEOUT:g} s: is it hung? "
                "(systemd's watchdog restarts a hung vrrpd)"
            ) from None
    reply: dict[str, Any] = json.loads(b"".join(chunks))
    return reply


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def render_table(statuses: list[RouterStatus]) -> str:
    """One row per instance, the reason last so it may run long."""
    header = ["INSTANCE", "IFACE", "VRID", "VER", "STATE", "FOR", "PRIO", "MASTER", "VIPS", "WHY"]
    rows = [header]
    for s in statuses:
        state = s.state + (" (maintenance)" if s.maintenance else "")
        prio = str(s.effective_priority)
        if s.effective_priority != s.base_priority:
            prio += f" (base {s.base_priority})"
        master = "-" if s.master_address is None else s.master_address
        if s.master_address is not None and s.master_priority is not None:
            master += f" prio {s.master_priority}"
        rows.append(
            [
                s.name,
                s.interface,
                str(s.vrid),
                f"v{s.version}",
                state,
                format_duration(s.in_state_for),
                prio,
                master,
                render_vips(s),
                s.reason,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def render_vips(s: RouterStatus) -> str:
    """The VIPs, each marked `(here)` when this node holds it."""
    present = s.host.vips_present if s.host else {}
    return ",".join(f"{vip}{' (here)' if present.get(vip) else ''}" for vip in s.vips)


def render_detail(s: RouterStatus) -> str:
    lines = [
        f"{s.name}: {s.state} for {format_duration(s.in_state_for)} — {s.reason}",
        f"  interface {s.interface}, VRID {s.vrid}, VRRPv{s.version}, IPv{s.family}",
        f"  priority {s.effective_priority} (base {s.base_priority})",
        f"  advert interval {s.advertisement_interval:g} s"
        f" (master's: {s.master_adver_interval:g} s)",
        (
            f"  master {s.master_address} priority {s.master_priority}"
            if s.master_address
            else "  master: none heard yet"
        ),
    ]
    if s.master_down_in is not None:
        lines.append(f"  takes over in {s.master_down_in:.3f} s if the master goes silent")
    if s.maintenance:
        lines.append("  in maintenance: `vrrpctl maintenance NAME off` gives it back")
    lines.append(f"  VIPs: {render_vips(s) or '-'}")
    # A script's latest run says more than the result that last changed its state.
    latest = {r.name: r.last_detail for r in s.host.scripts} if s.host else {}
    for t in s.tracks:
        state = "up" if t.up else "DOWN"
        effect = "FAULT" if t.faults else f"{t.delta:+d}"
        word = latest.get(t.name, t.detail) if t.kind == "script" else t.detail
        detail = f" ({word})" if word else ""
        lines.append(f"  track {t.kind} {t.name}: {state}, weight {t.weight}, {effect}{detail}")
    c = s.counters
    lines.append(
        f"  adverts sent {c.adverts_sent}, received {c.adverts_received}, "
        f"transitions {c.transitions}"
    )
    drops = ", ".join(f"{k} {v}" for k, v in sorted(c.drops.items())) or "none"
    lines.append(f"  drops: {drops}")
    if s.host is not None:
        lines += render_host(s)
    return "\n".join(lines)


def render_host(s: RouterStatus) -> list[str]:
    assert s.host is not None
    lines = []
    for script in s.host.scripts:
        lines.append(
            f"  script {script.name}: {script.runs} runs, {script.failures} failed, "
            f"{script.timeouts} timed out; last: {script.last_detail}"
        )
        if script.last_output.strip():
            lines.append(f"    output: {script.last_output.strip().splitlines()[-1]}")
    if s.host.send_errors:
        lines.append(f"  advert send errors: {s.host.send_errors}")
    if s.host.notify_history:
        lines.append("  notify hooks (oldest first):")
    for hook in s.host.notify_history:
        mark = "ok" if hook.ok else "FAILED"
        lines.append(
            f"    {format_duration(hook.ago)} ago  {hook.hook} {hook.state}: {mark}, "
            f"{hook.detail}, {hook.duration * 1000:.0f} ms  ({hook.command})"
        )
    return lines


def ask(args: argparse.Namespace, command: str, **arguments: Any) -> dict[str, Any] | int:
    """The daemon's reply, or the exit status to end with (having said why)."""
    try:
        reply = request(args.socket, command, **arguments)
    except NotRunningError as error:
        print(error, file=sys.stderr)
        return EXIT_NOT_RUNNING
    except ControlSocketError as error:
        print(f"vrrpctl: {error}", file=sys.stderr)
        return EXIT_ERROR
    if not reply.get("ok"):
        print(f"vrrpctl: {reply.get('error')}", file=sys.stderr)
        return EXIT_ERROR
    return reply


def cmd_status(args: argparse.Namespace) -> int:
    reply = ask(args, "status")
    if isinstance(reply, int):
        return reply
    try:
        statuses = [RouterStatus.from_json(item) for item in reply["instances"]]
    except (KeyError, TypeError) as error:
        print(
            f"vrrpctl: the running vrrpd ({reply.get('version', '?')}) speaks another status "
            f"format than this vrrpctl ({__version__}): {error}; restart vrrpd after an upgrade",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if args.instance:
        statuses = [s for s in statuses if s.name == args.instance]
        if not statuses:
            print(f"vrrpctl: no instance named {args.instance}", file=sys.stderr)
            return EXIT_ERROR
    if args.json:
        print(json.dumps(reply if not args.instance else statuses[0].to_json(), indent=2))
    elif args.instance:
        print(render_detail(statuses[0]))
    else:
        print(render_table(statuses))
        for entry in reply.get("interface_drops", []):
            drops = ", ".join(f"{k} {v}" for k, v in sorted(entry["drops"].items()))
            print(f"\n{entry['interface']} IPv{entry['family']}, before any instance: {drops}")
        if reply.get("last_reload_error"):
            print(f"\nlast reload refused:\n{reply['last_reload_error']}")
    return EXIT_FAULT if any(s.state == "FAULT" for s in statuses) else EXIT_OK


def cmd_reload(args: argparse.Namespace) -> int:
    reply = ask(args, "reload")
    if isinstance(reply, int):
        return reply
    print("reload requested; see `vrrpctl status` and the log for the outcome")
    return EXIT_OK


def cmd_maintenance(args: argparse.Namespace) -> int:
    reply = ask(args, "maintenance", instance=args.instance, on=args.mode == "on")
    if isinstance(reply, int):
        return reply
    if args.mode == "on":
        print(f"{args.instance}: in maintenance; it resigns if master and stays BACKUP")
    else:
        print(f"{args.instance}: back in service")
    return EXIT_OK


def cmd_convert(args: argparse.Namespace) -> int:
    from vrrpd.config.convert import convert_file  # noqa: PLC0415 (loads yaml)
    from vrrpd.config.errors import ConfigError  # noqa: PLC0415

    try:
        text, noticed = convert_file(args.file)
    except ConfigError as error:
        print(error, *error.warnings, sep="\n", file=sys.stderr)
        return EXIT_ERROR
    for issue in noticed:
        print(issue, file=sys.stderr)
    sys.stdout.write(text)
    return EXIT_OK


def cmd_watch(args: argparse.Namespace) -> int:
    from vrrpd.watch import run_watch  # noqa: PLC0415 (loads scapy: for watch only)

    return run_watch(args.iface, duration=args.duration, once=args.once, json=args.json)


def cmd_check_config(args: argparse.Namespace) -> int:
    from vrrpd.daemon import DEFAULT_CONFIG, check_config  # noqa: PLC0415 (loads yaml)

    return check_config(args.file or DEFAULT_CONFIG)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vrrpctl", description="control a running vrrpd")
    parser.add_argument("--socket", default=DEFAULT_CONTROL_SOCKET, help="control socket")
    commands = parser.add_subparsers(dest="command", required=True)
    status = commands.add_parser("status", help="what every instance thinks, and why")
    status.add_argument("instance", nargs="?", help="one instance, in detail")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(run=cmd_status)
    commands.add_parser("reload", help="reload the config (as SIGHUP)").set_defaults(run=cmd_reload)
    maintenance = commands.add_parser("maintenance", help="drain an instance, or give it back")
    maintenance.add_argument("instance")
    maintenance.add_argument("mode", choices=["on", "off"])
    maintenance.set_defaults(run=cmd_maintenance)
    check = commands.add_parser("check-config", help="validate a config file")
    check.add_argument("file", nargs="?")
    check.set_defaults(run=cmd_check_config)
    convert = commands.add_parser("convert", help="print a keepalived.conf as vrrpd's YAML")
    convert.add_argument("file", metavar="FILE", help="keepalived.conf (or a vrrpd YAML file)")
    convert.set_defaults(run=cmd_convert)
    watch = commands.add_parser("watch", help="every VRRP speaker heard on a segment, live")
    watch.add_argument("iface", metavar="IFACE", help="the interface to listen on (needs root)")
    watch.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this long (default: Ctrl-C)"
    )
    watch.add_argument(
        "--once",
        action="store_true",
        help="listen (--duration, default 3 s), print the table once; exit 1 on conflicts",
    )
    watch.add_argument(
        "--json", action="store_true", help="one JSON line per advert and per conflict"
    )
    watch.set_defaults(run=cmd_watch)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
