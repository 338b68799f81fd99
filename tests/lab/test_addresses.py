"""The synchronous VIP writer against the kernel: the same addresses `ip addr add` makes."""

from __future__ import annotations

import socket
from ipaddress import ip_interface
from typing import Any

import pytest

from tests.lab.netlab import LabFactory, Node
from vrrpd.host.addresses import AddressWriter
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
