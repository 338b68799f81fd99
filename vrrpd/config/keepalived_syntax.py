"""keepalived.conf's syntax: text and includes -> statements, with every error where it is.

As Keepalived's parser (keepalived/core/parser.c, 2.2.x) reads it:
whitespace-separated words; `{` and `}` open and close blocks, also on one
line (`virtual_ipaddress { 192.0.2.1 }`) or with the `{` on the next line;
a statement ends at the end of a line or at a brace; `#` and `!` start a
comment anywhere outside "double quotes" (`\\#` is the character); "..."
makes one word with its spaces. `include PATTERN` splices files in where it
stands, even inside a block: globs and {a,b} braces, relative to the
including file's directory, with a guard against loops. Commands (`script`,
`notify_*`) are split again as Keepalived splits them (`shell_words`).

Keepalived's parameters (`$NAME=`, `${_PWD}`), conditional lines
(`@CONFIG_ID`) and `~SEQ`/`~LST` are refused: the file must say what it means.
What the statements mean is keepalived.py's business.
"""

from __future__ import annotations

import dataclasses
import enum
import glob
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from vrrpd.config.keepalived_report import KeepalivedSourceMap, Report

__all__ = [  # Report and KeepalivedSourceMap lived here; they are re-exported for their users
    "INCLUDE_KEYWORDS",
    "MAX_INCLUDE_DEPTH",
    "KeepalivedSourceMap",
    "Kind",
    "Lexer",
    "Report",
    "Statement",
    "Token",
    "build",
    "read_statements",
    "shell_words",
]

INCLUDE_KEYWORDS = frozenset(
    {"include", "includer", "includem", "includew", "includeb", "includea"}
)
MAX_INCLUDE_DEPTH = 32
_DEFINITION = re.compile(r"\$[A-Za-z_]\w*\s*=")
_PREDEFINED = re.compile(r"\$\{?_(PWD|INSTANCE|RANDOM|HASH|BANG)\b")
_WHITESPACE = " \t\f\v\r\n"


# --- words, braces and lines -----------------------------------------------------------------


class Kind(enum.Enum):
    """What a token is."""

    WORD = "word"
    OPEN = "{"
    CLOSE = "}"
    END = "end of line"


@dataclass(frozen=True, slots=True)
class Token:
    """A word, a brace or an end of line, and where it was written."""

    kind: Kind
    text: str
    file: str  # as shown in messages
    line: int
    column: int  # 1-based
    end: int = 0  # index just past the token in `source`
    source: str = ""  # the physical line it is on


@dataclass(slots=True)
class Statement:
    """One statement: a keyword and its words, and the { block } that follows it, if any."""

    words: list[Token]
    block: list[Statement] | None = None
    opener: Token | None = None

    @property
    def head(self) -> Token:
        return self.words[0]

    @property
    def keyword(self) -> str:
        return self.words[0].text

    @property
    def args(self) -> list[Token]:
        return self.words[1:]

    def raw(self) -> str:
        """The statement as written (for commands, which Keepalived splits again)."""
        first, last = self.words[0], self.words[-1]
        return first.source[first.column - 1 : last.end]


@dataclass(slots=True)
class Lexer:
    """Physical lines -> tokens, with includes spliced in where they stand."""

    report: Report
    tokens: list[Token] = field(default_factory=list)

    def lex_file(self, path: str, shown: str, chain: tuple[str, ...], at: Token | None) -> None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            problem = f"cannot read {shown}: {exc.strerror or exc}"
            self.report.error(at, "include" if at else "", problem, "check the path and its mode")
            return
        except UnicodeDecodeError as exc:
            problem = f"{shown} is not UTF-8 text (byte {exc.start})"
            self.report.error(at, "include" if at else "", problem, "save it as UTF-8")
            return
        self.lex_text(text, path, shown, chain)

    def lex_text(self, text: str, path: str, shown: str, chain: tuple[str, ...]) -> None:
        self.report.file_order.setdefault(shown, len(self.report.file_order))
        chain = (*chain, os.path.realpath(path))
        for number, line in enumerate(text.split("\n"), 1):
            self._line(line.rstrip("\r"), number, path, shown, chain)
            self.tokens.append(Token(Kind.END, "", shown, number, len(line) + 1))

    def _line(self, line: str, number: int, path: str, shown: str, chain: tuple[str, ...]) -> None:
        if not self._plain_syntax(line, number, shown):
            return
        tokens = self._scan(line, number, shown, braces=True)
        if tokens and tokens[0].kind is Kind.WORD and tokens[0].text in INCLUDE_KEYWORDS:
            # Keepalived reads an include line whole, before splitting it at braces.
            words = self._scan(line, number, shown, braces=False)
            if len(words) == 2:
                self._include(words[0], words[1], path, shown, chain)
                return
            problem = f"{words[0].text} takes one file name or pattern"
            self.report.error(words[0], "include", problem, "write `include PATTERN`")
            return
        self.tokens.extend(tokens)

    def _plain_syntax(self, line: str, number: int, shown: str) -> bool:
        """Refuse Keepalived's advanced syntax (parameters, conditions, sequences)."""
        body = line.lstrip(" \t")
        at = Token(Kind.WORD, body, shown, number, len(line) - len(body) + 1)
        if body.startswith("@"):
            self.report.error(
                at,
                "",
                "conditional configuration (@CONFIG_ID lines) is not supported",
                "keep the lines meant for this node, without their @ prefix",
            )
            return False
        if _DEFINITION.match(body) or body.startswith(("~SEQ", "~LST")):
            self.report.error(
                at,
                "",
                "parameter definitions and ~SEQ/~LST blocks are not supported",
                "write the expanded configuration",
            )
            return False
        found = _PREDEFINED.search(line.split("#", 1)[0].split("!", 1)[0])
        if found:
            self.report.error(
                at,
                "",
                f"Keepalived replaces ${{_{found.group(1)}}} here; vrrpd does not expand "
                "parameters",
                "write the value in its place",
            )
        return True

    def _scan(self, line: str, number: int, shown: str, *, braces: bool) -> list[Token]:
        tokens: list[Token] = []
        i, n = 0, len(line)
        while i < n:
            char = line[i]
            if char in _WHITESPACE:
                i += 1
            elif char in "#!":
                break  # a comment, to the end of the line
            elif braces and char in "{}":
                kind = Kind.OPEN if char == "{" else Kind.CLOSE
                tokens.append(Token(kind, char, shown, number, i + 1, i + 1, line))
                i += 1
            elif char == '"':
                close = line.find('"', i + 1)
                if close < 0:
                    at = Token(Kind.WORD, line[i:], shown, number, i + 1)
                    fix = 'close the quote on the same line: "..."'
                    self.report.error(at, "", "a quoted string has no closing '\"'", fix)
                    return []  # the rest of the line would only add confusing errors
                text = line[i + 1 : close]
                tokens.append(Token(Kind.WORD, text, shown, number, i + 1, close + 1, line))
                i = close + 1
            else:
                text, end = _plain_word(line, i, braces=braces)
                tokens.append(Token(Kind.WORD, text, shown, number, i + 1, end, line))
                i = end
        return tokens

    def _include(
        self, keyword: Token, pattern: Token, path: str, shown: str, chain: tuple[str, ...]
    ) -> None:
        base = os.path.dirname(path)
        full = os.path.join(base, pattern.text)  # an absolute pattern stays as it is
        matches = _glob(full)
        if not matches:
            if glob.has_magic(pattern.text):
                problem = f"{pattern.text!r} matches no file"
                self.report.note(pattern, "include", problem, "")
            else:
                problem = f"no such file: {full}"
                fix = "fix the path (relative paths start at the including file's directory)"
                self.report.error(pattern, "include", problem, fix)
            return
        for match in matches:
            self._include_one(keyword, pattern, match, base=base, shown=shown, chain=chain)

    def _include_one(
        self, keyword: Token, pattern: Token, match: str, *, base: str, shown: str,
        chain: tuple[str, ...],
    ) -> None:  # fmt: skip
        if os.path.isabs(pattern.text):
            match_shown = match
        else:
            relative = os.path.relpath(match, base) if base else match
            match_shown = os.path.normpath(os.path.join(os.path.dirname(shown), relative))
        if os.path.realpath(match) in chain:
            problem = f"{match_shown} includes itself (through {len(chain)} file(s))"
            self.report.error(pattern, "include", problem, "remove the include that loops")
            return
        if len(chain) >= MAX_INCLUDE_DEPTH:
            problem = f"includes are nested more than {MAX_INCLUDE_DEPTH} deep"
            self.report.error(pattern, "include", problem, "flatten the includes")
            return
        try:
            mode = os.stat(match).st_mode
        except OSError:
            mode = stat.S_IFREG
        if mode & 0o111:
            problem = f"Keepalived skips {match_shown}: it is executable"
            fix = f"chmod a-x {match} if it is meant to be read"
            self.report.warn(pattern, "include", problem, fix)
            return
        self.lex_file(match, match_shown, chain, keyword)


def _plain_word(line: str, start: int, *, braces: bool) -> tuple[str, int]:
    """An unquoted word (up to white space, a quote, a brace or a comment), and its end."""
    stops = _WHITESPACE + '"#!' + ("{}" if braces else "")
    chars: list[str] = []
    i = start
    while i < len(line) and line[i] not in stops:
        if line[i] == "\\" and line[i + 1 : i + 2] in ("#", "!"):
            i += 1  # Keepalived: \# and \! are the characters, not a comment
        chars.append(line[i])
        i += 1
    return "".join(chars), i


def _glob(pattern: str) -> list[str]:
    """Files matching `pattern` with {a,b} braces (glob(3)'s GLOB_BRACE), directories left out."""
    found: list[str] = []
    for expanded in _expand_braces(pattern):
        matches = sorted(glob.glob(expanded)) if glob.has_magic(expanded) else [expanded]
        for match in matches:
            if os.path.exists(match) and not os.path.isdir(match) and match not in found:
                found.append(match)
    return found


def _expand_braces(pattern: str) -> list[str]:
    depth, start = 0, -1
    for i, char in enumerate(pattern):
        if char == "{":
            start = i if depth == 0 else start
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                parts = _top_level_split(pattern[start + 1 : i])
                if len(parts) > 1:
                    head, tail = pattern[:start], pattern[i + 1 :]
                    return [x for part in parts for x in _expand_braces(head + part + tail)]
    return [pattern]


def _top_level_split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def build(tokens: list[Token], report: Report) -> list[Statement]:
    """Tokens -> statements with their blocks; every brace that does not pair is an error."""
    root: list[Statement] = []
    current = root
    stack: list[tuple[Statement, list[Statement]]] = []
    words: list[Token] = []
    last: Statement | None = None  # the statement a `{` would open a block for
    for token in tokens:
        if token.kind is Kind.WORD:
            words.append(token)
            continue
        if words:
            last = Statement(words)
            current.append(last)
            words = []
        if token.kind is Kind.OPEN:
            if last is None or last.block is not None:
                fix = "put a keyword before it, e.g. `virtual_ipaddress {`"
                report.error(token, "", "'{' does not follow a keyword", fix)
                last = Statement([dataclasses.replace(token, kind=Kind.WORD)])
            last.block, last.opener = [], token
            stack.append((last, current))
            current, last = last.block, None
        elif token.kind is Kind.CLOSE:
            if not stack:
                report.error(
                    token, "", "'}' closes no block", "remove it, or add the '{' it closes"
                )
                continue
            _, current = stack.pop()
            last = None
    if words:
        current.append(Statement(words))
    for opened, _ in stack:
        _unclosed(opened, report)
    return root


def _unclosed(opened: Statement, report: Report) -> None:
    """The error of a block whose '}' never comes."""
    where = opened.opener or opened.head
    report.error(
        opened.head,
        "",
        f"the block '{' '.join(w.text for w in opened.words)} {{' "
        f"(line {where.line}) has no closing '}}'",
        "add the '}' where the block ends",
    )


# --- reading Keepalived's commands -----------------------------------------------------------

_ESCAPES = {"a": "\a", "b": "\b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_ESCAPES["v"] = "\v"


def shell_words(text: str) -> list[str]:
    """Split as Keepalived splits a command (alloc_strvec_quoted_escaped).

    White space separates words; '...' and "..." keep spaces and may join
    text (`a" b "c` is one word); backslash escapes work inside and outside
    quotes (\\n, \\t, \\x41, \\101, \\cC, \\X for X). ValueError on a missing quote.
    """
    words: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            return words
        chars: list[str] = []
        quote = ""
        while i < n and (quote or text[i] not in _WHITESPACE):
            char = text[i]
            if char == "\\":
                escaped, i = _escape(text, i + 1)
                chars.append(escaped)
            elif quote and char == quote:
                quote, i = "", i + 1
            elif not quote and char in "\"'":
                quote, i = char, i + 1
            else:
                chars.append(char)
                i += 1
        if quote:
            raise ValueError(f"missing the closing {quote}")
        words.append("".join(chars))


def _escape(text: str, i: int) -> tuple[str, int]:
    """The character an escape at text[i] (just after the backslash) stands for."""
    if i >= len(text):
        raise ValueError("a '\\' ends the line")
    char = text[i]
    if char == "x" and i + 1 < len(text) and text[i + 1] in "0123456789abcdefABCDEF":
        j = i + 1
        while j < len(text) and text[j] in "0123456789abcdefABCDEF":
            j += 1
        return chr(int(text[i + 1 : j], 16) & 0xFF), j
    if char == "c" and i + 1 < len(text):
        return chr(ord(text[i + 1]) & 0x1F), i + 2
    if char in "01234567":
        j = i + 1
        while j < len(text) and j < i + 3 and text[j] in "01234567":
            j += 1
        return chr(int(text[i:j], 8) & 0xFF), j
    return _ESCAPES.get(char, char), i + 1


def read_statements(text: str, filename: str, report: Report) -> list[Statement]:
    """The statements of `text` (the file `filename`) and of everything it includes."""
    lexer = Lexer(report)
    lexer.lex_text(text, filename, filename, ())
    return build(lexer.tokens, report)
