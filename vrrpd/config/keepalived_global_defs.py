"""global_defs: the settings vrrpd reads from it, and the GARP settings instances override."""

from __future__ import annotations

from typing import Protocol, TypeVar

from vrrpd.config.keepalived_blocks import Handler, Section, dispatch
from vrrpd.config.keepalived_drafts import Drafts, GlobalsDraft
from vrrpd.config.keepalived_policies import GLOBAL_POLICIES, global_family_policy
from vrrpd.config.keepalived_syntax import Statement
from vrrpd.config.keepalived_values import ValueReader


class _HasGarp(Protocol):
    garp: dict[str, int]


G = TypeVar("G", bound=_HasGarp)


def garp_setting(key: str, lo: int) -> Handler[G]:
    """A handler for `[vrrp_]garp_master_*`, in global_defs and in a vrrp_instance."""

    def handler(r: ValueReader, stmt: Statement, path: str, target: G) -> None:
        value = r.integer_at(stmt, path, lo, None)
        if value is not None:
            target.garp[key] = value

    return handler


def _router_id(r: ValueReader, stmt: Statement, path: str, g: GlobalsDraft) -> None:
    token = r.one(stmt, path, "lb1")
    if token is not None:
        g.router_id = token.text


def _script_user(r: ValueReader, stmt: Statement, path: str, g: GlobalsDraft) -> None:
    g.script_user = r.user(stmt, path)


def _script_security(r: ValueReader, stmt: Statement, path: str, g: GlobalsDraft) -> None:
    if r.bare(stmt, path):
        g.script_security = stmt.head
        r.report.note(
            stmt.head,
            path,
            "accepted: `vrrpd --check-config` warns about scripts that a non-root user can "
            "change; unlike Keepalived, vrrpd then runs them anyway",
            "fix what --check-config reports",
        )


def _version(r: ValueReader, stmt: Statement, path: str, g: GlobalsDraft) -> None:
    g.vrrp_version = r.integer_at(stmt, path, 2, 3)
    g.version_at = stmt.head


def _min_garp(r: ValueReader, stmt: Statement, path: str, g: GlobalsDraft) -> None:
    if r.flag(stmt, path):
        g.garp.update(delay=0, repeat=1)  # Keepalived: one message, no second burst


def _lower_prio(r: ValueReader, stmt: Statement, path: str, g: GlobalsDraft) -> None:
    value = r.flag(stmt, path)
    if value is not None:
        g.lower_prio_no_advert = value


def _checksum(r: ValueReader, stmt: Statement, path: str, g: GlobalsDraft) -> None:
    value = r.flag(stmt, path)
    if value is not None:
        g.v3_checksum_as_v2 = value


GLOBAL_DEFS: Section[GlobalsDraft] = Section(
    "global_defs",
    {
        "router_id": _router_id,
        "script_user": _script_user,
        "enable_script_security": _script_security,
        "vrrp_version": _version,
        "vrrp_garp_master_delay": garp_setting("delay", 0),
        "vrrp_garp_master_repeat": garp_setting("repeat", 1),
        "vrrp_garp_master_refresh": garp_setting("refresh", 0),
        "vrrp_garp_master_refresh_repeat": garp_setting("refresh_repeat", 1),
        "vrrp_min_garp": _min_garp,
        "vrrp_lower_prio_no_advert": _lower_prio,
        "v3_checksum_as_v2": _checksum,
    },
    GLOBAL_POLICIES,
    global_family_policy,
)


def read_global_defs(r: ValueReader, stmt: Statement, drafts: Drafts, seq: int) -> None:
    """`global_defs { ... }`, into the globals draft."""
    r.report.record("global_defs", stmt.head)
    block = r.block(stmt, "global_defs")
    if block is not None:
        dispatch(r, block, "global_defs", GLOBAL_DEFS, drafts.globals_)
