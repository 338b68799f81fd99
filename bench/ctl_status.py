"""How long `vrrpctl status` takes against a running daemon (wall time, median of N).

    python -m bench.ctl_status [--runs 20]

Builds a one-node lab (network and PID namespaces), starts vrrpd in it, runs
`vrrpctl status` N times as a user would (a fresh process each time) and
prints the median, min and max wall time. ``python -m bench`` uses
:func:`status_times` for its start-up rows.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.lab.netlab import Lab, vip4, wait_until

CONFIG = """\
global:
  control_socket: {sock}
instances:
  VI_1:
    interface: eth0
    vrid: 51
    priority: 200
    advert_int: 0.1
    virtual_ipaddress: [{vip}/24]
"""


def status_times(sock: Path, runs: int) -> list[float]:
    """Wall time (s) of ``runs`` runs of ``vrrpctl --socket SOCK status``, each a fresh process."""
    vrrpctl = str(Path(sys.executable).parent / "vrrpctl")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [vrrpctl, "--socket", str(sock), "status"], check=True, capture_output=True, timeout=30
        )
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with Lab(1, ipv6=False, capture=False) as lab:
        (node,) = lab.nodes
        sock = lab.workdir / "vrrpd.sock"
        config = lab.workdir / "vrrpd.yaml"
        config.write_text(CONFIG.format(sock=sock, vip=vip4()))
        node.spawn([sys.executable, "-m", "vrrpd.daemon", "--config", str(config)])
        wait_until(lambda: node.has_address(vip4()), 10, message="vrrpd became master")
        times = status_times(sock, args.runs)
    median = statistics.median(times) * 1000
    print(
        f"vrrpctl status: median {median:.1f} ms, min {min(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms over {args.runs} runs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
