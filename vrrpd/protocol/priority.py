"""Effective priority: the configured priority moved by the tracks' states.

Keepalived's rules: a positive weight is added while its track is up, a
negative weight is added while its track is down, and a track of weight 0
puts the instance in FAULT while it is down. A file track adds the number in
the file times the weight. The result is clamped to 1..254; the address owner
(255) is never moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vrrpd.protocol.model import (
    PRIORITY_MAX_BACKUP,
    PRIORITY_MIN_BACKUP,
    PRIORITY_OWNER,
    TrackKind,
    TrackRef,
)

# Keepalived: a file track whose value times weight reaches -254 means FAULT.
FILE_TRACK_FAULT_AT = -254


@dataclass(frozen=True, slots=True)
class TrackState:
    """What the shell last learnt of a track: up or down, the file's number, why."""

    up: bool = True
    value: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TrackContribution:
    """One track's effect on one instance: the priority delta, or a fault."""

    name: str
    kind: TrackKind
    weight: int
    up: bool
    value: int
    delta: int
    faults: bool
    detail: str


def contribution(ref: TrackRef, state: TrackState) -> TrackContribution:
    """How one track moves an instance's priority, per Keepalived's weight rules."""
    if ref.kind is TrackKind.FILE:
        # Keepalived: vrrp_track_file adds value * weight; with weight 0 any
        # non-zero value is a fault, and so is a product of -254 or below.
        product = state.value * ref.weight
        faults = state.value != 0 if ref.weight == 0 else product <= FILE_TRACK_FAULT_AT
        up = not faults
        delta = 0 if faults else product
    else:
        up = state.up
        faults = ref.weight == 0 and not up
        # A positive weight counts while up, a negative one while down.
        counts = up if ref.weight > 0 else not up
        delta = ref.weight if counts else 0
    return TrackContribution(
        name=ref.name,
        kind=ref.kind,
        weight=ref.weight,
        up=up,
        value=state.value,
        delta=delta,
        faults=faults,
        detail=state.detail,
    )


def contributions(
    refs: Iterable[TrackRef], states: Mapping[str, TrackState]
) -> tuple[TrackContribution, ...]:
    """Every track's contribution; a track not yet reported counts as up."""
    return tuple(contribution(ref, states.get(ref.name, TrackState())) for ref in refs)


def effective_priority(base: int, tracks: Iterable[TrackContribution]) -> int:
    """The priority to advertise, from the base and the tracks' deltas."""
    if base == PRIORITY_OWNER:
        # RFC 9568 §5.2.4: the owner's 255 is not for tracks to change.
        return base
    moved = base + sum(t.delta for t in tracks)
    # Keepalived: weights never push a non-owner outside 1..254.
    return max(PRIORITY_MIN_BACKUP, min(PRIORITY_MAX_BACKUP, moved))
