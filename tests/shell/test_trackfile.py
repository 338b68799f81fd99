"""Track files (Keepalived's vrrp_track_file), polled on a real event loop.

No fixed sleeps: the watcher polls every 20 ms and the tests wait on what it
reports, with a deadline.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from vrrpd.host.trackfile import FileTrackWatcher, parse_value, read_value
from vrrpd.protocol.model import FileTrack

DEADLINE = 5.0
INTERVAL = 0.02

Change = tuple[str, bool, int, str]


async def until(condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + DEADLINE
    while not condition():
        if loop.time() > give_up:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def watch(
    path: Path, body: Callable[[FileTrackWatcher, list[Change]], Awaitable[None]]
) -> list[Change]:
    """Run a watcher on `path` while `body` runs; the changes it reported."""
    changes: list[Change] = []
    watcher = FileTrackWatcher(
        FileTrack("maint", str(path)), lambda *c: changes.append(c), interval=INTERVAL
    )

    async def scenario() -> None:
        task = asyncio.create_task(watcher.run())
        try:
            await until(lambda: bool(changes), "the first report")
            await body(watcher, changes)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(scenario())
    return changes


def write_old(path: Path, text: str) -> None:
    """Write `text` and date the file an hour back, as a file nobody touched lately."""
    path.write_text(text)
    an_hour_ago = path.stat().st_mtime - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"5", 5),
        (b"5\n", 5),
        (b"  -20\n", -20),
        (b"+7", 7),
        (b"\n\t 12 # drained for maintenance\n", 12),
        (b"12abc", 12),
        (b"0x10", 16),  # strtol base 0: hexadecimal
        (b"010", 8),  # ... and octal
        (b"08", 0),  # "0" then a digit octal does not have
        (b"0", 0),
        (b"abc", None),
        (b"- 5", None),
        (b"", None),
    ],
)
def test_keepalived_value_is_read_as_strtol_base_0(text: bytes, value: int | None) -> None:
    assert parse_value(text) == value


def test_keepalived_missing_empty_or_garbage_file_counts_as_zero(tmp_path: Path) -> None:
    path = tmp_path / "value"
    assert (read_value(str(path)).value, read_value(str(path)).detail) == (0, "file missing")
    path.write_text("")
    assert (read_value(str(path)).value, read_value(str(path)).detail) == (0, "empty file")
    path.write_text("abc\nmore\n")
    reading = read_value(str(path))
    assert (reading.value, reading.detail, reading.problem) == (0, "not a number: 'abc'", True)
    reading = read_value(str(tmp_path))
    assert (reading.value, reading.detail) == (0, "unreadable: Is a directory")


def test_keepalived_out_of_range_number_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "value"
    path.write_text("99999999999\n")
    reading = read_value(str(path))
    assert reading.value is None
    assert reading.detail == "out of range, ignored: '99999999999'"


def test_a_fifo_does_not_block_the_loop(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_value(str(fifo)).detail == "empty file"


def test_watcher_reports_at_start_and_on_every_change(tmp_path: Path) -> None:
    path = tmp_path / "value"
    path.write_text("5\n")

    async def body(watcher: FileTrackWatcher, changes: list[Change]) -> None:
        path.write_text("-20\n")
        await until(lambda: changes[-1][2] == -20, "-20")
        path.write_text("7\n")  # same size, likely the same mtime tick
        await until(lambda: changes[-1][2] == 7, "7")

    changes = watch(path, body)
    assert changes == [
        ("maint", True, 5, "value 5"),
        ("maint", True, -20, "value -20"),
        ("maint", True, 7, "value 7"),
    ]


def test_watcher_treats_a_missing_file_and_garbage_as_zero(tmp_path: Path) -> None:
    path = tmp_path / "value"

    async def body(watcher: FileTrackWatcher, changes: list[Change]) -> None:
        path.write_text("3\n")
        await until(lambda: changes[-1][2] == 3, "3")
        path.write_text("abc\n")
        await until(lambda: changes[-1][2] == 0, "garbage read as 0")
        assert watcher.detail == "not a number: 'abc'"
        path.write_text("9\n")
        await until(lambda: changes[-1][2] == 9, "9")
        path.unlink()
        await until(lambda: changes[-1][2] == 0, "deleted file read as 0")

    changes = watch(path, body)
    assert changes == [
        ("maint", True, 0, "file missing"),
        ("maint", True, 3, "value 3"),
        ("maint", True, 0, "not a number: 'abc'"),
        ("maint", True, 9, "value 9"),
        ("maint", True, 0, "file missing"),
    ]


def test_watcher_reports_nothing_while_the_value_stays(tmp_path: Path) -> None:
    path = tmp_path / "value"
    path.write_text("4\n")

    async def body(watcher: FileTrackWatcher, changes: list[Change]) -> None:
        reads = watcher.reads
        path.write_text("4 \n")  # another text, the same number
        await until(lambda: watcher.reads >= reads + 3, "three more reads")
        path.write_text("99999999999\n")  # out of range: ignored
        await until(lambda: watcher.detail.startswith("out of range"), "the out-of-range read")

    changes = watch(path, body)
    assert changes == [("maint", True, 4, "value 4")]


def test_watcher_skips_reading_a_file_whose_stat_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "value"
    write_old(path, "1\n")

    async def body(watcher: FileTrackWatcher, changes: list[Change]) -> None:
        checks, reads = watcher.checks, watcher.reads
        await until(lambda: watcher.checks >= checks + 5, "five more polls")
        assert watcher.reads == reads, "an unchanged file was read again"
        write_old(path, "22\n")  # an old mtime, but the size and ctime changed
        await until(lambda: changes[-1][2] == 22, "22")

    changes = watch(path, body)
    assert [c[2] for c in changes] == [1, 22]


def test_a_failing_callback_does_not_stop_the_watcher(tmp_path: Path) -> None:
    path = tmp_path / "value"
    path.write_text("1\n")
    seen: list[int] = []

    def on_change(name: str, up: bool, value: int, detail: str) -> None:
        seen.append(value)
        raise RuntimeError("owner bug")

    watcher = FileTrackWatcher(FileTrack("maint", str(path)), on_change, interval=INTERVAL)

    async def scenario() -> None:
        task = asyncio.create_task(watcher.run())
        await until(lambda: seen == [1], "the first report")
        path.write_text("2\n")
        await until(lambda: seen == [1, 2], "the second report")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
