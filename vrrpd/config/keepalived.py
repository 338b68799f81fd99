"""keepalived.conf -> the frozen model, with Keepalived's meaning and every issue at once.

keepalived_syntax.py turns the text (and its includes) into statements; this
module says what they mean. The result is the `Config` the YAML loader
builds, with Keepalived's semantics where they differ from the YAML
schema's: VRRP version 2 unless `vrrp_version`/`version` say 3 (IPv6 is
always 3); priority 100, or 255 for `state MASTER` without a priority; GARP
delay 5 and repeat 5; the first 8 bytes of a longer auth_pass; weighted
tracks left out for sync group members and for the address owner;
nopreempt and preempt_delay cleared where Keepalived clears them.

Nothing is dropped without a word: each such rule is reported where it
applies (a warning, or a note), every option vrrpd does not implement is an
error that names it and says what to do, and the options of Keepalived's
other halves (LVS, mail, SNMP) are noted as unused.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import re
import shlex
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from vrrpd.config.errors import FILE_AS_A_WHOLE, ConfigError, ConfigIssue, Severity
from vrrpd.config.keepalived_syntax import (
    Report,
    Statement,
    Token,
    read_statements,
    shell_words,
)
from vrrpd.config.loader import (
    AUTH_PASS_MAX,
    IFNAMSIZ,
    PREEMPT_DELAY_MAX,
    SCOPES,
    WEIGHT_MAX,
    LoadedConfig,
)
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
    NotifyHooks,
    ScriptTrack,
    SyncGroupConfig,
    TrackKind,
    TrackRef,
    Version,
    Vip,
)

T = TypeVar("T")

# Keepalived's defaults, where they differ from the YAML schema's.
KEEPALIVED_VERSION = 2  # vrrp_version: 2 unless set (IPv6 instances always use 3)
KEEPALIVED_PRIORITY = 100
KEEPALIVED_ADVERT_INT = Decimal(1)
# Keepalived's ranges (keepalived -t refuses values outside them).
SCRIPT_WEIGHT = 253  # vrrp_script, track_script, track_interface: -253..253
SCRIPT_INTERVAL_MAX = 4294
TRUE_WORDS = ("on", "true", "yes")
FALSE_WORDS = ("off", "false", "no")
MCAST_GROUP4, MCAST_GROUP6 = "224.0.0.18", "ff02::12"

_INT = re.compile(r"[-+]?\d+")
_DECIMAL = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)")


# --- what each keyword means -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Policy:
    """A Keepalived keyword vrrpd does not act on: a note, a warning or an error."""

    severity: Severity
    problem: str
    fix: str = ""
    harmless: Callable[[Statement], bool] | None = None  # values at which it changes nothing


def _refuse(
    problem: str, fix: str = "remove it", harmless: Callable[[Statement], bool] | None = None
) -> _Policy:
    return _Policy(Severity.ERROR, "not supported by vrrpd: " + problem, fix, harmless)


def _note(problem: str, fix: str = "") -> _Policy:
    return _Policy(Severity.NOTE, problem, fix)


def _warn(problem: str, fix: str = "") -> _Policy:
    return _Policy(Severity.WARNING, problem, fix)


def _off(stmt: Statement) -> bool:
    return len(stmt.args) == 1 and stmt.args[0].text.lower() in FALSE_WORDS


def _value(*accepted: str) -> Callable[[Statement], bool]:
    def harmless(stmt: Statement) -> bool:
        return len(stmt.args) == 1 and stmt.args[0].text.lower() in accepted

    return harmless


_LVS = _Policy(
    Severity.ERROR,
    "LVS is out of scope for vrrpd",
    "keep Keepalived's checker for it, or remove it",
)
_UNUSED = "not used by vrrpd"
_PROCESS = _note(
    f"{_UNUSED}: process settings belong in vrrpd's systemd unit",
    "use Nice=, CPUSchedulingPolicy=, CPUAffinity= or MemoryLock= there if needed",
)
_SNMP = _note(f"{_UNUSED}: vrrpd has no SNMP or D-Bus interface", "use `vrrpctl status --json`")
_FIREWALL = _note(f"{_UNUSED}: vrrpd adds no firewall rules (no no_accept mode, no VMACs)")
_FIFO = _refuse(
    "vrrpd has no notify FIFO", "use a notify script instead (`notify` in vrrp_instance)"
)
_VMAC = _refuse(
    "vrrpd keeps the VIPs on the interface's own MAC address and announces them with "
    "gratuitous ARP / unsolicited NA",
    "remove it (the VIPs move by ARP, as without use_vmac)",
)
_SMTP_ALERT = _refuse("vrrpd sends no e-mail", "send mail from a notify script, or remove it", _off)

GLOBAL_POLICIES: dict[str, _Policy] = {
    "vrrp_strict": _refuse(
        "strict mode drops traffic to the VIPs (no_accept) and forbids unicast, "
        "authentication and preempt_delay; vrrpd has no such mode"
    ),
    "smtp_alert": _SMTP_ALERT,
    "smtp_alert_vrrp": _SMTP_ALERT,
    "vrrp_mcast_group4": _refuse(
        f"vrrpd always uses {MCAST_GROUP4}", "remove it", _value(MCAST_GROUP4)
    ),
    "vrrp_mcast_group6": _refuse(
        f"vrrpd always uses {MCAST_GROUP6}", "remove it", _value(MCAST_GROUP6)
    ),
    "vrrp_garp_interval": _refuse(
        "vrrpd sends the messages of a burst back to back", "remove it", _value("0")
    ),
    "vrrp_gna_interval": _refuse(
        "vrrpd sends the messages of a burst back to back", "remove it", _value("0")
    ),
    "vrrp_garp_lower_prio_delay": _refuse("no extra announcements on lower-priority adverts"),
    "vrrp_garp_lower_prio_repeat": _refuse("no extra announcements on lower-priority adverts"),
    "vrrp_garp_extra_if": _refuse("announcements go out on the VIPs' interfaces only"),
    "vrrp_down_timer_adverts": _refuse(
        "Master_Down_Interval is 3 advert intervals (RFC)", "remove it", _value("3")
    ),
    "vrrp_higher_prio_send_advert": _refuse(
        "a master that hears a higher priority steps down without an advert", "remove it", _off
    ),
    "vrrp_startup_delay": _refuse(
        "vrrpd starts its instances at once",
        "delay the start in the systemd unit (ExecStartPre=/bin/sleep N), or remove it",
        _value("0"),
    ),
    "notify_fifo": _FIFO,
    "notify_fifo_script": _FIFO,
    "vrrp_notify_fifo": _FIFO,
    "vrrp_notify_fifo_script": _FIFO,
    "startup_script": _refuse("no start-up script", "run it from the systemd unit (ExecStartPre=)"),
    "startup_script_timeout": _refuse("no start-up script", "remove it"),
    "shutdown_script": _refuse(
        "no shut-down script", "run it from the systemd unit (ExecStopPost=)"
    ),
    "shutdown_script_timeout": _refuse("no shut-down script", "remove it"),
    "dynamic_interfaces": _warn(
        "vrrpd needs every instance's interface to exist when it starts or reloads",
        "create the interfaces before vrrpd starts (systemd: After=network-online.target)",
    ),
    "vrrp_check_unicast_src": _note(
        "accepted: vrrpd always takes unicast adverts from the listed peers only"
    ),
    "vrrp_skip_check_adv_addr": _note(
        "accepted: vrrpd checks the address list of every advert (it drops a mismatch, as "
        "Keepalived does on a new master's first advert); with matching lists nothing changes"
    ),
    "vrrp_notify_priority_changes": _note(f"{_UNUSED}: it only affects notify FIFOs"),
    "fifo_write_vrrp_states_on_reload": _note(f"{_UNUSED}: it only affects notify FIFOs"),
    "log_unknown_vrids": _note(f"{_UNUSED}: vrrpd counts such adverts as drops"),
    "linkbeat_use_polling": _note(f"{_UNUSED}: vrrpd follows link state through netlink"),
    "default_interface": _note(f"{_UNUSED}: it is for static addresses, which vrrpd has none of"),
    "vmac_prefix": _note(f"{_UNUSED}: vrrpd makes no VMAC interfaces"),
    "vmac_addr_prefix": _note(f"{_UNUSED}: vrrpd makes no VMAC interfaces"),
    "max_auto_priority": _PROCESS,
    "min_auto_priority_delay": _PROCESS,
    "enable_snmp_vrrp": _SNMP,
    "enable_snmp_rfc": _SNMP,
    "enable_snmp_rfcv2": _SNMP,
    "enable_snmp_rfcv3": _SNMP,
    "enable_snmp_keepalived": _SNMP,
    "enable_traps": _SNMP,
    "snmp_socket": _SNMP,
    "enable_dbus": _SNMP,
    "dbus_service_name": _SNMP,
    "vrrp_iptables": _FIREWALL,
    "vrrp_ipsets": _FIREWALL,
    "nftables": _FIREWALL,
    "nftables_priority": _FIREWALL,
    "nftables_counters": _FIREWALL,
    "nftables_ifindex": _FIREWALL,
    "disable_local_igmp": _FIREWALL,
}
_GLOBAL_NOTE_WORDS = {
    # LVS, checkers, BFD, SMTP: the other halves of Keepalived.
    "notification_email": "e-mail",
    "notification_email_from": "e-mail",
    "no_email_faults": "e-mail",
    "rs_init_notifies": "LVS",
    "no_checker_emails": "LVS",
    "net_namespace_ipvs": "LVS",
    "nftables_ipvs": "LVS",
    "nftables_ipvs_priority": "LVS",
    "nftables_ipvs_start_fwmark": "LVS",
}
_GLOBAL_NOTE_PREFIXES = {
    "smtp_": "e-mail",
    "lvs_": "LVS",
    "checker_": "LVS checkers",
    "bfd_": "BFD",
}
_GLOBAL_PROCESS_WORDS = frozenset(
    {
        "vrrp_priority", "vrrp_no_swap", "vrrp_cpu_affinity", "vrrp_rt_priority",
        "vrrp_rlimit_rttime", "process_names", "process_name", "vrrp_process_name",
        "umask", "tmp_config_directory", "config_save_dir", "random_seed",
        "reload_check_config", "reload_time_file", "reload_repeat", "reload_file",
        "data_use_instance", "include_check", "vrrp_netlink_cmd_rcv_bufs",
        "vrrp_netlink_cmd_rcv_bufs_force", "vrrp_netlink_monitor_rcv_bufs",
        "vrrp_netlink_monitor_rcv_bufs_force", "process_monitor_rcv_bufs",
        "process_monitor_rcv_bufs_force", "vrrp_rx_bufs_policy", "vrrp_rx_bufs_multiplier",
    }
)  # fmt: skip


def _global_family(keyword: str) -> _Policy | None:
    """The policy for global_defs keywords known by their family (process, LVS, mail)."""
    if keyword in _GLOBAL_PROCESS_WORDS:
        return _PROCESS
    what = _GLOBAL_NOTE_WORDS.get(keyword) or next(
        (v for k, v in _GLOBAL_NOTE_PREFIXES.items() if keyword.startswith(k)), None
    )
    return None if what is None else _note(f"{_UNUSED}: it is for {what}")


INSTANCE_POLICIES: dict[str, _Policy] = {
    "dont_track_primary": _warn(
        "vrrpd always goes to FAULT while this instance's interface is down "
        "(Keepalived with dont_track_primary ignores that)",
        "remove it, or keep this instance on Keepalived",
    ),
    "check_unicast_src": _note(
        "accepted: vrrpd always takes unicast adverts from the listed peers only"
    ),
    "skip_check_adv_addr": _note(
        "accepted: vrrpd checks the address list of every advert; with matching lists "
        "nothing changes"
    ),
    "unicast_fault_no_peer": _note(
        "accepted: vrrpd never falls back to multicast (an empty unicast_peer is an error)"
    ),
    "accept": _note("accepted: vrrpd never filters traffic to the VIPs (Keepalived's default)"),
    "native_ipv6": _note("accepted: the virtual addresses decide the family (as in Keepalived)"),
    "debug": _note(f"{_UNUSED} (Keepalived does not implement it either)"),
    "linkbeat_use_polling": _note(f"{_UNUSED}: vrrpd follows link state through netlink"),
    "kernel_rx_buf_size": _note(f"{_UNUSED}: vrrpd reads adverts as they come"),
    "notify_priority_changes": _note(f"{_UNUSED}: it only affects notify FIFOs"),
    "strict_mode": _refuse(
        "strict mode drops traffic to the VIPs (no_accept) and forbids unicast, "
        "authentication and preempt_delay; vrrpd has no such mode",
        "remove it",
        _off,
    ),
    "no_accept": _refuse(
        "vrrpd adds no firewall rules; the master always accepts traffic to its VIPs",
        "remove it (Keepalived's default is accept)",
    ),
    "smtp_alert": _SMTP_ALERT,
    "use_vmac": _VMAC,
    "use_vmac_addr": _VMAC,
    "vmac_xmit_base": _VMAC,
    "use_ipvlan": _VMAC,
    "vrf": _refuse("vrrpd does not bind to a VRF", "remove it"),
    "track_process": _refuse(
        "no process tracking", 'track it with a vrrp_script, e.g. script "pidof haproxy"'
    ),
    "track_bfd": _refuse("no BFD", "track the peer with a vrrp_script, or remove it"),
    "track_src_ip": _refuse("the source address is not tracked", "remove it"),
    "mcast_dst_ip": _refuse(
        "vrrpd always sends to the IANA group (224.0.0.18 / ff02::12)",
        "remove it, or use unicast_peer",
        _value(MCAST_GROUP4, MCAST_GROUP6),
    ),
    "unicast_ttl": _refuse(
        "unicast adverts are sent with TTL 255 (RFC)", "remove it", _value("255")
    ),
    "old_unicast_checksum": _refuse("no checksum of Keepalived before 1.3.6", "remove it"),
    "garp_lower_prio_delay": _refuse("no extra announcements on lower-priority adverts"),
    "garp_lower_prio_repeat": _refuse("no extra announcements on lower-priority adverts"),
    "garp_extra_if": _refuse("announcements go out on the VIPs' interfaces only"),
    "down_timer_adverts": _refuse(
        "Master_Down_Interval is 3 advert intervals (RFC)", "remove it", _value("3")
    ),
    "higher_prio_send_advert": _refuse(
        "a master that hears a higher priority steps down without an advert", "remove it", _off
    ),
    "timer_expired_backup": _refuse("no such extension", "remove it"),
    "virtual_ipaddress_excluded": _refuse(
        "every VIP is advertised",
        "move the addresses to virtual_ipaddress (one family per instance)",
    ),
    "no_virtual_ipaddress": _refuse("an instance needs a virtual_ipaddress block"),
    "promote_secondaries": _refuse(
        "vrrpd changes no interface settings",
        "set it with sysctl (net.ipv4.conf.IFACE.promote_secondaries = 1), and remove it here",
    ),
    "virtual_routes": _refuse(
        "no routes on transitions", "add and remove them from notify_master / notify_backup"
    ),
    "virtual_rules": _refuse(
        "no rules on transitions", "add and remove them from notify_master / notify_backup"
    ),
    "notify_master_rx_lower_pri": _refuse("no such hook", "remove it"),
    "notify_deleted": _refuse("instances are not deleted on reload with a hook", "remove it"),
    "auth_hmac": _refuse("no HMAC authentication", "remove it on every node"),
}
SYNC_GROUP_POLICIES: dict[str, _Policy] = {
    "track_process": INSTANCE_POLICIES["track_process"],
    "track_bfd": INSTANCE_POLICIES["track_bfd"],
    "notify_deleted": INSTANCE_POLICIES["notify_deleted"],
    "notify_priority_changes": INSTANCE_POLICIES["notify_priority_changes"],
    "smtp_alert": _SMTP_ALERT,
}
TRACK_FILE_POLICIES: dict[str, _Policy] = {
    "init_file": _refuse(
        "vrrpd does not create track files", "create the file from the systemd unit (ExecStartPre=)"
    ),
}
TOP_POLICIES: dict[str, _Policy] = {
    "virtual_server": _LVS,
    "virtual_server_group": _LVS,
    "real_server": _LVS,
    "SSL": _LVS,
    "vrrp_track_process": INSTANCE_POLICIES["track_process"],
    "bfd_instance": INSTANCE_POLICIES["track_bfd"],
    "static_ipaddress": _refuse(
        "vrrpd adds no static addresses, routes or rules",
        "configure them with the host's network tooling, and remove them here",
    ),
    "static_routes": _refuse(
        "vrrpd adds no static addresses, routes or rules",
        "configure them with the host's network tooling, and remove them here",
    ),
    "static_rules": _refuse(
        "vrrpd adds no static addresses, routes or rules",
        "configure them with the host's network tooling, and remove them here",
    ),
    "track_group": _refuse("it is for static addresses, which vrrpd has none of"),
    "interface_up_down_delays": _refuse(
        "an interface going down puts its instances in FAULT at once", "remove it"
    ),
    "garp_group": _refuse("vrrpd sends the messages of a burst back to back"),
    "net_namespace": _refuse(
        "vrrpd runs in the network namespace it is started in",
        "start it there (ip netns exec NAME vrrpd ...), and remove this line",
    ),
    "linkbeat_interfaces": _note(f"{_UNUSED}: vrrpd follows link state through netlink"),
    "namespace_with_ipsets": _FIREWALL,
    "instance": _PROCESS,
    "use_pid_dir": _PROCESS,
    "child_wait_time": _PROCESS,
    "linkbeat_use_polling": _note(f"{_UNUSED}: vrrpd follows link state through netlink"),
}
TOP_KEYWORDS = ("global_defs", "vrrp_script", "track_file", "vrrp_track_file", "vrrp_instance",
                "vrrp_sync_group")  # fmt: skip


# --- the parts of a config, while it is read --------------------------------------------------


@dataclass(slots=True)
class _Globals:
    router_id: str | None = None
    script_user: str | None = None
    script_security: Token | None = None
    vrrp_version: int | None = None
    version_at: Token | None = None
    garp: dict[str, int] = field(default_factory=dict)
    lower_prio_no_advert: bool = False
    v3_checksum_as_v2: bool = False


@dataclass(frozen=True, slots=True)
class _TrackUse:
    kind: TrackKind
    name: str
    weight: int | None  # None: the track's own weight
    at: Token
    path: str
    seq: int  # where in the text (a track must be defined before it is used)


@dataclass(slots=True)
class _Draft:
    """An instance as read, before the global defaults and sync groups apply."""

    name: str
    path: str
    head: Token
    interface: str | None = None
    vrid: int | None = None
    priority: int | None = None
    state: Token | None = None
    version: int | None = None
    version_at: Token | None = None
    advert_int: tuple[Decimal, Token] | None = None
    vips: list[Vip] = field(default_factory=list)
    vip_at: dict[IPAddress, Token] = field(default_factory=dict)
    nopreempt: Token | None = None
    preempt_at: Token | None = None
    preempt_delay: tuple[Decimal, Token] | None = None
    auth: tuple[AuthType, bytes, Token] | None = None
    source: tuple[IPAddress, Token, str] | None = None
    peers_block: Token | None = None
    peers: list[tuple[IPAddress, Token, str]] = field(default_factory=list)
    v3_checksum_as_v2: bool | None = None
    lower_prio_no_advert: bool | None = None
    garp: dict[str, int] = field(default_factory=dict)
    tracks: list[_TrackUse] = field(default_factory=list)
    notify: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # items so far in each list block


@dataclass(slots=True)
class _Group:
    name: str
    path: str
    head: Token
    members: list[tuple[str, Token, str]] = field(default_factory=list)
    tracks: list[_TrackUse] = field(default_factory=list)
    notify: dict[str, str] = field(default_factory=dict)
    keep_weights: bool = False
    counts: dict[str, int] = field(default_factory=dict)


Handler = Callable[["_Parser", Statement, str, T], None]

NOTIFY_KEYWORDS = ("notify_master", "notify_backup", "notify_fault", "notify_stop", "notify")


def _hooks(given: Mapping[str, str]) -> NotifyHooks:
    return NotifyHooks(
        master=given.get("notify_master"),
        backup=given.get("notify_backup"),
        fault=given.get("notify_fault"),
        stop=given.get("notify_stop"),
        notify=given.get("notify"),
    )


@dataclass(slots=True)
class _ScriptDraft:
    command: str | None = None
    interval: int = 1
    timeout: int | None = None
    fall: int = 1
    rise: int = 1
    weight: int = 0
    user: str | None = None
    init_fail: bool = False


@dataclass(slots=True)
class _FileDraft:
    path: str | None = None
    weight: int = 1


@dataclass(slots=True)
class _AuthDraft:
    auth_type: AuthType | None = None
    secret: bytes | None = None


@dataclass(frozen=True, slots=True)
class _Defined:
    """A named track script or file, and where in the text it was defined."""

    weight: int
    seq: int
    at: Token
    path: str


# --- the parser ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Parser:
    report: Report
    globals_: _Globals = field(default_factory=_Globals)
    scripts: dict[str, ScriptTrack] = field(default_factory=dict)
    files: dict[str, FileTrack] = field(default_factory=dict)
    defined: dict[tuple[TrackKind, str], _Defined] = field(default_factory=dict)
    drafts: dict[str, _Draft] = field(default_factory=dict)
    groups: dict[str, _Group] = field(default_factory=dict)
    seq: int = 0

    # -- reading values ------------------------------------------------------------------

    def one(self, stmt: Statement, path: str, example: str) -> Token | None:
        """The single value of a `keyword VALUE` line."""
        if not self.no_block(stmt, path):
            return None
        if not stmt.args:
            self.report.error(stmt.head, path, "needs a value", f"write `{stmt.keyword} {example}`")
            return None
        if len(stmt.args) > 1:
            extra = stmt.args[1]
            self.report.error(
                extra,
                path,
                f"unexpected {extra.text!r} after {stmt.args[0].text!r}",
                "give one value, and put each setting on a line of its own",
            )
            return None
        return stmt.args[0]

    def no_block(self, stmt: Statement, path: str) -> bool:
        if stmt.block is not None:
            fix = f"write `{stmt.keyword} VALUE` on one line"
            self.report.error(stmt.opener, path, f"{stmt.keyword} takes no {{ }} block", fix)
            return False
        return True

    def bare(self, stmt: Statement, path: str) -> bool:
        """A keyword that takes no value (nopreempt, init_fail)."""
        if not self.no_block(stmt, path):
            return False
        if stmt.args:
            fix = f"write `{stmt.keyword}` alone on its line"
            self.report.error(stmt.args[0], path, f"{stmt.keyword} takes no value", fix)
            return False
        return True

    def flag(self, stmt: Statement, path: str) -> bool | None:
        """`keyword` or `keyword on|off|true|false|yes|no`."""
        if not self.no_block(stmt, path):
            return None
        if not stmt.args:
            return True
        word = stmt.args[0]
        if len(stmt.args) == 1 and word.text.lower() in (*TRUE_WORDS, *FALSE_WORDS):
            return word.text.lower() in TRUE_WORDS
        fix = f"write `{stmt.keyword}`, or `{stmt.keyword} off`"
        self.report.error(word, path, f"expected on or off, got {word.text!r}", fix)
        return None

    def block(self, stmt: Statement, path: str) -> list[Statement] | None:
        if stmt.block is None:
            items = " ".join(w.text for w in stmt.args) or "..."
            fix = f"write `{stmt.keyword} {{ {items} }}`"
            self.report.error(stmt.head, path, f"{stmt.keyword} needs a {{ }} block", fix)
            return None
        if stmt.args:
            word = stmt.args[0]
            fix = f"write `{stmt.keyword} {{`, with the items on the following lines"
            self.report.error(word, path, f"unexpected {word.text!r} before the '{{'", fix)
            return None
        return stmt.block

    def integer(self, token: Token, path: str, lo: int, hi: int | None) -> int | None:
        if not _INT.fullmatch(token.text):
            self.report.error(token, path, f"expected a whole number, got {token.text!r}", "")
            return None
        value = int(token.text)
        if value < lo or (hi is not None and value > hi):
            fix = f"use {lo} or more" if hi is None else f"use {lo}..{hi}"
            self.report.error(token, path, f"{value} is out of range", fix)
            return None
        return value

    def integer_at(self, stmt: Statement, path: str, lo: int, hi: int | None) -> int | None:
        token = self.one(stmt, path, str(max(lo, 1)))
        return None if token is None else self.integer(token, path, lo, hi)

    def decimal_at(self, stmt: Statement, path: str, lo: Decimal, hi: Decimal) -> Decimal | None:
        token = self.one(stmt, path, "1")
        if token is None:
            return None
        if not _DECIMAL.fullmatch(token.text):
            self.report.error(token, path, f"expected a number, got {token.text!r}", "")
            return None
        value = Decimal(token.text)
        if not lo <= value <= hi:
            self.report.error(token, path, f"{token.text} is out of range", f"use {lo}..{hi}")
            return None
        return value

    def name(self, token: Token, path: str, what: str) -> str | None:
        if not token.text or re.search(r"\s", token.text):
            fix = "use a name without spaces"
            self.report.error(token, path, f"{what} {token.text!r} is empty or has spaces", fix)
            return None
        return token.text

    def interface(self, token: Token, path: str) -> str | None:
        name = self.name(token, path, "the interface name")
        if name is not None and (len(name.encode()) >= IFNAMSIZ or "/" in name):
            fix = f"use at most {IFNAMSIZ - 1} bytes and no '/'"
            self.report.error(token, path, f"{name!r} cannot be a Linux interface name", fix)
            return None
        return name

    def address(self, token: Token, path: str) -> IPAddress | None:
        try:
            return ipaddress.ip_address(token.text)
        except ValueError:
            fix = "write a plain address, e.g. 192.0.2.12 or 2001:db8::12"
            self.report.error(token, path, f"{token.text!r} is not an IP address", fix)
            return None

    def command(self, stmt: Statement, path: str, *, hook: bool) -> str | None:
        """A command as Keepalived runs it (argv, no shell), as text vrrpd runs the same way."""
        if not self.no_block(stmt, path):
            return None
        try:
            words = shell_words(stmt.raw())
            argv = shell_words(words[1]) if len(words) > 1 else []
        except ValueError as exc:
            self.report.error(stmt.head, path, f"cannot split the command: {exc}", "")
            return None
        if not argv:
            fix = f'write `{stmt.keyword} "/path/to/program arg"`'
            self.report.error(stmt.head, path, "needs a command", fix)
            return None
        if len(words) > 2:
            self._extra_command_words(stmt, path, words, hook=hook)
            return None
        self.report.record(path, stmt.head, stmt.args[0])
        # Keepalived execs argv without a shell; quoted for vrrpd, it means the same.
        return shlex.join(argv)

    def _extra_command_words(
        self, stmt: Statement, path: str, words: list[str], *, hook: bool
    ) -> None:
        at = stmt.args[min(1, len(stmt.args) - 1)]
        if hook:
            self.report.error(
                at,
                path,
                f"running a hook as another user ({' '.join(words[2:])}) is not supported",
                "remove the user: hooks run as script_user (global_defs)",
            )
            return
        self.report.error(
            at,
            path,
            f"Keepalived runs only {words[1]!r} and ignores {' '.join(words[2:])!r}",
            f'quote the whole command: script "{" ".join(words[1:])}"',
        )

    # -- sections -------------------------------------------------------------------------

    def read(self, statements: list[Statement]) -> None:
        for stmt in statements:
            self.seq += 1
            handler = _TOP_HANDLERS.get(stmt.keyword)
            if handler is not None:
                handler(self, stmt)
                continue
            policy = TOP_POLICIES.get(stmt.keyword)
            if policy is not None:
                self.apply(policy, stmt, stmt.keyword)
            else:
                self.unknown(stmt, stmt.keyword, "the file", TOP_KEYWORDS)

    def apply(self, policy: _Policy, stmt: Statement, path: str) -> None:
        if policy.harmless is not None and policy.harmless(stmt):
            return
        self.report.add(stmt.head, path, policy.problem, policy.fix, policy.severity)

    def unknown(self, stmt: Statement, path: str, section: str, known: Collection[str]) -> None:
        keyword = stmt.keyword
        if keyword in TOP_KEYWORDS and section != "the file":
            self.report.error(
                stmt.head,
                path,
                f"{keyword} cannot be inside {section}",
                "a '}' is probably missing before this line",
            )
            return
        close = difflib.get_close_matches(keyword, known, n=1)
        fix = f"did you mean {close[0]!r}?" if close else f"{section} takes: " + ", ".join(known)
        self.report.error(stmt.head, path, f"unknown keyword {keyword!r}", fix)

    def dispatch(self, block: list[Statement], path: str, section: _Section[T], target: T) -> None:
        """Each statement of a block to its keyword's handler, or its policy, or an error."""
        seen: dict[str, Token] = {}
        for stmt in block:
            keyword = stmt.keyword
            child = f"{path}.{keyword}"
            handler = section.handlers.get(keyword)
            if handler is None:
                found = section.policy(keyword)
                if found is None:
                    self.unknown(stmt, child, section.name, section.known)
                else:
                    self.apply(found, stmt, child)
                continue
            if keyword in seen and keyword not in _REPEATABLE:
                self.report.warn(
                    stmt.head,
                    child,
                    f"is given again (first at line {seen[keyword].line}); "
                    "Keepalived uses the last one",
                    "keep one",
                )
            seen.setdefault(keyword, stmt.head)
            self.report.record(child, stmt.head, stmt.args[0] if stmt.args else None)
            handler(self, stmt, child, target)

    def named(self, stmt: Statement, what: str) -> tuple[str, str, list[Statement]] | None:
        """`KEYWORD NAME { ... }`: the name, its key path and the block."""
        keyword = stmt.keyword
        if len(stmt.args) != 1:
            at = stmt.args[1] if stmt.args else stmt.head
            problem = f"{keyword} needs one name" if not stmt.args else "unexpected words"
            self.report.error(at, keyword, problem, f"write `{keyword} NAME {{`")
            return None
        name = self.name(stmt.args[0], keyword, f"the {what} name")
        if name is None:
            return None
        path = f"{keyword}.{name}"
        if stmt.block is None:
            self.report.error(stmt.head, path, "needs a { } block", f"write `{keyword} {name} {{`")
            return None
        self.report.record(path, stmt.head, stmt.args[0])
        return name, path, stmt.block

    def global_defs(self, stmt: Statement) -> None:
        self.report.record("global_defs", stmt.head)
        block = self.block(stmt, "global_defs")
        if block is not None:
            self.dispatch(block, "global_defs", _GLOBAL, self.globals_)

    def vrrp_script(self, stmt: Statement) -> None:
        named = self.named(stmt, "script")
        if named is None:
            return
        name, path, block = named
        if (TrackKind.SCRIPT, name) in self.defined:
            self.duplicate(stmt, path, self.defined[(TrackKind.SCRIPT, name)].at)
            return
        draft = _ScriptDraft()
        self.dispatch(block, path, _SCRIPT, draft)
        if draft.command is None and not self.report.failed(f"{path}.script"):
            fix = 'add `script "/path/to/check arg"`'
            self.report.error(stmt.head, f"{path}.script", "missing the script to run", fix)
        self.scripts[name] = ScriptTrack(
            name=name,
            command=draft.command or "",
            interval=float(draft.interval),
            timeout=None if draft.timeout is None else float(draft.timeout),
            fall=draft.fall,
            rise=draft.rise,
            weight=draft.weight,
            user=draft.user,
            init_fail=draft.init_fail,
        )
        self.define(TrackKind.SCRIPT, name, draft.weight, stmt, path)

    def track_file(self, stmt: Statement) -> None:
        named = self.named(stmt, "track file")
        if named is None:
            return
        name, path, block = named
        if (TrackKind.FILE, name) in self.defined:
            self.duplicate(stmt, path, self.defined[(TrackKind.FILE, name)].at)
            return
        draft = _FileDraft()
        self.dispatch(block, path, _TRACK_FILE, draft)
        if draft.path is None and not self.report.failed(f"{path}.file"):
            fix = "add `file /etc/keepalived/maintenance`"
            self.report.error(stmt.head, f"{path}.file", "missing the file to track", fix)
        self.files[name] = FileTrack(name=name, path=draft.path or "", weight=draft.weight)
        self.define(TrackKind.FILE, name, draft.weight, stmt, path)

    def define(self, kind: TrackKind, name: str, weight: int, stmt: Statement, path: str) -> None:
        other = TrackKind.FILE if kind is TrackKind.SCRIPT else TrackKind.SCRIPT
        if (other, name) in self.defined:
            line = self.defined[(other, name)].at.line
            self.report.error(
                stmt.args[0],
                path,
                f"{name!r} is also the name of a {other.value} (line {line})",
                "rename one: vrrpd's scripts and track files share one namespace",
            )
        self.defined[(kind, name)] = _Defined(weight, self.seq, stmt.head, path)

    def duplicate(self, stmt: Statement, path: str, first: Token) -> None:
        self.report.error(
            stmt.args[0],
            path,
            f"{stmt.args[0].text!r} is defined twice (first at line {first.line})",
            "rename or remove one",
        )

    def vrrp_instance(self, stmt: Statement) -> None:
        named = self.named(stmt, "instance")
        if named is None:
            return
        name, path, block = named
        if name in self.drafts:
            self.duplicate(stmt, path, self.drafts[name].head)
            return
        draft = _Draft(name, path, stmt.head)
        self.dispatch(block, path, _INSTANCE, draft)
        self.drafts[name] = draft

    def vrrp_sync_group(self, stmt: Statement) -> None:
        named = self.named(stmt, "sync group")
        if named is None:
            return
        name, path, block = named
        if name in self.groups:
            self.duplicate(stmt, path, self.groups[name].head)
            return
        group = _Group(name, path, stmt.head)
        self.dispatch(block, path, _SYNC_GROUP, group)
        self.groups[name] = group

    # -- items of list blocks -------------------------------------------------------------

    def items(
        self, stmt: Statement, path: str, counts: dict[str, int]
    ) -> Iterator[tuple[Statement, str]]:
        """The lines of a list block with their key paths, numbered on across repeated blocks."""
        block = self.block(stmt, path) or []
        start = counts.get(stmt.keyword, 0)
        counts[stmt.keyword] = start + len(block)
        for index, item in enumerate(block, start):
            item_path = f"{path}[{index}]"
            self.report.record(item_path, item.head)
            if item.block is not None:
                self.report.error(item.opener, item_path, "a list item takes no { } block", "")
                continue
            yield item, item_path

    def track_use(self, item: Statement, path: str, kind: TrackKind) -> _TrackUse | None:
        """`NAME [weight W] [reverse|noreverse]` in a track_* block."""
        limit = WEIGHT_MAX if kind is TrackKind.FILE else SCRIPT_WEIGHT
        if kind is TrackKind.INTERFACE:
            name = self.interface(item.head, path)
        else:
            name = self.name(item.head, path, f"the {kind.value} name")
        weight: int | None = None
        words = item.args
        i = 0
        while i < len(words):
            word = words[i]
            if word.text == "weight" and i + 1 < len(words):
                weight = self.integer(words[i + 1], path, -limit, limit)
                if weight is None:
                    return None
                i += 2
                continue
            if word.text == "reverse":
                fix = "remove `reverse`, and express the track the other way round"
                self.report.error(word, path, "reversed tracks are not supported", fix)
            elif word.text not in ("noreverse", "no_reverse"):
                fix = f"write `{item.head.text} weight -20`"
                self.report.error(word, path, f"unexpected {word.text!r}", fix)
            i += 1
        if name is None or self.report.failed(path):
            return None
        return _TrackUse(kind, name, weight, item.head, path, self.seq)

    def vip(self, item: Statement, path: str) -> Vip | None:
        """`ADDRESS[/PREFIX] [dev IF] [label L] [scope S]` (Keepalived's other words refused)."""
        interface = _vip_interface(self.report, item.head, path)
        options: dict[str, Token] = {}
        words = item.args
        i = 0
        while i < len(words):
            i = self.vip_option(words, i, path, options)
        if interface is None or self.report.failed(path):
            return None
        dev = options.get("dev")
        scope = options.get("scope")
        label = options.get("label")
        if scope is not None and scope.text not in SCOPES:
            fix = "use one of " + ", ".join(SCOPES)
            self.report.error(scope, path, f"unknown scope {scope.text!r}", fix)
            return None
        vip = Vip(
            interface=interface,
            dev=None if dev is None else self.interface(dev, path),
            label=None if label is None else label.text,
            scope=None if scope is None else scope.text,
        )
        if label is not None and not self.label_ok(vip, label, path):
            return None
        return vip

    def vip_option(self, words: list[Token], i: int, path: str, found: dict[str, Token]) -> int:
        word = words[i]
        if word.text in ("dev", "label", "scope"):
            if i + 1 >= len(words):
                self.report.error(word, path, f"{word.text} needs a value", "")
                return i + 1
            found[word.text] = words[i + 1]
            return i + 2
        if word.text in _VIP_OPTIONS_WITH_VALUE or word.text in _VIP_FLAGS:
            fix = f"remove `{word.text}`"
            self.report.error(word, path, f"the address option {word.text!r} is not supported", fix)
            return i + (2 if word.text in _VIP_OPTIONS_WITH_VALUE else 1)
        try:
            ipaddress.ip_interface(word.text)
            problem = f"{word.text!r}: one address per line"
            fix = "put each address on a line of its own"
        except ValueError:
            problem = f"unknown address option {word.text!r}"
            fix = "use dev, label or scope"
        self.report.error(word, path, problem, fix)
        return i + 1

    def label_ok(self, vip: Vip, label: Token, path: str) -> bool:
        if vip.family is Family.IPV6:
            self.report.error(label, path, "IPv6 addresses have no labels", "remove the label")
            return False
        if len(label.text.encode()) >= IFNAMSIZ:
            fix = f"use at most {IFNAMSIZ - 1} bytes"
            self.report.error(label, path, f"the label {label.text!r} is too long", fix)
            return False
        if vip.dev is not None and not label.text.startswith(vip.dev):
            self.report.warn(
                label,
                path,
                f"{label.text!r} does not start with the device name {vip.dev!r}",
                f"use a label such as {vip.dev}:vip (ip and ifconfig expect one)",
            )
        return True

    def peer(self, item: Statement, path: str) -> IPAddress | None:
        address = self.address(item.head, path)
        for word in item.args:
            if word.text in ("min_ttl", "max_ttl"):
                fix = f"remove `{word.text}` (vrrpd accepts unicast adverts from listed peers only)"
                self.report.error(word, path, f"{word.text} is not supported", fix)
                return None
            self.report.error(word, path, "one address per line", "put each peer on its own line")
            return None
        return address

    # -- after the whole text is read -----------------------------------------------------

    def finish(self) -> Config:
        if not self.drafts and not self.report.failed("vrrp_instance"):
            fix = "add a `vrrp_instance NAME { ... }` block"
            self.report.error(None, "", "the configuration defines no vrrp_instance", fix)
        member_of = self.finish_groups()
        script_user = self.script_user()
        instances = [self.finish_instance(d, member_of.get(d.name)) for d in self.drafts.values()]
        self.check_instances(instances)
        if not self.report.failed(*(d.path for d in self.drafts.values())):
            self.check_unused(instances)
        return Config(
            global_=GlobalConfig(router_id=self.globals_.router_id, script_user=script_user),
            instances=tuple(instances),
            scripts=tuple(self.scripts.values()),
            files=tuple(self.files.values()),
            sync_groups=tuple(
                SyncGroupConfig(g.name, tuple(m for m, _, _ in g.members), _hooks(g.notify))
                for g in self.groups.values()
            ),
        )

    def finish_groups(self) -> dict[str, _Group]:
        member_of: dict[str, _Group] = {}
        for group in self.groups.values():
            group.members = self.group_members(group, member_of)
            has_owner = any(
                self.priority(self.drafts[m]) == PRIORITY_OWNER for m, _, _ in group.members
            )
            group.tracks = [
                t
                for use in group.tracks
                if (t := self.group_track(group, use, owner=has_owner)) is not None
            ]
        return member_of

    def group_members(
        self, group: _Group, member_of: dict[str, _Group]
    ) -> list[tuple[str, Token, str]]:
        if not group.members:
            if not self.report.failed(f"{group.path}.group"):
                fix = "add `group { VI_1 VI_2 }`"
                self.report.error(group.head, f"{group.path}.group", "lists no instances", fix)
            return []
        members: list[tuple[str, Token, str]] = []
        for name, at, path in group.members:
            if name not in self.drafts:
                close = difflib.get_close_matches(name, self.drafts, n=1)
                fix = f"did you mean {close[0]!r}?" if close else "list vrrp_instance names"
                self.report.error(at, path, f"no vrrp_instance named {name!r}", fix)
            elif any(name == m for m, _, _ in members):
                self.report.error(at, path, f"{name} is listed twice", "keep one")
            elif name in member_of:
                other = member_of[name]
                self.report.error(
                    at,
                    path,
                    f"{name} is already in vrrp_sync_group {other.name} (line {other.head.line})",
                    "an instance can be in one sync group only",
                )
            else:
                member_of[name] = group
                members.append((name, at, path))
        if len(group.members) == 1 and members:
            self.report.warn(
                group.head,
                f"{group.path}.group",
                "has one instance only, so it couples nothing (Keepalived says so too)",
                "add a second instance, or remove the group",
            )
        return members

    def group_track(self, group: _Group, use: _TrackUse, *, owner: bool) -> _TrackUse | None:
        """A sync group's track, with its weight resolved (the owner rule applied once)."""
        weight = self.resolve(use)
        if weight is None:
            return None
        if weight and owner:
            self.report.warn(
                use.at,
                use.path,
                "Keepalived clears the weight of a sync group's track when a member is the "
                "address owner (priority 255), so a failure faults the group; so does this "
                "conversion",
                "give it weight 0 to say so",
            )
            weight = 0
        return dataclasses.replace(use, weight=weight)

    def resolve(self, use: _TrackUse) -> int | None:
        """The weight a track is used with, or None (and an error) if it is not defined in time."""
        if use.kind is TrackKind.INTERFACE:
            return use.weight or 0
        defined = self.defined.get((use.kind, use.name))
        section = "vrrp_script" if use.kind is TrackKind.SCRIPT else "track_file"
        if defined is None:
            names = [n for k, n in self.defined if k is use.kind]
            close = difflib.get_close_matches(use.name, names, n=1)
            fix = (
                f"did you mean {close[0]!r}?"
                if close
                else f"define it with `{section} {use.name} {{`"
            )
            self.report.error(use.at, use.path, f"no {section} named {use.name!r}", fix)
            return None
        if defined.seq > use.seq:
            self.report.error(
                use.at,
                use.path,
                f"{section} {use.name} is defined later (line {defined.at.line}); Keepalived "
                "ignores a track of a script or file defined after its use",
                f"move the {section} block above this one",
            )
            return None
        return defined.weight if use.weight is None else use.weight

    def script_user(self) -> str | None:
        """Keepalived's script user: script_user, or keepalived_script (else root)."""
        g = self.globals_
        runs_commands = (
            bool(self.scripts)
            or any(d.notify for d in self.drafts.values())
            or any(g.notify for g in self.groups.values())
        )
        if g.script_user is not None or not runs_commands:
            return g.script_user
        if g.script_security is not None:
            self.report.note(
                g.script_security,
                "global_defs.enable_script_security",
                "with enable_script_security and no script_user, Keepalived runs scripts as "
                "keepalived_script (and will not start without that user); so does this "
                "conversion",
            )
            return "keepalived_script"
        first = next((d for (k, _), d in self.defined.items() if k is TrackKind.SCRIPT), None)
        self.report.note(
            None if first is None else first.at,
            "global_defs.script_user" if first is None else first.path,
            "scripts and hooks run as root in vrrpd, since no script_user is set; Keepalived "
            "would run them as keepalived_script if that user exists",
            "add `script_user keepalived_script` to global_defs if that user exists on your nodes",
        )
        return None

    def priority(self, draft: _Draft) -> int:
        """Keepalived: priority 100, or 255 (the owner) for `state MASTER` without a priority."""
        if draft.priority is not None:
            return draft.priority
        master = draft.state is not None and draft.state.text == "MASTER"
        return PRIORITY_OWNER if master else KEEPALIVED_PRIORITY

    def finish_instance(self, d: _Draft, group: _Group | None) -> InstanceConfig:
        self.required(d)
        family = d.vips[0].family if d.vips else Family.IPV4
        version = self.version(d, family)
        priority = self.priority(d)
        self.state_notes(d, priority)
        preempt, preempt_delay = self.preempt(d, priority)
        auth_type, auth_pass = self.authentication(d, version)
        source, peers = self.unicast(d, family)
        g = self.globals_
        return InstanceConfig(
            name=d.name,
            interface=d.interface or "",
            vrid=d.vrid or 0,
            priority=priority,
            version=version,
            family=family,
            advert_int_cs=self.advert_int_cs(d, version),
            vips=tuple(d.vips),
            preempt=preempt,
            preempt_delay=float(preempt_delay),
            auth_type=auth_type,
            auth_pass=auth_pass,
            unicast_src_ip=source,
            unicast_peers=peers,
            v3_checksum_as_v2=_either(d.v3_checksum_as_v2, g.v3_checksum_as_v2),
            lower_prio_no_advert=_either(d.lower_prio_no_advert, g.lower_prio_no_advert),
            tracks=self.tracks(d, group, priority),
            announcements=self.announcements(d),
            sync_group=None if group is None else group.name,
            notify=_hooks(d.notify),
        )

    def required(self, d: _Draft) -> None:
        for key, attribute, example in (
            ("interface", d.interface, "interface eth0"),
            ("virtual_router_id", d.vrid, "virtual_router_id 51"),
        ):
            path = f"{d.path}.{key}"
            if attribute is None and not self.report.failed(path):
                self.report.error(d.head, path, "missing", f"add `{example}`")
        path = f"{d.path}.virtual_ipaddress"
        if not d.vips and not self.report.failed(path):
            self.report.error(
                d.head,
                path,
                "no virtual IP address (Keepalived only warns; an instance without one "
                "moves nothing)",
                "add `virtual_ipaddress { 192.0.2.100/24 }`",
            )

    def version(self, d: _Draft, family: Family) -> Version:
        version = d.version or self.globals_.vrrp_version or KEEPALIVED_VERSION
        if family is Family.IPV6 and version == 2:
            if d.version_at is not None:
                self.report.note(
                    d.version_at,
                    f"{d.path}.version",
                    "Keepalived runs an IPv6 instance as VRRPv3 whatever `version` says; so does "
                    "vrrpd",
                    "write `version 3`",
                )
            return Version.V3
        return Version(version)

    def state_notes(self, d: _Draft, priority: int) -> None:
        if d.state is None:
            return
        path = f"{d.path}.state"
        if d.priority is None and priority == PRIORITY_OWNER:
            self.report.warn(
                d.state,
                path,
                "state MASTER without a priority makes this instance the address owner "
                "(priority 255) in Keepalived, and so in this conversion",
                "write `priority 255` to say so, or give a priority below 255",
            )
        elif d.state.text == "MASTER" and priority < PRIORITY_OWNER:
            self.report.note(
                d.state,
                path,
                "vrrpd starts every instance as BACKUP and lets the election decide, as "
                "Keepalived does in practice (it waits one Master_Down_Interval too)",
            )
        elif d.state.text == "BACKUP" and priority == PRIORITY_OWNER:
            self.report.note(
                d.state,
                path,
                "the address owner (priority 255) becomes MASTER at once in vrrpd; Keepalived "
                "with state BACKUP first waits one Master_Down_Interval",
            )

    def preempt(self, d: _Draft, priority: int) -> tuple[bool, Decimal]:
        """Keepalived clears nopreempt and preempt_delay where they cannot apply; so do we."""
        preempt = d.nopreempt is None
        master = d.state is not None and d.state.text == "MASTER"
        if d.nopreempt is not None and (priority == PRIORITY_OWNER or master):
            why = (
                "the address owner (priority 255)"
                if priority == PRIORITY_OWNER
                else ("state MASTER")
            )
            fix = (
                "remove nopreempt"
                if priority == PRIORITY_OWNER
                else ("use state BACKUP to keep nopreempt, or remove nopreempt")
            )
            self.report.warn(
                d.nopreempt,
                f"{d.path}.nopreempt",
                f"Keepalived ignores nopreempt with {why} (it says so, and clears it); "
                "so does this conversion",
                fix,
            )
            preempt = True
        if d.preempt_delay is None:
            return preempt, Decimal(0)
        delay, at = d.preempt_delay
        if delay and (not preempt or master):
            why = "nopreempt" if not preempt else "state MASTER"
            self.report.warn(
                at,
                f"{d.path}.preempt_delay",
                f"Keepalived ignores preempt_delay with {why} (it says so, and clears it); "
                "so does this conversion",
                "remove preempt_delay" if not preempt else "use state BACKUP to keep the delay",
            )
            return preempt, Decimal(0)
        return preempt, delay

    def advert_int_cs(self, d: _Draft, version: Version) -> int:
        if d.advert_int is None:
            return int(KEEPALIVED_ADVERT_INT * 100)
        seconds, at = d.advert_int
        path = f"{d.path}.advert_int"
        centis = seconds * 100
        if version is Version.V2:
            # RFC 3768 §5.3.7: Adver Int is 8 bits of whole seconds.
            if seconds != seconds.to_integral_value():
                fix = f"use a whole number 1..{V2_ADVER_INT_S_MAX}, or `version 3` for fractions"
                problem = f"{at.text}: VRRPv2 counts whole seconds (Keepalived rounds it)"
                self.report.error(at, path, problem, fix)
            elif not 1 <= seconds <= V2_ADVER_INT_S_MAX:
                self.report.error(at, path, f"{at.text} is out of range", "use 1..255 (VRRPv2)")
            return int(centis)
        # RFC 9568 §5.2.7: Max Adver Int is 12 bits of centiseconds.
        top = Decimal(V3_ADVER_INT_CS_MAX) / 100
        if centis != centis.to_integral_value():
            problem = f"{at.text} is finer than VRRPv3's steps of 0.01 s (Keepalived rounds it)"
            self.report.error(at, path, problem, f"use a multiple of 0.01 in 0.01..{top}")
        elif not 1 <= centis <= V3_ADVER_INT_CS_MAX:
            problem = f"{at.text} is out of range (Keepalived sets {top})"
            self.report.error(at, path, problem, f"use 0.01..{top} (VRRPv3)")
        return int(centis)

    def authentication(self, d: _Draft, version: Version) -> tuple[AuthType, bytes]:
        if d.auth is None:
            return AuthType.NONE, b""
        auth_type, secret, at = d.auth
        if version is Version.V3:
            self.report.warn(
                at,
                f"{d.path}.authentication",
                "Keepalived ignores authentication in VRRPv3 (it says so); so does this conversion",
                "remove it, or set `version 2` to use it",
            )
            return AuthType.NONE, b""
        return auth_type, secret

    def unicast(self, d: _Draft, family: Family) -> tuple[IPAddress | None, tuple[IPAddress, ...]]:
        source = None
        vips = {v.address for v in d.vips}
        if d.source is not None:
            address, at, path = d.source
            if self.same_family(address, at, path, family) and d.vips:
                source = address
                if address in vips:
                    fix = "use this node's own address: the VIP moves to whichever node is MASTER"
                    self.report.warn(at, path, f"{address} is one of this instance's VIPs", fix)
        peers_path = f"{d.path}.unicast_peer"
        if d.peers_block is not None and not d.peers and not self.report.failed(peers_path):
            self.report.error(
                d.peers_block,
                peers_path,
                "is empty; Keepalived then falls back to multicast (and calls that deprecated), "
                "a known cause of split brain",
                "list the other nodes' addresses, or remove unicast_peer to use multicast",
            )
        peers: list[IPAddress] = []
        for address, at, path in d.peers:
            if not self.same_family(address, at, path, family) or not d.vips:
                continue
            if address in peers:
                self.report.warn(at, path, f"{address} is listed twice", "keep one")
            elif address == source:
                self.report.warn(
                    at, path, f"{address} is this node's own address", "list only the other nodes"
                )
            else:
                peers.append(address)
        return source, tuple(peers)

    def same_family(self, address: IPAddress, at: Token, path: str, family: Family) -> bool:
        if address.version == int(family):
            return True
        self.report.error(
            at,
            path,
            f"{address} is IPv{address.version} but this instance's virtual IPs are "
            f"IPv{int(family)}",
            f"use this node's IPv{int(family)} address",
        )
        return False

    def tracks(self, d: _Draft, group: _Group | None, priority: int) -> tuple[TrackRef, ...]:
        by_kind: dict[TrackKind, list[TrackRef]] = {kind: [] for kind in TrackKind}
        seen: dict[tuple[TrackKind, str], _TrackUse] = {}
        own = [(use, False) for use in d.tracks]
        shared = [(use, True) for use in (group.tracks if group else [])]
        for use, from_group in [*own, *shared]:
            weight = use.weight if from_group else self.resolve(use)
            if weight is None or (not from_group and self.own_interface(d, use)):
                continue
            key = (use.kind, use.name)
            if key in seen:
                first = seen[key]
                whose = " (by the instance and its sync group)" if from_group else ""
                self.report.error(
                    use.at,
                    use.path,
                    f"{use.name!r} is tracked twice{whose}, also at line {first.at.line}",
                    "keep one",
                )
                continue
            seen[key] = use
            kept = weight if from_group else self.own_weight(d, group, priority, use, weight)
            if kept is not None:
                by_kind[use.kind].append(TrackRef(use.name, use.kind, kept))
        return (
            *by_kind[TrackKind.SCRIPT],
            *by_kind[TrackKind.INTERFACE],
            *by_kind[TrackKind.FILE],
        )

    def own_interface(self, d: _Draft, use: _TrackUse) -> bool:
        """Keepalived ignores a track_interface of the instance's own interface; so do we."""
        if use.kind is not TrackKind.INTERFACE or use.name != d.interface:
            return False
        problem = (
            "Keepalived ignores a track of the instance's own interface, which it always "
            "tracks (the link going down means FAULT); so does vrrpd"
        )
        if use.weight:
            self.report.warn(
                use.at, use.path, problem + ", and the weight does not apply", "remove it"
            )
        else:
            self.report.note(use.at, use.path, problem, "remove it")
        return True

    def own_weight(
        self, d: _Draft, group: _Group | None, priority: int, use: _TrackUse, weight: int
    ) -> int | None:
        """Keepalived's rules for an instance's own weighted track: None drops it."""
        if weight == 0:
            return 0
        if priority == PRIORITY_OWNER:
            self.report.warn(
                use.at,
                use.path,
                "Keepalived ignores a weighted track on the address owner (priority 255), "
                "so this conversion leaves it out",
                "give it weight 0 to put the instance in FAULT when it fails, or remove it",
            )
            return None
        if group is None or group.keep_weights:
            return weight
        if use.kind is TrackKind.INTERFACE:
            self.report.warn(
                use.at,
                use.path,
                f"Keepalived ignores track weights in a sync group ({group.name}): this "
                "interface going down faults the group instead; so does this conversion",
                "write it without a weight, or add sync_group_tracking_weight to the group",
            )
            return 0
        self.report.warn(
            use.at,
            use.path,
            f"Keepalived ignores a weighted track of a sync group member ({group.name}): it "
            "does not run it for this instance; this conversion leaves it out too",
            "give it weight 0 to fault the group, track it in the vrrp_sync_group, or add "
            "sync_group_tracking_weight to the group",
        )
        return None

    def announcements(self, d: _Draft) -> Announcements:
        garp = {**self.globals_.garp, **d.garp}
        base = Announcements()
        return Announcements(
            repeat=garp.get("repeat", base.repeat),
            delay=float(garp.get("delay", base.delay)),
            refresh=float(garp.get("refresh", base.refresh)),
            refresh_repeat=garp.get("refresh_repeat", base.refresh_repeat),
        )

    def check_instances(self, instances: list[InstanceConfig]) -> None:
        """One virtual router per (interface, vrid, family); a VIP should have one owner."""
        routers: dict[tuple[str, int, Family], str] = {}
        vip_owner: dict[IPAddress, str] = {}
        for inst in instances:
            d = self.drafts[inst.name]
            fields = [
                f"{d.path}.{k}" for k in ("interface", "virtual_router_id", "virtual_ipaddress")
            ]
            if not self.report.failed(*fields) and inst.vips:
                key = (inst.interface, inst.vrid, inst.family)
                if key in routers:
                    other = self.drafts[routers[key]]
                    self.report.error(
                        d.head,
                        f"{d.path}.virtual_router_id",
                        f"{inst.interface}, virtual_router_id {inst.vrid}, IPv{int(inst.family)} "
                        f"is already used by {other.name} (line {other.head.line})",
                        "give one of them another virtual_router_id",
                    )
                routers.setdefault(key, inst.name)
            for vip in inst.vips:
                owner = vip_owner.setdefault(vip.address, inst.name)
                if owner != inst.name:
                    self.report.warn(
                        d.head,
                        f"{d.path}.virtual_ipaddress",
                        f"{vip.address} is also a virtual IP of {owner}",
                        "give each virtual IP to one instance, or they fight over it",
                    )

    def check_unused(self, instances: list[InstanceConfig]) -> None:
        used = {(ref.kind, ref.name) for inst in instances for ref in inst.tracks}
        for (kind, name), defined in self.defined.items():
            if (kind, name) not in used:
                key = "track_script" if kind is TrackKind.SCRIPT else "track_file"
                self.report.warn(
                    defined.at,
                    defined.path,
                    "is not tracked by any instance (Keepalived does not run it either)",
                    f"add it to an instance's {key}, or remove it",
                )


def _either(own: bool | None, default: bool) -> bool:
    return default if own is None else own


def _vip_interface(
    report: Report, token: Token, path: str
) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
    text = token.text
    try:
        interface = ipaddress.ip_interface(text)
    except ValueError:
        if "-" in text:
            fix = "list each address of the range on a line of its own"
            report.error(token, path, f"{text!r}: address ranges are not supported", fix)
        else:
            fix = "write an address with an optional /prefix, e.g. 192.0.2.100/24"
            report.error(token, path, f"{text!r} is not an IP address", fix)
        return None
    if interface.ip.is_multicast or interface.ip.is_unspecified or "%" in text:
        report.error(token, path, f"{text!r} cannot be a virtual IP", "use a unicast address")
        return None
    return interface


_VIP_OPTIONS_WITH_VALUE = frozenset({"brd", "broadcast", "peer", "preferred_lft", "track_group"})
_VIP_FLAGS = frozenset(
    {"home", "-nodad", "nodad", "mngtmpaddr", "noprefixroute", "autojoin", "no_track", "use_vmac"}
)
_REPEATABLE = frozenset(
    {"virtual_ipaddress", "unicast_peer", "track_script", "track_interface", "track_file", "group",
     "nopreempt", "preempt"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Section(Generic[T]):
    """A kind of block: its keywords' handlers, and what to make of the keywords vrrpd skips."""

    name: str
    handlers: Mapping[str, Handler[T]]
    policies: Mapping[str, _Policy] = field(default_factory=dict)
    family: Callable[[str], _Policy | None] | None = None  # e.g. every lvs_* keyword

    def policy(self, keyword: str) -> _Policy | None:
        found = self.policies.get(keyword)
        if found is None and self.family is not None:
            return self.family(keyword)
        return found

    @property
    def known(self) -> list[str]:
        """The keywords to suggest for a misspelt one."""
        return [*self.handlers, *self.policies]


# --- keyword handlers ------------------------------------------------------------------------


class _HasGarp(Protocol):
    garp: dict[str, int]


G = TypeVar("G", bound=_HasGarp)


def _garp(key: str, lo: int) -> Handler[G]:
    def handler(p: _Parser, stmt: Statement, path: str, target: G) -> None:
        value = p.integer_at(stmt, path, lo, None)
        if value is not None:
            target.garp[key] = value

    return handler


def _g_router_id(p: _Parser, stmt: Statement, path: str, g: _Globals) -> None:
    token = p.one(stmt, path, "lb1")
    if token is not None:
        g.router_id = token.text


def _user(p: _Parser, stmt: Statement, path: str) -> str | None:
    """`USER [GROUP]`: vrrpd runs commands with the user's own group."""
    if not p.no_block(stmt, path):
        return None
    if not stmt.args:
        p.report.error(stmt.head, path, "needs a user name", f"write `{stmt.keyword} USER`")
        return None
    if len(stmt.args) > 1:
        group = stmt.args[1]
        p.report.error(
            group,
            path,
            f"a group ({group.text}) is not supported: vrrpd runs commands with the user's "
            "own group",
            f"remove {group.text!r}",
        )
        return None
    return p.name(stmt.args[0], path, "the user")


def _g_script_user(p: _Parser, stmt: Statement, path: str, g: _Globals) -> None:
    g.script_user = _user(p, stmt, path)


def _g_script_security(p: _Parser, stmt: Statement, path: str, g: _Globals) -> None:
    if p.bare(stmt, path):
        g.script_security = stmt.head
        p.report.note(
            stmt.head,
            path,
            "accepted: `vrrpd --check-config` warns about scripts that a non-root user can "
            "change; unlike Keepalived, vrrpd then runs them anyway",
            "fix what --check-config reports",
        )


def _g_version(p: _Parser, stmt: Statement, path: str, g: _Globals) -> None:
    g.vrrp_version = p.integer_at(stmt, path, 2, 3)
    g.version_at = stmt.head


def _g_min_garp(p: _Parser, stmt: Statement, path: str, g: _Globals) -> None:
    if p.flag(stmt, path):
        g.garp.update(delay=0, repeat=1)  # Keepalived: one message, no second burst


def _g_lower_prio(p: _Parser, stmt: Statement, path: str, g: _Globals) -> None:
    value = p.flag(stmt, path)
    if value is not None:
        g.lower_prio_no_advert = value


def _g_checksum(p: _Parser, stmt: Statement, path: str, g: _Globals) -> None:
    value = p.flag(stmt, path)
    if value is not None:
        g.v3_checksum_as_v2 = value


def _s_script(p: _Parser, stmt: Statement, path: str, s: _ScriptDraft) -> None:
    s.command = p.command(stmt, path, hook=False)


def _s_interval(p: _Parser, stmt: Statement, path: str, s: _ScriptDraft) -> None:
    s.interval = p.integer_at(stmt, path, 1, SCRIPT_INTERVAL_MAX) or s.interval


def _s_timeout(p: _Parser, stmt: Statement, path: str, s: _ScriptDraft) -> None:
    s.timeout = p.integer_at(stmt, path, 1, None)


def _s_fall(p: _Parser, stmt: Statement, path: str, s: _ScriptDraft) -> None:
    s.fall = p.integer_at(stmt, path, 1, None) or s.fall


def _s_rise(p: _Parser, stmt: Statement, path: str, s: _ScriptDraft) -> None:
    s.rise = p.integer_at(stmt, path, 1, None) or s.rise


def _weight(p: _Parser, stmt: Statement, path: str, limit: int) -> int | None:
    """`weight W [reverse|noreverse]` in a vrrp_script or track_file block."""
    if not p.no_block(stmt, path):
        return None
    if not stmt.args:
        p.report.error(stmt.head, path, "needs a value", "write `weight -20`")
        return None
    for word in stmt.args[1:]:
        if word.text == "reverse":
            fix = "remove `reverse`, and express the track the other way round"
            p.report.error(word, path, "reversed tracks are not supported", fix)
            return None
        if word.text not in ("noreverse", "no_reverse"):
            p.report.error(word, path, f"unexpected {word.text!r}", "write `weight -20`")
            return None
    return p.integer(stmt.args[0], path, -limit, limit)


def _s_weight(p: _Parser, stmt: Statement, path: str, s: _ScriptDraft) -> None:
    weight = _weight(p, stmt, path, SCRIPT_WEIGHT)
    if weight is not None:
        s.weight = weight


def _s_user(p: _Parser, stmt: Statement, path: str, s: _ScriptDraft) -> None:
    s.user = _user(p, stmt, path)


def _s_init_fail(p: _Parser, stmt: Statement, path: str, s: _ScriptDraft) -> None:
    s.init_fail = p.bare(stmt, path) or s.init_fail


def _f_file(p: _Parser, stmt: Statement, path: str, f: _FileDraft) -> None:
    token = p.one(stmt, path, "/etc/keepalived/maintenance")
    if token is None:
        return
    if not token.text.startswith("/"):
        fix = "write an absolute path: vrrpd does not run in the configuration's directory"
        p.report.error(token, path, f"{token.text!r} is a relative path", fix)
        return
    f.path = token.text


def _f_weight(p: _Parser, stmt: Statement, path: str, f: _FileDraft) -> None:
    weight = _weight(p, stmt, path, WEIGHT_MAX)
    if weight is not None:
        f.weight = weight


def _i_state(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    token = p.one(stmt, path, "BACKUP")
    if token is None:
        return
    if token.text not in ("MASTER", "BACKUP"):
        fix = "write MASTER or BACKUP, in capitals (Keepalived takes anything else as BACKUP)"
        p.report.error(token, path, f"unknown state {token.text!r}", fix)
        return
    d.state = token


def _i_interface(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    token = p.one(stmt, path, "eth0")
    if token is not None:
        d.interface = p.interface(token, path)


def _i_vrid(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    d.vrid = p.integer_at(stmt, path, VRID_MIN, VRID_MAX)


def _i_priority(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    d.priority = p.integer_at(stmt, path, 1, PRIORITY_OWNER)


def _i_advert_int(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    seconds = p.decimal_at(stmt, path, Decimal(0), Decimal(V2_ADVER_INT_S_MAX))
    if seconds is not None:
        d.advert_int = (seconds, stmt.args[0])


def _i_version(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    d.version = p.integer_at(stmt, path, 2, 3)
    d.version_at = stmt.head


def _i_nopreempt(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    if p.bare(stmt, path):
        _last_of_two(p, stmt, path, d.preempt_at, "preempt")
        d.nopreempt, d.preempt_at = stmt.head, None


def _i_preempt(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    if p.bare(stmt, path):
        _last_of_two(p, stmt, path, d.nopreempt, "nopreempt")
        d.nopreempt, d.preempt_at = None, stmt.head


def _last_of_two(p: _Parser, stmt: Statement, path: str, other: Token | None, name: str) -> None:
    if other is not None:
        p.report.warn(
            stmt.head,
            path,
            f"{name} is also given (line {other.line}); Keepalived uses the last one, "
            f"{stmt.keyword}",
            "keep one",
        )


def _i_preempt_delay(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    delay = p.decimal_at(stmt, path, Decimal(0), Decimal(PREEMPT_DELAY_MAX))
    if delay is not None:
        d.preempt_delay = (delay, stmt.args[0])


def _a_type(p: _Parser, stmt: Statement, path: str, a: _AuthDraft) -> None:
    token = p.one(stmt, path, "PASS")
    if token is None:
        return
    if token.text == "PASS":
        a.auth_type = AuthType.PASS
    elif token.text == "AH":
        a.auth_type = AuthType.AH
        fix = "use auth_type PASS, or remove authentication on every node"
        p.report.error(token, path, "AH authentication is not supported", fix)
    else:
        p.report.error(token, path, f"unknown auth_type {token.text!r}", "use PASS")


def _a_pass(p: _Parser, stmt: Statement, path: str, a: _AuthDraft) -> None:
    token = p.one(stmt, path, "secret12")
    if token is None:
        return
    secret = token.text.encode()
    if len(secret) > AUTH_PASS_MAX:
        cut = secret[:AUTH_PASS_MAX]
        try:
            shown = cut.decode()
        except UnicodeDecodeError:
            fix = f"use at most {AUTH_PASS_MAX} bytes"
            p.report.error(token, path, "the first 8 bytes cut a character in two", fix)
            return
        p.report.warn(
            token,
            path,
            f"is {len(secret)} bytes long; Keepalived uses only the first {AUTH_PASS_MAX} "
            f"({shown!r}), and so does this conversion",
            f"write `auth_pass {shown}` to say so",
        )
        secret = cut
    a.secret = secret


def _i_authentication(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    block = p.block(stmt, path)
    if block is None:
        return
    auth = _AuthDraft()
    p.dispatch(block, path, _AUTH, auth)
    for key, value, example in (
        ("auth_type", auth.auth_type, "auth_type PASS"),
        ("auth_pass", auth.secret, "auth_pass secret12"),
    ):
        if value is None and not p.report.failed(f"{path}.{key}"):
            p.report.error(stmt.head, f"{path}.{key}", "missing", f"add `{example}`")
    if auth.auth_type is AuthType.PASS and auth.secret is not None:
        d.auth = (AuthType.PASS, auth.secret, stmt.head)


def _i_vips(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    for item, item_path in p.items(stmt, path, d.counts):
        vip = p.vip(item, item_path)
        if vip is None:
            continue
        if vip.address in d.vip_at:
            p.report.warn(
                item.head,
                item_path,
                f"{vip.address} is listed twice (also at line {d.vip_at[vip.address].line}); "
                "Keepalived adds it once",
                "keep one",
            )
            continue
        if d.vips and vip.family is not d.vips[0].family:
            first = d.vips[0]
            p.report.error(
                item.head,
                item_path,
                f"{vip.address} is IPv{int(vip.family)} but the first address ({first.address}) "
                f"is IPv{int(first.family)}; Keepalived ignores it",
                "put each address family in an instance of its own (the same vrid is fine)",
            )
            continue
        d.vip_at[vip.address] = item.head
        d.vips.append(vip)


def _i_source(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    token = p.one(stmt, path, "192.0.2.11")
    address = None if token is None else p.address(token, path)
    if token is None or address is None:
        return
    if d.source is not None and d.source[0] != address:
        previous, at, _ = d.source
        p.report.warn(
            token,
            path,
            f"the source address is also set at line {at.line} ({previous}): mcast_src_ip and "
            "unicast_src_ip are one setting, and Keepalived uses the last one",
            "keep one",
        )
    d.source = (address, token, path)


def _i_peers(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    d.peers_block = stmt.head
    for item, item_path in p.items(stmt, path, d.counts):
        address = p.peer(item, item_path)
        if address is not None:
            d.peers.append((address, item.head, item_path))


def _tracks(kind: TrackKind) -> Handler[_Draft]:
    def handler(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
        for item, item_path in p.items(stmt, path, d.counts):
            use = p.track_use(item, item_path, kind)
            if use is not None:
                d.tracks.append(use)

    return handler


def _group_tracks(kind: TrackKind) -> Handler[_Group]:
    def handler(p: _Parser, stmt: Statement, path: str, g: _Group) -> None:
        for item, item_path in p.items(stmt, path, g.counts):
            use = p.track_use(item, item_path, kind)
            if use is not None:
                g.tracks.append(use)

    return handler


def _i_notify(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    command = p.command(stmt, path, hook=True)
    if command is not None:
        d.notify[stmt.keyword] = command


def _i_lower_prio(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    d.lower_prio_no_advert = p.flag(stmt, path)


def _i_checksum(p: _Parser, stmt: Statement, path: str, d: _Draft) -> None:
    d.v3_checksum_as_v2 = p.flag(stmt, path)


def _sg_group(p: _Parser, stmt: Statement, path: str, g: _Group) -> None:
    block = p.block(stmt, path) or []
    for item in block:
        if item.block is not None:
            p.report.error(item.opener, path, "a list item takes no { } block", "")
            continue
        for word in item.words:
            member_path = f"{path}[{len(g.members)}]"
            p.report.record(member_path, word)
            if p.name(word, member_path, "the instance name") is not None:
                g.members.append((word.text, word, member_path))


def _sg_notify(p: _Parser, stmt: Statement, path: str, g: _Group) -> None:
    command = p.command(stmt, path, hook=True)
    if command is not None:
        g.notify[stmt.keyword] = command


def _sg_keep_weights(p: _Parser, stmt: Statement, path: str, g: _Group) -> None:
    if p.bare(stmt, path):
        g.keep_weights = True
        if stmt.keyword == "global_tracking":
            fix = "write sync_group_tracking_weight, which Keepalived 2 reads the same way"
            p.report.note(stmt.head, path, "deprecated in Keepalived", fix)


_TOP_HANDLERS: dict[str, Callable[[_Parser, Statement], None]] = {
    "global_defs": _Parser.global_defs,
    "vrrp_script": _Parser.vrrp_script,
    "track_file": _Parser.track_file,
    "vrrp_track_file": _Parser.track_file,
    "vrrp_instance": _Parser.vrrp_instance,
    "vrrp_sync_group": _Parser.vrrp_sync_group,
}
_GLOBAL_HANDLERS: dict[str, Handler[_Globals]] = {
    "router_id": _g_router_id,
    "script_user": _g_script_user,
    "enable_script_security": _g_script_security,
    "vrrp_version": _g_version,
    "vrrp_garp_master_delay": _garp("delay", 0),
    "vrrp_garp_master_repeat": _garp("repeat", 1),
    "vrrp_garp_master_refresh": _garp("refresh", 0),
    "vrrp_garp_master_refresh_repeat": _garp("refresh_repeat", 1),
    "vrrp_min_garp": _g_min_garp,
    "vrrp_lower_prio_no_advert": _g_lower_prio,
    "v3_checksum_as_v2": _g_checksum,
}
_SCRIPT_HANDLERS: dict[str, Handler[_ScriptDraft]] = {
    "script": _s_script,
    "interval": _s_interval,
    "timeout": _s_timeout,
    "weight": _s_weight,
    "rise": _s_rise,
    "fall": _s_fall,
    "user": _s_user,
    "init_fail": _s_init_fail,
}
_FILE_HANDLERS: dict[str, Handler[_FileDraft]] = {"file": _f_file, "weight": _f_weight}
_AUTH_HANDLERS: dict[str, Handler[_AuthDraft]] = {"auth_type": _a_type, "auth_pass": _a_pass}
_INSTANCE_HANDLERS: dict[str, Handler[_Draft]] = {
    "state": _i_state,
    "interface": _i_interface,
    "virtual_router_id": _i_vrid,
    "priority": _i_priority,
    "advert_int": _i_advert_int,
    "version": _i_version,
    "nopreempt": _i_nopreempt,
    "preempt": _i_preempt,
    "preempt_delay": _i_preempt_delay,
    "authentication": _i_authentication,
    "virtual_ipaddress": _i_vips,
    "unicast_src_ip": _i_source,
    "mcast_src_ip": _i_source,
    "unicast_peer": _i_peers,
    "track_script": _tracks(TrackKind.SCRIPT),
    "track_interface": _tracks(TrackKind.INTERFACE),
    "track_file": _tracks(TrackKind.FILE),
    **dict.fromkeys(NOTIFY_KEYWORDS, _i_notify),
    "garp_master_delay": _garp("delay", 0),
    "garp_master_repeat": _garp("repeat", 1),
    "garp_master_refresh": _garp("refresh", 0),
    "garp_master_refresh_repeat": _garp("refresh_repeat", 1),
    "lower_prio_no_advert": _i_lower_prio,
    "v3_checksum_as_v2": _i_checksum,
}
_GROUP_HANDLERS: dict[str, Handler[_Group]] = {
    "group": _sg_group,
    **dict.fromkeys(NOTIFY_KEYWORDS, _sg_notify),
    "track_script": _group_tracks(TrackKind.SCRIPT),
    "track_interface": _group_tracks(TrackKind.INTERFACE),
    "track_file": _group_tracks(TrackKind.FILE),
    "sync_group_tracking_weight": _sg_keep_weights,
    "global_tracking": _sg_keep_weights,
}

_GLOBAL = _Section("global_defs", _GLOBAL_HANDLERS, GLOBAL_POLICIES, _global_family)
_SCRIPT = _Section("vrrp_script", _SCRIPT_HANDLERS)
_TRACK_FILE = _Section("track_file", _FILE_HANDLERS, TRACK_FILE_POLICIES)
_AUTH = _Section("authentication", _AUTH_HANDLERS)
_INSTANCE = _Section("vrrp_instance", _INSTANCE_HANDLERS, INSTANCE_POLICIES)
_SYNC_GROUP = _Section("vrrp_sync_group", _GROUP_HANDLERS, SYNC_GROUP_POLICIES)

# The keywords vrrpd reads (for documentation and tests).
SUPPORTED_KEYWORDS: dict[str, tuple[str, ...]] = {
    "global_defs": tuple(_GLOBAL_HANDLERS),
    "vrrp_script": tuple(_SCRIPT_HANDLERS),
    "track_file": tuple(_FILE_HANDLERS),
    "authentication": tuple(_AUTH_HANDLERS),
    "vrrp_instance": tuple(_INSTANCE_HANDLERS),
    "vrrp_sync_group": tuple(_GROUP_HANDLERS),
}


# --- the API -------------------------------------------------------------------------------


def load_keepalived(path: str | Path) -> Config:
    """Read and validate a keepalived.conf and its includes; raise ConfigError with every error."""
    return load_keepalived_with_warnings(path).config


def parse_keepalived(text: str, filename: str) -> Config:
    """Validate keepalived.conf text; includes are found relative to `filename`'s directory."""
    return parse_keepalived_with_warnings(text, filename).config


def load_keepalived_with_warnings(path: str | Path) -> LoadedConfig:
    """Like load_keepalived, and also return the warnings and notes, and the source map."""
    filename = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([_whole_file(filename, exc.strerror or str(exc))]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([_whole_file(filename, f"is not UTF-8 text (byte {exc.start})")]) from exc
    return parse_keepalived_with_warnings(text, filename)


def parse_keepalived_with_warnings(text: str, filename: str) -> LoadedConfig:
    """Like parse_keepalived, and also return the warnings and notes, and the source map."""
    report = Report(filename)
    parser = _Parser(report)
    parser.read(read_statements(text, filename, report))
    config = parser.finish()
    issues = report.sorted_issues()
    errors = [i for i in issues if i.is_error]
    warnings = tuple(i for i in issues if not i.is_error)
    if errors:
        raise ConfigError(errors, warnings)
    return LoadedConfig(config, warnings, report.source)


def _whole_file(filename: str, problem: str) -> ConfigIssue:
    fix = "check the path and that vrrpd may read it"
    at = FILE_AS_A_WHOLE
    return ConfigIssue(filename, at.line, at.column, "", f"cannot read: {problem}", fix)
