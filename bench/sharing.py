"""Do windows measured side by side read as they do alone? ``python -m bench.sharing``.

``python -m bench`` runs its steady-state windows in slots (:func:`bench.window.slots`):
vrrpd's and Keepalived's window of one configuration at the same time, the loaded
windows together under one CPU hog, the scale windows of one interval together. This
check runs some of those windows both ways, alternately, on the same machine, and
prints one line per window, so the difference sharing makes can be held against the
spread from one run to the next::

    python -m bench.sharing                  # 30 s windows, 2 rounds: about 15 min
    python -m bench.sharing --window 20 --rounds 1

Each round: the 0.1 s and 0.01 s windows at rest, each implementation alone, then the
two side by side; K=255 at 0.1 s alone, then the whole 0.1 s scale slot (K=10, 100, 255);
the loaded 0.1 s window alone (under its own hog), then the whole loaded slot. The
records go to ``bench/results/sharing-DATE.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import signal
import sys
from pathlib import Path

from bench.failover import Record
from bench.lab import IMPLS, Impl, PairLab
from bench.window import Job, WindowKey, label, measure

RESULTS = Path(__file__).resolve().parent / "results"
REST: tuple[float, ...] = (0.1, 0.01)
SCALE: tuple[int, ...] = (10, 100, 255)
LOADED: tuple[float, ...] = (1.0, 0.1, 0.01)


def _line(mode: str, record: Record) -> str:
    what = f"{mode:<12} {label((record['count'], record['advert_int'], record['loaded'])):<16}"
    if not record["ok"]:
        return f"{what} {record['impl']:<10} FAILED {record['error']}"
    cpu = record["processes"]
    return (
        f"{what} {record['impl']:<10} master CPU {cpu['master_vrrp']['cpu_sched']:6.2f} %"
        f"  backup CPU {cpu['backup_vrrp']['cpu_sched']:6.2f} %"
        f"  RSS {cpu['master_vrrp']['rss_kb'] / 1024:5.1f} MB"
        f"  mean {record['interval_mean'] * 1000:9.3f} ms"
        f"  p99 {record['dev_p99'] * 1000:6.2f} ms  max {record['dev_max'] * 1000:6.2f} ms"
        f"  sent {record['sent_per_s']:7.1f}/s  spurious {record['spurious_total']}"
    )


def _round(labs: list[PairLab], seconds: float) -> list[Record]:
    """Each compared window alone (one lab), then in its slot, as python -m bench runs it."""
    plans: list[tuple[str, list[tuple[WindowKey, Impl]]]] = []
    for interval in REST:
        key: WindowKey = (1, interval, False)
        plans += [("alone", [(key, impl)]) for impl in IMPLS]
        plans.append(("side by side", [(key, impl) for impl in IMPLS]))
    plans += [("alone", [((255, 0.1, False), impl)]) for impl in IMPLS]
    plans.append(("scale slot", [((k, 0.1, False), impl) for k in SCALE for impl in IMPLS]))
    plans += [("alone", [((1, 0.1, True), impl)]) for impl in IMPLS]
    plans.append(("loaded slot", [((1, i, True), impl) for i in LOADED for impl in IMPLS]))
    records: list[Record] = []
    for mode, windows in plans:
        jobs = [Job(key, impl, labs[n]) for n, (key, impl) in enumerate(windows)]
        found = measure(jobs, seconds)
        for bench in labs[: len(jobs)]:
            bench.recover()
        for record in found:
            record["mode"] = mode
            print(_line(mode, record), flush=True)
        records += found
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sharing", description=__doc__)
    parser.add_argument("--window", type=float, default=30.0, help="seconds per window (30)")
    parser.add_argument("--rounds", type=int, default=2, help="how many times (2)")
    parser.add_argument("--out", type=Path, help="the JSON file (default bench/results/...)")
    args = parser.parse_args(argv)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out: Path = args.out or RESULTS / f"sharing-{stamp}.json"
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    records: list[Record] = []
    width = max(len(SCALE), len(LOADED)) * len(IMPLS)
    try:
        with contextlib.ExitStack() as stack:
            labs = [stack.enter_context(PairLab(n + 1, f"bs{n}")) for n in range(width)]
            for _ in range(max(1, args.rounds)):
                records += _round(labs, max(1.0, args.window))
    except KeyboardInterrupt:
        print("interrupted: every namespace and process of the check is gone", file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(records, indent=1, default=str))
    print(f"records: {out}", file=sys.stderr)
    return 0 if records and all(r["ok"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
