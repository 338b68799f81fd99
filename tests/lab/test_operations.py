"""What an operator does with a running pair, proven on the wire: reload, maintenance."""

from __future__ import annotations

import socket
import sys
import time
from typing import Any

import pytest

from tests.lab.daemon import VrrpNode, instance, start_vrrpd, write_config
from tests.lab.netlab import LabFactory, Node, vip4, wait_until
from tests.lab.test_daemon import assert_steady_adverts, transitions

pytestmark = pytest.mark.lab
TIMEOUT = 8.0


def two_instances(priority_1: int, priority_2: int) -> dict[str, dict[str, Any]]:
    return {
        "VI_1": instance(vrid=51, priority=priority_1, vips=[f"{vip4(0)}/24"]),
        "VI_2": instance(vrid=52, priority=priority_2, vips=[f"{vip4(1)}/24"]),
    }


def vrrpctl(node: Node, daemon: VrrpNode, *args: str) -> str:
    argv = [sys.executable, "-m", "vrrpd.ctl", "--socket", str(daemon.socket_path), *args]
    result = node.run(argv, timeout=20)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_reload_removing_an_instance_resigns_it_with_priority_zero(make_lab: LabFactory) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    d1 = start_vrrpd(n1, two_instances(200, 200))
    d1.wait_state("MASTER", "VI_1")
    d1.wait_state("MASTER", "VI_2")
    d2 = start_vrrpd(n2, two_instances(100, 100))
    d2.wait_state("BACKUP", "VI_2")
    vi1_before = len(transitions(d1, "VI_1"))

    write_config(
        d1.config_path,
        {"VI_1": two_instances(200, 200)["VI_1"]},
        control_socket=d1.socket_path,
        global_extra={"router_id": n1.name},
    )
    asked = time.monotonic()
    assert "reload requested" in vrrpctl(n1, d1, "reload")
    record = d1.wait_log("reloaded", timeout=TIMEOUT)
    assert record["removed"] == ["VI_2"] and record["unchanged"] == ["VI_1"]
    resign = wait_until(
        lambda: [
            a for a in lab.capture.adverts(src=n1.ipv4, vrid=52, since=asked) if a.priority == 0
        ],
        TIMEOUT,
        message="VI_2 resigns with priority 0",
    )
    assert resign
    d2.wait_state("MASTER", "VI_2", timeout=TIMEOUT)
    wait_until(lambda: not n1.has_address(vip4(1)), TIMEOUT, message="VI_2's VIP left n1")
    assert n1.has_address(vip4(0))
    assert len(transitions(d1, "VI_1")) == vi1_before
    assert_steady_adverts(lab.capture, n1.ipv4, 51, asked, time.monotonic())


def test_maintenance_drains_the_master_survives_reloads_and_gives_it_back(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    d1 = start_vrrpd(n1, {"VI_1": instance(priority=200)})
    d1.wait_state("MASTER")
    d2 = start_vrrpd(n2, {"VI_1": instance(priority=100)})
    d2.wait_state("BACKUP")

    asked = time.monotonic()
    assert "in maintenance" in vrrpctl(n1, d1, "maintenance", "VI_1", "on")
    wait_until(
        lambda: [a for a in lab.capture.adverts(src=n1.ipv4, since=asked) if a.priority == 0],
        TIMEOUT,
        message="the drained master resigns with priority 0",
    )
    d2.wait_state("MASTER")
    status = d1.wait_state("BACKUP")
    assert status["maintenance"] is True
    assert "maintenance" in vrrpctl(n1, d1, "status")

    # A reload that rebuilds the instance keeps it drained.
    write_config(
        d1.config_path,
        {"VI_1": instance(priority=210)},
        control_socket=d1.socket_path,
        global_extra={"router_id": n1.name},
    )
    d1.reload()
    record = d1.wait_log("reloaded", timeout=TIMEOUT)
    assert record["rebuilt"] == ["VI_1"]
    settled = time.monotonic()
    wait_until(
        lambda: len(lab.capture.adverts(src=n2.ipv4, since=settled)) >= 10,
        TIMEOUT,
        message="n2 keeps advertising as master",
    )
    assert d1.state() == "BACKUP" and d1.instance()["maintenance"] is True  # type: ignore[index]
    assert not n1.has_address(vip4())

    vrrpctl(n1, d1, "maintenance", "VI_1", "off")
    d1.wait_state("MASTER", timeout=TIMEOUT)  # preempts: 210 > 100
    d2.wait_state("BACKUP", timeout=TIMEOUT)
    wait_until(lambda: n1.has_address(vip4()), TIMEOUT, message="VIP back on n1")


def test_keepalived_ah_adverts_are_counted_as_auth_unsupported(make_lab: LabFactory) -> None:
    """A Keepalived peer with auth_type AH is not silently invisible: it is counted."""
    from tests.golden import capture

    lab = make_lab(2, ipv6=False)
    n1, n2 = lab.nodes
    d1 = start_vrrpd(n1, {"VI_1": instance(priority=200, version=2, advert_int=1)})
    d1.wait_state("BACKUP")
    frame = capture("v2_ah").vrrp_frames()[0].frame  # Keepalived 2.2.7's own AH advert
    with n2.socket(socket.AF_PACKET, socket.SOCK_RAW, 0) as sock:
        sock.bind(("eth0", 0))
        sock.send(frame)

    def counted() -> int:
        for entry in d1.status().get("interface_drops", []):
            return int(entry["drops"].get("auth_unsupported", 0))
        return 0

    wait_until(counted, TIMEOUT, message="the AH advert is counted")
    assert "auth_unsupported" in vrrpctl(n1, d1, "status")
