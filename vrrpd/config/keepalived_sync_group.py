"""vrrp_sync_group: its members, tracks and notify hooks, into the group's draft.

The members are checked against the instances once the whole file is read
(keepalived_checks.py): an instance may be defined after its group.
"""

from __future__ import annotations

from vrrpd.config.keepalived_blocks import Section, read_named
from vrrpd.config.keepalived_drafts import NOTIFY_KEYWORDS, Drafts, GroupDraft
from vrrpd.config.keepalived_policies import SYNC_GROUP_POLICIES
from vrrpd.config.keepalived_syntax import Statement
from vrrpd.config.keepalived_values import ValueReader
from vrrpd.config.keepalived_vrrp_instance import notify, tracks_of
from vrrpd.protocol.model import TrackKind


def _group(r: ValueReader, stmt: Statement, path: str, g: GroupDraft) -> None:
    """`group { VI_1 VI_2 }`: instance names, on one line or several."""
    block = r.block(stmt, path) or []
    for item in block:
        if item.block is not None:
            r.report.error(item.opener, path, "a list item takes no { } block", "")
            continue
        for word in item.words:
            member_path = f"{path}[{len(g.members)}]"
            r.report.record(member_path, word)
            if r.name(word, member_path, "the instance name") is not None:
                g.members.append((word.text, word, member_path))


def _keep_weights(r: ValueReader, stmt: Statement, path: str, g: GroupDraft) -> None:
    if r.bare(stmt, path):
        g.keep_weights = True
        if stmt.keyword == "global_tracking":
            fix = "write sync_group_tracking_weight, which Keepalived 2 reads the same way"
            r.report.note(stmt.head, path, "deprecated in Keepalived", fix)


VRRP_SYNC_GROUP: Section[GroupDraft] = Section(
    "vrrp_sync_group",
    {
        "group": _group,
        **dict.fromkeys(NOTIFY_KEYWORDS, notify),
        "track_script": tracks_of(TrackKind.SCRIPT),
        "track_interface": tracks_of(TrackKind.INTERFACE),
        "track_file": tracks_of(TrackKind.FILE),
        "sync_group_tracking_weight": _keep_weights,
        "global_tracking": _keep_weights,
    },
    SYNC_GROUP_POLICIES,
)


def read_vrrp_sync_group(r: ValueReader, stmt: Statement, drafts: Drafts, seq: int) -> None:
    """`vrrp_sync_group NAME { ... }`, into a new draft."""
    found = read_named(
        r,
        stmt,
        "sync group",
        VRRP_SYNC_GROUP,
        new=lambda name, path: GroupDraft(name, path, stmt.head, seq),
        taken=lambda name: drafts.groups[name].head if name in drafts.groups else None,
    )
    if found is not None:
        name, _, group = found
        drafts.groups[name] = group
