"""`vrrpctl watch` on a real segment: two nodes claim VRID 51, a third one watches.

The adverts are crafted with our codec and sent from raw sockets in the nodes
(TTL / hop limit 255, as a VRRP router sends them); watch runs as its own
process in the third node, so scapy captures there as it would on a host.
"""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest

from tests.lab.netlab import Lab, LabFactory, Node, vip4, vip6, wait_until
from vrrpd.protocol.model import IPAddress, Version
from vrrpd.protocol.packet import Advert, encode

VRRP_GROUP_V4 = IPv4Address("224.0.0.18")
VRRP_GROUP_V6 = IPv6Address("ff02::12")
SEND_EVERY = 0.1  # seconds, as the adverts say (10 cs)
WATCH = (
    "import sys; from vrrpd.watch import run_watch;"
    " d = float(sys.argv[1]); sys.exit(run_watch('eth0', duration=None if d == float('inf') else d,"
    " once=sys.argv[2] == 'once', json=sys.argv[2] == 'json'))"
)


@dataclass
class Speaker:
    """A raw socket in a node that sends one advert, again and again."""

    sock: socket.socket
    message: bytes
    destination: tuple[Any, ...]

    @classmethod
    def ipv4(cls, node: Node, advert: Advert) -> Speaker:
        sock = node.socket(socket.AF_INET, socket.SOCK_RAW, 112)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, node.ipv4.packed)
        message = encode(advert, node.ipv4, VRRP_GROUP_V4)
        return cls(sock, message, (str(VRRP_GROUP_V4), 0))

    @classmethod
    def ipv6(cls, node: Node, advert: Advert) -> Speaker:
        assert node.link_local is not None
        sock = node.socket(socket.AF_INET6, socket.SOCK_RAW, 112)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, node.ifindex_eth0)
        # RFC 9568 §5.1.2.1: sent from the link-local address; the checksum covers it.
        message = encode(advert, node.link_local, VRRP_GROUP_V6)
        return cls(sock, message, (str(VRRP_GROUP_V6), 0, 0, node.ifindex_eth0))

    def send(self) -> None:
        self.sock.sendto(self.message, self.destination)


@contextmanager
def advertising(speakers: list[Speaker]) -> Iterator[None]:
    """Every speaker sends every SEND_EVERY s, in a thread, until the block ends."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            for speaker in speakers:
                speaker.send()
            stop.wait(SEND_EVERY)

    thread = threading.Thread(target=run, name="vrrp-speakers", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
        for speaker in speakers:
            speaker.sock.close()


def watch(node: Node, duration: float, mode: str) -> tuple[int, str, str]:
    result = node.run([sys.executable, "-c", WATCH, str(duration), mode], timeout=60)
    return result.returncode, result.stdout, result.stderr


def v3(priority: int, *addresses: IPAddress) -> Advert:
    return Advert(Version.V3, 51, priority, round(SEND_EVERY * 100), addresses)


@pytest.mark.lab
def test_watch_lists_two_speakers_of_one_vrid_and_reports_the_conflict(
    make_lab: LabFactory,
) -> None:
    lab: Lab = make_lab(3, capture=False)
    n1, n2, n3 = lab.nodes
    assert n1.link_local is not None
    speakers = [
        Speaker.ipv4(n1, v3(200, vip4(0))),
        Speaker.ipv4(n2, v3(100, vip4(0), vip4(1))),  # the same VRID, another VIP list
        Speaker.ipv6(n1, v3(150, vip6(0))),  # VRID 51 over IPv6: another router
    ]
    with advertising(speakers):
        code, out, err = watch(n3, 2.0, "json")
        once_code, table, once_err = watch(n3, 1.5, "once")

    assert (code, err) == (0, ""), err
    records = [json.loads(line) for line in out.splitlines()]
    adverts = [r for r in records if r["event"] == "advert"]
    heard = {(r["family"], r["source"], r["vrid"], r["priority"]) for r in adverts}
    assert heard == {
        (4, str(n1.ipv4), 51, 200),
        (4, str(n2.ipv4), 51, 100),
        (6, str(n1.link_local), 51, 150),
    }
    assert len(adverts) >= 3 * 10  # about 20 each in 2 s
    assert {r["ttl"] for r in adverts} == {255}
    assert {r["interval"] for r in adverts} == {SEND_EVERY}
    assert {tuple(r["addresses"]) for r in adverts if r["source"] == str(n2.ipv4)} == {
        (str(vip4(0)), str(vip4(1)))
    }
    conflicts = {r["kind"]: r for r in records if r["event"] == "conflict"}
    assert set(conflicts) == {"two_masters", "addresses_differ"}  # none for IPv6
    assert conflicts["two_masters"]["text"] == (
        f"VRID 51: two masters: {n1.ipv4} (prio 200) and {n2.ipv4} (prio 100)"
    )
    assert conflicts["addresses_differ"]["sources"] == [str(n1.ipv4), str(n2.ipv4)]

    assert (once_code, once_err) == (1, "")  # --once: 1 when there are conflicts
    lines = table.splitlines()
    assert lines[0].startswith("vrrpctl watch eth0: 3 speakers")
    assert lines[2].split()[:4] == ["VRID", "VER", "SOURCE", "PRIO"]
    rows = [line.split() for line in lines[3:6]]
    assert [row[2] for row in rows] == [str(n1.ipv4), str(n2.ipv4), str(n1.link_local)]
    assert f"  VRID 51: two masters: {n1.ipv4} (prio 200) and {n2.ipv4} (prio 100)" in lines


@pytest.mark.lab
def test_watch_stops_cleanly_on_ctrl_c_and_prints_the_table_when_it_changes(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(2, ipv6=False, capture=False)
    n1, n2 = lab.nodes
    with advertising([Speaker.ipv4(n1, v3(200, vip4(0)))]):
        # No --duration: it runs until interrupted. Its output is a file, not a
        # terminal, so the table is printed again only when it changes.
        proc = n2.spawn([sys.executable, "-c", WATCH, "inf", "table"])
        wait_until(lambda: str(n1.ipv4) in proc.log_text(), 10, message="n1 in the table")
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(10) == 0
    log = proc.log_text()
    assert "Traceback" not in log and "KeyboardInterrupt" not in log
    assert log.startswith("vrrpctl watch eth0: 0 speakers")  # drawn at once, empty
    assert "no VRRP adverts heard yet" in log
    assert log.count(f"\n51    v3   {n1.ipv4}") == 1  # one speaker, unchanged: shown once
    assert "\x1b[" not in log
