"""Keepalived's vrrp_track_file: a number in a file moves an instance's priority.

What the number means is the core's business (vrrpd/protocol/priority.py
multiplies it by the weight and decides on FAULT); this module only reads it.

Keepalived's reading, which we keep so that files written for it mean the
same here (keepalived/core/track_file.c, process_track_file):

- It reads the first 127 bytes and parses them with `strtol(buf, NULL, 0)`:
  leading white space, an optional sign, then decimal, `0x` hexadecimal or
  `0`-prefixed octal (so `010` is 8, and `08` is 0); anything after the
  number is ignored (`5 # drained` is 5).
- A file that is missing, unreadable, empty, or does not start with a
  number counts as **0**: no change to the priority, and no fault even with
  weight 0. Deleting the file is the way back to normal.
- A number outside the 32-bit range is ignored: the previous value stays.

Keepalived watches the file with inotify; we poll it every `interval`
seconds, and skip the read when the file's identity, size, mtime and ctime
are all unchanged (unless it was modified within the last two seconds, when
a same-size rewrite in the same timestamp tick could hide behind an
unchanged mtime).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from vrrpd.host.scripts import MIN_INTERVAL, AnchoredSchedule, sleep_until
from vrrpd.protocol.model import FileTrack

# Keepalived: reads at most this many bytes (a 128-byte buffer with its NUL).
READ_BYTES = 127
# Keepalived: numbers outside this range are logged and ignored.
VALUE_MIN, VALUE_MAX = -(2**31), 2**31
# A file modified this recently is read again even if its stat looks unchanged.
RACY_SECONDS = 2.0
# strtol(…, 0): C white space, a sign, then hex, octal or decimal digits.
_NUMBER = re.compile(rb"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")

StatKey = tuple[int, int, int, int, int]


def parse_value(data: bytes) -> int | None:
    """The number at the start of `data`, read as C's strtol(data, NULL, 0); None if none."""
    match = _NUMBER.match(data)
    if match is None:
        return None
    sign, digits = match.groups()
    base = 16 if digits[:2].lower() == b"0x" else 8 if digits.startswith(b"0") else 10
    value = int(digits, base)
    return -value if sign == b"-" else value


@dataclass(frozen=True, slots=True)
class Reading:
    """What one read of a track file found."""

    value: int | None  # None: out of range, keep the last value
    detail: str  # for status: "value 5", "file missing", "not a number: 'abc'"
    problem: bool = False  # worth a warning: the file is there but not usable


def read_value(path: str) -> Reading:
    """Read a track file as Keepalived does (see the module's docstring)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the loop
    except FileNotFoundError:
        return Reading(0, "file missing")
    except OSError as e:
        return Reading(0, f"unreadable: {e.strerror}", problem=True)
    try:
        data = os.read(fd, READ_BYTES)
    except OSError as e:
        return Reading(0, f"unreadable: {e.strerror}", problem=True)
    finally:
        os.close(fd)
    if not data.strip():
        return Reading(0, "empty file")
    value = parse_value(data)
    shown = data.decode("utf-8", errors="replace").strip().splitlines()[0][:40]
    if value is None:
        return Reading(0, f"not a number: {shown!r}", problem=True)
    if not VALUE_MIN <= value <= VALUE_MAX:
        return Reading(None, f"out of range, ignored: {shown!r}", problem=True)
    return Reading(value, f"value {value}")


def _stat_key(path: str) -> StatKey | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class FileTrackWatcher:
    """Polls one track file and reports its number when it changes.

    `on_change(name, up, value, detail)` is called once at start and then
    whenever the value changes; `up` is always True (a file track's effect,
    fault included, follows from value x weight in the core).
    """

    def __init__(
        self,
        track: FileTrack,
        on_change: Callable[[str, bool, int, str], None],
        *,
        interval: float = 1.0,
    ) -> None:
        self.track = track
        self.on_change = on_change
        self.interval = max(interval, MIN_INTERVAL)
        self.value = 0
        self.detail = "not read yet"
        self.checks = 0  # polls (a stat each)
        self.reads = 0  # polls that read the file
        self._stat: StatKey | None = None
        self._read_at_ns = 0
        self.log = structlog.get_logger("vrrpd.trackfile").bind(track=track.name, path=track.path)

    async def run(self) -> None:
        """Read the file every `interval` seconds until cancelled."""
        self.read()
        self._report()
        schedule = AnchoredSchedule(asyncio.get_running_loop().time(), self.interval)
        while True:
            schedule.advance(asyncio.get_running_loop().time())
            await sleep_until(schedule.due_at)
            try:
                if self.read():
                    self._report()
            except Exception:
                # A bug of ours must not end the track: log it and keep polling.
                self.log.exception("track_file_error")

    def read(self) -> bool:
        """Read the file if it may have changed; True if the value did."""
        self.checks += 1
        key = _stat_key(self.track.path)
        recent = key is not None and self._read_at_ns - key[3] < RACY_SECONDS * 1e9
        if self.reads and key == self._stat and not recent:
            return False
        self._stat = key
        self._read_at_ns = time.time_ns()
        self.reads += 1
        reading = read_value(self.track.path)
        if reading.detail != self.detail:
            log = self.log.warning if reading.problem else self.log.info
            log("track_file_read", value=reading.value, detail=reading.detail)
        self.detail = reading.detail
        if reading.value is None or reading.value == self.value:
            return False
        self.value = reading.value
        return True

    def _report(self) -> None:
        try:
            self.on_change(self.track.name, True, self.value, self.detail)
        except Exception:
            self.log.exception("track_file_callback_failed")
