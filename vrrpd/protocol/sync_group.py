"""Sync groups (Keepalived's vrrp_sync_group): instances that move together.

Pure functions over the members' states. The shell calls them after every
event it hands a member, and hands the answers back as GroupFaultChanged and
GroupStateRequested events. Transitions that a group request itself caused
are not fed back in, so members never echo each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vrrpd.protocol.model import State, SyncGroupConfig


def group_faults(
    group: SyncGroupConfig, own_faults: Mapping[str, Sequence[str]]
) -> dict[str, str | None]:
    """For each member, the fault its group puts it in (None: no other member faults).

    Keepalived: while any member is in FAULT of its own, every member is.
    """
    result: dict[str, str | None] = {}
    for member in group.members:
        culprit = next(
            (other for other in group.members if other != member and own_faults.get(other)),
            None,
        )
        result[member] = (
            None
            if culprit is None
            else f"sync group {group.name}: {culprit} is in FAULT ({own_faults[culprit][0]})"
        )
    return result


def followers(
    group: SyncGroupConfig,
    states: Mapping[str, State],
    mover: str,
    previous: State,
    new: State,
) -> dict[str, State]:
    """Which other members must follow `mover`'s transition, and to what state.

    Keepalived: a member that becomes MASTER takes the others to MASTER; a
    master that falls back to BACKUP takes the other masters with it.
    """
    if new is State.MASTER:
        wanted, from_state = State.MASTER, State.BACKUP
    elif new is State.BACKUP and previous is State.MASTER:
        wanted, from_state = State.BACKUP, State.MASTER
    else:
        return {}
    return {
        member: wanted
        for member in group.members
        if member != mover and states.get(member) is from_state
    }
