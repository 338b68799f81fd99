"""Checks across a keepalived.conf, once it is read: what no single section can tell.

That there is an instance at all; that sync groups name existing instances,
each in one group only; that no two instances are the same virtual router,
nor share a virtual IP; that every script and track file is tracked.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from vrrpd.config.keepalived_drafts import (
    DefinedTrack,
    Drafts,
    GroupDraft,
    InstanceDraft,
    Member,
)
from vrrpd.config.keepalived_report import Report
from vrrpd.config.semantics import Refusal, shared_vips, tracked, vrid_clashes
from vrrpd.protocol.model import InstanceConfig, TrackKind


def check_some_instance(report: Report, drafts: Drafts) -> None:
    if not drafts.instances and not report.failed("vrrp_instance"):
        fix = "add a `vrrp_instance NAME { ... }` block"
        report.error(None, "", "the configuration defines no vrrp_instance", fix)


# --- sync groups ---------------------------------------------------------------------------


def group_members(
    report: Report,
    instances: Mapping[str, InstanceDraft],
    group: GroupDraft,
    member_of: dict[str, GroupDraft],
) -> list[Member]:
    """The group's members that name an instance not in a group yet (each added to member_of)."""
    fix = "add `group { VI_1 VI_2 }`"
    path = f"{group.path}.group"
    report.require(bool(group.members), group.head, path, "lists no instances", fix)
    if not group.members:
        return []
    members: list[Member] = []
    for member in group.members:
        name, at, member_path = member
        refusal = _member_refusal(name, instances, members, member_of)
        if refusal is not None:
            report.error(at, member_path, *refusal)
        else:
            member_of[name] = group
            members.append(member)
    if len(group.members) == 1 and members:
        report.warn(
            group.head,
            path,
            "has one instance only, so it couples nothing (Keepalived says so too)",
            "add a second instance, or remove the group",
        )
    return members


def _member_refusal(
    name: str,
    instances: Mapping[str, InstanceDraft],
    members: Sequence[Member],
    member_of: Mapping[str, GroupDraft],
) -> Refusal | None:
    if name not in instances:
        close = difflib.get_close_matches(name, instances, n=1)
        fix = f"did you mean {close[0]!r}?" if close else "list vrrp_instance names"
        return f"no vrrp_instance named {name!r}", fix
    if any(name == m for m, _, _ in members):
        return f"{name} is listed twice", "keep one"
    if name in member_of:
        other = member_of[name]
        return (
            f"{name} is already in vrrp_sync_group {other.name} (line {other.head.line})",
            "an instance can be in one sync group only",
        )
    return None


# --- instances -----------------------------------------------------------------------------


def check_instances(
    report: Report, drafts: Mapping[str, InstanceDraft], instances: Sequence[InstanceConfig]
) -> None:
    """One virtual router per (interface, vrid, family); a VIP should have one owner."""

    def counted(inst: InstanceConfig) -> bool:
        path = drafts[inst.name].path
        fields = [f"{path}.{k}" for k in ("interface", "virtual_router_id", "virtual_ipaddress")]
        return not report.failed(*fields) and bool(inst.vips)

    for inst, other_name in vrid_clashes(instances, counted):
        d, other = drafts[inst.name], drafts[other_name]
        report.error(
            d.head,
            f"{d.path}.virtual_router_id",
            f"{inst.interface}, virtual_router_id {inst.vrid}, IPv{int(inst.family)} "
            f"is already used by {other.name} (line {other.head.line})",
            "give one of them another virtual_router_id",
        )
    for inst, vip, owner in shared_vips(instances):
        d = drafts[inst.name]
        report.warn(
            d.head,
            f"{d.path}.virtual_ipaddress",
            f"{vip.address} is also a virtual IP of {owner}",
            "give each virtual IP to one instance, or they fight over it",
        )


def check_unused(
    report: Report,
    defined: Mapping[tuple[TrackKind, str], DefinedTrack],
    instances: Sequence[InstanceConfig],
) -> None:
    """A script or track file no instance tracks (Keepalived does not run it either)."""
    used = tracked(instances)
    for (kind, name), found in defined.items():
        if (kind, name) not in used:
            key = "track_script" if kind is TrackKind.SCRIPT else "track_file"
            report.warn(
                found.at,
                found.path,
                "is not tracked by any instance (Keepalived does not run it either)",
                f"add it to an instance's {key}, or remove it",
            )
