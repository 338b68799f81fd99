"""Running commands: track scripts (Keepalived's vrrp_script) and notify hooks.

Everything here that runs a program goes through `run_command`, which never
raises for a program that misbehaves: a missing program, an unknown user, a
timeout, a crash are all a `CommandResult` that says so. Every command runs in
its own process group, so a timeout kills the whole tree it started (scripts
that hang, and the children they leave, are a known Keepalived pain).

`TrackScriptRunner` runs one script on a schedule anchored to its own
deadlines, so fractional intervals (0.2 s) do not drift; Keepalived only
takes whole seconds. `NotifyRunner` runs one instance's hooks strictly one
after another, in the order the state machine asked for them; Keepalived
starts them concurrently and they race (its issues #996, #1055).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import math
import os
import pwd
import shlex
import signal
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from vrrpd.protocol.events import Notify
from vrrpd.protocol.model import NotifyHooks, ScriptTrack, State

# What a command keeps of its output (stdout and stderr together): the end.
OUTPUT_TAIL_BYTES = 512
# After the command's own process exits, how long its output pipe may stay
# open (a child it left behind) before we stop reading it.
OUTPUT_GRACE_SECONDS = 0.05
# The environment notify hooks start from; the VRRPD_* variables go on top.
HOOK_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
HOOK_HISTORY = 20
# Shortest script interval honoured: a guard, the config loader sets the real bounds.
MIN_INTERVAL = 0.01
SHELL = "/bin/sh"
# Characters that mean a command needs a shell: operators, redirections,
# expansions, globs, grouping, comments. Without them shlex's split is what
# sh would make of it, so we exec the words directly.
SHELL_CHARACTERS = frozenset("|&;<>()$`*?[]{}~#!\n\\")


# ── commands ────────────────────────────────────────────────────────────


def _needs_shell(command: str, words: Sequence[str]) -> bool:
    if any(c in SHELL_CHARACTERS for c in command):
        return True
    # `VAR=value program`: an assignment only sh understands.
    return "=" in words[0]


def command_argv(command: str, args: Sequence[str] = ()) -> list[str]:
    """The argv for a command string as Keepalived takes it, with `args` appended.

    `pidof haproxy` and `"/etc/keepalived/notify.sh" master` are split with
    shlex and run directly. A command that needs a shell (a pipe, a
    redirection, `$VAR`, a glob, `;`, `&&`, ...) or that shlex cannot split
    (an unclosed quote: sh will say what is wrong) runs as `/bin/sh -c`; then
    `args` reach it as "$@". An empty command gives [].
    """
    try:
        words = shlex.split(command)
    except ValueError:
        words = None
    if words == []:
        return []
    if words is None or _needs_shell(command, words):
        if not args:
            return [SHELL, "-c", command]
        return [SHELL, "-c", f'{command} "$@"', SHELL, *args]
    return [*words, *args]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """How one run of a command ended, and what it printed last."""

    exit_status: int | None  # None: it did not exit by itself (signal, timeout, never ran)
    timed_out: bool = False
    error: str | None = None  # it could not be started: why
    output: str = ""  # the last OUTPUT_TAIL_BYTES of stdout and stderr
    started_at: float = 0.0  # loop.time()
    duration: float = 0.0  # seconds
    signal: int | None = None  # the signal that ended it, if one did
    timeout: float = 0.0  # the limit it ran under, seconds

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    @property
    def detail(self) -> str:
        """A short sentence: "exit status 1", "timed out after 2 s (process group killed)"."""
        if self.error is not None:
            return self.error
        if self.timed_out:
            return f"timed out after {self.timeout:g} s (process group killed)"
        if self.signal is not None:
            return f"killed by signal {self.signal} ({_signal_name(self.signal)})"
        return f"exit status {self.exit_status}"

    @property
    def last_line(self) -> str:
        """The last non-blank line of the output, for one-line summaries."""
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        return lines[-1][:120] if lines else ""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"


def _identity(user: str | None) -> dict[str, Any] | str:
    """The subprocess arguments that run a command as `user`, or why there are none."""
    if user is None:
        return {}
    try:
        entry = pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
    except (KeyError, ValueError):
        return f"unknown user: {user}"
    if entry.pw_uid == os.geteuid():
        return {}
    # Drop every group of ours too, not only the uid: running as `nobody`
    # must not keep root's gid 0 and supplementary groups.
    groups = os.getgrouplist(entry.pw_name, entry.pw_gid)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": groups}


def _start_error(program: str, error: OSError, user: str | None) -> str:
    if isinstance(error, FileNotFoundError):
        return f"not found: {program}"
    if user is not None and error.errno == errno.EPERM:
        # The switch to the user failed, not the program: say what vrrpd lacks.
        return (
            f"cannot run {program} as user {user} ({error.strerror}): vrrpd needs "
            "CAP_SETUID and CAP_SETGID to switch users (systemd: CapabilityBoundingSet)"
        )
    if isinstance(error, PermissionError):
        return f"cannot execute: {program} ({error.strerror})"
    return f"cannot run {program}: {error.strerror or error}"


class _OutputTail:
    """Reads a pipe without blocking and keeps only its last bytes."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self._loop = loop
        self._fd = fd
        self._tail = bytearray()
        self.eof = loop.create_future()
        os.set_blocking(fd, False)
        loop.add_reader(fd, self._readable)

    def _readable(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._stop()
                return
            self._tail += chunk
            del self._tail[:-OUTPUT_TAIL_BYTES]

    def _stop(self) -> None:
        self._loop.remove_reader(self._fd)
        if not self.eof.done():
            self.eof.set_result(None)

    def close(self) -> str:
        """Stop reading (a leftover child writing later gets EPIPE) and decode the tail."""
        self._stop()
        os.close(self._fd)
        return self._tail.decode("utf-8", errors="replace")


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


async def _reap(proc: asyncio.subprocess.Process) -> None:
    """Wait for a killed process to be reaped, even while our task is being cancelled.

    A cancellation that arrives meanwhile is raised once the process is gone.
    """
    reaped = asyncio.ensure_future(proc.wait())
    cancelled = False
    while not reaped.done():
        try:
            await asyncio.shield(reaped)
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError


async def run_command(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
) -> CommandResult:
    """Run argv in its own process group, output captured, and say how it ended.

    stdin is /dev/null; stdout and stderr share one pipe of which the last
    OUTPUT_TAIL_BYTES are kept. The command is over when its own process
    exits (a child it leaves running in the background does not hold us up,
    and gets EPIPE if it writes to the output later). On `timeout` seconds,
    or when the caller is cancelled, the whole process group gets SIGKILL
    and the process is reaped. `env` None: the daemon's own environment.
    Never raises for the command's sake: a missing program, an unknown user,
    a crash are all results; CancelledError goes through after the kill.
    """
    loop = asyncio.get_running_loop()
    started_at = loop.time()

    def failed(error: str) -> CommandResult:
        return CommandResult(
            exit_status=None,
            error=error,
            started_at=started_at,
            duration=loop.time() - started_at,
            timeout=timeout,
        )

    if not argv:
        return failed("empty command")
    identity = _identity(user)
    if isinstance(identity, str):
        return failed(identity)
    try:
        # A pipe of our own rather than PIPE: we decide when to stop reading it.
        read_fd, write_fd = os.pipe()
    except OSError as e:
        return failed(f"cannot make an output pipe: {e.strerror}")
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_fd,
            stderr=write_fd,  # stderr=STDOUT: one stream, in the order written
            env=dict(env) if env is not None else None,
            start_new_session=True,  # its own process group: killpg reaches its children
            **identity,
        )
    except OSError as e:
        os.close(read_fd)
        return failed(_start_error(argv[0], e, user))
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    output = _OutputTail(loop, read_fd)
    timed_out = False
    try:
        try:
            async with asyncio.timeout(timeout):
                await proc.wait()
        except TimeoutError:
            timed_out = True
            _kill_group(proc.pid)
            await _reap(proc)
        # What the process wrote is in the pipe already; EOF comes at once
        # unless a child it left behind still holds the pipe open.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(OUTPUT_GRACE_SECONDS):
                await asyncio.shield(output.eof)
    except asyncio.CancelledError:
        _kill_group(proc.pid)
        try:
            await _reap(proc)
        finally:
            output.close()
        raise
    text = output.close()
    code = proc.returncode
    return CommandResult(
        exit_status=code if code is not None and code >= 0 and not timed_out else None,
        timed_out=timed_out,
        output=text,
        started_at=started_at,
        duration=loop.time() - started_at,
        signal=-code if code is not None and code < 0 and not timed_out else None,
        timeout=timeout,
    )


# ── schedules ───────────────────────────────────────────────────────────


@dataclass(slots=True)
class AnchoredSchedule:
    """Slots at anchor + k * interval: late runs do not push later ones back.

    A run that overran its interval skips the slots it missed, as Keepalived
    skips a script that is still running; it does not queue them up.
    """

    anchor: float
    interval: float
    slot: int = 0

    @property
    def due_at(self) -> float:
        return self.anchor + self.slot * self.interval

    def advance(self, now: float) -> int:
        """Move to the first slot after the current one that is not already past; the skipped."""
        following = self.slot + 1
        self.slot = max(following, math.floor((now - self.anchor) / self.interval) + 1)
        return self.slot - following


async def sleep_until(at: float) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, at - loop.time()))


# ── track scripts ───────────────────────────────────────────────────────


class TrackScriptRunner:
    """Runs one track script for ever, and reports its up/down state.

    Keepalived's rules: exit status 0 is success; while up, `fall`
    failures in a row take the track down; while down, `rise` successes in a
    row bring it up. The track starts up, but provisionally, so the first
    result decides at once (Keepalived: "one success is enough", and one
    failure too); with `init_fail` it starts down and needs `rise` successes.
    `on_change(name, up, detail)` is called once at start with the initial
    state and then on every change.
    """

    def __init__(
        self,
        script: ScriptTrack,
        on_change: Callable[[str, bool, str], None],
        *,
        default_user: str | None = None,
    ) -> None:
        self.script = script
        self.on_change = on_change
        self.user = script.user or default_user
        self.interval = max(script.interval, MIN_INTERVAL)
        self.timeout = script.timeout or self.interval
        self.argv = command_argv(script.command)
        self.up = not script.init_fail
        self.settled = script.init_fail  # False: the first result decides
        self.successes_in_row = 0
        self.failures_in_row = 0
        self.last: CommandResult | None = None
        self.runs = 0
        self.failures = 0
        self.timeouts = 0
        self.skipped = 0
        self.log = structlog.get_logger("vrrpd.scripts").bind(script=script.name)

    async def run(self) -> None:
        """Run the script every `interval` seconds until cancelled."""
        initial = "init_fail: down until it succeeds" if self.script.init_fail else "not run yet"
        self._report(initial)
        schedule = AnchoredSchedule(asyncio.get_running_loop().time(), self.interval)
        while True:
            await sleep_until(schedule.due_at)
            try:
                await self.run_once()
            except Exception:
                # A bug of ours must not end the track: log it and keep the schedule.
                self.log.exception("track_script_error")
            skipped = schedule.advance(asyncio.get_running_loop().time())
            if skipped:
                self.skipped += skipped
                self.log.info("track_script_overran", skipped_runs=skipped)

    async def run_once(self) -> CommandResult:
        """One run of the script, counted and judged."""
        result = await run_command(self.argv, timeout=self.timeout, env=None, user=self.user)
        self.last = result
        self.runs += 1
        if not result.ok:
            self.failures += 1
        if result.timed_out:
            self.timeouts += 1
        self.log.debug(
            "track_script_ran",
            ok=result.ok,
            detail=result.detail,
            duration_ms=round(result.duration * 1000, 1),
        )
        self._judge(result)
        return result

    def _judge(self, result: CommandResult) -> None:
        if result.ok:
            self.successes_in_row += 1
            self.failures_in_row = 0
        else:
            self.failures_in_row += 1
            self.successes_in_row = 0
        if not self.settled:
            self.settled = True
            changes = self.up != result.ok
        elif self.up:
            # Keepalived: `fall` consecutive failures take an up track down.
            changes = self.failures_in_row >= self.script.fall
        else:
            # Keepalived: `rise` consecutive successes bring a down track up.
            changes = self.successes_in_row >= self.script.rise
        if changes:
            self.up = not self.up
            self._report(self._describe(result))

    def _describe(self, result: CommandResult) -> str:
        detail = result.detail
        if result.last_line:
            detail = f"{detail}: {result.last_line}"
        in_row = self.successes_in_row if result.ok else self.failures_in_row
        if in_row > 1:
            detail = f"{detail} ({in_row} {'successes' if result.ok else 'failures'} in a row)"
        return detail

    def _report(self, detail: str) -> None:
        log = self.log.info if self.up else self.log.warning
        log("track_script_changed", up=self.up, detail=detail)
        try:
            self.on_change(self.script.name, self.up, detail)
        except Exception:
            self.log.exception("track_script_callback_failed")


# ── notify hooks ────────────────────────────────────────────────────────


class HookKind(enum.StrEnum):
    """Which hook ran: Keepalived's keyword for it."""

    MASTER = "notify_master"
    BACKUP = "notify_backup"
    FAULT = "notify_fault"
    STOP = "notify_stop"
    NOTIFY = "notify"


_STATE_HOOKS = {
    State.MASTER: HookKind.MASTER,
    State.BACKUP: HookKind.BACKUP,
    State.FAULT: HookKind.FAULT,
    State.STOP: HookKind.STOP,
}


@dataclass(frozen=True, slots=True)
class HookRun:
    """One hook that ran: for `vrrpctl status` and the history."""

    hook: HookKind
    command: str
    state: State
    result: CommandResult


def _state_command(hooks: NotifyHooks, state: State) -> str | None:
    return {
        State.MASTER: hooks.master,
        State.BACKUP: hooks.backup,
        State.FAULT: hooks.fault,
        State.STOP: hooks.stop,
    }.get(state)


class NotifyRunner:
    """Runs one instance's notify hooks, one at a time, in the order submitted.

    `submit()` only enqueues, so the state machine never waits for a hook.
    The worker `run()` takes each transition in turn and runs its
    notify_<state> hook, then the generic `notify` with Keepalived's
    arguments, each to completion (or its timeout) before the next starts.
    """

    def __init__(
        self,
        instance: str,
        hooks: NotifyHooks,
        *,
        vrid: int,
        vips: Sequence[str],
        default_user: str | None = None,
        group: str | None = None,
        scope: str = "INSTANCE",
    ) -> None:
        self.instance = instance
        self.hooks = hooks
        self.vrid = vrid
        self.vips = tuple(vips)
        self.user = default_user
        self.group = group
        self.scope = scope  # Keepalived's first notify argument: INSTANCE or GROUP
        self._queue: asyncio.Queue[Notify] = asyncio.Queue()
        self._history: deque[HookRun] = deque(maxlen=HOOK_HISTORY)
        self.current: Notify | None = None  # the transition whose hooks are running
        self.running: HookKind | None = None  # the hook running now
        self.log = structlog.get_logger("vrrpd.notify").bind(instance=instance)

    @property
    def history(self) -> tuple[HookRun, ...]:
        """The last HOOK_HISTORY hook runs, oldest first."""
        return tuple(self._history)

    @property
    def pending(self) -> int:
        """Transitions submitted whose hooks have not all run yet."""
        return self._queue.qsize() + (self.current is not None)

    def submit(self, notify: Notify) -> None:
        """Queue a transition's hooks; returns at once."""
        self._queue.put_nowait(notify)

    async def run(self) -> None:
        """The worker: run queued hooks until cancelled (a running hook is killed)."""
        while True:
            notify = await self._queue.get()
            self.current = notify
            try:
                await self._notify(notify)
            except Exception:
                # A bug of ours must not stop the hooks that follow.
                self.log.exception("notify_error", state=notify.state.value)
            finally:
                self.current = None
                self.running = None
                self._queue.task_done()

    async def drain(self, timeout: float) -> None:
        """Wait until every queued hook has run, giving up after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                await self._queue.join()
        except TimeoutError:
            self.log.warning("notify_drain_timed_out", timeout=timeout, pending=self.pending)

    async def _notify(self, notify: Notify) -> None:
        hook = _STATE_HOOKS.get(notify.state)
        if hook is None:
            return  # INIT: Keepalived has no hook for it
        env = self._environment(notify)
        command = _state_command(self.hooks, notify.state)
        if command:
            await self._run(hook, command, command_argv(command), notify, env)
        if self.hooks.notify:
            # Keepalived: the generic notify gets `INSTANCE name state priority`.
            args = (self.scope, self.instance, notify.state.value, str(notify.priority))
            argv = command_argv(self.hooks.notify, args)
            await self._run(HookKind.NOTIFY, self.hooks.notify, argv, notify, env)

    def _environment(self, notify: Notify) -> dict[str, str]:
        env = {
            "PATH": HOOK_PATH,
            "VRRPD_INSTANCE": self.instance,
            "VRRPD_VRID": str(self.vrid),
            "VRRPD_STATE": notify.state.value,
            "VRRPD_PREVIOUS_STATE": notify.previous.value,
            "VRRPD_PRIORITY": str(notify.priority),
            "VRRPD_REASON": notify.reason,
            "VRRPD_VIPS": " ".join(self.vips),
        }
        if self.group is not None:
            env["VRRPD_GROUP"] = self.group
        return env

    async def _run(
        self,
        hook: HookKind,
        command: str,
        argv: list[str],
        notify: Notify,
        env: Mapping[str, str],
    ) -> None:
        self.running = hook
        result = await run_command(argv, timeout=self.hooks.timeout, env=env, user=self.user)
        self._history.append(HookRun(hook, command, notify.state, result))
        log = self.log.bind(
            hook=hook.value,
            state=notify.state.value,
            exit=result.exit_status,
            detail=result.detail,
            duration_ms=round(result.duration * 1000, 1),
        )
        if result.ok:
            log.info("notify_hook_ran")
        else:
            log.warning("notify_hook_failed", command=command, output=result.output[-200:])
