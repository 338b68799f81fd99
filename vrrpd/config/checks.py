"""File-system checks of the commands a config runs: do they exist, and are they safe?

IO at the edge: the loader never touches the file system; this module stats
programs and looks users up, and reports warnings (never errors: the host that
checks a config need not be the host that runs it). Keepalived's
enable_script_security refuses a script that a non-root user can change, since
it runs as root; vrrpd warns about the same, and says where.
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from vrrpd.config.errors import ConfigIssue, Severity, SourceMap
from vrrpd.protocol.model import Config, NotifyHooks

# systemd's PATH for services: what the daemon sees when it runs a command.
DEFAULT_SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Characters that make a command shell syntax (pipes, redirections, expansions, lists).
SHELL_METACHARACTERS = frozenset("|&;<>()$`*?[]~!#\n")
_HOOK_KEYS = {
    "notify_master": "master",
    "notify_backup": "backup",
    "notify_fault": "fault",
    "notify_stop": "stop",
    "notify": "notify",
}


def command_argv(command: str) -> list[str] | None:
    """The argv to execute for `command`, or None when it needs /bin/sh -c.

    A command with shell syntax (a pipe, a redirection, `$VAR`, a glob, an
    assignment such as `LANG=C cmd`) is shell code; anything else is split as
    the shell would split it and run without one.
    """
    if any(char in SHELL_METACHARACTERS for char in command):
        return None
    try:
        argv = shlex.split(command)
    except ValueError:  # an unbalanced quote: leave it to the shell to report
        return None
    if not argv or "=" in argv[0].split("/", 1)[0]:
        return None
    return argv


@dataclass(frozen=True, slots=True)
class _Command:
    path: str  # key path of the command in the config
    command: str
    user: str  # who runs it: "root" or the script user


def script_issues(
    config: Config, source: SourceMap, search_path: str = DEFAULT_SEARCH_PATH
) -> list[ConfigIssue]:
    """Warnings about every script and notify command in `config`, at its key's position.

    For each command: its program (the first word, found in `search_path` if
    it has no '/') must exist and be executable, and neither it nor any
    directory above it may be writable by a user or group other than root
    and the user it runs as. Commands with shell syntax run through /bin/sh
    and get a note instead. Users named by script_user and user must exist.
    Notify hooks an instance inherits from `global` are checked once, there.
    """
    issues = _user_issues(config, source)
    for command in _commands(config, source):
        issues.extend(_command_issues(command, source, search_path))
    return sorted(issues, key=lambda i: (i.line, i.column))


def _commands(config: Config, source: SourceMap) -> Iterator[_Command]:
    default_user = config.global_.script_user or "root"
    for script in config.scripts:
        yield _Command(f"scripts.{script.name}.script", script.command, script.user or default_user)
    yield from _hooks("global", config.global_.notify, source, default_user)
    for instance in config.instances:
        yield from _hooks(f"instances.{instance.name}", instance.notify, source, default_user)
    for group in config.sync_groups:
        yield from _hooks(f"sync_groups.{group.name}", group.notify, source, default_user)


def _hooks(prefix: str, hooks: NotifyHooks, source: SourceMap, user: str) -> Iterator[_Command]:
    """The hooks written at `prefix` (an inherited one is checked where it is written)."""
    for key, attribute in _HOOK_KEYS.items():
        command: str | None = getattr(hooks, attribute)
        path = f"{prefix}.{key}"
        if command is not None and path in source:
            yield _Command(path, command, user)


def _user_issues(config: Config, source: SourceMap) -> list[ConfigIssue]:
    named = [("global.script_user", config.global_.script_user)]
    named += [(f"scripts.{s.name}.user", s.user) for s in config.scripts]
    return [
        source.issue(
            path,
            f"there is no user {user!r} on this host",
            "create the user, or name one that exists",
            Severity.WARNING,
        )
        for path, user in named
        if user is not None and _uid_gid(user) is None
    ]


def _uid_gid(user: str) -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _command_issues(command: _Command, source: SourceMap, search_path: str) -> list[ConfigIssue]:
    def warn(problem: str, fix: str) -> ConfigIssue:
        return source.issue(command.path, problem, fix, Severity.WARNING)

    argv = command_argv(command.command)
    if argv is None:
        note = "runs through /bin/sh (it uses shell syntax), so its programs are not checked"
        return [source.issue(command.path, note, "", Severity.NOTE)]
    program = argv[0]
    if "/" not in program:
        found = _search(program, search_path)
        if found is None:
            fix = "install it, or write its absolute path"
            return [warn(f"{program!r} is not found in PATH ({search_path})", fix)]
        program = found
    elif not program.startswith("/"):
        fix = "write an absolute path: vrrpd does not run in your working directory"
        return [warn(f"{program!r} is a relative path", fix)]
    try:
        mode = os.stat(program).st_mode
    except FileNotFoundError:
        return [warn(f"{program} does not exist", "install it, or fix the path")]
    except OSError as exc:
        return [warn(f"{program}: {exc.strerror}", "fix the path or its permissions")]
    if not stat.S_ISREG(mode) or not mode & 0o111:
        return [warn(f"{program} is not an executable file", f"chmod +x {program}")]
    return [
        warn(
            f"{path} is writable by {who}, who could make vrrpd run any code as {command.user}",
            f"chown root:root {path} and chmod go-w {path}",
        )
        for path, who in _unsafe_writers(program, command.user)
    ]


def _search(program: str, search_path: str) -> str | None:
    """The first file named `program` in `search_path`, executable or not."""
    for directory in search_path.split(os.pathsep):
        candidate = os.path.join(directory or ".", program)
        if os.path.isfile(candidate):
            return candidate
    return None


def _unsafe_writers(program: str, user: str) -> list[tuple[str, str]]:
    """(path, who) for `program` and each directory above it (as written and as resolved)."""
    trusted = _uid_gid(user) if user != "root" else None
    uids = {0} | ({trusted[0]} if trusted else set())
    gids = {0} | ({trusted[1]} if trusted else set())
    found = []
    for path in _chain(program):
        try:
            st = os.stat(path)
        except OSError:
            continue
        who = _writer(st, uids, gids)
        if who is not None:
            found.append((path, who))
    return found


def _chain(program: str) -> list[str]:
    """`program` and its directories up to /, then the same for its real path."""
    paths: list[str] = []
    for start in (os.path.abspath(program), os.path.realpath(program)):
        path = start
        while path not in paths:
            paths.append(path)
            path = os.path.dirname(path)
    return paths


def _writer(st: os.stat_result, uids: set[int], gids: set[int]) -> str | None:
    """Who other than the trusted users and groups may change this file or directory."""
    # A sticky directory (/tmp) lets no one replace another owner's entry;
    # the entry itself is checked next in the chain.
    sticky_dir = stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX
    if st.st_mode & stat.S_IWOTH and not sticky_dir:
        return "everyone"
    if st.st_mode & stat.S_IWUSR and st.st_uid not in uids:
        return f"user {_user_name(st.st_uid)}"
    if st.st_mode & stat.S_IWGRP and st.st_gid not in gids:
        return f"group {_group_name(st.st_gid)}"
    return None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
