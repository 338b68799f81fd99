"""The Keepalived keywords vrrpd knows but does not act on: a note, a warning or an error each.

By section, each such keyword's policy: the problem to report and what to do
about it, and for some the values at which the keyword changes nothing (then
it passes without a word). The global options of Keepalived's other halves
(LVS, mail, SNMP) are noted as unused; their blocks (virtual_server, ...)
are errors. A keyword with no handler and no policy is unknown
(keepalived_blocks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vrrpd.config.errors import Severity
from vrrpd.config.keepalived_syntax import Statement
from vrrpd.config.keepalived_values import FALSE_WORDS

MCAST_GROUP4, MCAST_GROUP6 = "224.0.0.18", "ff02::12"


@dataclass(frozen=True, slots=True)
class Policy:
    """A Keepalived keyword vrrpd does not act on: a note, a warning or an error."""

    severity: Severity
    problem: str
    fix: str = ""
    harmless: Callable[[Statement], bool] | None = None  # values at which it changes nothing


def _refuse(
    problem: str, fix: str = "remove it", harmless: Callable[[Statement], bool] | None = None
) -> Policy:
    return Policy(Severity.ERROR, "not supported by vrrpd: " + problem, fix, harmless)


def _note(problem: str, fix: str = "") -> Policy:
    return Policy(Severity.NOTE, problem, fix)


def _warn(problem: str, fix: str = "") -> Policy:
    return Policy(Severity.WARNING, problem, fix)


def _off(stmt: Statement) -> bool:
    return len(stmt.args) == 1 and stmt.args[0].text.lower() in FALSE_WORDS


def _value(*accepted: str) -> Callable[[Statement], bool]:
    def harmless(stmt: Statement) -> bool:
        return len(stmt.args) == 1 and stmt.args[0].text.lower() in accepted

    return harmless


_LVS = Policy(
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

GLOBAL_POLICIES: dict[str, Policy] = {
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


def global_family_policy(keyword: str) -> Policy | None:
    """The policy for global_defs keywords known by their family (process, LVS, mail)."""
    if keyword in _GLOBAL_PROCESS_WORDS:
        return _PROCESS
    what = _GLOBAL_NOTE_WORDS.get(keyword) or next(
        (v for k, v in _GLOBAL_NOTE_PREFIXES.items() if keyword.startswith(k)), None
    )
    return None if what is None else _note(f"{_UNUSED}: it is for {what}")


INSTANCE_POLICIES: dict[str, Policy] = {
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
SYNC_GROUP_POLICIES: dict[str, Policy] = {
    "track_process": INSTANCE_POLICIES["track_process"],
    "track_bfd": INSTANCE_POLICIES["track_bfd"],
    "notify_deleted": INSTANCE_POLICIES["notify_deleted"],
    "notify_priority_changes": INSTANCE_POLICIES["notify_priority_changes"],
    "smtp_alert": _SMTP_ALERT,
}
TRACK_FILE_POLICIES: dict[str, Policy] = {
    "init_file": _refuse(
        "vrrpd does not create track files", "create the file from the systemd unit (ExecStartPre=)"
    ),
}
TOP_POLICIES: dict[str, Policy] = {
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
