"""The side-by-side table: one row per measure, vrrpd and Keepalived, their ratio, the target.

A :class:`Row` holds every sample of one measure for each implementation (in
the row's display unit). A cell shows ``median [min-max]`` (or the sum, for
counts); the ratio is vrrpd's median over Keepalived's. A row with a target
is judged on all of vrrpd's samples (the statistic the target names: every
run, the p99, the median) and says ``met`` or ``MISSED``; a row whose samples
are missing says ``no data``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bench.lab import IMPLS, Impl

Stat = Literal["median", "sum", "value"]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Target:
    """A goal from the issue: its text, and how a row's samples are judged against it."""

    text: str
    check: Callable[[Row], bool | None]  # None: cannot judge (no data)


@dataclass
class Row:
    section: str
    measure: str
    config: str
    unit: str
    samples: dict[Impl, list[float]] = field(default_factory=dict)
    stat: Stat = "median"
    target: Target | None = None
    digits: int = 3
    note: str = ""
    missing: dict[Impl, str] = field(default_factory=dict)  # why a side has no samples

    def values(self, impl: Impl) -> list[float]:
        return [v for v in self.samples.get(impl, []) if not math.isnan(v)]

    def center(self, impl: Impl) -> float | None:
        values = self.values(impl)
        if not values:
            return None
        if self.stat == "sum":
            return float(sum(values))
        return float(statistics.median(values))

    def cell(self, impl: Impl) -> str:
        values = self.values(impl)
        if not values:
            return self.missing.get(impl, "-")
        if self.stat == "sum":
            return _fmt(sum(values), self.digits)
        if self.stat == "value" or len(values) == 1:
            return _fmt(values[0], self.digits) if len(values) == 1 else self._range(values)
        return self._range(values)

    def _range(self, values: list[float]) -> str:
        med = statistics.median(values)
        return (
            f"{_fmt(med, self.digits)} [{_fmt(min(values), self.digits)}-"
            f"{_fmt(max(values), self.digits)}]"
        )

    def ratio(self) -> str:
        ours, theirs = self.center("vrrpd"), self.center("keepalived")
        if ours is None or theirs is None or theirs == 0:
            return "-"
        return f"{ours / theirs:.2f}"

    def verdict(self) -> str:
        if self.target is None:
            return ""
        result = self.target.check(self)
        if result is None:
            return "no data"
        return "met" if result else "MISSED"

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "measure": self.measure,
            "config": self.config,
            "unit": self.unit,
            "stat": self.stat,
            "samples": {impl: self.samples.get(impl, []) for impl in IMPLS},
            "cells": {impl: self.cell(impl) for impl in IMPLS},
            "ratio": self.ratio(),
            "target": self.target.text if self.target else None,
            "verdict": self.verdict(),
            "note": self.note,
        }


def _fmt(value: float, digits: int) -> str:
    if value == int(value) and abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


# ----------------------------------------------------------------- target helpers


def every_at_most(bound: Callable[[Row], float | None], text: str) -> Target:
    """Every vrrpd sample <= bound(row)."""

    def check(row: Row) -> bool | None:
        values, limit = row.values("vrrpd"), bound(row)
        if not values or limit is None:
            return None
        return max(values) <= limit

    return Target(text, check)


def all_of(*targets: Target, text: str) -> Target:
    """Met when every target is met (no data if any has none)."""

    def check(row: Row) -> bool | None:
        results = [t.check(row) for t in targets]
        return None if None in results else all(results)

    return Target(text, check)


def p99_at_most(limit: float, text: str) -> Target:
    def check(row: Row) -> bool | None:
        values = row.values("vrrpd")
        return percentile(values, 99) <= limit if values else None

    return Target(text, check)


def median_at_most(limit: float, text: str) -> Target:
    def check(row: Row) -> bool | None:
        values = row.values("vrrpd")
        return statistics.median(values) <= limit if values else None

    return Target(text, check)


def within(center: float, tolerance: float, text: str) -> Target:
    """Every vrrpd sample within center +- tolerance."""

    def check(row: Row) -> bool | None:
        values = row.values("vrrpd")
        return all(abs(v - center) <= tolerance for v in values) if values else None

    return Target(text, check)


def all_zero(text: str) -> Target:
    def check(row: Row) -> bool | None:
        values = row.values("vrrpd")
        return all(v == 0 for v in values) if values else None

    return Target(text, check)


# -------------------------------------------------------------------------- output

HEADER = ("measure", "config", "vrrpd", "keepalived", "vrrpd/ka", "target", "")


def table(rows: Iterable[Row]) -> str:
    """Markdown: a header row, then a section line before each section's rows."""
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            lines.append(f"| **{section}** | | | | | | |")
        measure = f"{row.measure} ({row.unit})" if row.unit else row.measure
        cells = (
            measure,
            row.config,
            row.cell("vrrpd"),
            row.cell("keepalived"),
            row.ratio(),
            row.target.text if row.target else "",
            row.verdict(),
        )
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def notes(rows: Iterable[Row]) -> list[str]:
    return [f"{row.measure} [{row.config}]: {row.note}" for row in rows if row.note]
