"""Host checks of a config's commands: missing, not executable, or changeable by non-root."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from vrrpd.config import (
    ConfigIssue,
    LoadedConfig,
    Severity,
    command_argv,
    parse_config_with_warnings,
    script_issues,
)

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to own files as others")


def executable(path: Path, mode: int = 0o755, body: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(mode)
    return path


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A root-owned, 0755 directory for programs (tmp_path's parents are 0700)."""
    directory = tmp_path / "bin"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    return directory


def load(text: str) -> LoadedConfig:
    return parse_config_with_warnings(text, "vrrpd.yaml")


def config_with(script: str, *instance_lines: str, global_lines: str = "") -> LoadedConfig:
    extra = "".join(f"    {line}\n" for line in instance_lines)
    return load(
        f"{global_lines}"
        "scripts:\n"
        "  chk:\n"
        f"    script: {script}\n"
        "instances:\n"
        "  VI_1:\n"
        "    interface: eth0\n"
        "    vrid: 51\n"
        "    virtual_ipaddress: [192.0.2.100/24]\n"
        "    track_script: [chk]\n"
        f"{extra}"
    )


def check(loaded: LoadedConfig, search_path: str) -> list[ConfigIssue]:
    return script_issues(loaded.config, loaded.source, search_path=search_path)


# --- splitting commands -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("pidof haproxy", ["pidof", "haproxy"]),
        ("/usr/bin/curl -fs 'http://127.0.0.1/'", ["/usr/bin/curl", "-fs", "http://127.0.0.1/"]),
        ('/etc/vrrpd/notify.sh "two words"', ["/etc/vrrpd/notify.sh", "two words"]),
    ],
)
def test_a_command_without_shell_syntax_is_split_into_argv(command: str, argv: list[str]) -> None:
    assert command_argv(command) == argv


@pytest.mark.parametrize(
    "command",
    [
        "pidof haproxy || exit 1",
        "check > /dev/null",
        "echo $HOME",
        "ls /etc/*.conf",
        "a; b",
        "LANG=C check",
        "echo `date`",
        "test -f ~/x",
        "echo 'unbalanced",
    ],
)
def test_a_command_with_shell_syntax_needs_the_shell(command: str) -> None:
    assert command_argv(command) is None


# --- programs -----------------------------------------------------------------------------


def test_a_safe_program_found_in_path_has_no_issues(bin_dir: Path) -> None:
    executable(bin_dir / "chk_api")
    assert check(config_with("chk_api --quick"), str(bin_dir)) == []


def test_a_safe_absolute_program_has_no_issues(bin_dir: Path) -> None:
    program = executable(bin_dir / "chk_api")
    assert check(config_with(str(program)), "/nonexistent") == []


def test_program_missing_from_path_points_at_the_script_line(bin_dir: Path) -> None:
    (issue,) = check(config_with("chk_missing --flag"), str(bin_dir))
    assert str(issue) == (
        "vrrpd.yaml:3:13: warning: scripts.chk.script: 'chk_missing' is not found in PATH "
        f"({bin_dir}); install it, or write its absolute path"
    )


def test_missing_absolute_program_is_a_warning(tmp_path: Path) -> None:
    (issue,) = check(config_with(str(tmp_path / "nope")), "")
    assert issue.severity is Severity.WARNING
    assert issue.problem == f"{tmp_path}/nope does not exist"


def test_program_without_execute_bits_is_a_warning(bin_dir: Path) -> None:
    program = executable(bin_dir / "chk", mode=0o644)
    (issue,) = check(config_with(str(program)), "")
    assert (issue.problem, issue.fix) == (
        f"{program} is not an executable file",
        f"chmod +x {program}",
    )


def test_a_directory_is_not_a_program(bin_dir: Path) -> None:
    (issue,) = check(config_with(str(bin_dir)), "")
    assert issue.problem == f"{bin_dir} is not an executable file"


def test_relative_program_path_is_a_warning() -> None:
    (issue,) = check(config_with("./chk.sh"), "")
    assert issue.problem == "'./chk.sh' is a relative path"


def test_a_shell_command_gets_a_note_not_a_check() -> None:
    (issue,) = check(config_with('"pidof haproxy || exit 1"'), "")
    assert str(issue) == (
        "vrrpd.yaml:3:13: note: scripts.chk.script: runs through /bin/sh (it uses shell "
        "syntax), so its programs are not checked"
    )
    assert not issue.is_error


# --- who can change a program -------------------------------------------------------------


def test_world_writable_program_is_unsafe(bin_dir: Path) -> None:
    program = executable(bin_dir / "chk", mode=0o757)
    (issue,) = check(config_with(str(program)), "")
    assert str(issue) == (
        f"vrrpd.yaml:3:13: warning: scripts.chk.script: {program} is writable by everyone, who "
        f"could make vrrpd run any code as root; chown root:root {program} and chmod go-w "
        f"{program}"
    )


def test_writable_parent_directory_is_unsafe(bin_dir: Path) -> None:
    program = executable(bin_dir / "chk")
    bin_dir.chmod(0o777)
    (issue,) = check(config_with(str(program)), "")
    assert issue.problem.startswith(f"{bin_dir} is writable by everyone")


@as_root
def test_sticky_world_writable_directory_is_safe_for_a_root_owned_program(bin_dir: Path) -> None:
    program = executable(bin_dir / "chk")
    bin_dir.chmod(0o1777)  # like /tmp: no one may replace another owner's file
    assert check(config_with(str(program)), "") == []


@as_root
def test_program_owned_by_another_user_is_unsafe(bin_dir: Path) -> None:
    program = executable(bin_dir / "chk")
    os.chown(program, 54321, -1)
    (issue,) = check(config_with(str(program)), "")
    assert issue.problem.startswith(f"{program} is writable by user 54321, who could")


@as_root
def test_group_writable_program_of_a_non_root_group_is_unsafe(bin_dir: Path) -> None:
    program = executable(bin_dir / "chk", mode=0o775)
    os.chown(program, 0, 54321)
    (issue,) = check(config_with(str(program)), "")
    assert issue.problem.startswith(f"{program} is writable by group 54321")


@as_root
def test_group_writable_by_root_group_is_safe(bin_dir: Path) -> None:
    program = executable(bin_dir / "chk", mode=0o775)
    os.chown(program, 0, 0)
    assert check(config_with(str(program)), "") == []


@as_root
def test_program_owned_by_the_user_it_runs_as_is_safe(bin_dir: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    program = executable(bin_dir / "chk")
    os.chown(program, nobody.pw_uid, nobody.pw_gid)
    loaded = config_with(str(program), global_lines="global:\n  script_user: nobody\n")
    assert check(loaded, "") == []
    # The same program is unsafe for a script that runs as root.
    root_run = config_with(str(program))
    assert [i.problem.split(", who")[0] for i in check(root_run, "")] == [
        f"{program} is writable by user nobody"
    ]


@as_root
def test_symlink_to_an_unsafe_program_is_unsafe(bin_dir: Path, tmp_path: Path) -> None:
    unsafe_dir = tmp_path / "unsafe"
    unsafe_dir.mkdir(mode=0o755)
    target = executable(unsafe_dir / "real")
    os.chown(unsafe_dir, 54321, -1)
    link = bin_dir / "chk"
    link.symlink_to(target)
    problems = [i.problem for i in check(config_with(str(link)), "")]
    assert problems == [
        f"{unsafe_dir} is writable by user 54321, who could make vrrpd run any code as root"
    ]


# --- notify hooks and users ---------------------------------------------------------------


def test_inherited_notify_hook_is_checked_once_where_it_is_written(tmp_path: Path) -> None:
    loaded = load(
        "global:\n"
        f"  notify_master: {tmp_path}/missing master\n"
        "instances:\n"
        "  VI_1: {interface: eth0, vrid: 51, virtual_ipaddress: [192.0.2.1]}\n"
        "  VI_2: {interface: eth0, vrid: 52, virtual_ipaddress: [192.0.2.2]}\n"
    )
    assert [(i.line, i.key) for i in check(loaded, "")] == [(2, "global.notify_master")]


def test_every_kind_of_hook_is_checked_at_its_own_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    loaded = load(
        "instances:\n"
        "  VI_1:\n"
        "    interface: eth0\n"
        "    vrid: 51\n"
        "    virtual_ipaddress: [192.0.2.1]\n"
        f"    notify_backup: {missing} backup\n"
        f"    notify: {missing}\n"
        "  VI_2: {interface: eth0, vrid: 52, virtual_ipaddress: [192.0.2.2]}\n"
        "sync_groups:\n"
        "  G1:\n"
        "    group: [VI_1, VI_2]\n"
        f"    notify_fault: {missing} fault\n"
    )
    assert [(i.line, i.column, i.key) for i in check(loaded, "")] == [
        (6, 20, "instances.VI_1.notify_backup"),
        (7, 13, "instances.VI_1.notify"),
        (12, 19, "sync_groups.G1.notify_fault"),
    ]


def test_unknown_script_users_are_warnings_at_their_lines(bin_dir: Path) -> None:
    executable(bin_dir / "chk")
    loaded = load(
        "global:\n"
        "  script_user: no-such-user-1\n"
        "scripts:\n"
        "  chk:\n"
        "    script: chk\n"
        "    user: no-such-user-2\n"
        "instances:\n"
        "  VI_1: {interface: eth0, vrid: 51, virtual_ipaddress: [192.0.2.1], track_script: [chk]}\n"
    )
    issues = [i for i in check(loaded, str(bin_dir)) if "there is no user" in i.problem]
    assert [str(i) for i in issues] == [
        "vrrpd.yaml:2:16: warning: global.script_user: there is no user 'no-such-user-1' on "
        "this host; create the user, or name one that exists",
        "vrrpd.yaml:6:11: warning: scripts.chk.user: there is no user 'no-such-user-2' on "
        "this host; create the user, or name one that exists",
    ]


@pytest.mark.parametrize("command", ["/dev/null", "/proc/self/root/no/such/x", "/etc/passwd/x"])
def test_odd_programs_are_warnings_never_exceptions(command: str) -> None:
    (issue,) = check(config_with(command), "")
    assert issue.severity is Severity.WARNING
