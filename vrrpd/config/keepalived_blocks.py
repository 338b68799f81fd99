"""keepalived.conf's blocks: each statement to its keyword's handler, or its policy, or an error.

A `Section` is a kind of block (vrrp_instance, authentication, ...): the
handlers of the keywords vrrpd reads, which fill a draft, and the policies of
the keywords it does not. A keyword that has neither is unknown, and the
error suggests the nearest known one.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from vrrpd.config.keepalived_policies import TOP_KEYWORDS, Policy
from vrrpd.config.keepalived_syntax import Statement, Token
from vrrpd.config.keepalived_values import ValueReader

T = TypeVar("T")

# A keyword's handler: reads the statement (at its key path) into the draft.
Handler = Callable[[ValueReader, Statement, str, T], None]

# Keywords whose repetition is no "given again" warning: list blocks add up, and
# nopreempt and preempt have a warning of their own when they contradict.
_REPEATABLE = frozenset(
    {"virtual_ipaddress", "unicast_peer", "track_script", "track_interface", "track_file", "group",
     "nopreempt", "preempt"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Section(Generic[T]):
    """A kind of block: its keywords' handlers, and what to make of the keywords vrrpd skips."""

    name: str
    handlers: Mapping[str, Handler[T]]
    policies: Mapping[str, Policy] = field(default_factory=dict)
    family: Callable[[str], Policy | None] | None = None  # e.g. every lvs_* keyword

    def policy(self, keyword: str) -> Policy | None:
        found = self.policies.get(keyword)
        if found is None and self.family is not None:
            return self.family(keyword)
        return found

    @property
    def known(self) -> list[str]:
        """The keywords to suggest for a misspelt one."""
        return [*self.handlers, *self.policies]


def dispatch(
    r: ValueReader, block: list[Statement], path: str, section: Section[T], target: T
) -> None:
    """Each statement of a block to its keyword's handler, or its policy, or an error."""
    seen: dict[str, Token] = {}
    for stmt in block:
        keyword = stmt.keyword
        child = f"{path}.{keyword}"
        handler = section.handlers.get(keyword)
        if handler is None:
            skipped(r, stmt, child, section)
            continue
        if keyword in seen and keyword not in _REPEATABLE:
            _given_again(r, stmt, child, seen[keyword])
        seen.setdefault(keyword, stmt.head)
        r.report.record(child, stmt.head, stmt.args[0] if stmt.args else None)
        handler(r, stmt, child, target)


def skipped(r: ValueReader, stmt: Statement, path: str, section: Section[T]) -> None:
    """A keyword the section has no handler for: its policy, or unknown."""
    found = section.policy(stmt.keyword)
    if found is None:
        unknown(r, stmt, path, section.name, section.known)
    else:
        apply(r, found, stmt, path)


def _given_again(r: ValueReader, stmt: Statement, path: str, first: Token) -> None:
    r.report.warn(
        stmt.head,
        path,
        f"is given again (first at line {first.line}); Keepalived uses the last one",
        "keep one",
    )


def apply(r: ValueReader, policy: Policy, stmt: Statement, path: str) -> None:
    """Report a skipped keyword as its policy says (unless its value changes nothing)."""
    if policy.harmless is not None and policy.harmless(stmt):
        return
    r.report.add(stmt.head, path, policy.problem, policy.fix, policy.severity)


def unknown(
    r: ValueReader, stmt: Statement, path: str, section: str, known: Collection[str]
) -> None:
    """An unknown keyword: a section opened inside another, or the nearest known keyword."""
    keyword = stmt.keyword
    if keyword in TOP_KEYWORDS and section != "the file":
        r.report.error(
            stmt.head,
            path,
            f"{keyword} cannot be inside {section}",
            "a '}' is probably missing before this line",
        )
        return
    close = difflib.get_close_matches(keyword, known, n=1)
    fix = f"did you mean {close[0]!r}?" if close else f"{section} takes: " + ", ".join(known)
    r.report.error(stmt.head, path, f"unknown keyword {keyword!r}", fix)


def _named(r: ValueReader, stmt: Statement, what: str) -> tuple[str, str, list[Statement]] | None:
    """`KEYWORD NAME { ... }`: the name, its key path and the block."""
    keyword = stmt.keyword
    if len(stmt.args) != 1:
        at = stmt.args[1] if stmt.args else stmt.head
        problem = f"{keyword} needs one name" if not stmt.args else "unexpected words"
        r.report.error(at, keyword, problem, f"write `{keyword} NAME {{`")
        return None
    name = r.name(stmt.args[0], keyword, f"the {what} name")
    if name is None:
        return None
    path = f"{keyword}.{name}"
    if stmt.block is None:
        r.report.error(stmt.head, path, "needs a { } block", f"write `{keyword} {name} {{`")
        return None
    r.report.record(path, stmt.head, stmt.args[0])
    return name, path, stmt.block


def read_named(
    r: ValueReader,
    stmt: Statement,
    what: str,
    section: Section[T],
    *,
    new: Callable[[str, str], T],
    taken: Callable[[str], Token | None],
) -> tuple[str, str, T] | None:
    """`KEYWORD NAME { ... }` into a new draft, `new(name, path)`: the name, path and draft.

    `what` names the kind of block in messages. None, after an error, if the
    statement is not a named block, or if `taken` says where an earlier block
    of its kind has the name.
    """
    found = _named(r, stmt, what)
    if found is None:
        return None
    name, path, block = found
    first = taken(name)
    if first is not None:
        r.report.error(
            stmt.args[0],
            path,
            f"{stmt.args[0].text!r} is defined twice (first at line {first.line})",
            "rename or remove one",
        )
        return None
    draft = new(name, path)
    dispatch(r, block, path, section, draft)
    return name, path, draft
