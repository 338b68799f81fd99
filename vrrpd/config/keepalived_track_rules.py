"""Which tracks an instance ends up with, and their weights, by Keepalived's rules.

A track is used by name (a script or file defined earlier in the text, or an
interface), with its own weight unless the use gives one. Keepalived leaves
out or zeroes some weights: on the address owner, in sync groups, and for an
instance's own interface. Each such rule is reported where it applies.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping

from vrrpd.config.keepalived_drafts import DefinedTrack, GroupDraft, InstanceDraft, TrackUse
from vrrpd.config.keepalived_report import Report
from vrrpd.protocol.model import PRIORITY_OWNER, TrackKind, TrackRef

Defined = Mapping[tuple[TrackKind, str], DefinedTrack]

# The order of an instance's tracks in the model: scripts, interfaces, files.
_KIND_ORDER = {TrackKind.SCRIPT: 0, TrackKind.INTERFACE: 1, TrackKind.FILE: 2}


def resolve(report: Report, defined: Defined, use: TrackUse) -> int | None:
    """The weight a track is used with, or None (and an error) if it is not defined in time."""
    if use.kind is TrackKind.INTERFACE:
        return use.weight or 0
    found = defined.get((use.kind, use.name))
    section = "vrrp_script" if use.kind is TrackKind.SCRIPT else "track_file"
    if found is None:
        names = [n for k, n in defined if k is use.kind]
        close = difflib.get_close_matches(use.name, names, n=1)
        fix = (
            f"did you mean {close[0]!r}?" if close else f"define it with `{section} {use.name} {{`"
        )
        report.error(use.at, use.path, f"no {section} named {use.name!r}", fix)
        return None
    if found.seq > use.seq:
        report.error(
            use.at,
            use.path,
            f"{section} {use.name} is defined later (line {found.at.line}); Keepalived "
            "ignores a track of a script or file defined after its use",
            f"move the {section} block above this one",
        )
        return None
    return found.weight if use.weight is None else use.weight


# --- a sync group's tracks -------------------------------------------------------------------


def group_tracks(
    report: Report, defined: Defined, uses: list[TrackUse], *, owner: bool
) -> list[TrackUse]:
    """A sync group's tracks, with their weights resolved (the owner rule applied once)."""
    return [t for use in uses if (t := _group_track(report, defined, use, owner=owner)) is not None]


def _group_track(
    report: Report, defined: Defined, use: TrackUse, *, owner: bool
) -> TrackUse | None:
    weight = resolve(report, defined, use)
    if weight is None:
        return None
    if weight and owner:
        report.warn(
            use.at,
            use.path,
            "Keepalived clears the weight of a sync group's track when a member is the "
            "address owner (priority 255), so a failure faults the group; so does this "
            "conversion",
            "give it weight 0 to say so",
        )
        weight = 0
    return dataclasses.replace(use, weight=weight)


# --- an instance's tracks --------------------------------------------------------------------


def instance_tracks(
    report: Report,
    defined: Defined,
    d: InstanceDraft,
    group: GroupDraft | None,
    priority: int,
) -> tuple[TrackRef, ...]:
    """The instance's own tracks and its sync group's, each once: scripts, interfaces, files."""
    seen: dict[tuple[TrackKind, str], TrackUse] = {}
    refs: list[TrackRef] = []
    for use in d.tracks:
        weight = resolve(report, defined, use)
        if weight is None or _own_interface(report, d, use) or not _first(report, seen, use):
            continue
        kept = _own_weight(report, group, priority, use, weight)
        if kept is not None:
            refs.append(TrackRef(use.name, use.kind, kept))
    for use in group.tracks if group else []:
        # The group's weights are resolved already (group_tracks).
        if use.weight is not None and _first(report, seen, use, from_group=True):
            refs.append(TrackRef(use.name, use.kind, use.weight))
    return tuple(sorted(refs, key=lambda ref: _KIND_ORDER[ref.kind]))


def _first(
    report: Report,
    seen: dict[tuple[TrackKind, str], TrackUse],
    use: TrackUse,
    *,
    from_group: bool = False,
) -> bool:
    """Whether this is the first use of its track by the instance (else an error)."""
    key = (use.kind, use.name)
    first = seen.get(key)
    if first is None:
        seen[key] = use
        return True
    whose = " (by the instance and its sync group)" if from_group else ""
    report.error(
        use.at,
        use.path,
        f"{use.name!r} is tracked twice{whose}, also at line {first.at.line}",
        "keep one",
    )
    return False


def _own_interface(report: Report, d: InstanceDraft, use: TrackUse) -> bool:
    """Keepalived ignores a track_interface of the instance's own interface; so do we."""
    if use.kind is not TrackKind.INTERFACE or use.name != d.interface:
        return False
    problem = (
        "Keepalived ignores a track of the instance's own interface, which it always "
        "tracks (the link going down means FAULT); so does vrrpd"
    )
    if use.weight:
        report.warn(use.at, use.path, problem + ", and the weight does not apply", "remove it")
    else:
        report.note(use.at, use.path, problem, "remove it")
    return True


def _own_weight(
    report: Report, group: GroupDraft | None, priority: int, use: TrackUse, weight: int
) -> int | None:
    """Keepalived's rules for an instance's own weighted track: None drops it."""
    if weight == 0:
        return 0
    if priority == PRIORITY_OWNER:
        report.warn(
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
        report.warn(
            use.at,
            use.path,
            f"Keepalived ignores track weights in a sync group ({group.name}): this "
            "interface going down faults the group instead; so does this conversion",
            "write it without a weight, or add sync_group_tracking_weight to the group",
        )
        return 0
    report.warn(
        use.at,
        use.path,
        f"Keepalived ignores a weighted track of a sync group member ({group.name}): it "
        "does not run it for this instance; this conversion leaves it out too",
        "give it weight 0 to fault the group, track it in the vrrp_sync_group, or add "
        "sync_group_tracking_weight to the group",
    )
    return None
