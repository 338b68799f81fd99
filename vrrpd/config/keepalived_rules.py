"""Keepalived's implicit behaviours: what an instance's draft means once the file is read.

VRRP version 2 unless `vrrp_version`/`version` say 3 (IPv6 is always 3);
priority 100, or 255 for `state MASTER` without a priority; an advert every
second; the global GARP settings unless the instance's own; authentication
dropped in VRRPv3; nopreempt and preempt_delay cleared where Keepalived
clears them; scripts run as keepalived_script where Keepalived would. Each
such rule is reported (a warning, or a note) where it applies.
"""

from __future__ import annotations

from decimal import Decimal

from vrrpd.config.keepalived_drafts import (
    Drafts,
    GlobalsDraft,
    GroupDraft,
    InstanceDraft,
    notify_hooks,
)
from vrrpd.config.keepalived_report import Report
from vrrpd.config.keepalived_syntax import Token
from vrrpd.config.keepalived_track_rules import instance_tracks
from vrrpd.config.semantics import AdvertIntFault, Refusal, advert_int_fault, family_refusal
from vrrpd.protocol.model import (
    PRIORITY_OWNER,
    V2_ADVER_INT_S_MAX,
    V3_ADVER_INT_CS_MAX,
    Announcements,
    AuthType,
    Family,
    InstanceConfig,
    IPAddress,
    TrackKind,
    Version,
)

# Keepalived's defaults, where they differ from the YAML schema's.
KEEPALIVED_VERSION = 2  # vrrp_version: 2 unless set (IPv6 instances always use 3)
KEEPALIVED_PRIORITY = 100
KEEPALIVED_ADVERT_INT = Decimal(1)


def instance_config(
    report: Report, drafts: Drafts, d: InstanceDraft, group: GroupDraft | None
) -> InstanceConfig:
    """The model of an instance, with Keepalived's defaults and rules applied."""
    _required(report, d)
    g = drafts.globals_
    family = d.vips[0].family if d.vips else Family.IPV4
    version = _version(report, d, family, g)
    priority = instance_priority(d)
    _state_notes(report, d, priority)
    preempt = _preempt(report, d, priority)
    preempt_delay = _preempt_delay(report, d, preempt=preempt)
    auth_type, auth_pass = _authentication(report, d, version)
    source = _unicast_source(report, d, family)
    peers = _unicast_peers(report, d, family, source)
    return InstanceConfig(
        name=d.name,
        interface=d.interface or "",
        vrid=d.vrid or 0,
        priority=priority,
        version=version,
        family=family,
        advert_int_cs=_advert_int_cs(report, d, version),
        vips=tuple(d.vips),
        preempt=preempt,
        preempt_delay=float(preempt_delay),
        auth_type=auth_type,
        auth_pass=auth_pass,
        unicast_src_ip=source,
        unicast_peers=peers,
        v3_checksum_as_v2=_either(d.v3_checksum_as_v2, g.v3_checksum_as_v2),
        lower_prio_no_advert=_either(d.lower_prio_no_advert, g.lower_prio_no_advert),
        tracks=instance_tracks(report, drafts.defined, d, group, priority),
        announcements=_announcements(d, g),
        sync_group=None if group is None else group.name,
        notify=notify_hooks(d.notify),
    )


def _either(own: bool | None, default: bool) -> bool:
    return default if own is None else own


def _required(report: Report, d: InstanceDraft) -> None:
    for key, present, example in (
        ("interface", d.interface is not None, "interface eth0"),
        ("virtual_router_id", d.vrid is not None, "virtual_router_id 51"),
    ):
        report.require(present, d.head, f"{d.path}.{key}", "missing", f"add `{example}`")
    report.require(
        bool(d.vips),
        d.head,
        f"{d.path}.virtual_ipaddress",
        "no virtual IP address (Keepalived only warns; an instance without one moves nothing)",
        "add `virtual_ipaddress { 192.0.2.100/24 }`",
    )


def _version(report: Report, d: InstanceDraft, family: Family, g: GlobalsDraft) -> Version:
    version = d.version or g.vrrp_version or KEEPALIVED_VERSION
    if family is Family.IPV6 and version == 2:
        if d.version_at is not None:
            report.note(
                d.version_at,
                f"{d.path}.version",
                "Keepalived runs an IPv6 instance as VRRPv3 whatever `version` says; so does vrrpd",
                "write `version 3`",
            )
        return Version.V3
    return Version(version)


# --- priority and state --------------------------------------------------------------------


def instance_priority(d: InstanceDraft) -> int:
    """Keepalived: priority 100, or 255 (the owner) for `state MASTER` without a priority."""
    if d.priority is not None:
        return d.priority
    return PRIORITY_OWNER if _is_master(d) else KEEPALIVED_PRIORITY


def _is_master(d: InstanceDraft) -> bool:
    return d.state is not None and d.state.text == "MASTER"


def _state_notes(report: Report, d: InstanceDraft, priority: int) -> None:
    if d.state is None:
        return
    path = f"{d.path}.state"
    if d.priority is None and priority == PRIORITY_OWNER:
        report.warn(
            d.state,
            path,
            "state MASTER without a priority makes this instance the address owner "
            "(priority 255) in Keepalived, and so in this conversion",
            "write `priority 255` to say so, or give a priority below 255",
        )
    elif d.state.text == "MASTER" and priority < PRIORITY_OWNER:
        report.note(
            d.state,
            path,
            "vrrpd starts every instance as BACKUP and lets the election decide, as "
            "Keepalived does in practice (it waits one Master_Down_Interval too)",
        )
    elif d.state.text == "BACKUP" and priority == PRIORITY_OWNER:
        report.note(
            d.state,
            path,
            "the address owner (priority 255) becomes MASTER at once in vrrpd; Keepalived "
            "with state BACKUP first waits one Master_Down_Interval",
        )


# --- preemption ----------------------------------------------------------------------------


def _preempt(report: Report, d: InstanceDraft, priority: int) -> bool:
    """Keepalived clears nopreempt on the address owner and with state MASTER; so do we."""
    if d.nopreempt is None:
        return True
    owner = priority == PRIORITY_OWNER
    if not owner and not _is_master(d):
        return False
    why = "the address owner (priority 255)" if owner else "state MASTER"
    fix = "remove nopreempt" if owner else "use state BACKUP to keep nopreempt, or remove nopreempt"
    report.warn(
        d.nopreempt,
        f"{d.path}.nopreempt",
        f"Keepalived ignores nopreempt with {why} (it says so, and clears it); "
        "so does this conversion",
        fix,
    )
    return True


def _preempt_delay(report: Report, d: InstanceDraft, *, preempt: bool) -> Decimal:
    """Keepalived clears preempt_delay with nopreempt and with state MASTER; so do we."""
    if d.preempt_delay is None:
        return Decimal(0)
    delay, at = d.preempt_delay
    if not delay or (preempt and not _is_master(d)):
        return delay
    why = "nopreempt" if not preempt else "state MASTER"
    report.warn(
        at,
        f"{d.path}.preempt_delay",
        f"Keepalived ignores preempt_delay with {why} (it says so, and clears it); "
        "so does this conversion",
        "remove preempt_delay" if not preempt else "use state BACKUP to keep the delay",
    )
    return Decimal(0)


# --- adverts -------------------------------------------------------------------------------


def _advert_int_cs(report: Report, d: InstanceDraft, version: Version) -> int:
    if d.advert_int is None:
        return int(KEEPALIVED_ADVERT_INT * 100)
    seconds, at = d.advert_int
    fault = advert_int_fault(seconds, version)
    if fault is not None:
        report.error(at, f"{d.path}.advert_int", *_advert_int_refusal(at, version, fault))
    return int(seconds * 100)


def _advert_int_refusal(at: Token, version: Version, fault: AdvertIntFault) -> Refusal:
    if version is Version.V2:
        if fault is AdvertIntFault.NOT_A_STEP:
            return (
                f"{at.text}: VRRPv2 counts whole seconds (Keepalived rounds it)",
                f"use a whole number 1..{V2_ADVER_INT_S_MAX}, or `version 3` for fractions",
            )
        return f"{at.text} is out of range", f"use 1..{V2_ADVER_INT_S_MAX} (VRRPv2)"
    top = Decimal(V3_ADVER_INT_CS_MAX) / 100
    if fault is AdvertIntFault.NOT_A_STEP:
        return (
            f"{at.text} is finer than VRRPv3's steps of 0.01 s (Keepalived rounds it)",
            f"use a multiple of 0.01 in 0.01..{top}",
        )
    return f"{at.text} is out of range (Keepalived sets {top})", f"use 0.01..{top} (VRRPv3)"


def _authentication(report: Report, d: InstanceDraft, version: Version) -> tuple[AuthType, bytes]:
    if d.auth is None:
        return AuthType.NONE, b""
    auth_type, secret, at = d.auth
    if version is Version.V3:
        report.warn(
            at,
            f"{d.path}.authentication",
            "Keepalived ignores authentication in VRRPv3 (it says so); so does this conversion",
            "remove it, or set `version 2` to use it",
        )
        return AuthType.NONE, b""
    return auth_type, secret


def _announcements(d: InstanceDraft, g: GlobalsDraft) -> Announcements:
    garp = {**g.garp, **d.garp}
    base = Announcements()
    return Announcements(
        repeat=garp.get("repeat", base.repeat),
        delay=float(garp.get("delay", base.delay)),
        refresh=float(garp.get("refresh", base.refresh)),
        refresh_repeat=garp.get("refresh_repeat", base.refresh_repeat),
    )


# --- unicast -------------------------------------------------------------------------------


def _unicast_source(report: Report, d: InstanceDraft, family: Family) -> IPAddress | None:
    if d.source is None:
        return None
    address, at, path = d.source
    if not _same_family(report, address, at, path, family) or not d.vips:
        return None
    if address in {v.address for v in d.vips}:
        fix = "use this node's own address: the VIP moves to whichever node is MASTER"
        report.warn(at, path, f"{address} is one of this instance's VIPs", fix)
    return address


def _unicast_peers(
    report: Report, d: InstanceDraft, family: Family, source: IPAddress | None
) -> tuple[IPAddress, ...]:
    if d.peers_block is not None:
        report.require(
            bool(d.peers),
            d.peers_block,
            f"{d.path}.unicast_peer",
            "is empty; Keepalived then falls back to multicast (and calls that deprecated), "
            "a known cause of split brain",
            "list the other nodes' addresses, or remove unicast_peer to use multicast",
        )
    peers: list[IPAddress] = []
    for address, at, path in d.peers:
        if not _same_family(report, address, at, path, family) or not d.vips:
            continue
        if address in peers:
            report.warn(at, path, f"{address} is listed twice", "keep one")
        elif address == source:
            report.warn(
                at, path, f"{address} is this node's own address", "list only the other nodes"
            )
        else:
            peers.append(address)
    return tuple(peers)


def _same_family(report: Report, address: IPAddress, at: Token, path: str, family: Family) -> bool:
    refusal = family_refusal(address, family)
    if refusal is not None:
        report.error(at, path, *refusal)
    return refusal is None


# --- the user scripts run as ----------------------------------------------------------------


def script_user(report: Report, drafts: Drafts) -> str | None:
    """Keepalived's script user: script_user, or keepalived_script (else root)."""
    g = drafts.globals_
    runs_commands = (
        bool(drafts.scripts)
        or any(d.notify for d in drafts.instances.values())
        or any(group.notify for group in drafts.groups.values())
    )
    if g.script_user is not None or not runs_commands:
        return g.script_user
    if g.script_security is not None:
        report.note(
            g.script_security,
            "global_defs.enable_script_security",
            "with enable_script_security and no script_user, Keepalived runs scripts as "
            "keepalived_script (and will not start without that user); so does this "
            "conversion",
        )
        return "keepalived_script"
    first = next((s for (k, _), s in drafts.defined.items() if k is TrackKind.SCRIPT), None)
    report.note(
        None if first is None else first.at,
        "global_defs.script_user" if first is None else first.path,
        "scripts and hooks run as root in vrrpd, since no script_user is set; Keepalived "
        "would run them as keepalived_script if that user exists",
        "add `script_user keepalived_script` to global_defs if that user exists on your nodes",
    )
    return None
