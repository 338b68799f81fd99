"""Whole Ethernet frames that announce a virtual address: gratuitous ARP, unsolicited NA.

Pure builders: the shell sends the bytes through an AF_PACKET socket. The
frames are those Keepalived 2.2.7 sends, byte for byte.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

from vrrpd.protocol.checksum import internet_checksum, ipv6_pseudo_header
from vrrpd.protocol.model import VRID_MAX, VRID_MIN, Family

ETH_BROADCAST = b"\xff" * 6
ETHERTYPE_ARP = 0x0806
ETHERTYPE_IPV6 = 0x86DD
ARP_REQUEST = 1
IPPROTO_ICMPV6 = 58
ICMPV6_NEIGHBOR_ADVERTISEMENT = 136
ND_OPT_TARGET_LINK_LAYER_ADDRESS = 2
ALL_NODES = IPv6Address("ff02::1")
ALL_NODES_MAC = b"\x33\x33\x00\x00\x00\x01"  # RFC 2464 §7: 33:33 + the group's low 32 bits
NA_FLAG_ROUTER = 0x80000000
NA_FLAG_SOLICITED = 0x40000000
NA_FLAG_OVERRIDE = 0x20000000

_ETHERNET = struct.Struct("!6s6sH")
# htype, ptype, hlen, plen, op, sha, spa, tha, tpa (RFC 826).
_ARP = struct.Struct("!HHBBH6s4s6s4s")
# version/class/flow, payload length, next header, hop limit, source, destination.
_IPV6 = struct.Struct("!IHBB16s16s")
# type, code, checksum, flags, target, option type, option length (in 8 bytes), address.
_NA = struct.Struct("!BBHI16sBB6s")


def vrrp_mac(vrid: int, family: Family) -> bytes:
    """The virtual router MAC address for `vrid` (RFC 9568 §7.3, RFC 3768 §7.3)."""
    if not VRID_MIN <= vrid <= VRID_MAX:
        raise ValueError(f"VRID {vrid}, not {VRID_MIN}..{VRID_MAX}")
    # RFC 9568 §7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6.
    return bytes((0x00, 0x00, 0x5E, 0x00, 1 if family == Family.IPV4 else 2, vrid))


def gratuitous_arp(address: IPv4Address, mac: bytes) -> bytes:
    """A gratuitous ARP for `address` at `mac`, as Keepalived sends it.

    Keepalived: an ARP request, broadcast, with sender and target both the
    address and the target hardware address ff:ff:ff:ff:ff:ff; 42 bytes, unpadded.
    """
    _check_mac(mac)
    ethernet = _ETHERNET.pack(ETH_BROADCAST, mac, ETHERTYPE_ARP)
    # RFC 5227 §2.3: an ARP Announcement names the address as sender and target.
    arp = _ARP.pack(
        1, 0x0800, 6, 4, ARP_REQUEST, mac, address.packed, ETH_BROADCAST, address.packed
    )
    return ethernet + arp


def unsolicited_na(address: IPv6Address, mac: bytes) -> bytes:
    """An unsolicited Neighbor Advertisement for `address` at `mac`, as Keepalived sends it.

    Keepalived: from the address itself to all-nodes ff02::1, hop limit 255,
    Override set (not Router, not Solicited), with the target link-layer option.
    """
    _check_mac(mac)
    # RFC 4861 §7.2.6: unsolicited NAs go to all-nodes with Solicited clear;
    # Override set so that neighbours replace the old link-layer address.
    unsummed = _NA.pack(
        ICMPV6_NEIGHBOR_ADVERTISEMENT,
        0,
        0,
        NA_FLAG_OVERRIDE,
        address.packed,
        ND_OPT_TARGET_LINK_LAYER_ADDRESS,
        1,
        mac,
    )
    pseudo = ipv6_pseudo_header(address, ALL_NODES, IPPROTO_ICMPV6, len(unsummed))
    checksum = internet_checksum(pseudo + unsummed)
    icmp = unsummed[:2] + checksum.to_bytes(2, "big") + unsummed[4:]
    # RFC 4861 §7.1.2: the hop limit is 255 so that receivers know it is on-link.
    ipv6 = _IPV6.pack(6 << 28, len(icmp), IPPROTO_ICMPV6, 255, address.packed, ALL_NODES.packed)
    return _ETHERNET.pack(ALL_NODES_MAC, mac, ETHERTYPE_IPV6) + ipv6 + icmp


def _check_mac(mac: bytes) -> None:
    if len(mac) != 6:
        raise ValueError(f"MAC address of {len(mac)} bytes, not 6")
