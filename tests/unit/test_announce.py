"""Gratuitous ARP and unsolicited NA frames: Keepalived's bytes, and scapy's reading."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
from scapy.layers.l2 import ARP, Ether

from tests.golden import ArpFrame, NaFrame, arp_frames, na_frames
from vrrpd.protocol.announce import gratuitous_arp, unsolicited_na, vrrp_mac
from vrrpd.protocol.model import Family

MAC = bytes.fromhex("02000000000b")
GOLDEN_ARP = arp_frames()
GOLDEN_NA = na_frames()


@pytest.mark.parametrize("frame", GOLDEN_ARP, ids=[f.id for f in GOLDEN_ARP])
def test_keepalived_gratuitous_arp_byte_for_byte(frame: ArpFrame) -> None:
    assert frame.spa == frame.tpa
    assert gratuitous_arp(frame.spa, frame.src_mac) == frame.frame


@pytest.mark.parametrize("frame", GOLDEN_NA, ids=[f.id for f in GOLDEN_NA])
def test_keepalived_unsolicited_na_byte_for_byte(frame: NaFrame) -> None:
    assert frame.source == frame.target
    assert unsolicited_na(frame.target, frame.src_mac) == frame.frame


def test_rfc5227_gratuitous_arp_is_a_broadcast_request_for_the_vip() -> None:
    frame = Ether(gratuitous_arp(IPv4Address("192.0.2.100"), MAC))
    assert frame.dst == "ff:ff:ff:ff:ff:ff"
    assert frame.src == "02:00:00:00:00:0b"
    arp = frame[ARP]
    assert (arp.hwtype, arp.ptype, arp.hwlen, arp.plen, arp.op) == (1, 0x0800, 6, 4, 1)
    assert (arp.hwsrc, arp.psrc) == ("02:00:00:00:00:0b", "192.0.2.100")
    assert (arp.hwdst, arp.pdst) == ("ff:ff:ff:ff:ff:ff", "192.0.2.100")
    assert len(bytes(frame)) == 42  # Keepalived does not pad to 60


def test_rfc4861_7_2_6_unsolicited_na_to_all_nodes_with_override() -> None:
    vip = IPv6Address("2001:db8::100")
    sent = unsolicited_na(vip, MAC)
    frame = Ether(sent)
    assert (frame.dst, frame.src, frame.type) == ("33:33:00:00:00:01", "02:00:00:00:00:0b", 0x86DD)
    ipv6 = frame[IPv6]
    assert (ipv6.src, ipv6.dst, ipv6.hlim, ipv6.nh) == (str(vip), "ff02::1", 255, 58)
    assert (ipv6.tc, ipv6.fl) == (0, 0)
    na = frame[ICMPv6ND_NA]
    assert (na.type, na.code) == (136, 0)
    assert (na.R, na.S, na.O) == (0, 0, 1)
    assert na.tgt == str(vip)
    option = frame[ICMPv6NDOptDstLLAddr]
    assert (option.type, option.len, option.lladdr) == (2, 1, "02:00:00:00:00:0b")
    checksum = na.cksum
    na.cksum = None  # scapy recomputes it over the IPv6 pseudo-header
    assert bytes(frame) == sent
    assert checksum == int.from_bytes(sent[56:58], "big")


@pytest.mark.parametrize(
    ("vrid", "family", "mac"),
    [
        (1, Family.IPV4, "00:00:5e:00:01:01"),
        (51, Family.IPV4, "00:00:5e:00:01:33"),
        (255, Family.IPV4, "00:00:5e:00:01:ff"),
        (51, Family.IPV6, "00:00:5e:00:02:33"),
    ],
)
def test_rfc9568_7_3_virtual_router_mac(vrid: int, family: Family, mac: str) -> None:
    assert vrrp_mac(vrid, family) == bytes.fromhex(mac.replace(":", ""))


@pytest.mark.parametrize("vrid", [0, 256, -1])
def test_rfc9568_7_3_virtual_router_mac_needs_a_vrid(vrid: int) -> None:
    with pytest.raises(ValueError, match="VRID"):
        vrrp_mac(vrid, Family.IPV4)


@pytest.mark.parametrize("mac", [b"", bytes(5), bytes(7)])
def test_announce_refuses_a_mac_that_is_not_six_bytes(mac: bytes) -> None:
    with pytest.raises(ValueError, match="not 6"):
        gratuitous_arp(IPv4Address("192.0.2.100"), mac)
    with pytest.raises(ValueError, match="not 6"):
        unsolicited_na(IPv6Address("2001:db8::100"), mac)
