"""rtnetlink against the kernel: the VIP writer (the addresses `ip addr add` makes),
the start-up interface query and the link and address monitor."""

from __future__ import annotations

import asyncio
import socket
from ipaddress import ip_address, ip_interface
from typing import Any

import pytest

from tests.lab.netlab import LabFactory, Node
from vrrpd.host.addresses import AddressWriter
from vrrpd.host.netlink import AddressRemoved, LinkEvent, Netlink, monitor
from vrrpd.protocol.model import Vip

pytestmark = pytest.mark.lab

VIPS = (
    Vip(ip_interface("192.0.2.100/24")),
    Vip(ip_interface("192.0.2.101/32"), label="va:vip", scope="link"),
    Vip(ip_interface("2001:db8::100/64")),
)


def _addresses(node: Node, dev: str) -> list[dict[str, Any]]:
    shown = node.ip_json("addr", "show", "dev", dev)
    return sorted(
        (
            {k: v for k, v in a.items() if not k.endswith("life_time")}
            for a in shown[0]["addr_info"]
            if not a["local"].startswith("fe80")
        ),
        key=str,
    )


def _writer(node: Node) -> AddressWriter:
    return AddressWriter(node.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE))


def test_writer_makes_the_addresses_ip_addr_add_makes(make_lab: LabFactory) -> None:
    node = make_lab(1, capture=False).nodes[0]
    node.ip("link", "add", "va", "type", "veth", "peer", "name", "vb")
    node.ip("link", "set", "va", "up")
    node.ip("link", "set", "vb", "up")
    # The reference: what iproute2 (and Keepalived) configure for these VIPs.
    node.ip("addr", "add", "192.0.2.100/24", "dev", "vb")
    node.ip("addr", "add", "192.0.2.101/32", "dev", "vb", "label", "vb:vip", "scope", "link")
    node.ip("addr", "add", "2001:db8::100/64", "dev", "vb", "nodad")
    writer = _writer(node)
    try:
        for vip in VIPS:
            assert writer.add_vip(vip, node.ifindex("va")) is None
        ours = _addresses(node, "va")
        reference = [
            {**a, "label": a["label"].replace("vb", "va")} if "label" in a else a
            for a in _addresses(node, "vb")
        ]
        assert ours == reference
    finally:
        writer.close()


def test_writer_treats_already_present_and_already_absent_as_done(make_lab: LabFactory) -> None:
    node = make_lab(1, capture=False).nodes[0]
    index = node.ifindex(node.ifname)
    writer = _writer(node)
    try:
        for vip in VIPS:
            assert writer.add_vip(vip, index) is None
            assert writer.add_vip(vip, index) is None  # EEXIST: already so
            assert node.has_address(vip.address)
            assert writer.remove_vip(vip, index) is None
            assert writer.remove_vip(vip, index) is None  # EADDRNOTAVAIL: already so
            assert not node.has_address(vip.address)
    finally:
        writer.close()


def test_writer_reports_a_real_failure_as_text(make_lab: LabFactory) -> None:
    node = make_lab(1, capture=False).nodes[0]
    writer = _writer(node)
    try:
        error = writer.add_vip(VIPS[0], 999_999)
        assert error is not None and "ENODEV" in error
    finally:
        writer.close()


def test_interface_facts_come_from_the_kernel(make_lab: LabFactory) -> None:
    node = make_lab(1, capture=False).nodes[0]
    info = node.enter(lambda: asyncio.run(Netlink().interface(node.ifname)))
    assert info is not None
    assert info.index == node.ifindex(node.ifname)
    assert info.up
    shown = node.ip_json("link", "show", "dev", node.ifname)[0]
    assert info.mac == bytes.fromhex(shown["address"].replace(":", ""))
    assert ip_interface(f"{node.ipv4}/24") in info.addresses
    assert node.enter(lambda: asyncio.run(Netlink().interface("nosuch0"))) is None


def test_monitor_reports_link_changes_and_removed_addresses(make_lab: LabFactory) -> None:
    node = make_lab(1, capture=False).nodes[0]
    index = node.ifindex(node.ifname)

    async def watch() -> list[LinkEvent | AddressRemoved]:
        seen: list[LinkEvent | AddressRemoved] = []
        events = monitor()
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.1)  # subscribed before anything changes
        await asyncio.to_thread(node.ip, "addr", "add", "192.0.2.200/32", "dev", node.ifname)
        await asyncio.to_thread(node.ip, "addr", "del", "192.0.2.200/32", "dev", node.ifname)
        await asyncio.to_thread(node.ip, "link", "set", node.ifname, "down")
        seen.append(await asyncio.wait_for(first, 5))
        while not any(isinstance(e, LinkEvent) and not e.up for e in seen):
            seen.append(await asyncio.wait_for(anext(events), 5))
        await events.aclose()
        return seen

    seen = node.enter(lambda: asyncio.run(watch()))
    assert AddressRemoved(index, ip_address("192.0.2.200")) in seen
    down = [e for e in seen if isinstance(e, LinkEvent) and not e.up]
    assert down[0].name == node.ifname and down[0].detail == "administratively down"
