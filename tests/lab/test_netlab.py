"""Tests of the lab itself: addressing, reachability, PID namespaces, capture, cleanup."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface
from pathlib import Path
from typing import Any

import pytest

from tests.lab import netlab
from tests.lab.netlab import Lab, LabError, LabFactory, Node, vip4, vip6, wait_until

VRRP_GROUP_V4 = "224.0.0.18"
VRRP_GROUP_V6 = "ff02::12"


# --------------------------------------------------------------------------- helpers


def _netns_names() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in out.stdout.splitlines() if line.strip()}


def _vrrp_v3(src: str, dst: str, vrid: int, priority: int, vips: list[str]) -> bytes:
    """A VRRPv3 advert body (for IPv4, with its checksum) built by scapy."""
    from scapy.layers.inet import IP
    from scapy.layers.vrrp import VRRPv3

    packet = IP(src=src, dst=dst, proto=112, ttl=255) / VRRPv3(
        vrid=vrid, priority=priority, adv=100, ipcount=len(vips), addrlist=vips
    )
    return bytes(packet)[20:]


def _join_v4(node: Node) -> socket.socket:
    sock = node.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    membership = socket.inet_aton(VRRP_GROUP_V4) + socket.inet_aton(str(node.ipv4))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    return sock


def _join_v6(node: Node) -> socket.socket:
    sock = node.socket(socket.AF_INET6, socket.SOCK_RAW, 112)
    membership = socket.inet_pton(socket.AF_INET6, VRRP_GROUP_V6)
    membership += struct.pack("@I", node.ifindex_eth0)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, membership)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    return sock


def _receive_v4(sock: socket.socket, timeout: float = 2.0) -> tuple[str, int, bytes]:
    """(source, TTL, VRRP bytes) of the next IPv4 protocol-112 packet."""
    ready, _, _ = select.select([sock], [], [], timeout)
    assert ready, "no VRRP packet arrived"
    data, _ = sock.recvfrom(65535)  # a raw IPv4 socket delivers the IP header too
    header = (data[0] & 0x0F) * 4
    return socket.inet_ntoa(data[12:16]), data[8], data[header:]


def _receive_v6(sock: socket.socket, timeout: float = 2.0) -> tuple[str, int, bytes]:
    """(source, hop limit, VRRP bytes) of the next IPv6 protocol-112 packet."""
    ready, _, _ = select.select([sock], [], [], timeout)
    assert ready, "no VRRP packet arrived"
    data, cmsgs, _, source = sock.recvmsg(65535, socket.CMSG_SPACE(4))
    hop_limits = [
        struct.unpack("@i", value[:4])[0]
        for level, kind, value in cmsgs
        if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_HOPLIMIT
    ]
    return str(source[0]).split("%")[0], hop_limits[0], data


def _pidfds_of_everything(lab: Lab) -> list[int]:
    """pidfds of every process of the lab: programs, orphans, inits and their wrappers."""
    pids: set[int] = set()
    for node in lab.nodes:
        pids.update(node.processes())
        pids.add(node.init_pid)
        with open(f"/proc/{node.init_pid}/stat") as f:
            pids.add(int(f.read().rsplit(")", 1)[1].split()[1]))  # the unshare wrapper
    return [os.pidfd_open(pid) for pid in sorted(pids)]


def _all_exited(pidfds: list[int]) -> bool:
    readable, _, _ = select.select(pidfds, [], [], 0)  # a pidfd is readable once it exited
    return len(readable) == len(pidfds)


# ------------------------------------------------------------------------ wait_until


def test_wait_until_returns_the_first_truthy_value() -> None:
    values: Iterator[object] = iter([0, None, [], 42])
    assert wait_until(lambda: next(values), timeout=1.0, interval=0) == 42


def test_wait_until_raises_with_the_message_and_last_value_on_timeout() -> None:
    with pytest.raises(AssertionError, match=r"VIP on n2: not true after 0.05 s .*\[\]"):
        wait_until(lambda: [], timeout=0.05, message=lambda: "VIP on n2")


def test_vips_never_collide_with_node_addresses() -> None:
    assert vip4() == IPv4Address("192.0.2.100")
    assert vip6(3) == IPv6Address("2001:db8::103")
    assert str(vip4(99)) == "192.0.2.199"
    with pytest.raises(ValueError):
        vip4(100)


# ------------------------------------------------------------------------ the lab


@pytest.mark.lab
def test_two_node_lab_has_the_documented_names_and_addresses(lab: Lab) -> None:
    n1, n2 = lab.nodes
    assert {n1.name, n2.name} == {f"{lab.prefix}-n1", f"{lab.prefix}-n2"}
    assert set(lab.namespaces) <= _netns_names()
    assert n1.addresses()[:2] == [
        IPv4Interface("192.0.2.11/24"),
        IPv6Interface("2001:db8::11/64"),
    ]
    assert n2.has_address("192.0.2.12") and n2.has_address("2001:db8::12")
    # The kernel's link-local address is kept, and usable: DAD has finished.
    assert n1.link_local == IPv6Address("fe80::ff:fe00:11")
    assert n1.addresses(tentative=False) == n1.addresses()
    assert n1.operstate() == "UP"
    # The switch and the observer have no addresses at all: they send nothing.
    assert "inet" not in lab.observer.ip("addr", "show", "dev", "eth0")
    assert "inet" not in lab.switch.ip("addr", "show", "dev", "br0")
    assert all(len(n) <= 15 for n in ("br0", "eth0", "to-obs", n2.switch_port))


@pytest.mark.lab
def test_nodes_reach_each_other_over_ipv4_and_ipv6(lab: Lab) -> None:
    n1, n2 = lab.nodes
    assert n1.ping(n2.ipv4)
    assert n2.ping(n1.ipv4)
    assert n2.ipv6 is not None and n1.ping(n2.ipv6)
    assert n2.link_local is not None and n1.ping(n2.link_local)
    assert not n1.ping("192.0.2.99", timeout=0.3)  # nobody has it


@pytest.mark.lab
def test_a_process_is_seen_only_in_its_own_nodes_pid_namespace(lab: Lab) -> None:
    n1, n2 = lab.nodes
    first = n1.spawn(["sleep", "30"])
    second = n1.spawn(["sleep", "31"])  # like haproxy and vrrpd: one node, one namespace
    assert sorted(n1.pidof("sleep")) == sorted([first.ns_pid, second.ns_pid])
    assert n2.pidof("sleep") == []
    assert first.pid != first.ns_pid  # the root namespace sees another number
    assert n1.processes() == sorted([first.pid, second.pid])
    listing = n1.run(["sh", "-c", "cd /proc && echo [0-9]* && cat 1/comm"], check=True)
    pids, init_name = listing.stdout.splitlines()
    assert init_name.startswith("python")  # PID 1 is the node's init
    # The node's /proc shows only the node: init, the two sleeps and this shell.
    assert len(pids.split()) == 4
    sysfs = n1.run(["cat", "/sys/class/net/eth0/address"], check=True)
    assert sysfs.stdout.strip() == n1.mac  # /sys belongs to the node's netns


@pytest.mark.lab
def test_signals_go_to_the_program_itself(lab: Lab) -> None:
    n1 = lab.node(1)
    trapper = n1.spawn(["sh", "-c", 'trap "exit 7" TERM; echo armed; while :; do sleep 0.02; done'])
    wait_until(lambda: "armed" in trapper.log_text(), 5, message="the trap is set")
    trapper.terminate()
    assert trapper.wait(5) == 7  # the shell's own TERM trap ran: no wrapper in between
    sleeper = n1.spawn(["sleep", "30"])
    sleeper.kill()
    assert sleeper.wait(5) == -signal.SIGKILL
    assert not sleeper.running


@pytest.mark.lab
def test_kill_all_empties_one_node_and_spares_the_others(lab: Lab) -> None:
    n1, n2 = lab.nodes
    n1.spawn(["sleep", "30"])
    n1.run(["sh", "-c", "sleep 300 >/dev/null 2>&1 &"], check=True)  # an orphan: init reaps it
    survivor = n2.spawn(["sleep", "30"])
    wait_until(lambda: len(n1.processes()) == 2, 5, message="two processes in n1")
    n1.kill_all()
    wait_until(lambda: n1.processes() == [], 5, message="n1 emptied")
    assert survivor.running
    assert n1.spawn(["true"]).wait(5) == 0  # the node's init survived


@pytest.mark.lab
def test_vrrp_multicast_reaches_every_node_and_the_observer_with_ttl_255(
    make_lab: LabFactory,
) -> None:
    lab = make_lab(3)
    n1, n2, n3 = lab.nodes
    assert n1.link_local is not None
    receivers_v4 = [_join_v4(n) for n in (n2, n3)]
    receivers_v6 = [_join_v6(n) for n in (n2, n3)]
    payload = _vrrp_v3(str(n1.ipv4), VRRP_GROUP_V4, vrid=51, priority=200, vips=[str(vip4())])
    with n1.socket(socket.AF_INET, socket.SOCK_RAW, 112) as sender:
        sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(str(n1.ipv4)))
        sender.sendto(payload, (VRRP_GROUP_V4, 0))
    with n1.socket(socket.AF_INET6, socket.SOCK_RAW, 112) as sender6:
        sender6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        sender6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, n1.ifindex_eth0)
        sender6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, 6)  # kernel fills it
        body6 = bytes([0x31, 52, 100, 1, 0, 100, 0, 0]) + vip6().packed
        sender6.sendto(body6, (VRRP_GROUP_V6, 0, 0, n1.ifindex_eth0))

    for sock in receivers_v4:
        with sock:
            assert _receive_v4(sock) == (str(n1.ipv4), 255, payload)
    for sock in receivers_v6:
        with sock:
            source, hop_limit, body = _receive_v6(sock)
            assert (source, hop_limit, body[8:]) == (str(n1.link_local), 255, vip6().packed)

    def both_adverts() -> list[Any]:
        found = [a for a in lab.capture.adverts(src=n1.ipv4) if a.vrid == 51]
        found += lab.capture.adverts(vrid=52)
        return found if len(found) >= 2 else []  # wait for both, not the first

    adverts = wait_until(both_adverts, 5, message="the observer sees both adverts")
    v4, v6 = sorted(adverts, key=lambda a: a.dst.version)
    assert (v4.version, v4.vrid, v4.priority, v4.ttl, v4.checksum_ok) == (3, 51, 200, 255, True)
    assert (v4.dst, v4.addresses, v4.src_mac, v4.advert_interval) == (
        IPv4Address(VRRP_GROUP_V4),
        (vip4(),),
        n1.mac,
        1.0,
    )
    assert (v6.src, v6.dst, v6.ttl, v6.addresses) == (
        n1.link_local,
        IPv6Address(VRRP_GROUP_V6),
        255,
        (vip6(),),
    )
    assert v6.checksum_ok
    assert lab.capture.stats().dropped == 0


@pytest.mark.lab
def test_capture_decodes_gratuitous_arp_and_unsolicited_na(lab: Lab, tmp_path: Path) -> None:
    from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
    from scapy.layers.l2 import ARP, Ether

    n1, n2 = lab.nodes
    assert n1.ping(n2.ipv4)  # ordinary ARP traffic: not gratuitous
    garp = Ether(src=n1.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=n1.mac, psrc=str(vip4()), hwdst="00:00:00:00:00:00", pdst=str(vip4())
    )
    na = (
        Ether(src=n1.mac, dst="33:33:00:00:00:01")
        / IPv6(src=str(vip6()), dst="ff02::1", hlim=255)
        / ICMPv6ND_NA(tgt=str(vip6()), R=0, S=0, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr=n1.mac)
    )
    before = time.monotonic()
    with n1.socket(socket.AF_PACKET, socket.SOCK_RAW) as raw:
        raw.bind((n1.ifname, 0))
        raw.send(bytes(garp))
        raw.send(bytes(na))
    garps = wait_until(lab.capture.gratuitous_arps, 5, message="a GARP")
    nas = wait_until(lambda: lab.capture.unsolicited_nas(target=vip6()), 5, message="an NA")
    after = time.monotonic()
    assert [(g.ip, g.sender_mac, g.op, g.dst_mac) for g in garps] == [
        (vip4(), n1.mac, 1, "ff:ff:ff:ff:ff:ff")
    ]
    assert [(n.src, n.dst, n.hop_limit, n.override, n.router, n.target_mac) for n in nas] == [
        (vip6(), IPv6Address("ff02::1"), 255, True, False, n1.mac)
    ]
    assert before - 0.005 <= garps[0].mono <= nas[0].mono <= after + 0.005
    assert lab.capture.frames(since=after + 1) == []
    pcap = lab.capture.write_pcap(tmp_path / "observer.pcap")
    from scapy.utils import rdpcap

    assert len(rdpcap(str(pcap))) == len(lab.capture.frames())


@pytest.mark.lab
def test_link_down_and_up_on_the_node_and_at_the_switch(lab: Lab) -> None:
    n1, n2 = lab.nodes
    assert n2.ipv6 is not None
    n1.set_link(False)
    assert n1.operstate() == "DOWN"
    assert not n1.ping(n2.ipv4, timeout=0.3)
    n1.set_link(True)
    assert n1.ping(n2.ipv4) and n1.ping(n2.ipv6)
    assert n1.has_address("2001:db8::11")  # put back after the kernel flushed it

    n1.set_switch_port(False)  # the cable is pulled: eth0 stays up without carrier
    assert (n1.operstate(), n1.carrier()) == ("DOWN", False)
    assert "UP" in n1.ip_json("link", "show", "dev", "eth0")[0]["flags"]
    assert not n1.ping(n2.ipv4, timeout=0.3)
    n1.set_switch_port(True)
    assert (n1.operstate(), n1.carrier()) == ("UP", True)
    assert n1.ping(n2.ipv4) and n1.ping(n2.ipv6)


@pytest.mark.lab
def test_close_leaves_no_namespace_and_no_process(tmp_path: Path) -> None:
    lab = Lab(2, ipv6=False, workdir=tmp_path, state_dir=tmp_path / "state")
    with lab:
        n1, n2 = lab.nodes
        assert n1.addresses() == [IPv4Interface("192.0.2.11/24")]  # an IPv4-only lab
        daemon = n1.spawn(["sleep", "30"])
        n2.spawn(["sleep", "30"])
        n2.run(["sh", "-c", "sleep 300 >/dev/null 2>&1 &"], check=True)
        wait_until(lambda: len(n2.processes()) == 2, 5, message="the orphan runs")
        pidfds = _pidfds_of_everything(lab)
        assert (tmp_path / "state" / f"{lab.prefix}.json").exists()
    try:
        assert _all_exited(pidfds)
    finally:
        for fd in pidfds:
            os.close(fd)
    assert daemon.returncode == -signal.SIGKILL
    assert not set(lab.namespaces) & _netns_names()
    assert not (tmp_path / "state" / f"{lab.prefix}.json").exists()
    lab.close()  # closing twice is harmless


@pytest.mark.lab
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_lab_left_by_an_exception_still_cleans_up(
    tmp_path: Path, error: type[BaseException]
) -> None:
    with pytest.raises(error) as raised, Lab(2, state_dir=tmp_path) as lab:
        lab.node(1).spawn(["sleep", "30"])
        pidfds = _pidfds_of_everything(lab)
        raise error("the test failed here")
    try:
        assert _all_exited(pidfds)
    finally:
        for fd in pidfds:
            os.close(fd)
    assert not set(lab.namespaces) & _netns_names()
    notes = getattr(raised.value, "__notes__", [])
    assert notes == [f"netlab logs kept in {lab.workdir}"]
    assert lab.workdir.is_dir()
    for path in lab.workdir.iterdir():
        path.unlink()
    lab.workdir.rmdir()


@pytest.mark.lab
def test_a_half_built_lab_is_torn_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configure = Node._configure

    def fail_on_node_2(node: Node) -> None:
        if node.index == 2:
            raise LabError("simulated failure while configuring n2")
        configure(node)

    monkeypatch.setattr(Node, "_configure", fail_on_node_2)
    lab = Lab(3, workdir=tmp_path, state_dir=tmp_path / "state")
    with pytest.raises(LabError, match="simulated"):
        lab.build()
    assert not set(lab.namespaces) & _netns_names()
    assert all(not node._init.ns_fds for node in lab.nodes)
    assert list((tmp_path / "state").iterdir()) == []


@pytest.mark.lab
def test_stale_labs_of_dead_owners_are_swept(tmp_path: Path) -> None:
    prefix = f"vl{os.urandom(3).hex()}"
    names = [f"{prefix}-sw", f"{prefix}-n1"]
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / f"{prefix}.json").write_text(
        json.dumps({"pid": dead.pid, "start": 0, "netns": [*names, "not-ours"]})
    )
    live = tmp_path / "vlalive.json"
    live.write_text(
        json.dumps({"pid": os.getpid(), "start": netlab._proc_start_time(os.getpid()), "netns": []})
    )
    for name in names:
        subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        assert sorted(netlab.sweep_stale_labs(tmp_path)) == sorted(names)
    finally:
        for name in set(names) & _netns_names():
            subprocess.run(["ip", "netns", "del", name], check=False)
    assert not set(names) & _netns_names()
    assert [p.name for p in tmp_path.iterdir()] == ["vlalive.json"]
