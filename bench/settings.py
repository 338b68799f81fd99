"""What one run measures, how often and for how long (``python -m bench`` fills it in)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from bench.lab import IMPLS, Impl

# (VRRP version, advert_int): the failover and handover configurations.
FAILOVER_CONFIGS: tuple[tuple[int, float], ...] = (
    (2, 1.0),
    (3, 1.0),
    (3, 0.1),
    (3, 0.05),
    (3, 0.01),
)
JITTER_INTERVALS: tuple[float, ...] = (1.0, 0.1, 0.01)
SCALE_COUNTS: tuple[int, ...] = (1, 10, 100, 255)
SCALE_INTERVALS: tuple[float, ...] = (1.0, 0.1)
STARTUP_COUNTS: tuple[int, ...] = (1, 255)

FAMILIES = ("failover", "handover", "track", "takeover", "jitter", "scale", "startup")


@dataclass
class Settings:
    families: tuple[str, ...] = FAMILIES
    impls: tuple[Impl, ...] = IMPLS
    reps: int = 10  # failover, handover, track: runs per configuration and implementation
    window: float = 60.0  # seconds of steady state per jitter / scale window
    startup_reps: int = 10
    ctl_runs: int = 20
    failover_configs: tuple[tuple[int, float], ...] = FAILOVER_CONFIGS
    jitter_intervals: tuple[float, ...] = JITTER_INTERVALS
    load_intervals: tuple[float, ...] = JITTER_INTERVALS  # the loaded windows
    scale_counts: tuple[int, ...] = SCALE_COUNTS
    scale_intervals: tuple[float, ...] = SCALE_INTERVALS
    startup_counts: tuple[int, ...] = STARTUP_COUNTS
    track_extra: bool = True  # vrrpd with a 0.1 s track script as an extra row
    load: bool = True  # the loaded jitter windows
    seed: int = 1
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def quick(cls) -> Settings:
        """A few minutes: every family, fewer repetitions, 10 s windows, fewer configurations."""
        return cls(
            reps=2,
            window=10.0,
            startup_reps=3,
            failover_configs=((2, 1.0), (3, 0.1), (3, 0.01)),
            scale_intervals=(0.1,),  # the loaded and the scale windows each share one slot
            startup_counts=(1, 255),
            track_extra=True,
        )

    def wants(self, *families: str) -> bool:
        return any(f in self.families for f in families)

    def say(self, text: str) -> None:
        """A progress line on stderr, stamped with the minutes since the run started."""
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed / 60:5.1f} min] {text}", file=sys.stderr, flush=True)
