"""DeadlineTimer: a timerfd on CLOCK_MONOTONIC, driven by a real asyncio loop."""

from __future__ import annotations

import asyncio

from vrrpd.host.timerfd import DeadlineTimer


async def _fired_at(arm: float | None, wait: float = 0.05) -> list[float]:
    loop = asyncio.get_running_loop()
    fired: list[float] = []
    timer = DeadlineTimer(loop, lambda: fired.append(loop.time()))
    try:
        timer.arm(None if arm is None else loop.time() + arm)
        await asyncio.sleep(wait)
    finally:
        timer.close()
    return fired


async def test_fires_once_not_before_the_deadline_on_the_loop_clock() -> None:
    loop = asyncio.get_running_loop()
    fired: list[float] = []
    timer = DeadlineTimer(loop, lambda: fired.append(loop.time()))
    deadline = loop.time() + 0.01
    timer.arm(deadline)
    await asyncio.sleep(0.05)
    timer.close()
    assert len(fired) == 1
    assert fired[0] >= deadline


async def test_a_deadline_in_the_past_fires_at_once() -> None:
    assert len(await _fired_at(-1.0, wait=0.01)) == 1


async def test_disarmed_never_fires() -> None:
    assert await _fired_at(None) == []


async def test_rearming_later_replaces_the_earlier_deadline() -> None:
    loop = asyncio.get_running_loop()
    fired: list[float] = []
    timer = DeadlineTimer(loop, lambda: fired.append(loop.time()))
    timer.arm(loop.time() + 0.005)
    later = loop.time() + 0.03
    timer.arm(later)
    await asyncio.sleep(0.015)
    assert fired == []  # the first deadline is gone
    await asyncio.sleep(0.04)
    timer.close()
    assert len(fired) == 1 and fired[0] >= later


async def test_an_expiry_overtaken_by_a_rearm_is_not_delivered() -> None:
    loop = asyncio.get_running_loop()
    fired: list[float] = []
    timer = DeadlineTimer(loop, lambda: fired.append(loop.time()))
    timer.arm(loop.time() - 1)  # expired: the fd is readable now
    timer.arm(None)  # but disarmed before the loop looked
    await asyncio.sleep(0.01)
    timer.close()
    assert fired == []


async def test_close_is_idempotent_and_stops_the_timer() -> None:
    loop = asyncio.get_running_loop()
    timer = DeadlineTimer(loop, lambda: None)
    timer.close()
    timer.close()


async def test_a_callback_that_does_not_rearm_leaves_the_timer_quiet() -> None:
    loop = asyncio.get_running_loop()
    calls: list[float] = []
    timer = DeadlineTimer(loop, lambda: calls.append(loop.time()))
    timer.arm(loop.time())
    await asyncio.sleep(0.02)  # were the expiry left pending, epoll would call back each turn
    timer.close()
    assert len(calls) == 1
