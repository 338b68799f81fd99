"""Commands, track scripts and notify hooks, with real processes on a real event loop.

No fixed sleeps: every wait is on a condition with a deadline. Script
intervals are tiny (0.02 to 0.05 s) so the whole file runs in a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
import structlog

from vrrpd.host.scripts import (
    HOOK_HISTORY,
    OUTPUT_TAIL_BYTES,
    CommandResult,
    HookKind,
    NotifyRunner,
    TrackScriptRunner,
    command_argv,
    run_command,
)
from vrrpd.protocol.events import Notify
from vrrpd.protocol.model import NotifyHooks, ScriptTrack, State

T = TypeVar("T")
DEADLINE = 5.0


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def until(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    """Poll `condition` until it holds; fail with `what` after `deadline` seconds."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    while not condition():
        if loop.time() > give_up:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def is_gone(pid: int) -> bool:
    """The process does not run any more: no such pid, or a zombie waiting for init."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return True
    return fields[0] in ("Z", "X")


def gone_soon(pid: int, timeout: float = 5.0) -> bool:
    """SIGKILL is delivered asynchronously: on a busy machine the process lingers a moment."""
    deadline = time.monotonic() + timeout
    while not is_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# ── command_argv ────────────────────────────────────────────────────────


def test_plain_commands_are_split_and_run_without_a_shell() -> None:
    assert command_argv("pidof haproxy") == ["pidof", "haproxy"]
    assert command_argv('"/etc/keepalived/notify.sh" master') == [
        "/etc/keepalived/notify.sh",
        "master",
    ]
    assert command_argv("check 'two words'  x") == ["check", "two words", "x"]
    assert command_argv("notify.sh", ["INSTANCE", "VI_1"]) == ["notify.sh", "INSTANCE", "VI_1"]
    assert command_argv("   ") == []


@pytest.mark.parametrize(
    "command",
    [
        "pidof haproxy || exit 1",
        "curl -s localhost > /dev/null",
        "test -e $HOME",
        "cat `which x`",
        "ls /run/*.pid",
        "a; b",
        "(cd /tmp)",
        "true\nfalse",
        "LC_ALL=C check",
        "echo 'unclosed",
    ],
)
def test_shell_syntax_runs_through_sh_c(command: str) -> None:
    assert command_argv(command) == ["/bin/sh", "-c", command]


def test_args_reach_a_shell_command_as_positional_parameters() -> None:
    argv = command_argv("printf '[%s]' >/dev/stdout", ["INSTANCE", "VI 1", "MASTER"])
    assert argv[:2] == ["/bin/sh", "-c"]
    result = run(run_command(argv, timeout=DEADLINE))
    assert result.output == "[INSTANCE][VI 1][MASTER]"


# ── run_command ─────────────────────────────────────────────────────────


def test_a_plain_command_keeps_its_quoting_without_a_shell() -> None:
    result = run(run_command(command_argv('printf %s- "a  b" c'), timeout=DEADLINE))
    assert result.ok
    assert result.exit_status == 0
    assert result.detail == "exit status 0"
    assert result.output == "a  b-c-"


def test_a_pipeline_runs_through_the_shell() -> None:
    result = run(run_command(command_argv("echo hello | tr a-z A-Z"), timeout=DEADLINE))
    assert (result.exit_status, result.output) == (0, "HELLO\n")


def test_exit_status_and_stderr_are_captured() -> None:
    result = run(run_command(command_argv("echo oops >&2; exit 3"), timeout=DEADLINE))
    assert not result.ok
    assert result.exit_status == 3
    assert result.detail == "exit status 3"
    assert result.output == "oops\n"


def test_output_keeps_only_its_last_bytes() -> None:
    command = "head -c 5000 /dev/zero | tr '\\0' a; echo END"
    result = run(run_command(command_argv(command), timeout=DEADLINE))
    assert len(result.output) == OUTPUT_TAIL_BYTES
    assert result.output.endswith("aaaEND\n")


def test_a_nonexistent_program_is_a_result_not_an_exception() -> None:
    result = run(run_command(["/usr/bin/nope", "x"], timeout=DEADLINE))
    assert result.exit_status is None
    assert not result.ok
    assert result.detail == "not found: /usr/bin/nope"
    assert run(run_command(["no-such-program-here"], timeout=DEADLINE)).detail == (
        "not found: no-such-program-here"
    )


def test_a_file_that_cannot_be_executed_is_a_result(tmp_path: Path) -> None:
    plain = tmp_path / "not-executable.sh"
    plain.write_text("#!/bin/sh\ntrue\n")
    result = run(run_command([str(plain)], timeout=DEADLINE))
    assert result.error is not None
    assert result.detail.startswith(f"cannot execute: {plain}")


def test_an_empty_command_is_a_result() -> None:
    assert run(run_command([], timeout=DEADLINE)).detail == "empty command"


def test_death_by_signal_is_reported_as_such() -> None:
    result = run(run_command(["/bin/sh", "-c", "kill -9 $$"], timeout=DEADLINE))
    assert result.exit_status is None
    assert result.signal == 9
    assert result.detail == "killed by signal 9 (SIGKILL)"


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    # The script leaves a grandchild (`sleep 30`) and then hangs itself.
    command = "sleep 30 & echo $!; wait"
    result = run(run_command(command_argv(command), timeout=0.3))
    child = int(result.output.split()[0])
    try:
        assert result.timed_out
        assert result.exit_status is None
        assert result.detail == "timed out after 0.3 s (process group killed)"
        assert 0.3 <= result.duration < DEADLINE
        assert gone_soon(child), f"the script's child {child} survived the timeout"
    finally:
        kill_quietly(child)


def test_cancelling_a_command_kills_its_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"

    async def scenario() -> int:
        command = f"sleep 30 & echo $! > {pidfile}; wait"
        task = asyncio.create_task(run_command(command_argv(command), timeout=DEADLINE))
        await until(lambda: pidfile.exists() and pidfile.read_text().strip() != "", "pidfile")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return int(pidfile.read_text())

    child = run(scenario())
    try:
        assert gone_soon(child)
    finally:
        kill_quietly(child)


def test_a_background_child_holding_the_output_does_not_hold_the_command() -> None:
    result = run(run_command(command_argv("sleep 30 & echo $!"), timeout=DEADLINE))
    child = int(result.output.split()[0])
    try:
        assert result.ok
        assert not result.timed_out
        assert result.duration < 2.0
    finally:
        kill_quietly(child)


def test_user_runs_the_command_as_that_user_with_only_its_groups() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to change user")
    name = run(run_command(["id", "-un"], timeout=DEADLINE, user="nobody"))
    groups = run(run_command(["id", "-G"], timeout=DEADLINE, user="nobody"))
    assert name.output == "nobody\n"
    assert "0" not in groups.output.split(), "root's groups leaked to the script"


def test_an_unknown_user_is_a_result_not_an_exception() -> None:
    result = run(run_command(["id"], timeout=DEADLINE, user="no-such-user-vrrpd"))
    assert result.exit_status is None
    assert result.detail == "unknown user: no-such-user-vrrpd"


def test_env_replaces_the_environment() -> None:
    env = {"PATH": "/usr/bin:/bin", "ONLY_THIS": "1"}
    result = run(run_command(["env"], timeout=DEADLINE, env=env))
    assert sorted(result.output.split()) == ["ONLY_THIS=1", "PATH=/usr/bin:/bin"]


# ── track scripts ───────────────────────────────────────────────────────

Change = tuple[str, bool, str]


def flag_script(tmp_path: Path, **fields: Any) -> tuple[ScriptTrack, Path]:
    """A script that succeeds while `flag` holds "ok" (no shell: grep reads it)."""
    flag = tmp_path / "flag"
    flag.write_text("ok\n")
    return ScriptTrack(name="chk", command=f"grep -qx ok {flag}", **fields), flag


def test_keepalived_fall_failures_in_a_row_take_an_up_track_down(tmp_path: Path) -> None:
    script, flag = flag_script(tmp_path, fall=3, rise=2)
    changes: list[Change] = []
    runner = TrackScriptRunner(script, lambda *c: changes.append(c))

    async def scenario() -> None:
        await runner.run_once()  # first result: up, as started
        for _ in range(2):
            flag.write_text("bad\n")
            await runner.run_once()
            await runner.run_once()
            flag.write_text("ok\n")
            await runner.run_once()  # a blip shorter than `fall` changes nothing
        assert changes == [] and runner.up
        flag.write_text("bad\n")
        for _ in range(3):
            await runner.run_once()

    run(scenario())
    assert changes == [("chk", False, "exit status 1 (3 failures in a row)")]
    assert (runner.runs, runner.failures, runner.timeouts) == (10, 7, 0)


def test_keepalived_rise_successes_in_a_row_bring_a_down_track_up(tmp_path: Path) -> None:
    script, flag = flag_script(tmp_path, fall=1, rise=3)
    changes: list[Change] = []
    runner = TrackScriptRunner(script, lambda *c: changes.append(c))

    async def scenario() -> None:
        flag.write_text("bad\n")
        await runner.run_once()
        assert changes == [("chk", False, "exit status 1")]
        flag.write_text("ok\n")
        await runner.run_once()
        await runner.run_once()
        flag.write_text("bad\n")
        await runner.run_once()  # two successes are not three
        flag.write_text("ok\n")
        for _ in range(3):
            await runner.run_once()

    run(scenario())
    assert changes[1:] == [("chk", True, "exit status 0 (3 successes in a row)")]


def test_keepalived_first_result_decides_at_once(tmp_path: Path) -> None:
    # Keepalived starts a script's result at rise-1: one run is enough either way.
    script, flag = flag_script(tmp_path, fall=5, rise=5)
    flag.write_text("bad\n")
    changes: list[Change] = []
    runner = TrackScriptRunner(script, lambda *c: changes.append(c))
    run(runner.run_once())
    assert changes == [("chk", False, "exit status 1")]


def test_keepalived_init_fail_starts_down_until_rise_successes(tmp_path: Path) -> None:
    script, _ = flag_script(tmp_path, rise=2, init_fail=True, interval=0.02)
    changes: list[Change] = []
    runner = TrackScriptRunner(script, lambda *c: changes.append(c))

    async def scenario() -> None:
        task = asyncio.create_task(runner.run())
        await until(lambda: len(changes) == 2, "the track to come up")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario())
    assert changes[0] == ("chk", False, "init_fail: down until it succeeds")
    assert changes[1] == ("chk", True, "exit status 0 (2 successes in a row)")
    assert runner.runs >= 2


def test_running_script_reports_start_and_follows_flips_of_its_state(tmp_path: Path) -> None:
    script, flag = flag_script(tmp_path, fall=2, rise=2, interval=0.02)
    changes: list[Change] = []
    runner = TrackScriptRunner(script, lambda *c: changes.append(c))

    async def scenario() -> None:
        task = asyncio.create_task(runner.run())
        await until(lambda: runner.runs >= 2, "two runs")
        flag.write_text("bad\n")
        await until(lambda: len(changes) == 2, "the track to go down")
        flag.write_text("ok\n")
        await until(lambda: len(changes) == 3, "the track to come up")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario())
    assert [(up, detail) for _, up, detail in changes] == [
        (True, "not run yet"),
        (False, "exit status 1 (2 failures in a row)"),
        (True, "exit status 0 (2 successes in a row)"),
    ]
    assert runner.last is not None and runner.last.ok


def test_script_output_explains_a_failure(tmp_path: Path) -> None:
    check = executable(tmp_path / "check.sh", "#!/bin/sh\necho 'haproxy: not running'\nexit 2\n")
    changes: list[Change] = []
    runner = TrackScriptRunner(ScriptTrack("chk", str(check)), lambda *c: changes.append(c))
    run(runner.run_once())
    assert changes == [("chk", False, "exit status 2: haproxy: not running")]


def test_script_timeout_defaults_to_the_interval_and_counts(tmp_path: Path) -> None:
    script = ScriptTrack("slow", "sleep 5", interval=0.1)
    changes: list[Change] = []
    runner = TrackScriptRunner(script, lambda *c: changes.append(c))
    result = run(runner.run_once())
    assert result.timed_out
    assert runner.timeouts == 1
    assert changes == [("slow", False, "timed out after 0.1 s (process group killed)")]


def test_script_user_defaults_to_the_global_script_user(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to change user")
    script = ScriptTrack("who", "sh -c 'test $(id -un) = nobody'")
    assert TrackScriptRunner(script, lambda *c: None, default_user="nobody").user == "nobody"
    runner = TrackScriptRunner(script, lambda *c: None, default_user="nobody")
    assert run(runner.run_once()).ok
    own = ScriptTrack("who", "true", user="daemon")
    assert TrackScriptRunner(own, lambda *c: None, default_user="nobody").user == "daemon"


class RecordingRunner(TrackScriptRunner):
    """Keeps every result, to see when each run started."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.results: list[CommandResult] = []

    async def run_once(self) -> CommandResult:
        result = await super().run_once()
        self.results.append(result)
        return result


def test_fractional_interval_schedule_is_anchored_and_does_not_drift() -> None:
    # Each run takes a few ms; a runner that slept `interval` after each run
    # would fall behind by that much per run, until its starts land closer to
    # the slot after (round() below) and so look early. Lateness itself is
    # only bounded by round(): up to half an interval.
    interval, runs = 0.05, 20
    runner = RecordingRunner(ScriptTrack("tick", "true", interval=interval), lambda *c: None)

    async def scenario() -> None:
        task = asyncio.create_task(runner.run())
        await until(lambda: len(runner.results) >= runs, f"{runs} runs")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario())
    starts = [r.started_at for r in runner.results[:runs]]
    slots = [round((s - starts[0]) / interval) for s in starts]
    lateness = [s - (starts[0] + k * interval) for s, k in zip(starts, slots, strict=True)]
    assert slots == sorted(set(slots)), "a slot ran twice or out of order"
    assert slots[-1] <= runs + 2, f"too many skipped slots: {slots}"
    assert all(late >= -0.002 for late in lateness), f"drifted off the schedule: {lateness}"


def test_cancelling_the_runner_kills_the_running_script(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = ScriptTrack("hang", f"sleep 30 & echo $! > {pidfile}; wait", interval=5, timeout=10)
    runner = TrackScriptRunner(script, lambda *c: None)

    async def scenario() -> int:
        task = asyncio.create_task(runner.run())
        await until(lambda: pidfile.exists() and pidfile.read_text().strip() != "", "pidfile")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return int(pidfile.read_text())

    child = run(scenario())
    try:
        assert gone_soon(child)
    finally:
        kill_quietly(child)


def test_a_failing_callback_does_not_stop_the_runner(tmp_path: Path) -> None:
    script, flag = flag_script(tmp_path, interval=0.02)
    calls: list[bool] = []

    def on_change(name: str, up: bool, detail: str) -> None:
        calls.append(up)
        raise RuntimeError("owner bug")

    runner = TrackScriptRunner(script, on_change)

    async def scenario() -> None:
        task = asyncio.create_task(runner.run())
        await until(lambda: runner.runs >= 1, "a run")
        flag.write_text("bad\n")
        await until(lambda: len(calls) == 2, "the down report")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario())
    assert calls == [True, False]


# ── notify hooks ────────────────────────────────────────────────────────


def notify(state: State, previous: State = State.BACKUP, priority: int = 100) -> Notify:
    return Notify(previous=previous, state=state, priority=priority, reason="test")


async def with_worker(runner: NotifyRunner, body: Callable[[], Awaitable[None]]) -> None:
    worker = asyncio.create_task(runner.run())
    try:
        await body()
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker


def test_hooks_run_one_at_a_time_in_submission_order(tmp_path: Path) -> None:
    log = tmp_path / "hooks.log"
    # Each hook logs its start and end; the first transition's hook is slow.
    hook = f'echo "start $VRRPD_STATE" >> {log}; sleep $1; echo "end $VRRPD_STATE" >> {log}'
    states = [State.MASTER, State.BACKUP, State.FAULT, State.BACKUP, State.STOP]
    slow = executable(tmp_path / "hook.sh", f"#!/bin/sh\n{hook}\n")
    hooks = NotifyHooks(
        master=f"{slow} 0.3",
        backup=f"{slow} 0",
        fault=f"{slow} 0",
        stop=f"{slow} 0",
    )
    runner = NotifyRunner("VI_1", hooks, vrid=51, vips=[])

    async def body() -> None:
        for state in states:
            runner.submit(notify(state))
        assert runner.pending == 5
        await until(lambda: len(runner.history) == 5, "five hooks")

    run(with_worker(runner, body))
    expected = [line for s in states for line in (f"start {s}", f"end {s}")]
    assert log.read_text().splitlines() == expected
    assert [h.hook for h in runner.history] == [
        HookKind.MASTER,
        HookKind.BACKUP,
        HookKind.FAULT,
        HookKind.BACKUP,
        HookKind.STOP,
    ]


def test_submit_never_waits_for_a_hook(tmp_path: Path) -> None:
    hooks = NotifyHooks(master="sleep 5")
    runner = NotifyRunner("VI_1", hooks, vrid=51, vips=[])

    async def body() -> None:
        runner.submit(notify(State.MASTER))
        await until(lambda: runner.running is HookKind.MASTER, "the hook to start")
        runner.submit(notify(State.BACKUP))  # returns while the first hook runs
        assert runner.pending == 2

    run(with_worker(runner, body))


def test_generic_notify_gets_keepalived_arguments_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VRRPD_LEAK_CHECK", "daemon environment")
    out = tmp_path / "out"
    generic = executable(
        tmp_path / "notify.sh",
        f'#!/bin/sh\necho "notify $*" >> {out}\nenv | sort > {tmp_path / "env"}\n',
    )
    hooks = NotifyHooks(master=f"sh -c 'echo master >> {out}'", notify=str(generic))
    runner = NotifyRunner(
        "VI_1", hooks, vrid=51, vips=["192.0.2.100/24", "2001:db8::1/64"], group="G1"
    )

    async def body() -> None:
        runner.submit(
            Notify(previous=State.BACKUP, state=State.MASTER, priority=150, reason="timer expired")
        )
        await runner.drain(DEADLINE)

    run(with_worker(runner, body))
    # Keepalived: notify_<state> first, then `notify INSTANCE name state priority`.
    assert out.read_text().splitlines() == ["master", "notify INSTANCE VI_1 MASTER 150"]
    env = dict(line.split("=", 1) for line in (tmp_path / "env").read_text().splitlines())
    env.pop("PWD", None)  # sh sets it
    assert env == {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "VRRPD_INSTANCE": "VI_1",
        "VRRPD_VRID": "51",
        "VRRPD_STATE": "MASTER",
        "VRRPD_PREVIOUS_STATE": "BACKUP",
        "VRRPD_PRIORITY": "150",
        "VRRPD_REASON": "timer expired",
        "VRRPD_VIPS": "192.0.2.100/24 2001:db8::1/64",
        "VRRPD_GROUP": "G1",
    }
    assert [(h.hook, h.command) for h in runner.history] == [
        (HookKind.MASTER, hooks.master),
        (HookKind.NOTIFY, str(generic)),
    ]


def test_generic_notify_with_shell_syntax_still_gets_its_arguments(tmp_path: Path) -> None:
    out = tmp_path / "out"
    hooks = NotifyHooks(notify=f"echo >> {out}")
    runner = NotifyRunner("VI_2", hooks, vrid=52, vips=[])

    async def body() -> None:
        runner.submit(notify(State.FAULT, priority=0))
        await runner.drain(DEADLINE)

    run(with_worker(runner, body))
    assert out.read_text() == "INSTANCE VI_2 FAULT 0\n"


def test_init_has_no_hook(tmp_path: Path) -> None:
    hooks = NotifyHooks(notify="true", master="true")
    runner = NotifyRunner("VI_1", hooks, vrid=51, vips=[])

    async def body() -> None:
        runner.submit(notify(State.INIT, previous=State.MASTER))
        await runner.drain(DEADLINE)

    run(with_worker(runner, body))
    assert runner.history == ()


def test_hook_runs_and_failures_are_logged_with_exit_and_duration() -> None:
    hooks = NotifyHooks(master="false", backup="true")
    runner = NotifyRunner("VI_1", hooks, vrid=51, vips=[])

    async def body() -> None:
        runner.submit(notify(State.MASTER))
        runner.submit(notify(State.BACKUP))
        await runner.drain(DEADLINE)

    with structlog.testing.capture_logs() as logs:
        run(with_worker(runner, body))
    hook_logs = [e for e in logs if e["event"].startswith("notify_hook")]
    assert [(e["event"], e["hook"], e["state"], e["exit"]) for e in hook_logs] == [
        ("notify_hook_failed", "notify_master", "MASTER", 1),
        ("notify_hook_ran", "notify_backup", "BACKUP", 0),
    ]
    assert all(e["instance"] == "VI_1" and e["duration_ms"] >= 0 for e in hook_logs)
    assert hook_logs[0]["detail"] == "exit status 1"


def test_a_hanging_hook_is_killed_at_its_timeout_and_the_next_one_runs(tmp_path: Path) -> None:
    hooks = NotifyHooks(master="sleep 30", backup="true", timeout=0.2)
    runner = NotifyRunner("VI_1", hooks, vrid=51, vips=[])

    async def body() -> None:
        runner.submit(notify(State.MASTER))
        runner.submit(notify(State.BACKUP))
        await runner.drain(DEADLINE)

    run(with_worker(runner, body))
    first, second = runner.history
    assert first.result.detail == "timed out after 0.2 s (process group killed)"
    assert second.result.ok


def test_drain_waits_for_queued_hooks_to_finish(tmp_path: Path) -> None:
    done = tmp_path / "done"
    hooks = NotifyHooks(backup="sleep 0.2", stop=f"touch {done}")
    runner = NotifyRunner("VI_1", hooks, vrid=51, vips=[])

    async def body() -> None:
        runner.submit(notify(State.BACKUP, previous=State.MASTER))
        runner.submit(notify(State.STOP))
        await runner.drain(DEADLINE)
        assert done.exists()
        assert runner.pending == 0
        assert len(runner.history) == 2

    run(with_worker(runner, body))


def test_drain_gives_up_after_its_timeout(tmp_path: Path) -> None:
    pidfile = tmp_path / "hook.pid"
    hooks = NotifyHooks(stop=f"sleep 30 & echo $! > {pidfile}; wait", timeout=30)
    runner = NotifyRunner("VI_1", hooks, vrid=51, vips=[])

    async def body() -> None:
        loop = asyncio.get_running_loop()
        runner.submit(notify(State.STOP))
        started = loop.time()
        await runner.drain(0.2)
        assert loop.time() - started < 2.0
        assert runner.pending == 1

    run(with_worker(runner, body))
    # Cancelling the worker killed the hook that drain gave up on.
    child = int(pidfile.read_text())
    try:
        assert gone_soon(child)
    finally:
        kill_quietly(child)


def test_history_keeps_only_the_last_runs() -> None:
    hooks = NotifyHooks(master="true", backup="true")
    runner = NotifyRunner("VI_1", hooks, vrid=51, vips=[])
    states = [State.MASTER if i % 3 else State.BACKUP for i in range(HOOK_HISTORY + 5)]

    async def body() -> None:
        for state in states:
            runner.submit(notify(state))
        await runner.drain(DEADLINE)

    run(with_worker(runner, body))
    assert HOOK_HISTORY == 20
    assert len(runner.history) == HOOK_HISTORY
    assert [h.state for h in runner.history] == states[-HOOK_HISTORY:]


def test_hooks_run_as_the_script_user() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to change user")
    hooks = NotifyHooks(master="id -un")
    runner = NotifyRunner("VI_1", hooks, vrid=51, vips=[], default_user="nobody")

    async def body() -> None:
        runner.submit(notify(State.MASTER))
        await runner.drain(DEADLINE)

    run(with_worker(runner, body))
    assert runner.history[0].result.output == "nobody\n"
