"""Every `vrrpctl` and `vrrpd` command line shown in the docs parses.

The docs may not show a subcommand or a flag that the programs do not have.
A command is taken from a fenced code block in README.md or docs/*.md:

- in a ```console or ```text block (or one without a language), a line with a
  prompt: `$ vrrpctl status` or `# vrrpctl status` (root); other lines are output;
- in a ```sh (shell, bash) block, every line but comments, with or without a
  `$ ` prompt: `vrrpctl reload`.

Each line is split like the shell does (pipes, `;`, `&&`, `$(...)`); every part
that starts with `vrrpctl` or `vrrpd` (after `sudo`, `env`, `setpriv` and their
options) is parsed by that program's own argparse parser, and nothing is run.
The drop reasons in docs/troubleshooting.md are checked against the enum too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from vrrpd import ctl, daemon
from vrrpd.protocol.packet import DropReason

REPO = Path(__file__).parents[2]
# A fenced block, also one indented in a list item.
FENCE = re.compile(r"^([ \t]*)```(\w*)[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)
SHELL_BLOCKS = {"sh", "shell", "bash"}
PROMPT_BLOCKS = {"console", "text", "", *SHELL_BLOCKS}
REDIRECTION = re.compile(r"\d*>&\d+|\d+>>?")
PROMPT = re.compile(r"^[$#] (.*)$")
PROGRAMS: dict[str, Callable[[list[str] | None], int]] = {"vrrpctl": ctl.main, "vrrpd": daemon.main}
WRAPPERS = {"sudo", "env", "setpriv", "exec", "time", "nohup"}
# Shell operators that end a command; `$(` starts one. A bare `(` does not split:
# output such as "(vrrpctl maintenance)" in a `# HELP` line is not a command.
OPERATOR = re.compile(r"^[|&;<>)]+$")


def doc_files() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def block_commands(language: str, body: str) -> list[str]:
    """The command lines of one code block, continuation lines joined."""
    if language not in PROMPT_BLOCKS:
        return []
    found = []
    for line in re.sub(r"\\\n", " ", body).splitlines():
        if language in SHELL_BLOCKS:
            # A script: `#` starts a comment, `$ ` may still be a prompt.
            if line.strip() and not line.lstrip().startswith("#"):
                found.append(line.removeprefix("$ "))
        elif prompt := PROMPT.match(line):
            found.append(prompt.group(1))
    return found


def invocations(line: str) -> list[tuple[str, list[str]]]:
    """Each (program, argv) for vrrpctl or vrrpd in one shell line."""
    line = REDIRECTION.sub(" > ", line).replace("$(", " ; ")
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:  # an unclosed quote: a heredoc body or prose, not a command
        return []
    parts: list[list[str]] = [[]]
    for token in tokens:
        if OPERATOR.match(token):
            parts.append([])
        else:
            parts[-1].append(token)
    found = []
    for part in parts:
        words = list(part)
        while words and (words[0] in WRAPPERS or words[0].startswith("-") or "=" in words[0]):
            words.pop(0)
        if words and Path(words[0]).name in PROGRAMS:
            found.append((Path(words[0]).name, words[1:]))
    return found


def shown_commands() -> list[tuple[str, str, list[str]]]:
    """(where, program, argv) for every command the docs show."""
    found = []
    for path in doc_files():
        text = path.read_text()
        for match in FENCE.finditer(text):
            number = text[: match.start()].count("\n") + 1
            body = textwrap.dedent(match.group(3))
            for line in block_commands(match.group(2), body):
                for program, argv in invocations(line):
                    found.append((f"{path.name}:{number}", program, argv))
    return found


class ParsedError(Exception):
    """Raised in place of running the command, once its arguments parsed."""


def parse_error(main: Callable[[list[str] | None], int], argv: list[str]) -> str | None:
    """None if `main` parses `argv` (or exits 0 for --help / --version), else the error."""
    original = argparse.ArgumentParser.parse_args

    def parse_only(
        parser: argparse.ArgumentParser,
        args: Sequence[str] | None = None,
        namespace: argparse.Namespace | None = None,
    ) -> argparse.Namespace:
        original(parser, args, namespace)
        raise ParsedError

    errors = io.StringIO()
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stderr(errors),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        patch.setattr(argparse.ArgumentParser, "parse_args", parse_only)
        try:
            main(argv)
        except ParsedError:
            return None
        except SystemExit as exit_:
            return None if exit_.code in (0, None) else errors.getvalue().strip()
    return "the program ran without parsing its arguments"


COMMANDS = shown_commands()


@pytest.mark.parametrize(
    ("where", "program", "argv"),
    COMMANDS,
    ids=[f"{where} {program} {' '.join(argv)}" for where, program, argv in COMMANDS],
)
def test_command_shown_in_docs_parses(where: str, program: str, argv: list[str]) -> None:
    error = parse_error(PROGRAMS[program], argv)
    assert error is None, f"{where}: `{program} {shlex.join(argv)}` does not parse:\n{error}"


def test_docs_show_commands_of_both_programs() -> None:
    programs = {program for _, program, _ in COMMANDS}
    assert programs == set(PROGRAMS)
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("vrrpctl status VI_WEB --json | jq .state", [("vrrpctl", ["status", "VI_WEB", "--json"])]),
        ("sudo vrrpctl watch eth0 --once; echo $?", [("vrrpctl", ["watch", "eth0", "--once"])]),
        ("kill -HUP $(pidof -x vrrpd)", []),
        ("journalctl -u vrrpd -o cat | jq .", []),
        ("/usr/local/bin/vrrpd --config x.yaml", [("vrrpd", ["--config", "x.yaml"])]),
        ("vrrpctl maintenance VI_1 on  # drain", [("vrrpctl", ["maintenance", "VI_1", "on"])]),
    ],
)  # fmt: skip
def test_command_lines_are_split_as_the_shell_does(
    line: str, expected: list[tuple[str, list[str]]]
) -> None:
    assert invocations(line) == expected


def test_a_flag_that_does_not_exist_is_caught() -> None:
    assert parse_error(ctl.main, ["status", "--yaml"]) is not None
    assert parse_error(ctl.main, ["restart"]) is not None
    assert parse_error(daemon.main, ["--foreground"]) is not None
    assert parse_error(ctl.main, ["maintenance", "VI_1", "on"]) is None
    assert parse_error(daemon.main, ["--version"]) is None


def test_troubleshooting_lists_every_drop_reason() -> None:
    text = (REPO / "docs" / "troubleshooting.md").read_text()
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))
    assert rows == {reason.value for reason in DropReason}
