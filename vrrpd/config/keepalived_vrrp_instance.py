"""vrrp_instance: each keyword vrrpd reads, into the instance's draft.

What a setting means once the whole file is read (defaults, the address
owner, sync groups) is keepalived_rules.py's business; here each line is
read, and checked against the lines before it in the same instance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, TypeVar

from vrrpd.config.keepalived_authentication import authentication
from vrrpd.config.keepalived_blocks import Handler, Section, read_named
from vrrpd.config.keepalived_drafts import NOTIFY_KEYWORDS, Drafts, InstanceDraft, TrackUse
from vrrpd.config.keepalived_global_defs import garp_setting
from vrrpd.config.keepalived_items import items, peer, track_use, vip
from vrrpd.config.keepalived_policies import INSTANCE_POLICIES
from vrrpd.config.keepalived_syntax import Statement, Token
from vrrpd.config.keepalived_values import ValueReader
from vrrpd.config.loader import PREEMPT_DELAY_MAX
from vrrpd.protocol.model import (
    PRIORITY_OWNER,
    V2_ADVER_INT_S_MAX,
    VRID_MAX,
    VRID_MIN,
    TrackKind,
)


def _state(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    token = r.one(stmt, path, "BACKUP")
    if token is None:
        return
    if token.text not in ("MASTER", "BACKUP"):
        fix = "write MASTER or BACKUP, in capitals (Keepalived takes anything else as BACKUP)"
        r.report.error(token, path, f"unknown state {token.text!r}", fix)
        return
    d.state = token


def _interface(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    token = r.one(stmt, path, "eth0")
    if token is not None:
        d.interface = r.interface(token, path)


def _vrid(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    d.vrid = r.integer_at(stmt, path, VRID_MIN, VRID_MAX)


def _priority(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    d.priority = r.integer_at(stmt, path, 1, PRIORITY_OWNER)


def _advert_int(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    seconds = r.decimal_at(stmt, path, Decimal(0), Decimal(V2_ADVER_INT_S_MAX))
    if seconds is not None:
        d.advert_int = (seconds, stmt.args[0])


def _version(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    d.version = r.integer_at(stmt, path, 2, 3)
    d.version_at = stmt.head


# --- preemption ----------------------------------------------------------------------------


def _nopreempt(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    if r.bare(stmt, path):
        _last_of_two(r, stmt, path, d.preempt_at, "preempt")
        d.nopreempt, d.preempt_at = stmt.head, None


def _preempt(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    if r.bare(stmt, path):
        _last_of_two(r, stmt, path, d.nopreempt, "nopreempt")
        d.nopreempt, d.preempt_at = None, stmt.head


def _last_of_two(
    r: ValueReader, stmt: Statement, path: str, other: Token | None, name: str
) -> None:
    if other is not None:
        r.report.warn(
            stmt.head,
            path,
            f"{name} is also given (line {other.line}); Keepalived uses the last one, "
            f"{stmt.keyword}",
            "keep one",
        )


def _preempt_delay(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    delay = r.decimal_at(stmt, path, Decimal(0), Decimal(PREEMPT_DELAY_MAX))
    if delay is not None:
        d.preempt_delay = (delay, stmt.args[0])


# --- addresses -----------------------------------------------------------------------------


def _vips(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    for item, item_path in items(r, stmt, path, d.counts):
        found = vip(r, item, item_path)
        if found is None:
            continue
        if found.address in d.vip_at:
            r.report.warn(
                item.head,
                item_path,
                f"{found.address} is listed twice (also at line "
                f"{d.vip_at[found.address].line}); Keepalived adds it once",
                "keep one",
            )
            continue
        if d.vips and found.family is not d.vips[0].family:
            first = d.vips[0]
            r.report.error(
                item.head,
                item_path,
                f"{found.address} is IPv{int(found.family)} but the first address "
                f"({first.address}) is IPv{int(first.family)}; Keepalived ignores it",
                "put each address family in an instance of its own (the same vrid is fine)",
            )
            continue
        d.vip_at[found.address] = item.head
        d.vips.append(found)


def _source(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    token = r.one(stmt, path, "192.0.2.11")
    address = None if token is None else r.address(token, path)
    if token is None or address is None:
        return
    if d.source is not None and d.source[0] != address:
        previous, at, _ = d.source
        r.report.warn(
            token,
            path,
            f"the source address is also set at line {at.line} ({previous}): mcast_src_ip and "
            "unicast_src_ip are one setting, and Keepalived uses the last one",
            "keep one",
        )
    d.source = (address, token, path)


def _peers(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    d.peers_block = stmt.head
    for item, item_path in items(r, stmt, path, d.counts):
        address = peer(r, item, item_path)
        if address is not None:
            d.peers.append((address, item.head, item_path))


# --- what a sync group takes too: tracks and notify hooks ---------------------------------------


class _Tracking(Protocol):
    seq: int
    tracks: list[TrackUse]
    counts: dict[str, int]


class _Notifying(Protocol):
    notify: dict[str, str]


K = TypeVar("K", bound=_Tracking)
N = TypeVar("N", bound=_Notifying)


def tracks_of(kind: TrackKind) -> Handler[K]:
    """A handler for a track_script, track_interface or track_file block."""

    def handler(r: ValueReader, stmt: Statement, path: str, target: K) -> None:
        for item, item_path in items(r, stmt, path, target.counts):
            use = track_use(r, item, item_path, kind, target.seq)
            if use is not None:
                target.tracks.append(use)

    return handler


def notify(r: ValueReader, stmt: Statement, path: str, target: N) -> None:
    """A notify_* hook."""
    command = r.command(stmt, path, hook=True)
    if command is not None:
        target.notify[stmt.keyword] = command


# --- flags ---------------------------------------------------------------------------------


def _lower_prio(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    d.lower_prio_no_advert = r.flag(stmt, path)


def _checksum(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    d.v3_checksum_as_v2 = r.flag(stmt, path)


VRRP_INSTANCE: Section[InstanceDraft] = Section(
    "vrrp_instance",
    {
        "state": _state,
        "interface": _interface,
        "virtual_router_id": _vrid,
        "priority": _priority,
        "advert_int": _advert_int,
        "version": _version,
        "nopreempt": _nopreempt,
        "preempt": _preempt,
        "preempt_delay": _preempt_delay,
        "authentication": authentication,
        "virtual_ipaddress": _vips,
        "unicast_src_ip": _source,
        "mcast_src_ip": _source,
        "unicast_peer": _peers,
        "track_script": tracks_of(TrackKind.SCRIPT),
        "track_interface": tracks_of(TrackKind.INTERFACE),
        "track_file": tracks_of(TrackKind.FILE),
        **dict.fromkeys(NOTIFY_KEYWORDS, notify),
        "garp_master_delay": garp_setting("delay", 0),
        "garp_master_repeat": garp_setting("repeat", 1),
        "garp_master_refresh": garp_setting("refresh", 0),
        "garp_master_refresh_repeat": garp_setting("refresh_repeat", 1),
        "lower_prio_no_advert": _lower_prio,
        "v3_checksum_as_v2": _checksum,
    },
    INSTANCE_POLICIES,
)


def read_vrrp_instance(r: ValueReader, stmt: Statement, drafts: Drafts, seq: int) -> None:
    """`vrrp_instance NAME { ... }`, into a new draft."""
    found = read_named(
        r,
        stmt,
        "instance",
        VRRP_INSTANCE,
        new=lambda name, path: InstanceDraft(name, path, stmt.head, seq),
        taken=lambda name: drafts.instances[name].head if name in drafts.instances else None,
    )
    if found is not None:
        name, _, draft = found
        drafts.instances[name] = draft
