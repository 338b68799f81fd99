"""``python -m bench``: vrrpd and Keepalived 2.2.7 measured side by side, in one run.

Run as root from the repository root (it builds network and PID namespaces)::

    python -m bench                       # the full set (about 20 min; see --estimate)
    python -m bench --quick               # every family, fewer runs, 10 s windows
    python -m bench --only failover,jitter --reps 3
    python -m bench --list                # the families and what each measures

Families: failover (kill -9 of the master, with the preemption when it comes
back), handover (SIGTERM, priority 0), takeover (the latency of the take-over
actions; runs the failover and handover cycles), track (HAProxy killed,
``pidof haproxy``), jitter (advert timing at rest, idle and with both cores
loaded), scale (1..255 instances: CPU, RSS, adverts/s, stability), startup
(process start to READY=1, and `vrrpctl status`).

The failover, handover, track and start-up runs alternate the implementations
(vrrpd, Keepalived, vrrpd, ...) on identical configurations, in one lab; the
steady-state windows (jitter, scale) run both at the same time, a lab each,
in slots of windows that share the machine (:func:`bench.window.slots`).

The table goes to stdout (and ``table.md``); the raw runs, the rows and the
machine to ``results.json``, both in a new directory under ``bench/results/``
(or ``--out``). Progress goes to stderr.
Ctrl-C (or SIGTERM) stops the run, removes every namespace and process, and
still writes what was measured. Exit status: 0, 1 if a run failed, 2 on bad
arguments, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import vrrpd
from bench import failover, jitter, scale, startup, window
from bench.failover import Record
from bench.lab import IMPLS, KEEPALIVED
from bench.report import Row, notes, table
from bench.settings import FAMILIES, Settings
from tests.lab.netlab import lab_unavailable_reason
from vrrpd import __version__

RESULTS = Path(__file__).resolve().parent / "results"

DESCRIPTIONS = {
    "failover": "kill -9 of the master: to the backup's 1st advert, 1st GARP, VIP (netlink); "
    "last advert -> 1st vs MDI; the dead node's restart measures preemption",
    "handover": "SIGTERM of the master: priority-0 advert, then the backup after Skew_Time",
    "takeover": "first advert -> VIP added / 1st GARP; master-down deadline -> vrrpd's "
    "takeover_timing record: timer, advert, VIPs, GARPs (runs the failover and handover cycles)",
    "track": "HAProxy killed on the master, `pidof haproxy` every 1 s, fall 1, weight 0 "
    "(+ vrrpd at 0.1 s)",
    "jitter": "advert interval mean/p50/p99/max deviation and spurious transitions at "
    "1, 0.1, 0.01 s, idle and with both cores loaded",
    "scale": "1/10/100/255 instances at 1 s and 0.1 s: CPU %, RSS, adverts/s, stability",
    "startup": "process start -> READY=1 (sd_notify), `vrrpctl status` wall time",
}


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="vrrpd and Keepalived side by side: failover, handover, track, "
        "take-over latency, advert jitter, scale, start-up.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few minutes: fewer runs and configs"
    )
    parser.add_argument("--only", type=_csv, metavar="LIST", help=f"families: {','.join(FAMILIES)}")
    parser.add_argument(
        "--skip", type=_csv, metavar="LIST", default=[], help="families to leave out"
    )
    parser.add_argument("--reps", type=int, help="runs per configuration (default 10; quick 2)")
    parser.add_argument("--window", type=float, help="seconds per steady window (60; quick 10)")
    parser.add_argument("--impl", type=_csv, metavar="LIST", help="vrrpd,keepalived (default both)")
    parser.add_argument("--no-load", action="store_true", help="skip the loaded jitter windows")
    parser.add_argument("--seed", type=int, default=1, help="for the random kill moments")
    parser.add_argument("--out", type=Path, help="results directory (default bench/results/DATE)")
    parser.add_argument("--list", action="store_true", help="list the families and exit")
    parser.add_argument(
        "--estimate", action="store_true", help="print the planned duration and exit"
    )
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings.quick() if args.quick else Settings()
    families = args.only if args.only else list(FAMILIES)
    unknown = [f for f in [*families, *args.skip] if f not in FAMILIES]
    if unknown:
        raise SystemExit(f"unknown family {unknown}; choose from {', '.join(FAMILIES)}")
    settings.families = tuple(f for f in families if f not in args.skip)
    if args.impl:
        bad = [i for i in args.impl if i not in IMPLS]
        if bad:
            raise SystemExit(f"unknown implementation {bad}; choose from {', '.join(IMPLS)}")
        settings.impls = tuple(i for i in IMPLS if i in args.impl)
    if args.reps is not None:
        settings.reps = max(1, args.reps)
        settings.startup_reps = max(1, args.reps)
    if args.window is not None:
        settings.window = max(1.0, args.window)
    settings.load = settings.load and not args.no_load
    settings.seed = args.seed
    return settings


# --------------------------------------------------------------------- duration


# Seconds per step on the 2-core lab machine (vrrpd and Keepalived averaged), from
# timed runs; `--estimate` adds them up for the chosen options.
CYCLE = (0.65, 11.7)  # a failover cycle: a + b * advert_int (3 Master_Down_Intervals, 3 starts)
TRACK_RUN = 5.1  # Master_Down_Interval at 1 s, up to 1 s to the kill, the check, Skew_Time
TRACK_EXTRA_RUN = 4.8  # vrrpd with the 0.1 s check
READY_RUN = 0.6  # one start-up to READY=1 and the crash after it
CTL_RUNS = 6.0  # the two `vrrpctl status` series
SLOT = (1.6, 4.3)  # a slot of windows, set-up: a + b * its longest advert_int (MDI, rest)
SLOT_LOADED = 1.2  # the hog's second before the window, and its stop
SLOT_INSTANCE = 0.002  # starting, per instance of every daemon pair of the slot
SLOT_FRAME = 5e-6  # decoding the capture, per advert of the window


def estimate(settings: Settings) -> dict[str, float]:
    """Seconds each part of the run should take; ``total`` is their sum."""
    impls = len(settings.impls)
    parts: dict[str, float] = {}
    if settings.wants("failover", "handover", "takeover"):
        a, b = CYCLE
        cycles = sum(a + b * interval for _, interval in settings.failover_configs)
        parts["failover"] = settings.reps * impls * cycles
    if settings.wants("track"):
        extra = settings.track_extra and "vrrpd" in settings.impls
        parts["track"] = settings.reps * (impls * TRACK_RUN + extra * TRACK_EXTRA_RUN)
    slots = window.slots(settings)
    if slots:
        parts["windows"] = sum(_slot_seconds(slot, settings.window, impls) for slot in slots)
    if settings.wants("startup"):
        starts = settings.startup_reps * len(settings.startup_counts) * impls
        parts["startup"] = starts * READY_RUN + CTL_RUNS * ("vrrpd" in settings.impls)
    parts["total"] = sum(parts.values()) + 5
    return parts


def _slot_seconds(slot: window.Slot, seconds: float, impls: int) -> float:
    a, b = SLOT
    longest = max(interval for _, interval, _ in slot)
    loaded = any(loaded for _, _, loaded in slot)
    instances = impls * sum(count for count, _, _ in slot)
    adverts = impls * seconds * sum(count / interval for count, interval, _ in slot)
    return (
        seconds
        + a
        + b * longest
        + SLOT_LOADED * loaded
        + SLOT_INSTANCE * instances
        + SLOT_FRAME * adverts
    )


# ---------------------------------------------------------------------- output


def machine() -> dict[str, Any]:
    def version(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
        except OSError:
            return "not installed"
        return (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else "?"

    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "vrrpd": __version__,
        "keepalived": version([KEEPALIVED, "--version"]),
        "cpu_hog": "stress-ng" if shutil.which("stress-ng") else "python busy loop (no stress-ng)",
        "load_at_start": os.getloadavg(),
    }


def build_rows(records: list[Record], settings: Settings) -> list[Row]:
    builders: list[Callable[[list[Record], Settings], list[Row]]] = [
        failover.rows,
        failover.track_rows,
        jitter.rows,
        scale.rows,
        startup.rows,
    ]
    rows: list[Row] = []
    for build in builders:
        rows += build(records, settings)
    return rows


def write(out: Path, meta: dict[str, Any], settings: Settings, records: list[Record]) -> str:
    rows = build_rows(records, settings)
    text = table(rows)
    failed = [r for r in records if not r.get("ok")]
    document = {
        "machine": meta,
        "settings": {k: v for k, v in vars(settings).items() if k != "started"},
        "planned_s": estimate(settings),
        "duration_s": time.monotonic() - settings.started,
        "load_now": os.getloadavg(),
        "failed_runs": len(failed),
        "rows": [row.to_json() for row in rows],
        "records": records,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(document, indent=1, default=str))
    (out / "table.md").write_text(text + "\n")
    return text


def preflight(settings: Settings) -> str | None:
    reason = lab_unavailable_reason()
    if reason:
        return reason
    if "keepalived" in settings.impls and not Path(KEEPALIVED).exists():
        return "keepalived is not installed: apt-get install keepalived (or --impl vrrpd)"
    if settings.wants("track") and not Path(failover.HAPROXY).exists():
        return "haproxy is not installed: apt-get install haproxy (or --skip track)"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name in FAMILIES:
            print(f"{name:<9} {DESCRIPTIONS[name]}")
        return 0
    settings = settings_from(args)
    parts = estimate(settings)
    planned = parts["total"]
    if args.estimate:
        detail = ", ".join(
            f"{name} {sec / 60:.1f}" for name, sec in parts.items() if name != "total"
        )
        print(f"planned: about {planned / 60:.0f} min ({detail} min)")
        return 0
    problem = preflight(settings)
    if problem:
        print(f"python -m bench: {problem}", file=sys.stderr)
        return 1
    # The daemons start as an installed vrrpd does, from bytecode (pip compiles it at
    # install), even where PYTHONDONTWRITEBYTECODE kept a checkout from caching any.
    compileall.compile_dir(Path(vrrpd.__file__).parent, quiet=1)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started with SIGINT ignored (nohup, &)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out: Path = args.out or RESULTS / stamp
    meta = machine()
    settings.say(
        f"{', '.join(settings.families)}; {settings.reps} runs each, {settings.window:g} s windows;"
        f" about {planned / 60:.0f} min; results in {out}"
    )
    records: list[Record] = []
    steps: list[Callable[[Settings, list[Record]], None]] = [
        startup.run,
        failover.run,
        failover.run_track,
        window.run,
    ]
    status = 0
    try:
        for step in steps:
            try:
                step(settings, records)
            except Exception as error:  # a broken family must not lose the others
                settings.say(f"{step.__module__}.{step.__name__} stopped: {error!r}")
                records.append(
                    {"family": step.__module__, "ok": False, "error": f"stopped: {error!r}"}
                )
            write(out, meta, settings, records)
    except KeyboardInterrupt:
        print("\ninterrupted: every namespace and process of the run is gone", file=sys.stderr)
        status = 130
    text = write(out, meta, settings, records)
    print(text)
    for line in notes(build_rows(records, settings)):
        print(f"- {line}")
    failed = [r for r in records if not r.get("ok")]
    settings.say(
        f"done: {len(records)} runs, {len(failed)} failed; {out / 'table.md'}, "
        f"{out / 'results.json'}"
    )
    if status == 0 and failed:
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
