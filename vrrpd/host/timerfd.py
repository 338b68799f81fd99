"""One-shot deadlines on the kernel's CLOCK_MONOTONIC, kept to the microsecond.

asyncio's own timers wait in epoll_wait(), whose timeout is whole
milliseconds (rounded up), and the kernel lets that wait run late by its
timer slack: 0.1 % of the wait for a normal task, 3.6 ms on a 3.6 s
Master_Down_Interval. A timerfd armed at an absolute CLOCK_MONOTONIC time
(the clock behind `loop.time()`) has no slack and wakes the loop through
its file descriptor; Keepalived times its threads the same way.

Python 3.11 has no os.timerfd_*, so the two libc calls go through ctypes.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
from collections.abc import Callable

CLOCK_MONOTONIC = 1
TFD_NONBLOCK = os.O_NONBLOCK
TFD_CLOEXEC = os.O_CLOEXEC
TFD_TIMER_ABSTIME = 1


class _Timespec(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long))


class _Itimerspec(ctypes.Structure):
    _fields_ = (("it_interval", _Timespec), ("it_value", _Timespec))


_libc = ctypes.CDLL(None, use_errno=True)
_timerfd_create = _libc.timerfd_create
_timerfd_create.argtypes = (ctypes.c_int, ctypes.c_int)
_timerfd_create.restype = ctypes.c_int
_timerfd_settime = _libc.timerfd_settime
_timerfd_settime.argtypes = (
    ctypes.c_int,
    ctypes.c_int,
    ctypes.POINTER(_Itimerspec),
    ctypes.c_void_p,
)
_timerfd_settime.restype = ctypes.c_int


def _check(result: int) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


class DeadlineTimer:
    """Calls `callback` on the event loop once CLOCK_MONOTONIC reaches the armed time.

    The expiry is not read(): arming again resets it, which saves a system
    call per advert. So the callback must arm or disarm the timer (or it is
    disarmed for it), and must check the clock itself: a re-arm in the same
    loop iteration can leave one stale call behind.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self._loop = loop
        self._callback = callback
        self._fd = _check(_timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC))
        self._spec = _Itimerspec()
        self._spec_ref = ctypes.byref(self._spec)
        self._armed = False
        loop.add_reader(self._fd, self._on_readable)

    def arm(self, when: float | None) -> None:
        """Fire at `when` (a `loop.time()` value; at once if past); None disarms."""
        value = self._spec.it_value
        if when is None:
            value.tv_sec = value.tv_nsec = 0  # all zero disarms
        else:
            # At least 1 ns: an all-zero time would disarm instead of firing at once.
            value.tv_sec, value.tv_nsec = divmod(max(1, int(when * 1e9)), 1_000_000_000)
        _check(_timerfd_settime(self._fd, TFD_TIMER_ABSTIME, self._spec_ref, None))
        self._armed = True

    def _on_readable(self) -> None:
        self._armed = False
        try:
            self._callback()
        finally:
            if not self._armed and self._fd >= 0:
                self.arm(None)  # left expired, the fd stays readable: epoll would spin

    def close(self) -> None:
        if self._fd >= 0:
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = -1
