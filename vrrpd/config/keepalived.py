"""keepalived.conf -> the frozen model, with Keepalived's meaning and every issue at once.

keepalived_syntax.py turns the text (and its includes) into statements; this
module and the ones it names say what they mean. The result is the `Config`
the YAML loader builds, with Keepalived's semantics where they differ from
the YAML schema's: VRRP version 2 unless `vrrp_version`/`version` say 3 (IPv6
is always 3); priority 100, or 255 for `state MASTER` without a priority;
GARP delay 5 and repeat 5; the first 8 bytes of a longer auth_pass; weighted
tracks left out for sync group members and for the address owner; nopreempt
and preempt_delay cleared where Keepalived clears them.

Nothing is dropped without a word: each such rule is reported where it
applies (a warning, or a note), every option vrrpd does not implement is an
error that names it and says what to do, and the options of Keepalived's
other halves (LVS, mail, SNMP) are noted as unused.

The parts, in the order they act (each reports into keepalived_report.py's Report):

- keepalived_syntax.py: text and includes -> statements.
- keepalived_blocks.py: a block's statements to their keywords' handlers, or
  to their policies (keepalived_policies.py: what each skipped keyword means).
- keepalived_values.py, keepalived_items.py: a statement's values, and the
  lines of list blocks (addresses, peers, track uses).
- keepalived_global_defs.py, keepalived_track_defs.py (vrrp_script and
  track_file), keepalived_vrrp_instance.py (and keepalived_authentication.py),
  keepalived_sync_group.py: one module a section, each filling its draft
  (keepalived_drafts.py).
- keepalived_rules.py, keepalived_track_rules.py: Keepalived's implicit
  behaviours, from the drafts to the model; keepalived_checks.py: the checks
  across sections.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vrrpd.config.keepalived_authentication import AUTHENTICATION
from vrrpd.config.keepalived_blocks import Handler, apply, unknown
from vrrpd.config.keepalived_checks import (
    check_instances,
    check_some_instance,
    check_unused,
    group_members,
)
from vrrpd.config.keepalived_drafts import NOTIFY_KEYWORDS, Drafts, GroupDraft, notify_hooks
from vrrpd.config.keepalived_global_defs import GLOBAL_DEFS, read_global_defs
from vrrpd.config.keepalived_policies import (
    GLOBAL_POLICIES,
    INSTANCE_POLICIES,
    MCAST_GROUP4,
    MCAST_GROUP6,
    SYNC_GROUP_POLICIES,
    TOP_KEYWORDS,
    TOP_POLICIES,
    TRACK_FILE_POLICIES,
)
from vrrpd.config.keepalived_report import Report
from vrrpd.config.keepalived_rules import (
    KEEPALIVED_ADVERT_INT,
    KEEPALIVED_PRIORITY,
    KEEPALIVED_VERSION,
    instance_config,
    instance_priority,
    script_user,
)
from vrrpd.config.keepalived_sync_group import VRRP_SYNC_GROUP, read_vrrp_sync_group
from vrrpd.config.keepalived_syntax import Statement, read_statements
from vrrpd.config.keepalived_track_defs import (
    TRACK_FILE,
    VRRP_SCRIPT,
    read_track_file,
    read_vrrp_script,
)
from vrrpd.config.keepalived_track_rules import group_tracks
from vrrpd.config.keepalived_values import (
    FALSE_WORDS,
    SCRIPT_INTERVAL_MAX,
    SCRIPT_WEIGHT,
    TRUE_WORDS,
    ValueReader,
)
from vrrpd.config.keepalived_vrrp_instance import VRRP_INSTANCE, read_vrrp_instance
from vrrpd.config.loader import LoadedConfig
from vrrpd.config.verdict import read_config_text, warnings_or_raise
from vrrpd.protocol.model import PRIORITY_OWNER, Config, GlobalConfig, SyncGroupConfig

__all__ = [
    "FALSE_WORDS",
    "GLOBAL_POLICIES",
    "INSTANCE_POLICIES",
    "KEEPALIVED_ADVERT_INT",
    "KEEPALIVED_PRIORITY",
    "KEEPALIVED_VERSION",
    "MCAST_GROUP4",
    "MCAST_GROUP6",
    "NOTIFY_KEYWORDS",
    "SCRIPT_INTERVAL_MAX",
    "SCRIPT_WEIGHT",
    "SUPPORTED_KEYWORDS",
    "SYNC_GROUP_POLICIES",
    "TOP_KEYWORDS",
    "TOP_POLICIES",
    "TRACK_FILE_POLICIES",
    "TRUE_WORDS",
    "Handler",
    "load_keepalived",
    "load_keepalived_with_warnings",
    "parse_keepalived",
    "parse_keepalived_with_warnings",
]

# A top-level section's reader: the statement, into the drafts; `seq` is its place in the text.
SectionReader = Callable[[ValueReader, Statement, Drafts, int], None]

_SECTION_READERS: dict[str, SectionReader] = {
    "global_defs": read_global_defs,
    "vrrp_script": read_vrrp_script,
    "track_file": read_track_file,
    "vrrp_track_file": read_track_file,
    "vrrp_instance": read_vrrp_instance,
    "vrrp_sync_group": read_vrrp_sync_group,
}

# The keywords vrrpd reads (for documentation and tests).
SUPPORTED_KEYWORDS: dict[str, tuple[str, ...]] = {
    section.name: tuple(section.handlers)
    for section in (GLOBAL_DEFS, VRRP_SCRIPT, TRACK_FILE, AUTHENTICATION, VRRP_INSTANCE,
                    VRRP_SYNC_GROUP)
}  # fmt: skip


# --- the API -------------------------------------------------------------------------------


def load_keepalived(path: str | Path) -> Config:
    """Read and validate a keepalived.conf and its includes; raise ConfigError with every error."""
    return load_keepalived_with_warnings(path).config


def parse_keepalived(text: str, filename: str) -> Config:
    """Validate keepalived.conf text; includes are found relative to `filename`'s directory."""
    return parse_keepalived_with_warnings(text, filename).config


def load_keepalived_with_warnings(path: str | Path) -> LoadedConfig:
    """Like load_keepalived, and also return the warnings and notes, and the source map."""
    return parse_keepalived_with_warnings(read_config_text(path), str(path))


def parse_keepalived_with_warnings(text: str, filename: str) -> LoadedConfig:
    """Like parse_keepalived, and also return the warnings and notes, and the source map."""
    report = Report(filename)
    drafts = Drafts()
    _read(ValueReader(report), read_statements(text, filename, report), drafts)
    config = _finish(report, drafts)
    warnings = warnings_or_raise(report.sorted_issues())
    return LoadedConfig(config, warnings, report.source)


# --- reading, then finishing ---------------------------------------------------------------


def _read(r: ValueReader, statements: list[Statement], drafts: Drafts) -> None:
    """Each top-level statement to its section's reader, or its policy, or an error."""
    for seq, stmt in enumerate(statements, 1):
        reader = _SECTION_READERS.get(stmt.keyword)
        if reader is not None:
            reader(r, stmt, drafts, seq)
            continue
        policy = TOP_POLICIES.get(stmt.keyword)
        if policy is not None:
            apply(r, policy, stmt, stmt.keyword)
        else:
            unknown(r, stmt, stmt.keyword, "the file", TOP_KEYWORDS)


def _finish(report: Report, drafts: Drafts) -> Config:
    """The model, once the whole text is read: Keepalived's rules, and the checks across it."""
    check_some_instance(report, drafts)
    member_of = _finish_groups(report, drafts)
    user = script_user(report, drafts)
    instances = [
        instance_config(report, drafts, d, member_of.get(d.name)) for d in drafts.instances.values()
    ]
    check_instances(report, drafts.instances, instances)
    if not report.failed(*(d.path for d in drafts.instances.values())):
        check_unused(report, drafts.defined, instances)
    return Config(
        global_=GlobalConfig(router_id=drafts.globals_.router_id, script_user=user),
        instances=tuple(instances),
        scripts=tuple(drafts.scripts.values()),
        files=tuple(drafts.files.values()),
        sync_groups=tuple(
            SyncGroupConfig(g.name, tuple(m for m, _, _ in g.members), notify_hooks(g.notify))
            for g in drafts.groups.values()
        ),
    )


def _finish_groups(report: Report, drafts: Drafts) -> dict[str, GroupDraft]:
    """Each group's members checked and its tracks resolved; the group of each member."""
    member_of: dict[str, GroupDraft] = {}
    for group in drafts.groups.values():
        group.members = group_members(report, drafts.instances, group, member_of)
        has_owner = any(
            instance_priority(drafts.instances[m]) == PRIORITY_OWNER for m, _, _ in group.members
        )
        group.tracks = group_tracks(report, drafts.defined, group.tracks, owner=has_owner)
    return member_of
