"""The YAML config file -> the frozen model, with every error at once and where it is.

The text is composed into YAML nodes and never constructed into Python
objects, so every key and value keeps its line and column. Nothing is read
leniently: unknown keys, duplicate keys, wrong types, YAML 1.1 surprises
(``yes``, ``051``) and Keepalived habits that silently go wrong (an empty
``unicast_peer``, a long ``auth_pass``) are errors that say what to write.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from vrrpd.config.errors import (
    FILE_AS_A_WHOLE,
    ConfigError,
    ConfigIssue,
    Position,
    Severity,
    SourceMap,
)
from vrrpd.config.semantics import IFNAMSIZ, interface_name_refusal
from vrrpd.protocol.model import (
    PRIORITY_OWNER,
    V2_ADVER_INT_S_MAX,
    V3_ADVER_INT_CS_MAX,
    VRID_MAX,
    VRID_MIN,
    Announcements,
    AuthType,
    Config,
    Family,
    FileTrack,
    GlobalConfig,
    InstanceConfig,
    IPAddress,
    IPInterface,
    NotifyHooks,
    ScriptTrack,
    SyncGroupConfig,
    TrackKind,
    TrackRef,
    Version,
    Vip,
)

T = TypeVar("T")

_TAG = "tag:yaml.org,2002:"
_NULL, _BOOL, _INT, _FLOAT, _MERGE = (_TAG + t for t in ("null", "bool", "int", "float", "merge"))

_DECIMAL = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_LEADING_ZERO = re.compile(r"[-+]?0\d")
WEIGHT_MIN, WEIGHT_MAX = -254, 254
PREEMPT_DELAY_MAX = 1000
AUTH_PASS_MAX = 8  # RFC 3768 §5.3.10: the password field is 8 bytes
PORT_MIN, PORT_MAX = 1, 65535
SCOPES = ("global", "site", "link", "host", "nowhere")

NOTIFY_KEYS = (
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify",
    "notify_timeout",
)
TOP_KEYS = ("global", "scripts", "track_files", "instances", "sync_groups")
GLOBAL_KEYS = (
    "router_id",
    "log_format",
    "log_level",
    "control_socket",
    "script_user",
    "metrics_listen",
    *NOTIFY_KEYS,
)
SCRIPT_KEYS = ("script", "interval", "timeout", "fall", "rise", "weight", "user", "init_fail")
TRACK_FILE_KEYS = ("file", "weight")
INSTANCE_KEYS = (
    "interface",
    "vrid",
    "priority",
    "version",
    "advert_int",
    "virtual_ipaddress",
    "unicast_src_ip",
    "unicast_peer",
    "authentication",
    "nopreempt",
    "preempt",
    "preempt_delay",
    "track_script",
    "track_interface",
    "track_file",
    *NOTIFY_KEYS,
    "garp_master_delay",
    "garp_master_repeat",
    "garp_master_refresh",
    "garp_master_refresh_repeat",
    "v3_checksum_as_v2",
    "lower_prio_no_advert",
)
VIP_KEYS = ("address", "dev", "label", "scope")
AUTH_KEYS = ("auth_type", "auth_pass")
TRACK_REF_KEYS = ("name", "weight")
SYNC_GROUP_KEYS = ("group", *NOTIFY_KEYS)
LOG_FORMATS = ("auto", "console", "json", "logfmt")
LOG_LEVELS = ("debug", "info", "warning", "error")

# Keepalived's names for things vrrpd spells differently: the fix to offer.
KEEPALIVED_RENAMES = {
    "global_defs": "vrrpd calls this section `global`",
    "vrrp_script": "vrrpd calls this section `scripts`",
    "vrrp_track_file": "vrrpd calls this section `track_files`",
    "vrrp_instance": "vrrpd calls this section `instances`",
    "vrrp_sync_group": "vrrpd calls this section `sync_groups`",
    "virtual_router_id": "vrrpd calls it `vrid`",
    "mcast_src_ip": "Keepalived treats it as unicast_src_ip; vrrpd spells it `unicast_src_ip`",
    "auth_type": "put it under `authentication:`",
    "auth_pass": "put it under `authentication:`",
    "vrrp_version": "set `version:` in each instance",
    "state": (
        "remove it: vrrpd has no initial state; every instance starts as BACKUP and the "
        "election decides (priority 255, the address owner, starts as MASTER)"
    ),
    "enable_script_security": (
        "remove it: `vrrpd --check-config` warns about scripts a non-root user can change"
    ),
}
# Keepalived options vrrpd does not implement (so they cannot be quietly ignored).
KEEPALIVED_UNSUPPORTED = frozenset(
    {
        "use_vmac", "vmac_xmit_base", "use_ipvlan", "vrf", "accept", "no_accept",
        "virtual_routes", "virtual_rules", "virtual_ipaddress_excluded", "no_virtual_ipaddress",
        "track_process", "track_bfd", "track_src_ip", "smtp_alert", "dont_track_primary",
        "strict_mode", "vrrp_strict", "unicast_ttl", "mcast_dst_ip", "check_unicast_src",
        "unicast_fault_no_peer", "old_unicast_checksum", "down_timer_adverts",
        "timer_expired_backup", "auth_hmac", "promote_secondaries", "kernel_rx_buf_size",
        "higher_prio_send_advert", "notify_master_rx_lower_pri", "notify_priority_changes",
        "notify_deleted", "sync_group_tracking_weight", "garp_lower_prio_delay",
        "garp_lower_prio_repeat", "skip_check_adv_addr", "debug", "vrrp_garp_interval",
        "vrrp_gna_interval", "vrrp_startup_delay", "max_auto_priority", "vrrp_mcast_group4",
        "vrrp_mcast_group6", "notify_fifo", "vrrp_notify_fifo", "enable_snmp_vrrp",
        "enable_traps", "enable_dbus",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A loaded config with its warnings and where each key was written."""

    config: Config
    warnings: tuple[ConfigIssue, ...]
    source: SourceMap


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML config file; raise ConfigError with every error in it."""
    return load_config_with_warnings(path).config


def parse_config(text: str, filename: str) -> Config:
    """Validate YAML config text; `filename` is only used in messages."""
    return parse_config_with_warnings(text, filename).config


def load_config_with_warnings(path: str | Path) -> LoadedConfig:
    """Like load_config, and also return the warnings and the source map."""
    filename = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([_whole_file_issue(filename, exc.strerror or str(exc))]) from exc
    except UnicodeDecodeError as exc:
        problem = f"is not UTF-8 text (byte {exc.start})"
        raise ConfigError([_whole_file_issue(filename, problem)]) from exc
    return parse_config_with_warnings(text, filename)


def parse_config_with_warnings(text: str, filename: str) -> LoadedConfig:
    """Like parse_config, and also return the warnings and the source map."""
    reader = _Reader(filename)
    config = _read_document(reader, text)
    issues = sorted(reader.issues, key=lambda i: (i.line, i.column))
    errors = [i for i in issues if i.is_error]
    warnings = tuple(i for i in issues if not i.is_error)
    if errors or config is None:
        raise ConfigError(errors, warnings)
    return LoadedConfig(config, warnings, reader.source)


def _whole_file_issue(filename: str, problem: str) -> ConfigIssue:
    at = FILE_AS_A_WHOLE
    fix = "check the path and that vrrpd may read it"
    return ConfigIssue(filename, at.line, at.column, "", f"cannot read: {problem}", fix)


# --- reading YAML nodes, with positions ---------------------------------------------------


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(node: Node) -> str:
    """A node's type and value as a user would name them."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    text = str(node.value)
    if node.tag == _NULL:
        return "nothing"
    if node.tag == _BOOL:
        return f"the boolean {text}"
    if node.tag in (_INT, _FLOAT):
        return f"the number {text}"
    quoted = isinstance(node, ScalarNode) and node.style in ("'", '"')
    return f"the quoted text {text!r}" if quoted else f"the text {text!r}"


def _range(lo: int | Decimal, hi: int | Decimal | None) -> str:
    if hi is None:
        return f"{lo} or more"
    return f"{lo} or {hi}" if hi == lo + 1 else f"{lo}..{hi}"


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    path: str
    key_node: Node
    node: Node


@dataclass(slots=True)
class _Map:
    """A mapping's entries by key, in file order, with their key paths."""

    path: str
    node: MappingNode
    entries: dict[str, _Entry] = field(default_factory=dict)

    def get(self, key: str) -> Node | None:
        entry = self.entries.get(key)
        return entry.node if entry else None

    def path_of(self, key: str) -> str:
        return _join(self.path, key)

    def __iter__(self) -> Iterator[_Entry]:
        return iter(self.entries.values())


@dataclass(slots=True)
class _Reader:
    """Typed reads of YAML nodes that record positions and collect issues."""

    filename: str
    issues: list[ConfigIssue] = field(default_factory=list)
    keys: dict[str, Position] = field(default_factory=dict)
    values: dict[str, Position] = field(default_factory=dict)

    @property
    def source(self) -> SourceMap:
        return SourceMap(self.filename, self.keys, self.values)

    # -- issues

    def error(self, path: str, problem: str, fix: str = "", node: Node | None = None) -> None:
        """An error at `node`, or else at `path`'s value (or where it would be written)."""
        at = _position(node) if node is not None else self.source.position(path)
        self._add(path, problem, fix, at, Severity.ERROR)

    def warn(self, path: str, problem: str, fix: str = "", node: Node | None = None) -> None:
        at = _position(node) if node is not None else self.source.position(path)
        self._add(path, problem, fix, at, Severity.WARNING)

    def report_at_key(self, path: str, problem: str, fix: str, severity: Severity) -> None:
        """An issue about a whole named entry (a script, an instance), at its name."""
        self._add(path, problem, fix, self.source.key_position(path), severity)

    def _add(self, path: str, problem: str, fix: str, at: Position, sev: Severity) -> None:
        self.issues.append(ConfigIssue(self.filename, at.line, at.column, path, problem, fix, sev))

    def failed(self, *paths: str) -> bool:
        """Whether any error was reported at, or under, any of these key paths."""
        for issue in self.issues:
            if issue.is_error and any(
                issue.key == p or issue.key.startswith((p + ".", p + "[")) for p in paths
            ):
                return True
        return False

    def line_of(self, path: str) -> int:
        return self.source.key_position(path).line

    # -- containers

    def mapping(
        self, node: Node, path: str, what: str, *, empty_ok: bool = False, fix: str = ""
    ) -> _Map | None:
        """The entries of a mapping node; None (and an error) if it is not one."""
        if empty_ok and isinstance(node, ScalarNode) and node.tag == _NULL:
            return _Map(path, MappingNode(_TAG + "map", []))
        if not isinstance(node, MappingNode):
            problem = f"expected {what}, got {_describe(node)}"
            self.error(path, problem, fix or _mapping_fix(node), node)
            return None
        result = _Map(path, node)
        for key_node, value_node in self._pairs(node, path):
            if not isinstance(key_node, ScalarNode) or key_node.tag == _NULL:
                self.error(path, "a key here must be a plain name", "write `name: value`", key_node)
                continue
            key = str(key_node.value)
            child = _join(path, key)
            first = result.entries.get(key)
            if first is not None:
                line = _position(first.key_node).line
                self.error(
                    child,
                    f"duplicate key {key!r} (first at line {line})",
                    "remove one of them: YAML would silently keep only the last",
                    key_node,
                )
                continue
            result.entries[key] = _Entry(key, child, key_node, value_node)
            self.keys[child] = _position(key_node)
            self.values[child] = _position(value_node)
        return result

    def _pairs(self, node: MappingNode, path: str) -> list[tuple[Node, Node]]:
        """A mapping's pairs with YAML merge keys (`<<: *defaults`) resolved; own keys win."""
        own: list[tuple[Node, Node]] = []
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if isinstance(source, MappingNode):
                    merged.extend(self._pairs(source, path))
                else:
                    self.error(path, "`<<` must name a mapping (`<<: *anchor`)", "", source)
        seen = {str(k.value) for k, _ in own if isinstance(k, ScalarNode)}
        for key_node, value_node in merged:
            name = str(key_node.value)
            if name not in seen:
                seen.add(name)
                own.append((key_node, value_node))
        return own

    def sequence(self, node: Node, path: str, what: str) -> list[tuple[str, Node]] | None:
        """The items of a list node with their paths (path[0], ...)."""
        if not isinstance(node, SequenceNode):
            fix = f"write a list, e.g. `[{node.value}]`" if isinstance(node, ScalarNode) else ""
            self.error(path, f"expected {what}, got {_describe(node)}", fix, node)
            return None
        items = []
        for index, item in enumerate(node.value):
            item_path = f"{path}[{index}]"
            self.values[item_path] = _position(item)
            items.append((item_path, item))
        return items

    def check_keys(self, m: _Map, allowed: Collection[str], section: str) -> None:
        """Report every key that is not in `allowed`, with the most likely fix."""
        for entry in m:
            if entry.key in allowed:
                continue
            problem, fix = _unknown_key(entry.key, allowed, section)
            self.error(entry.path, problem, fix, entry.key_node)

    # -- scalars

    def text(self, node: Node, path: str, what: str = "text") -> str | None:
        """A scalar's text exactly as written (so `auth_pass: 0123` stays 0123)."""
        if not isinstance(node, ScalarNode):
            self.error(path, f"expected {what}, got {_describe(node)}", "", node)
            return None
        if node.tag == _NULL:
            self.error(path, "has no value", f"give {what} after the colon, or remove the key")
            return None
        value = str(node.value)
        if not value.strip():
            self.error(path, "is empty", f"give {what}, or remove the key", node)
            return None
        return value

    def decimal(self, node: Node, path: str) -> Decimal | None:
        """A number as written (exact: 0.01 stays 0.01), refusing text and YAML 1.1 octal."""
        if not isinstance(node, ScalarNode) or node.tag == _NULL:
            self.error(path, f"expected a number, got {_describe(node)}", "", node)
            return None
        text = str(node.value)
        if not _DECIMAL.fullmatch(text):
            self.error(path, f"expected a number, got {_describe(node)}", "", node)
            return None
        if node.tag not in (_INT, _FLOAT):
            quoted = node.style in ("'", '"')
            fix = "remove the quotes" if quoted else "write it as a plain decimal number"
            self.error(path, f"expected a number, got {_describe(node)}", fix, node)
            return None
        if _LEADING_ZERO.match(text):
            fix = f"write {Decimal(text).normalize():f} without the leading zero"
            self.error(path, f"{text} has a leading zero, which YAML reads as octal", fix, node)
            return None
        return Decimal(text)

    def whole(self, node: Node, path: str, lo: int, hi: int | None) -> int | None:
        number = self.decimal(node, path)
        if number is None:
            return None
        if number != number.to_integral_value():
            self.error(path, f"{node.value} is not a whole number", f"use {_range(lo, hi)}", node)
            return None
        value = int(number)
        if value < lo or (hi is not None and value > hi):
            self.error(path, f"{value} is out of range", f"use {_range(lo, hi)}", node)
            return None
        return value

    def seconds(
        self, node: Node, path: str, lo: Decimal, hi: Decimal | None, *, above: bool = False
    ) -> Decimal | None:
        """A duration in seconds; `above`: the bound `lo` itself is not allowed."""
        number = self.decimal(node, path)
        if number is None:
            return None
        low = number <= lo if above else number < lo
        if low or (hi is not None and number > hi):
            fix = f"use a number of seconds above {lo}" if above else f"use {_range(lo, hi)}"
            if above and hi is not None:
                fix += f", at most {hi}"
            self.error(path, f"{node.value} is out of range", fix, node)
            return None
        return number

    def flag(self, node: Node, path: str) -> bool | None:
        """A YAML true or false; yes/no/on/off are refused as ambiguous."""
        if isinstance(node, ScalarNode) and node.tag == _BOOL:
            text = str(node.value).lower()
            if text in ("true", "false"):
                return text == "true"
            self.error(
                path,
                f"{node.value!r} is a boolean only in YAML 1.1 (YAML 1.2 reads it as text)",
                f"write {'true' if text in ('yes', 'on') else 'false'}",
                node,
            )
            return None
        self.error(path, f"expected true or false, got {_describe(node)}", "", node)
        return None

    def choice(self, node: Node, path: str, choices: Collection[str]) -> str | None:
        value = self.text(node, path, "one of " + ", ".join(choices))
        if value is None:
            return None
        if value.lower() in choices:
            return value.lower()
        close = difflib.get_close_matches(value.lower(), choices, n=1)
        fix = f"did you mean {close[0]!r}?" if close else "use one of " + ", ".join(choices)
        self.error(path, f"unknown value {value!r}", fix, node)
        return None

    def name(self, node: Node, path: str, what: str) -> str | None:
        """A name that is passed to scripts or shown in status: no whitespace."""
        value = self.text(node, path, what)
        if value is not None and re.search(r"\s", value):
            self.error(path, f"{what} {value!r} contains whitespace", "use a name without", node)
            return None
        return value

    def interface(self, node: Node, path: str) -> str | None:
        value = self.name(node, path, "an interface name")
        refusal = None if value is None else interface_name_refusal(value)
        if refusal is not None:
            self.error(path, *refusal, node)
            return None
        return value

    def address(self, node: Node, path: str) -> IPAddress | None:
        value = self.text(node, path, "an IP address")
        if value is None:
            return None
        try:
            return ipaddress.ip_address(value)
        except ValueError:
            fix = "write a plain address, e.g. 192.0.2.12 or 2001:db8::12"
            self.error(path, f"{value!r} is not an IP address", fix, node)
            return None

    # -- keyed reads: absent -> default; present but invalid -> default, plus an error

    def required(self, m: _Map, key: str, example: str) -> Node | None:
        node = m.get(key)
        if node is None:
            self.error(m.path_of(key), "missing required key", f"add `{example}`")
        return node

    def required_text(self, m: _Map, key: str, example: str, what: str) -> str | None:
        node = self.required(m, key, example)
        return None if node is None else self.text(node, m.path_of(key), what)

    def text_at(self, m: _Map, key: str, default: T, what: str = "text") -> str | T:
        node = m.get(key)
        value = None if node is None else self.text(node, m.path_of(key), what)
        return default if value is None else value

    def whole_at(self, m: _Map, key: str, lo: int, hi: int | None, default: T) -> int | T:
        node = m.get(key)
        value = None if node is None else self.whole(node, m.path_of(key), lo, hi)
        return default if value is None else value

    def seconds_at(
        self, m: _Map, key: str, lo: Decimal, hi: Decimal | None, default: T, *, above: bool = False
    ) -> float | T:
        node = m.get(key)
        value = None if node is None else self.seconds(node, m.path_of(key), lo, hi, above=above)
        return default if value is None else float(value)

    def choice_at(self, m: _Map, key: str, choices: Collection[str], default: str) -> str:
        node = m.get(key)
        value = None if node is None else self.choice(node, m.path_of(key), choices)
        return default if value is None else value

    def flag_at(self, m: _Map, key: str, default: T) -> bool | T:
        node = m.get(key)
        value = None if node is None else self.flag(node, m.path_of(key))
        return default if value is None else value


def _mapping_fix(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "remove the leading '- ': these settings are `key: value` lines"
    if isinstance(node, ScalarNode) and node.tag != _NULL:
        return "indent the settings under this key as `key: value` lines"
    return "add `key: value` lines indented under this key"


def _unknown_key(key: str, allowed: Collection[str], section: str) -> tuple[str, str]:
    problem = f"unknown key {key!r}"
    if key in KEEPALIVED_RENAMES:
        return problem, KEEPALIVED_RENAMES[key]
    close = difflib.get_close_matches(key.lower(), allowed, n=1)
    if close:
        return problem, f"did you mean {close[0]!r}?"
    if key in KEEPALIVED_UNSUPPORTED:
        return f"{key!r} is a Keepalived option vrrpd does not implement", "remove it"
    return problem, f"{section} takes: " + ", ".join(allowed)


# --- the document and its sections -------------------------------------------------------


@dataclass(slots=True)
class _Tracks:
    """What instances may refer to: defined scripts and track files, with their weights."""

    scripts: dict[str, ScriptTrack] = field(default_factory=dict)
    files: dict[str, FileTrack] = field(default_factory=dict)


def _read_document(r: _Reader, text: str) -> Config | None:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        r.issues.append(_syntax_issue(r.filename, exc))
        return None
    except yaml.YAMLError as exc:  # a ReaderError: a character YAML does not allow
        r.issues.append(_reader_issue(r.filename, text, exc))
        return None
    if root is None:
        r.error("", "the file is empty", "add an `instances:` section (see docs/examples/)")
        return None
    top = r.mapping(root, "", "a mapping of sections (" + ", ".join(TOP_KEYS) + ")")
    if top is None:
        return None
    # Top-level keys starting with x- are for YAML anchors (`x-defaults: &defaults`).
    r.check_keys(top, [*TOP_KEYS, *(e.key for e in top if e.key.startswith("x-"))], "the file")
    global_ = _global(r, top)
    tracks = _Tracks(_scripts(r, top), _track_files(r, top))
    _check_track_names(r, tracks)
    instances = _instances(r, top, global_, tracks)
    groups = _sync_groups(r, top)
    members = {member: g.name for g in groups for member in g.members}
    instances = {
        name: dataclasses.replace(inst, sync_group=members.get(name))
        for name, inst in instances.items()
    }
    _check_instances(r, instances)
    if not r.failed(*(f"instances.{name}" for name in instances)):
        _check_unused_tracks(r, tracks, instances)
    return Config(
        global_=global_,
        instances=tuple(instances.values()),
        scripts=tuple(tracks.scripts.values()),
        files=tuple(tracks.files.values()),
        sync_groups=tuple(groups),
    )


def _syntax_issue(filename: str, exc: yaml.MarkedYAMLError) -> ConfigIssue:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = f"YAML syntax: {(exc.problem or exc.context or 'invalid').removeprefix('but ')}"
    if exc.context and exc.problem and exc.context_mark:
        problem += f" ({exc.context}, line {exc.context_mark.line + 1})"
    if exc.problem and "'\\t'" in exc.problem:
        fix = "indent with spaces: YAML does not allow tabs"
    elif exc.problem and "expected a single document" in str(exc.context):
        fix = "keep the whole config in one YAML document (remove the `---`)"
    else:
        fix = "check the indentation and quoting on this line and the one before"
    return ConfigIssue(filename, line, column, "", problem, fix)


def _reader_issue(filename: str, text: str, exc: yaml.YAMLError) -> ConfigIssue:
    offset = int(getattr(exc, "position", 0))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    fix = "remove the control character"
    return ConfigIssue(filename, line, column, "", f"YAML: {exc}".splitlines()[0], fix)


def _section(r: _Reader, top: _Map, key: str, what: str) -> _Map | None:
    node = top.get(key)
    if node is None:
        return None
    fix = "give each entry a name: `NAME:`, with its settings indented under it"
    named = key != "global"
    return r.mapping(node, key, what, empty_ok=True, fix=fix if named else "")


def _notify_hooks(r: _Reader, m: _Map, fallback: NotifyHooks) -> NotifyHooks:
    """Keepalived's notify_* keys; each absent one falls back to `fallback`'s."""
    command = "a command"
    return NotifyHooks(
        master=r.text_at(m, "notify_master", fallback.master, command),
        backup=r.text_at(m, "notify_backup", fallback.backup, command),
        fault=r.text_at(m, "notify_fault", fallback.fault, command),
        stop=r.text_at(m, "notify_stop", fallback.stop, command),
        notify=r.text_at(m, "notify", fallback.notify, command),
        timeout=r.seconds_at(m, "notify_timeout", Decimal(0), None, fallback.timeout, above=True),
    )


def _global(r: _Reader, top: _Map) -> GlobalConfig:
    m = _section(r, top, "global", "a mapping of global settings")
    if m is None:
        return GlobalConfig()
    r.check_keys(m, GLOBAL_KEYS, "global")
    defaults = GlobalConfig()
    control_socket = r.text_at(m, "control_socket", defaults.control_socket, "a path")
    if not control_socket.startswith("/"):
        fix = f"write an absolute path, e.g. {defaults.control_socket}"
        r.error(m.path_of("control_socket"), f"{control_socket!r} is a relative path", fix)
    return GlobalConfig(
        router_id=r.text_at(m, "router_id", None),
        log_format=r.choice_at(m, "log_format", LOG_FORMATS, defaults.log_format),
        log_level=r.choice_at(m, "log_level", LOG_LEVELS, defaults.log_level),
        control_socket=control_socket,
        script_user=_user(r, m, "script_user"),
        metrics_listen=_listen_address(r, m, "metrics_listen"),
        notify=_notify_hooks(r, m, NotifyHooks()),
    )


def _user(r: _Reader, m: _Map, key: str) -> str | None:
    node = m.get(key)
    return None if node is None else r.name(node, m.path_of(key), "a user name")


def _listen_address(r: _Reader, m: _Map, key: str) -> str | None:
    """`address:port` to listen on, as written; an IPv6 address goes in brackets."""
    node = m.get(key)
    value = None if node is None else r.text(node, m.path_of(key), "address:port")
    if node is None or value is None:
        return None
    refusal = _listen_refusal(value)
    if refusal is not None:
        r.error(m.path_of(key), *refusal, node)
        return None
    return value


def _listen_refusal(text: str) -> tuple[str, str] | None:
    """Why `text` is not `address:port` (problem, fix), or None."""
    example = "write address:port, e.g. 127.0.0.1:9650"
    if text.startswith("["):
        host, bracket, port = text[1:].partition("]:")
        if not bracket:
            return f"{text!r} has no port", 'write "[address]:port", e.g. "[::1]:9650"'
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"{host!r} is not an IPv6 address", 'write e.g. "[::1]:9650"'
    else:
        host, colon, port = text.rpartition(":")
        if not colon:
            return f"{text!r} has no port", example
        if not host:
            fix = "write 127.0.0.1:PORT (this host only) or 0.0.0.0:PORT (every IPv4 address)"
            return f"{text!r} has no address", fix
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            fix = "write an IP address, e.g. 127.0.0.1:9650: vrrpd does not look up host names"
            return f"{host!r} is not an IP address", fix
        if address.version == 6:
            # "::1:9650" could be an address and a port, or an address alone.
            fix = 'put the address in brackets, in quotes for YAML: "[::1]:9650"'
            return f"{text!r}: an IPv6 address needs brackets", fix
    ports = f"use {_range(PORT_MIN, PORT_MAX)}"
    if not port:
        return f"{text!r} has no port", f"add one after the colon; {ports}"
    if not re.fullmatch(r"[0-9]+", port):
        return f"port {port!r} is not a number", ports
    if not PORT_MIN <= int(port) <= PORT_MAX:
        return f"port {port} is out of range", ports
    return None


_SECTION_NOUNS = {
    "scripts": "scripts",
    "track_files": "track files",
    "instances": "instances",
    "sync_groups": "sync groups",
}


def _named_sections(r: _Reader, top: _Map, key: str, what: str) -> Iterator[tuple[str, _Map]]:
    """The named entries of a section (scripts, instances, ...), each a valid mapping."""
    section = _section(r, top, key, f"a mapping of {_SECTION_NOUNS[key]} by name")
    if section is None:
        return
    for entry in section:
        if r.name(entry.key_node, entry.path, "a name") is None:
            continue
        body = r.mapping(entry.node, entry.path, f"the settings of {what} {entry.key!r}")
        if body is not None:
            yield entry.key, body


def _scripts(r: _Reader, top: _Map) -> dict[str, ScriptTrack]:
    scripts = {}
    for name, m in _named_sections(r, top, "scripts", "a script"):
        r.check_keys(m, SCRIPT_KEYS, "a script")
        command = r.required_text(m, "script", 'script: "pidof haproxy"', "a command")
        interval = r.seconds_at(m, "interval", Decimal(0), None, 1.0, above=True)
        scripts[name] = ScriptTrack(
            name=name,
            command=command or "",
            interval=interval,
            timeout=r.seconds_at(m, "timeout", Decimal(0), None, None, above=True),
            fall=r.whole_at(m, "fall", 1, None, 1),
            rise=r.whole_at(m, "rise", 1, None, 1),
            weight=r.whole_at(m, "weight", WEIGHT_MIN, WEIGHT_MAX, 0),
            user=_user(r, m, "user"),
            init_fail=r.flag_at(m, "init_fail", False),
        )
    return scripts


def _track_files(r: _Reader, top: _Map) -> dict[str, FileTrack]:
    files = {}
    for name, m in _named_sections(r, top, "track_files", "a track file"):
        r.check_keys(m, TRACK_FILE_KEYS, "a track file")
        path = r.required_text(m, "file", "file: /etc/vrrpd/maintenance", "a path")
        if path and not path.startswith("/"):
            fix = "write an absolute path: vrrpd does not run in your working directory"
            r.error(m.path_of("file"), f"{path!r} is a relative path", fix)
        weight = r.whole_at(m, "weight", WEIGHT_MIN, WEIGHT_MAX, 1)
        files[name] = FileTrack(name=name, path=path or "", weight=weight)
    return files


def _check_track_names(r: _Reader, tracks: _Tracks) -> None:
    for name in tracks.files.keys() & tracks.scripts.keys():
        r.report_at_key(
            f"track_files.{name}",
            f"{name!r} is also the name of a script (line {r.line_of(f'scripts.{name}')})",
            "rename one: scripts and track files share one namespace of track names",
            Severity.ERROR,
        )


# --- instances ----------------------------------------------------------------------------


def _instances(
    r: _Reader, top: _Map, global_: GlobalConfig, tracks: _Tracks
) -> dict[str, InstanceConfig]:
    if top.get("instances") is None:
        r.error("instances", "the file defines no instances", "add an `instances:` section")
    instances = {}
    for name, m in _named_sections(r, top, "instances", "an instance"):
        instances[name] = _instance(r, name, m, global_, tracks)
    if top.get("instances") is not None and not instances and not r.failed("instances"):
        r.error("instances", "is empty", "add at least one instance")
    return instances


def _instance(
    r: _Reader, name: str, m: _Map, global_: GlobalConfig, tracks: _Tracks
) -> InstanceConfig:
    r.check_keys(m, INSTANCE_KEYS, "an instance")
    interface_node = r.required(m, "interface", "interface: eth0")
    interface = (
        None if interface_node is None else r.interface(interface_node, m.path_of("interface"))
    )
    vrid_node = r.required(m, "vrid", "vrid: 51")
    vrid = None if vrid_node is None else r.whole(vrid_node, m.path_of("vrid"), VRID_MIN, VRID_MAX)
    version = Version(r.whole_at(m, "version", 2, 3, 3))
    vips = _vips(r, m)
    family = vips[0].family if vips else Family.IPV4
    _check_version_family(r, m, version, vips)
    auth_type, auth_pass = _authentication(r, m, version)
    unicast_src_ip, unicast_peers = _unicast(r, m, family, vips)
    priority = r.whole_at(m, "priority", 1, PRIORITY_OWNER, 100)
    instance_tracks = _track_refs(r, m, tracks)
    if priority == PRIORITY_OWNER and any(t.weight for t in instance_tracks):
        r.warn(
            m.path_of("priority"),
            "the address owner (priority 255) is never moved by track weights "
            "(only weight-0 tracks, which put it in FAULT, affect it)",
            "use 254 or below if the tracks should move this node's priority",
        )
    return InstanceConfig(
        name=name,
        interface=interface or "",  # (only when an error is reported)
        vrid=vrid or 0,
        priority=priority,
        version=version,
        family=family,
        advert_int_cs=_advert_int_cs(r, m, version),
        vips=tuple(vips),
        preempt=_preempt(r, m),
        preempt_delay=r.seconds_at(m, "preempt_delay", Decimal(0), Decimal(PREEMPT_DELAY_MAX), 0.0),
        auth_type=auth_type,
        auth_pass=auth_pass,
        unicast_src_ip=unicast_src_ip,
        unicast_peers=unicast_peers,
        v3_checksum_as_v2=r.flag_at(m, "v3_checksum_as_v2", False),
        lower_prio_no_advert=r.flag_at(m, "lower_prio_no_advert", False),
        tracks=instance_tracks,
        announcements=_announcements(r, m),
        notify=_notify_hooks(r, m, global_.notify),
    )


def _advert_int_cs(r: _Reader, m: _Map, version: Version) -> int:
    """The advert interval in centiseconds, refusing what the version cannot carry."""
    node = m.get("advert_int")
    path = m.path_of("advert_int")
    if node is None or r.failed(m.path_of("version")):
        return 100
    seconds = r.decimal(node, path)
    if seconds is None:
        return 100
    if version is Version.V2:
        # RFC 3768 §5.3.7: Adver Int is 8 bits of whole seconds.
        if seconds != seconds.to_integral_value():
            fix = f"use a whole number 1..{V2_ADVER_INT_S_MAX}, or version: 3 for fractions"
            r.error(path, f"{node.value}: VRRPv2 counts the interval in whole seconds", fix, node)
        elif not 1 <= seconds <= V2_ADVER_INT_S_MAX:
            fix = f"use 1..{V2_ADVER_INT_S_MAX} (VRRPv2)"
            r.error(path, f"{node.value} is out of range", fix, node)
        return int(seconds * 100)
    # RFC 9568 §5.2.7: Max Adver Int is 12 bits of centiseconds.
    centis = seconds * 100
    top = Decimal(V3_ADVER_INT_CS_MAX) / 100
    if centis != centis.to_integral_value():
        fix = f"use a multiple of 0.01 in 0.01..{top}"
        r.error(path, f"{node.value} is finer than VRRPv3's steps of 0.01 s", fix, node)
    elif not 1 <= centis <= V3_ADVER_INT_CS_MAX:
        r.error(path, f"{node.value} is out of range", f"use 0.01..{top} (VRRPv3)", node)
    return int(centis)


def _preempt(r: _Reader, m: _Map) -> bool:
    """Keepalived's nopreempt, or preempt; both may be given if they agree."""
    nopreempt = r.flag_at(m, "nopreempt", None)
    preempt = r.flag_at(m, "preempt", None)
    if nopreempt is not None and preempt is not None and nopreempt == preempt:
        line = r.line_of(m.path_of("nopreempt"))
        r.error(
            m.path_of("preempt"),
            f"preempt: {str(preempt).lower()} contradicts nopreempt: "
            f"{str(nopreempt).lower()} (line {line})",
            "keep one of the two",
        )
    mode = preempt if preempt is not None else not nopreempt if nopreempt is not None else True
    if not mode and m.get("preempt_delay") is not None:
        r.warn(
            m.path_of("preempt_delay"),
            "has no effect: this instance does not preempt",
            "remove preempt_delay, or the nopreempt setting",
        )
    return mode


def _announcements(r: _Reader, m: _Map) -> Announcements:
    d = Announcements()
    return Announcements(
        repeat=r.whole_at(m, "garp_master_repeat", 1, None, d.repeat),
        delay=r.seconds_at(m, "garp_master_delay", Decimal(0), None, d.delay),
        refresh=r.seconds_at(m, "garp_master_refresh", Decimal(0), None, d.refresh),
        refresh_repeat=r.whole_at(m, "garp_master_refresh_repeat", 1, None, d.refresh_repeat),
    )


# --- virtual addresses


def _vips(r: _Reader, m: _Map) -> list[Vip]:
    node = r.required(m, "virtual_ipaddress", "virtual_ipaddress: [192.0.2.100/24]")
    path = m.path_of("virtual_ipaddress")
    items = None if node is None else r.sequence(node, path, "a list of virtual IP addresses")
    if items is None:
        return []
    if not items:
        r.error(path, "is empty", "list at least one virtual IP, e.g. [192.0.2.100/24]", node)
    vips: list[Vip] = []
    seen: dict[IPAddress, str] = {}
    for item_path, item in items:
        vip = _vip(r, item_path, item)
        if vip is None:
            continue
        if vip.address in seen:
            line = r.line_of(seen[vip.address])
            r.error(item_path, f"{vip.address} is listed twice (also at line {line})", "keep one")
            continue
        seen[vip.address] = item_path
        if vips and vip.family is not vips[0].family:
            r.error(
                item_path,
                f"{vip.address} is IPv{int(vip.family)} but this instance's first address "
                f"({vips[0].address}) is IPv{int(vips[0].family)}",
                "put each address family in an instance of its own (the same vrid is fine)",
            )
            continue
        vips.append(vip)
    return vips


def _vip(r: _Reader, path: str, node: Node) -> Vip | None:
    if isinstance(node, ScalarNode):
        text = r.text(node, path, "an address such as 192.0.2.100/24")
        return None if text is None else _vip_from_text(r, path, node, text)
    if not isinstance(node, MappingNode):
        problem = f"expected an address such as 192.0.2.100/24, got {_describe(node)}"
        r.error(path, problem, "write an address, or {address: ..., dev: ...}", node)
        return None
    m = r.mapping(node, path, "a virtual IP")
    if m is None:
        return None
    r.check_keys(m, VIP_KEYS, "a virtual IP")
    address_node = r.required(m, "address", "address: 192.0.2.100/24")
    if address_node is None:
        return None
    text = r.text(address_node, m.path_of("address"), "an address")
    interface = text and _ip_interface(r, m.path_of("address"), address_node, text)
    if not interface:
        return None
    scope = m.get("scope")
    vip = Vip(
        interface=interface,
        dev=_optional_interface(r, m, "dev"),
        label=r.text_at(m, "label", None, "a label"),
        scope=None if scope is None else r.choice(scope, m.path_of("scope"), SCOPES),
    )
    _check_label(r, m, vip)
    return vip


def _optional_interface(r: _Reader, m: _Map, key: str) -> str | None:
    node = m.get(key)
    return None if node is None else r.interface(node, m.path_of(key))


def _vip_from_text(r: _Reader, path: str, node: Node, text: str) -> Vip | None:
    words = text.split()
    if len(words) > 1:
        # Keepalived's one-line form: "192.0.2.100/24 dev eth1 label eth1:vip".
        pairs = dict(zip(words[1::2], words[2::2], strict=False))
        if len(words) % 2 and set(pairs) <= set(VIP_KEYS):
            inner = ", ".join(f"{k}: {v}" for k, v in pairs.items())
            fix = f"write it as a mapping: {{address: {words[0]}, {inner}}}"
        else:
            fix = "write a mapping with address: and dev:, label:, scope: as needed"
        r.error(path, f"{text!r} is Keepalived's one-line form", fix, node)
        return None
    interface = _ip_interface(r, path, node, text)
    return None if interface is None else Vip(interface)


def _ip_interface(r: _Reader, path: str, node: Node, text: str) -> IPInterface | None:
    try:
        interface = ipaddress.ip_interface(text)
    except ValueError:
        fix = "write an address with an optional /prefix, e.g. 192.0.2.100/24 or 2001:db8::100/64"
        r.error(path, f"{text!r} is not an IP address", fix, node)
        return None
    ip = interface.ip
    if ip.is_multicast or ip.is_unspecified or "%" in text:
        r.error(path, f"{text!r} cannot be a virtual IP", "use a unicast address", node)
        return None
    return interface


def _check_label(r: _Reader, m: _Map, vip: Vip) -> None:
    if vip.label is None:
        return
    path = m.path_of("label")
    if vip.family is Family.IPV6:
        r.error(path, "IPv6 addresses have no labels", "remove the label")
    elif len(vip.label.encode()) >= IFNAMSIZ:
        r.error(path, f"{vip.label!r} is too long", f"use at most {IFNAMSIZ - 1} bytes")
    elif vip.dev is not None and not vip.label.startswith(vip.dev):
        r.warn(
            path,
            f"{vip.label!r} does not start with the device name {vip.dev!r}",
            f"use a label such as {vip.dev}:vip (ip and ifconfig expect one)",
        )


def _check_version_family(r: _Reader, m: _Map, version: Version, vips: list[Vip]) -> None:
    if version is Version.V2 and vips and vips[0].family is Family.IPV6:
        r.error(
            m.path_of("version"),
            "VRRPv2 carries IPv4 only, and this instance's addresses are IPv6",
            "set version: 3 (RFC 9568) for IPv6",
        )


# --- authentication and unicast


def _authentication(r: _Reader, m: _Map, version: Version) -> tuple[AuthType, bytes]:
    node = m.get("authentication")
    path = m.path_of("authentication")
    if node is None:
        return AuthType.NONE, b""
    if version is Version.V3 and not r.failed(m.path_of("version")):
        said = "version 3" if m.get("version") is not None else "version 3 (the default)"
        r.error(
            path,
            f"authentication is VRRPv2 only, and this instance speaks {said}",
            "set version: 2 (Keepalived's default) to talk to a v2 peer, or remove authentication",
            node,
        )
    auth = r.mapping(node, path, "a mapping with auth_type and auth_pass")
    if auth is None:
        return AuthType.NONE, b""
    r.check_keys(auth, AUTH_KEYS, "authentication")
    type_node = r.required(auth, "auth_type", "auth_type: PASS")
    auth_type = (
        None
        if type_node is None
        else r.choice(type_node, auth.path_of("auth_type"), ("pass", "ah"))
    )
    if auth_type == "ah":
        r.error(
            auth.path_of("auth_type"),
            "AH authentication is not supported",
            "use auth_type: PASS, or remove authentication on every node",
            type_node,
        )
    password = r.required_text(auth, "auth_pass", "auth_pass: secret12", "a password")
    if password is None:
        return AuthType.PASS, b""
    secret = password.encode()
    if len(secret) > AUTH_PASS_MAX:
        r.error(
            auth.path_of("auth_pass"),
            f"is {len(secret)} bytes long; VRRPv2 carries at most {AUTH_PASS_MAX} "
            "(Keepalived cuts longer ones silently)",
            f"use at most {AUTH_PASS_MAX} bytes; a Keepalived peer configured with this "
            f"password sends its first {AUTH_PASS_MAX} bytes",
        )
    return AuthType.PASS, secret


def _unicast(
    r: _Reader, m: _Map, family: Family, vips: list[Vip]
) -> tuple[IPAddress | None, tuple[IPAddress, ...]]:
    src_node = m.get("unicast_src_ip")
    src_path = m.path_of("unicast_src_ip")
    src = None if src_node is None else r.address(src_node, src_path)
    if src is not None and vips:
        _check_family(r, src_path, src, family)
        if src in {v.address for v in vips}:
            r.warn(
                src_path,
                f"{src} is one of this instance's virtual IPs",
                "use this node's own address: the VIP moves to whichever node is MASTER",
            )
    node = m.get("unicast_peer")
    path = m.path_of("unicast_peer")
    items = None if node is None else r.sequence(node, path, "a list of peer addresses")
    if node is None or items is None:
        return src, ()
    if not items:
        r.error(
            path,
            "is an empty list; Keepalived would silently fall back to multicast, "
            "a known cause of split brain",
            "list the other nodes' addresses, or remove unicast_peer to use multicast",
            node,
        )
    peers: list[IPAddress] = []
    for item_path, item in items:
        peer = r.address(item, item_path)
        if peer is None:
            continue
        if vips:
            _check_family(r, item_path, peer, family)
        if peer in peers:
            r.warn(item_path, f"{peer} is listed twice", "keep one")
        elif peer == src:
            r.warn(item_path, f"{peer} is this node's unicast_src_ip", "list only the other nodes")
        else:
            peers.append(peer)
    return src, tuple(peers)


def _check_family(r: _Reader, path: str, address: IPAddress, family: Family) -> None:
    if address.version != int(family):
        r.error(
            path,
            f"{address} is IPv{address.version} but this instance's virtual IPs are "
            f"IPv{int(family)}",
            f"use this node's IPv{int(family)} address",
        )


# --- tracks


def _track_refs(r: _Reader, m: _Map, tracks: _Tracks) -> tuple[TrackRef, ...]:
    script_weights = {name: s.weight for name, s in tracks.scripts.items()}
    file_weights = {name: f.weight for name, f in tracks.files.items()}
    return (
        *_track_list(r, m, "track_script", TrackKind.SCRIPT, script_weights),
        *_track_list(r, m, "track_interface", TrackKind.INTERFACE, None),
        *_track_list(r, m, "track_file", TrackKind.FILE, file_weights),
    )


_TRACK_SECTIONS = {
    TrackKind.SCRIPT: ("script", "scripts"),
    TrackKind.FILE: ("track file", "track_files"),
}


def _track_list(
    r: _Reader, m: _Map, key: str, kind: TrackKind, defined: Mapping[str, int] | None
) -> list[TrackRef]:
    """One track_* list: names (or {name, weight}) of defined tracks, or interfaces."""
    node = m.get(key)
    items = None if node is None else r.sequence(node, m.path_of(key), "a list of names")
    refs: list[TrackRef] = []
    for item_path, item in items or []:
        named = _track_item(r, item_path, item, kind)
        if named is None:
            continue
        name, weight = named
        if defined is not None and name not in defined:
            what, section = _TRACK_SECTIONS[kind]
            close = difflib.get_close_matches(name, defined, n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"define it under {section}:"
            r.error(item_path, f"no {what} named {name!r} in {section}", fix, item)
            continue
        if any(ref.name == name for ref in refs):
            r.error(item_path, f"{name!r} is tracked twice", "keep one", item)
            continue
        default = defined[name] if defined is not None else 0
        refs.append(TrackRef(name, kind, default if weight is None else weight))
    return refs


def _track_item(
    r: _Reader, path: str, node: Node, kind: TrackKind
) -> tuple[str, int | None] | None:
    """A track reference: a name, or {name: ..., weight: ...}."""
    if isinstance(node, ScalarNode):
        text = r.text(node, path, "a name")
        if text is None:
            return None
        words = text.split()
        if len(words) == 3 and words[1] == "weight":
            fix = f"write it as a mapping: {{name: {words[0]}, weight: {words[2]}}}"
            r.error(path, f"{text!r} is Keepalived's one-line form", fix, node)
            return None
        name = (
            r.interface(node, path) if kind is TrackKind.INTERFACE else r.name(node, path, "a name")
        )
        return None if name is None else (name, None)
    m = r.mapping(node, path, "a name or {name: ..., weight: ...}")
    if m is None:
        return None
    r.check_keys(m, TRACK_REF_KEYS, "a track reference")
    name_node = r.required(m, "name", "name: chk_haproxy")
    if name_node is None:
        return None
    name_path = m.path_of("name")
    if kind is TrackKind.INTERFACE:
        name = r.interface(name_node, name_path)
    else:
        name = r.name(name_node, name_path, "a name")
    weight_node = m.get("weight")
    weight = (
        None
        if weight_node is None
        else r.whole(weight_node, m.path_of("weight"), WEIGHT_MIN, WEIGHT_MAX)
    )
    if name is None or (weight_node is not None and weight is None):
        return None
    return name, weight


# --- sync groups


def _sync_groups(r: _Reader, top: _Map) -> list[SyncGroupConfig]:
    # Members may name instances that had errors: they exist, so do not say otherwise.
    declared = _declared_names(top.get("instances"))
    groups: list[SyncGroupConfig] = []
    member_of: dict[str, str] = {}
    for name, m in _named_sections(r, top, "sync_groups", "a sync group"):
        r.check_keys(m, SYNC_GROUP_KEYS, "a sync group")
        members = _group_members(r, m, declared, member_of, name)
        groups.append(SyncGroupConfig(name, tuple(members), _notify_hooks(r, m, NotifyHooks())))
    return groups


def _declared_names(node: Node | None) -> set[str]:
    if not isinstance(node, MappingNode):
        return set()
    return {str(k.value) for k, _ in node.value if isinstance(k, ScalarNode)}


def _group_members(
    r: _Reader, m: _Map, names: Collection[str], member_of: dict[str, str], group: str
) -> list[str]:
    node = r.required(m, "group", "group: [VI_1, VI_2]")
    path = m.path_of("group")
    items = None if node is None else r.sequence(node, path, "a list of instance names")
    if node is None or items is None:
        return []
    members: list[str] = []
    for item_path, item in items:
        name = r.name(item, item_path, "an instance name")
        if name is None:
            continue
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            fix = (
                f"did you mean {close[0]!r}?"
                if close
                else "list instances defined under instances:"
            )
            r.error(item_path, f"no instance named {name!r}", fix, item)
        elif name in members:
            r.error(item_path, f"{name} is listed twice", "keep one", item)
        elif name in member_of:
            other = member_of[name]
            r.error(
                item_path,
                f"{name} is already in sync group {other} "
                f"(line {r.line_of(f'sync_groups.{other}')})",
                "an instance can be in one sync group only",
                item,
            )
        else:
            member_of[name] = group
            members.append(name)
    if not items:
        r.error(path, "is empty", "list the instances that move together", node)
    elif len(items) == 1 and members:
        r.warn(
            path,
            "has one instance only, so it couples nothing",
            "add a second instance, or remove the group",
            node,
        )
    return members


# --- checks across instances


def _check_instances(r: _Reader, instances: Mapping[str, InstanceConfig]) -> None:
    """Two instances cannot share (interface, vrid, family); a VIP should have one owner."""
    routers: dict[tuple[str, int, Family], str] = {}
    vip_owner: dict[IPAddress, str] = {}
    for name, inst in instances.items():
        path = f"instances.{name}"
        fields = [f"{path}.{k}" for k in ("interface", "vrid", "virtual_ipaddress")]
        if not r.failed(*fields):
            key = (inst.interface, inst.vrid, inst.family)
            if key in routers:
                other = routers[key]
                r.error(
                    f"{path}.vrid",
                    f"{inst.interface}, vrid {inst.vrid}, IPv{int(inst.family)} is already "
                    f"used by instance {other} (line {r.line_of(f'instances.{other}')})",
                    "give one of them another vrid: a segment has one virtual router per vrid",
                )
            routers.setdefault(key, name)
        for vip in inst.vips:
            if vip.address in vip_owner and vip_owner[vip.address] != name:
                r.warn(
                    f"{path}.virtual_ipaddress",
                    f"{vip.address} is also a virtual IP of instance {vip_owner[vip.address]}",
                    "give each virtual IP to one instance, or they fight over it",
                )
            vip_owner.setdefault(vip.address, name)


def _check_unused_tracks(
    r: _Reader, tracks: _Tracks, instances: Mapping[str, InstanceConfig]
) -> None:
    used = {(ref.kind, ref.name) for inst in instances.values() for ref in inst.tracks}
    defined = [(TrackKind.SCRIPT, "scripts", "track_script", n) for n in tracks.scripts]
    defined += [(TrackKind.FILE, "track_files", "track_file", n) for n in tracks.files]
    for kind, section, key, name in defined:
        if (kind, name) not in used:
            fix = f"add it to an instance's {key}, or remove it"
            r.report_at_key(
                f"{section}.{name}", "is not tracked by any instance", fix, Severity.WARNING
            )
