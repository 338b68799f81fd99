"""A Config -> vrrpd's YAML (docs/configuration.md): what `vrrpctl convert` prints.

The text is written by hand rather than by yaml.dump, so it reads like the
examples in docs/examples/: sections in the schema's order, one setting a
line, short lists in [flow] form, defaults left out, except the ones a
Keepalived user would otherwise misread (`version`, `priority`,
`advert_int` are always written, since vrrpd's YAML defaults to version 3
where Keepalived defaults to 2).

For any config the loaders build, ``parse_config(to_yaml(c), f) == c``.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import yaml

from vrrpd import __version__
from vrrpd.config.detect import load_any_with_warnings
from vrrpd.config.errors import ConfigIssue
from vrrpd.protocol.model import (
    Announcements,
    AuthType,
    Config,
    FileTrack,
    GlobalConfig,
    InstanceConfig,
    NotifyHooks,
    ScriptTrack,
    SyncGroupConfig,
    TrackKind,
    TrackRef,
    Vip,
)

_PLAIN = re.compile(r"[A-Za-z0-9_./+=-][A-Za-z0-9_./@+=-]*")
# Characters YAML does not allow, or folds, unescaped (JSON escapes C0 controls itself).
_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_HOOKS = (
    ("notify_master", "master"),
    ("notify_backup", "backup"),
    ("notify_fault", "fault"),
    ("notify_stop", "stop"),
    ("notify", "notify"),
)
_TRACK_KEYS = {
    TrackKind.SCRIPT: "track_script",
    TrackKind.INTERFACE: "track_interface",
    TrackKind.FILE: "track_file",
}
_WRAP = 98


def convert_file(path: str | Path) -> tuple[str, tuple[ConfigIssue, ...]]:
    """The YAML for the config at `path` (keepalived.conf or YAML), and what was noticed.

    Raises ConfigError when the file cannot be used as it is.
    """
    loaded = load_any_with_warnings(path)
    return to_yaml(loaded.config, source=str(path), issues=loaded.warnings), loaded.warnings


def to_yaml(
    config: Config, *, source: str | None = None, issues: Iterable[ConfigIssue] = ()
) -> str:
    """vrrpd's YAML for `config`, with a header saying where it came from and what was noticed."""
    sections = [
        _global(config.global_),
        _scripts(config.scripts),
        _track_files(config.files),
        _instances(config.instances, config.global_.notify, config.scripts, config.files),
        _sync_groups(config.sync_groups),
    ]
    body = "\n".join("\n".join(lines) + "\n" for lines in sections if lines)
    return _header(source, list(issues)) + "\n" + body


def _header(source: str | None, issues: list[ConfigIssue]) -> str:
    origin = f"converted from {source}" if source else "written"
    lines = [
        f"# vrrpd configuration, {origin} by vrrpd {__version__}.",
        "# It means what the original meant: Keepalived's defaults are written out where",
        "# vrrpd's differ (version: 2), and docs/migrating-from-keepalived.md lists the rest.",
    ]
    if issues:
        lines += ["#", "# What the conversion noticed:"]
        for issue in issues:
            wrapped = textwrap.wrap(
                str(issue), _WRAP - 4, subsequent_indent="    ", break_on_hyphens=False
            )
            lines += [f"#   {line}" for line in wrapped]
    lines += ["#", "# Check it with:  vrrpd --check-config FILE"]
    return "\n".join(lines) + "\n"


# --- scalars ----------------------------------------------------------------------------------


def text(value: str) -> str:
    """A string as YAML that the loader reads back as exactly this string."""
    if _PLAIN.fullmatch(value) and _reads_back(value):
        return value
    # A JSON string is a YAML double-quoted one; YAML also wants DEL, C1 and breaks escaped.
    quoted = json.dumps(value, ensure_ascii=False)
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", quoted)


def _reads_back(value: str) -> bool:
    try:
        return bool(yaml.safe_load(value) == value)
    except yaml.YAMLError:  # "...", a document end marker, is no value at all
        return False


def number(value: float | int | Decimal) -> str:
    """A plain decimal number: 1, 0.5, 1000 (never 1e-05 or 2.0)."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if exact == exact.to_integral_value():
        return str(int(exact))
    return format(exact.normalize(), "f")


def _flow(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _address(value: object) -> str:
    return text(str(value)) if ":" not in str(value) else json.dumps(str(value))


# --- sections ---------------------------------------------------------------------------------


def _hooks(hooks: NotifyHooks, fallback: NotifyHooks, indent: str) -> Iterator[str]:
    """The notify_* lines of `hooks` that differ from what the loader would fall back to."""
    for key, attribute in _HOOKS:
        command: str | None = getattr(hooks, attribute)
        if command is not None and command != getattr(fallback, attribute):
            yield f"{indent}{key}: {text(command)}"
    if hooks.timeout != fallback.timeout:
        yield f"{indent}notify_timeout: {number(hooks.timeout)}"


def _global(g: GlobalConfig) -> list[str]:
    d = GlobalConfig()
    lines = [
        f"  {key}: {text(value)}"
        for key, value, default in (
            ("router_id", g.router_id, d.router_id),
            ("log_format", g.log_format, d.log_format),
            ("log_level", g.log_level, d.log_level),
            ("control_socket", g.control_socket, d.control_socket),
            ("script_user", g.script_user, d.script_user),
            ("metrics_listen", g.metrics_listen, d.metrics_listen),
        )
        if value is not None and value != default
    ]
    lines += _hooks(g.notify, NotifyHooks(), "  ")
    return ["global:", *lines] if lines else []


def _scripts(scripts: Iterable[ScriptTrack]) -> list[str]:
    lines: list[str] = []
    for s in scripts:
        lines += [f"  {text(s.name)}:", f"    script: {json.dumps(s.command)}"]
        lines.append(f"    interval: {number(s.interval)}")
        if s.timeout is not None:
            lines.append(f"    timeout: {number(s.timeout)}")
        for key, value in (("fall", s.fall), ("rise", s.rise)):
            if value != 1:
                lines.append(f"    {key}: {value}")
        if s.weight:
            lines.append(f"    weight: {s.weight}")
        if s.user is not None:
            lines.append(f"    user: {text(s.user)}")
        if s.init_fail:
            lines.append("    init_fail: true")
    return ["scripts:", *lines] if lines else []


def _track_files(files: Iterable[FileTrack]) -> list[str]:
    lines: list[str] = []
    for f in files:
        lines += [f"  {text(f.name)}:", f"    file: {text(f.path)}"]
        if f.weight != FileTrack(f.name, f.path).weight:
            lines.append(f"    weight: {f.weight}")
    return ["track_files:", *lines] if lines else []


def _instances(
    instances: Iterable[InstanceConfig],
    global_hooks: NotifyHooks,
    scripts: Iterable[ScriptTrack],
    files: Iterable[FileTrack],
) -> list[str]:
    defaults = {(TrackKind.SCRIPT, s.name): s.weight for s in scripts}
    defaults |= {(TrackKind.FILE, f.name): f.weight for f in files}
    blocks = [_instance(i, global_hooks, defaults) for i in instances]
    if not blocks:
        return []
    return ["instances:", *[line for block in blocks for line in ("", *block)][1:]]


def _instance(
    inst: InstanceConfig, global_hooks: NotifyHooks, defaults: dict[tuple[TrackKind, str], int]
) -> list[str]:
    lines = [
        f"  {text(inst.name)}:",
        f"    interface: {text(inst.interface)}",
        f"    vrid: {inst.vrid}",
        f"    priority: {inst.priority}",
        f"    version: {int(inst.version)}",
        f"    advert_int: {number(Decimal(inst.advert_int_cs) / 100)}",
        "    virtual_ipaddress:",
        *(f"      - {_vip(vip)}" for vip in inst.vips),
    ]
    if inst.unicast_src_ip is not None:
        lines.append(f"    unicast_src_ip: {_address(inst.unicast_src_ip)}")
    if inst.unicast_peers:
        lines.append(f"    unicast_peer: {_flow(_address(p) for p in inst.unicast_peers)}")
    if inst.auth_type is AuthType.PASS:
        password = json.dumps(inst.auth_pass.decode())
        lines.append(f"    authentication: {{auth_type: PASS, auth_pass: {password}}}")
    if not inst.preempt:
        lines.append("    nopreempt: true")
    if inst.preempt_delay:
        lines.append(f"    preempt_delay: {number(inst.preempt_delay)}")
    lines += _tracks(inst.tracks, defaults)
    lines += _hooks(inst.notify, global_hooks, "    ")
    lines += _announcements(inst.announcements)
    for key, value in (
        ("v3_checksum_as_v2", inst.v3_checksum_as_v2),
        ("lower_prio_no_advert", inst.lower_prio_no_advert),
    ):
        if value:
            lines.append(f"    {key}: true")
    return lines


def _vip(vip: Vip) -> str:
    address = _address(vip.interface)
    extras = [
        f"{key}: {text(value)}"
        for key, value in (("dev", vip.dev), ("label", vip.label), ("scope", vip.scope))
        if value is not None
    ]
    if not extras:
        return address
    return "{" + ", ".join([f"address: {address}", *extras]) + "}"


def _tracks(refs: Iterable[TrackRef], defaults: dict[tuple[TrackKind, str], int]) -> list[str]:
    lines = []
    for kind, key in _TRACK_KEYS.items():
        items = [
            text(ref.name)
            if ref.weight == defaults.get((kind, ref.name), 0)
            else f"{{name: {text(ref.name)}, weight: {ref.weight}}}"
            for ref in refs
            if ref.kind is kind
        ]
        if items:
            lines.append(f"    {key}: {_flow(items)}")
    return lines


def _announcements(a: Announcements) -> list[str]:
    d = Announcements()
    return [
        f"    {key}: {number(value)}"
        for key, value, default in (
            ("garp_master_delay", a.delay, d.delay),
            ("garp_master_repeat", a.repeat, d.repeat),
            ("garp_master_refresh", a.refresh, d.refresh),
            ("garp_master_refresh_repeat", a.refresh_repeat, d.refresh_repeat),
        )
        if value != default
    ]


def _sync_groups(groups: Iterable[SyncGroupConfig]) -> list[str]:
    lines: list[str] = []
    for g in groups:
        lines += [f"  {text(g.name)}:", f"    group: {_flow(text(m) for m in g.members)}"]
        lines += _hooks(g.notify, NotifyHooks(), "    ")
    return ["sync_groups:", *lines] if lines else []
