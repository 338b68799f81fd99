"""The lines of keepalived.conf's list blocks: virtual addresses, unicast peers, track uses.

Each line is an item with its own key path (`...virtual_ipaddress[2]`),
numbered on across repeated blocks, as Keepalived adds them up.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from vrrpd.config.keepalived_drafts import TrackUse
from vrrpd.config.keepalived_report import Report
from vrrpd.config.keepalived_syntax import Statement, Token
from vrrpd.config.keepalived_values import SCRIPT_WEIGHT, ValueReader
from vrrpd.config.loader import SCOPES, WEIGHT_MAX
from vrrpd.config.semantics import IFNAMSIZ, LabelFault, label_fault, virtual_ip_refusal
from vrrpd.protocol.model import IPAddress, IPInterface, TrackKind, Vip

# Words of Keepalived's address lines that vrrpd refuses.
_VIP_OPTIONS_WITH_VALUE = frozenset({"brd", "broadcast", "peer", "preferred_lft", "track_group"})
_VIP_FLAGS = frozenset(
    {"home", "-nodad", "nodad", "mngtmpaddr", "noprefixroute", "autojoin", "no_track", "use_vmac"}
)


def items(
    r: ValueReader, stmt: Statement, path: str, counts: dict[str, int]
) -> Iterator[tuple[Statement, str]]:
    """The lines of a list block with their key paths, numbered on across repeated blocks."""
    block = r.block(stmt, path) or []
    start = counts.get(stmt.keyword, 0)
    counts[stmt.keyword] = start + len(block)
    for index, item in enumerate(block, start):
        item_path = f"{path}[{index}]"
        r.report.record(item_path, item.head)
        if item.block is not None:
            r.report.error(item.opener, item_path, "a list item takes no { } block", "")
            continue
        yield item, item_path


# --- track_script, track_interface, track_file ------------------------------------------------


def track_use(
    r: ValueReader, item: Statement, path: str, kind: TrackKind, seq: int
) -> TrackUse | None:
    """`NAME [weight W] [reverse|noreverse]` in a track_* block."""
    limit = WEIGHT_MAX if kind is TrackKind.FILE else SCRIPT_WEIGHT
    if kind is TrackKind.INTERFACE:
        name = r.interface(item.head, path)
    else:
        name = r.name(item.head, path, f"the {kind.value} name")
    weight: int | None = None
    words = item.args
    i = 0
    while i < len(words):
        word = words[i]
        if word.text == "weight" and i + 1 < len(words):
            weight = r.integer(words[i + 1], path, -limit, limit)
            if weight is None:
                return None
            i += 2
            continue
        _track_word(r, item, word, path)
        i += 1
    if name is None or r.report.failed(path):
        return None
    return TrackUse(kind, name, weight, item.head, path, seq)


def _track_word(r: ValueReader, item: Statement, word: Token, path: str) -> None:
    """A word after a track's name other than `weight W`: only noreverse is accepted."""
    if word.text == "reverse":
        fix = "remove `reverse`, and express the track the other way round"
        r.report.error(word, path, "reversed tracks are not supported", fix)
    elif word.text not in ("noreverse", "no_reverse"):
        fix = f"write `{item.head.text} weight -20`"
        r.report.error(word, path, f"unexpected {word.text!r}", fix)


# --- virtual_ipaddress ---------------------------------------------------------------------


def vip(r: ValueReader, item: Statement, path: str) -> Vip | None:
    """`ADDRESS[/PREFIX] [dev IF] [label L] [scope S]` (Keepalived's other words refused)."""
    interface = _vip_interface(r.report, item.head, path)
    options: dict[str, Token] = {}
    words = item.args
    i = 0
    while i < len(words):
        i = _vip_option(r, words, i, path, options)
    if interface is None or r.report.failed(path):
        return None
    dev = options.get("dev")
    scope = options.get("scope")
    label = options.get("label")
    if scope is not None and scope.text not in SCOPES:
        fix = "use one of " + ", ".join(SCOPES)
        r.report.error(scope, path, f"unknown scope {scope.text!r}", fix)
        return None
    found = Vip(
        interface=interface,
        dev=None if dev is None else r.interface(dev, path),
        label=None if label is None else label.text,
        scope=None if scope is None else scope.text,
    )
    if label is not None and not _label_ok(r, found, label, path):
        return None
    return found


def _vip_interface(report: Report, token: Token, path: str) -> IPInterface | None:
    text = token.text
    try:
        interface = ipaddress.ip_interface(text)
    except ValueError:
        if "-" in text:
            fix = "list each address of the range on a line of its own"
            report.error(token, path, f"{text!r}: address ranges are not supported", fix)
        else:
            fix = "write an address with an optional /prefix, e.g. 192.0.2.100/24"
            report.error(token, path, f"{text!r} is not an IP address", fix)
        return None
    refusal = virtual_ip_refusal(interface, text)
    if refusal is not None:
        report.error(token, path, *refusal)
        return None
    return interface


def _vip_option(
    r: ValueReader, words: list[Token], i: int, path: str, found: dict[str, Token]
) -> int:
    """Read the option at words[i] into `found`; the index of the next one."""
    word = words[i]
    if word.text in ("dev", "label", "scope"):
        if i + 1 >= len(words):
            r.report.error(word, path, f"{word.text} needs a value", "")
            return i + 1
        found[word.text] = words[i + 1]
        return i + 2
    if word.text in _VIP_OPTIONS_WITH_VALUE or word.text in _VIP_FLAGS:
        fix = f"remove `{word.text}`"
        r.report.error(word, path, f"the address option {word.text!r} is not supported", fix)
        return i + (2 if word.text in _VIP_OPTIONS_WITH_VALUE else 1)
    try:
        ipaddress.ip_interface(word.text)
        problem = f"{word.text!r}: one address per line"
        fix = "put each address on a line of its own"
    except ValueError:
        problem = f"unknown address option {word.text!r}"
        fix = "use dev, label or scope"
    r.report.error(word, path, problem, fix)
    return i + 1


def _label_ok(r: ValueReader, found: Vip, label: Token, path: str) -> bool:
    fault = label_fault(found)
    if fault is LabelFault.IPV6:
        r.report.error(label, path, "IPv6 addresses have no labels", "remove the label")
        return False
    if fault is LabelFault.TOO_LONG:
        fix = f"use at most {IFNAMSIZ - 1} bytes"
        r.report.error(label, path, f"the label {label.text!r} is too long", fix)
        return False
    if fault is LabelFault.NOT_UNDER_DEVICE:
        r.report.warn(
            label,
            path,
            f"{label.text!r} does not start with the device name {found.dev!r}",
            f"use a label such as {found.dev}:vip (ip and ifconfig expect one)",
        )
    return True


# --- unicast_peer --------------------------------------------------------------------------


def peer(r: ValueReader, item: Statement, path: str) -> IPAddress | None:
    """`ADDRESS` (Keepalived's min_ttl and max_ttl refused)."""
    address = r.address(item.head, path)
    for word in item.args:
        if word.text in ("min_ttl", "max_ttl"):
            fix = f"remove `{word.text}` (vrrpd accepts unicast adverts from listed peers only)"
            r.report.error(word, path, f"{word.text} is not supported", fix)
            return None
        r.report.error(word, path, "one address per line", "put each peer on its own line")
        return None
    return address
