"""The classic Keepalived set-up: `pidof haproxy` moves the VIP (real HAProxy, real vrrpd)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.lab.daemon import VrrpNode, instance, launch, node_directory
from tests.lab.netlab import LabFactory, Node, Proc, vip4, wait_until

HAPROXY = shutil.which("haproxy", path="/usr/sbin:/usr/bin:/sbin:/bin")
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed (make test installs it)"),
]

HAPROXY_CONFIG = """\
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend web
    bind {address}:8080
    http-request return status 200 content-type text/plain string "served by {name}"
"""


def start_haproxy(node: Node, directory: Path) -> Proc:
    config = directory / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(address=node.ipv4, name=node.name))
    assert HAPROXY is not None
    proc = node.spawn([HAPROXY, "-db", "-f", str(config)])
    wait_until(lambda: node.pidof("haproxy"), 5, message=f"haproxy runs on {node.name}")
    return proc


def start_with_track(node: Node, priority: int, weight: int) -> VrrpNode:
    directory = node_directory(node)
    document = {
        "global": {"control_socket": str(directory / "vrrpd.sock"), "router_id": node.name},
        "scripts": {
            "chk_haproxy": {
                "script": "pidof haproxy",
                "interval": 0.1,
                "timeout": 1,
                "fall": 1,
                "rise": 2,
                "weight": weight,
            }
        },
        "instances": {"VI_1": instance(priority=priority, track_script=["chk_haproxy"])},
    }
    (directory / "vrrpd.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return launch(node, directory)


def test_keepalived_pidof_haproxy_weight_moves_the_vip_and_preempt_brings_it_back(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    haproxy1 = start_haproxy(n1, node_directory(n1))
    start_haproxy(n2, node_directory(n2))
    d1 = start_with_track(n1, priority=150, weight=-60)
    d2 = start_with_track(n2, priority=100, weight=-60)
    d1.wait_state("MASTER")
    d2.wait_state("BACKUP")
    assert n1.pidof("haproxy") and n2.pidof("haproxy")  # each node sees only its own

    haproxy1.kill()
    d2.wait_state("MASTER")
    wait_until(lambda: n2.has_address(vip4()), 5, message="VIP on lb2")
    wait_until(lambda: not n1.has_address(vip4()), 5, message="VIP gone from lb1")
    status = d1.instance()
    assert status is not None
    assert status["effective_priority"] == 90
    assert status["tracks"][0]["up"] is False

    start_haproxy(n1, node_directory(n1))
    d1.wait_state("MASTER")
    wait_until(lambda: n1.has_address(vip4()), 5, message="VIP back on lb1")
    wait_until(lambda: not n2.has_address(vip4()), 5, message="VIP gone from lb2")


def test_keepalived_pidof_haproxy_weight_zero_is_fault_and_hands_over_in_skew_time(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    haproxy1 = start_haproxy(n1, node_directory(n1))
    start_haproxy(n2, node_directory(n2))
    d1 = start_with_track(n1, priority=150, weight=0)
    d2 = start_with_track(n2, priority=100, weight=0)
    d1.wait_state("MASTER")
    d2.wait_state("BACKUP")
    haproxy1.kill()
    d1.wait_state("FAULT")
    d2.wait_state("MASTER")
    # FAULT resigns with priority 0: the backup waits Skew_Time, not Master_Down_Interval.
    resign = wait_until(
        lambda: (
            lab.capture.adverts(src=n1.ipv4, vrid=51)
            and [a for a in lab.capture.adverts(src=n1.ipv4, vrid=51) if a.priority == 0]
        ),
        5,
        message="lb1's priority-0 advert",
    )[0]
    takeover = wait_until(
        lambda: [a for a in lab.capture.adverts(src=n2.ipv4, vrid=51) if a.mono > resign.mono],
        5,
        message="lb2 advertises as master",
    )[0]
    assert takeover.mono - resign.mono < 0.0609 + 0.3
    status = d1.instance()
    assert status is not None and "track chk_haproxy failed" in status["reason"]
    # vrrpctl as a health check: exit 1 while an instance is in FAULT.
    result = d1.node.run(
        [sys.executable, "-m", "vrrpd.ctl", "--socket", str(d1.socket_path), "status"]
    )
    assert result.returncode == 1
    assert "FAULT" in result.stdout
