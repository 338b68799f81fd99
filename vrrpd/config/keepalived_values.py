"""A keepalived.conf statement's values, read as Keepalived reads them.

Each read returns the value, or None after reporting, at the word that is
wrong, what is wrong and what to write instead.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass
from decimal import Decimal

from vrrpd.config.keepalived_report import Report
from vrrpd.config.keepalived_syntax import Statement, Token, shell_words
from vrrpd.config.semantics import interface_name_refusal
from vrrpd.protocol.model import IPAddress

# Keepalived's ranges (keepalived -t refuses values outside them).
SCRIPT_WEIGHT = 253  # vrrp_script, track_script, track_interface: -253..253
SCRIPT_INTERVAL_MAX = 4294
TRUE_WORDS = ("on", "true", "yes")  # a flag's words, as Keepalived reads them
FALSE_WORDS = ("off", "false", "no")

_INT = re.compile(r"[-+]?\d+")
_DECIMAL = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)")


@dataclass(frozen=True, slots=True)
class ValueReader:
    """Typed reads of statements, each refusal reported where it is."""

    report: Report

    # -- the shape of a statement

    def no_block(self, stmt: Statement, path: str) -> bool:
        if stmt.block is not None:
            fix = f"write `{stmt.keyword} VALUE` on one line"
            self.report.error(stmt.opener, path, f"{stmt.keyword} takes no {{ }} block", fix)
            return False
        return True

    def one(self, stmt: Statement, path: str, example: str) -> Token | None:
        """The single value of a `keyword VALUE` line."""
        if not self.no_block(stmt, path):
            return None
        if not stmt.args:
            self.report.error(stmt.head, path, "needs a value", f"write `{stmt.keyword} {example}`")
            return None
        if len(stmt.args) > 1:
            extra = stmt.args[1]
            self.report.error(
                extra,
                path,
                f"unexpected {extra.text!r} after {stmt.args[0].text!r}",
                "give one value, and put each setting on a line of its own",
            )
            return None
        return stmt.args[0]

    def bare(self, stmt: Statement, path: str) -> bool:
        """A keyword that takes no value (nopreempt, init_fail)."""
        if not self.no_block(stmt, path):
            return False
        if stmt.args:
            fix = f"write `{stmt.keyword}` alone on its line"
            self.report.error(stmt.args[0], path, f"{stmt.keyword} takes no value", fix)
            return False
        return True

    def flag(self, stmt: Statement, path: str) -> bool | None:
        """`keyword` or `keyword on|off|true|false|yes|no`."""
        if not self.no_block(stmt, path):
            return None
        if not stmt.args:
            return True
        word = stmt.args[0]
        if len(stmt.args) == 1 and word.text.lower() in (*TRUE_WORDS, *FALSE_WORDS):
            return word.text.lower() in TRUE_WORDS
        fix = f"write `{stmt.keyword}`, or `{stmt.keyword} off`"
        self.report.error(word, path, f"expected on or off, got {word.text!r}", fix)
        return None

    def block(self, stmt: Statement, path: str) -> list[Statement] | None:
        """The statements of `keyword { ... }`."""
        if stmt.block is None:
            items = " ".join(w.text for w in stmt.args) or "..."
            fix = f"write `{stmt.keyword} {{ {items} }}`"
            self.report.error(stmt.head, path, f"{stmt.keyword} needs a {{ }} block", fix)
            return None
        if stmt.args:
            word = stmt.args[0]
            fix = f"write `{stmt.keyword} {{`, with the items on the following lines"
            self.report.error(word, path, f"unexpected {word.text!r} before the '{{'", fix)
            return None
        return stmt.block

    # -- numbers

    def integer(self, token: Token, path: str, lo: int, hi: int | None) -> int | None:
        if not _INT.fullmatch(token.text):
            self.report.error(token, path, f"expected a whole number, got {token.text!r}", "")
            return None
        value = int(token.text)
        if value < lo or (hi is not None and value > hi):
            fix = f"use {lo} or more" if hi is None else f"use {lo}..{hi}"
            self.report.error(token, path, f"{value} is out of range", fix)
            return None
        return value

    def integer_at(self, stmt: Statement, path: str, lo: int, hi: int | None) -> int | None:
        token = self.one(stmt, path, str(max(lo, 1)))
        return None if token is None else self.integer(token, path, lo, hi)

    def decimal_at(self, stmt: Statement, path: str, lo: Decimal, hi: Decimal) -> Decimal | None:
        token = self.one(stmt, path, "1")
        if token is None:
            return None
        if not _DECIMAL.fullmatch(token.text):
            self.report.error(token, path, f"expected a number, got {token.text!r}", "")
            return None
        value = Decimal(token.text)
        if not lo <= value <= hi:
            self.report.error(token, path, f"{token.text} is out of range", f"use {lo}..{hi}")
            return None
        return value

    # -- names and addresses

    def name(self, token: Token, path: str, what: str) -> str | None:
        if not token.text or re.search(r"\s", token.text):
            fix = "use a name without spaces"
            self.report.error(token, path, f"{what} {token.text!r} is empty or has spaces", fix)
            return None
        return token.text

    def interface(self, token: Token, path: str) -> str | None:
        name = self.name(token, path, "the interface name")
        refusal = None if name is None else interface_name_refusal(name)
        if refusal is not None:
            self.report.error(token, path, *refusal)
            return None
        return name

    def address(self, token: Token, path: str) -> IPAddress | None:
        try:
            return ipaddress.ip_address(token.text)
        except ValueError:
            fix = "write a plain address, e.g. 192.0.2.12 or 2001:db8::12"
            self.report.error(token, path, f"{token.text!r} is not an IP address", fix)
            return None

    def user(self, stmt: Statement, path: str) -> str | None:
        """`USER [GROUP]`: vrrpd runs commands with the user's own group."""
        if not self.no_block(stmt, path):
            return None
        if not stmt.args:
            self.report.error(stmt.head, path, "needs a user name", f"write `{stmt.keyword} USER`")
            return None
        if len(stmt.args) > 1:
            group = stmt.args[1]
            self.report.error(
                group,
                path,
                f"a group ({group.text}) is not supported: vrrpd runs commands with the user's "
                "own group",
                f"remove {group.text!r}",
            )
            return None
        return self.name(stmt.args[0], path, "the user")

    # -- commands

    def command(self, stmt: Statement, path: str, *, hook: bool) -> str | None:
        """A command as Keepalived runs it (argv, no shell), as text vrrpd runs the same way."""
        if not self.no_block(stmt, path):
            return None
        try:
            words = shell_words(stmt.raw())
            argv = shell_words(words[1]) if len(words) > 1 else []
        except ValueError as exc:
            self.report.error(stmt.head, path, f"cannot split the command: {exc}", "")
            return None
        if not argv:
            fix = f'write `{stmt.keyword} "/path/to/program arg"`'
            self.report.error(stmt.head, path, "needs a command", fix)
            return None
        if len(words) > 2:
            self._extra_command_words(stmt, path, words, hook=hook)
            return None
        self.report.record(path, stmt.head, stmt.args[0])
        # Keepalived execs argv without a shell; quoted for vrrpd, it means the same.
        return shlex.join(argv)

    def _extra_command_words(
        self, stmt: Statement, path: str, words: list[str], *, hook: bool
    ) -> None:
        at = stmt.args[min(1, len(stmt.args) - 1)]
        if hook:
            self.report.error(
                at,
                path,
                f"running a hook as another user ({' '.join(words[2:])}) is not supported",
                "remove the user: hooks run as script_user (global_defs)",
            )
            return
        self.report.error(
            at,
            path,
            f"Keepalived runs only {words[1]!r} and ignores {' '.join(words[2:])!r}",
            f'quote the whole command: script "{" ".join(words[1:])}"',
        )
