"""Properties of the VRRP codec: round trips, robustness, and scapy as an oracle."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, in4_chksum
from scapy.layers.inet6 import IPv6
from scapy.layers.vrrp import VRRP, VRRPv3
from scapy.packet import Raw

from vrrpd.protocol.checksum import internet_checksum
from vrrpd.protocol.model import AuthType, IPAddress, Version
from vrrpd.protocol.packet import (
    Advert,
    IPv4Datagram,
    PacketError,
    decode,
    encode,
    parse_ipv4,
)

FAST = settings(max_examples=100, deadline=None)
ORACLE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ipv4 = st.ip_addresses(v=4).map(IPv4Address)
ipv6 = st.ip_addresses(v=6).map(IPv6Address)
vrid = st.integers(1, 255)
priority = st.integers(0, 255)


@st.composite
def v2_adverts(draw: st.DrawFn, max_addresses: int = 32) -> Advert:
    auth_type = draw(st.sampled_from([AuthType.NONE, AuthType.PASS]))
    return Advert(
        Version.V2,
        vrid=draw(vrid),
        priority=draw(priority),
        adver_int_cs=100 * draw(st.integers(1, 255)),
        addresses=tuple(draw(st.lists(ipv4, min_size=1, max_size=max_addresses))),
        auth_type=auth_type,
        auth_data=draw(st.binary(min_size=8, max_size=8)),
    )


@st.composite
def v3_adverts(draw: st.DrawFn, family: int, max_addresses: int = 32) -> Advert:
    addresses = ipv4 if family == 4 else ipv6
    return Advert(
        Version.V3,
        vrid=draw(vrid),
        priority=draw(priority),
        adver_int_cs=draw(st.integers(1, 4095)),
        addresses=tuple(draw(st.lists(addresses, min_size=1, max_size=max_addresses))),
    )


def naive_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(word for (word,) in struct.iter_unpack("!H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# ── the checksum ────────────────────────────────────────────────────────


@FAST
@given(st.binary(max_size=600))
def test_rfc1071_checksum_equals_the_word_by_word_sum(data: bytes) -> None:
    assert internet_checksum(data) == naive_checksum(data)


@FAST
@given(st.binary(max_size=600).filter(lambda b: len(b) % 2 == 0))
def test_rfc1071_data_with_its_checksum_appended_verifies(data: bytes) -> None:
    assert internet_checksum(data + internet_checksum(data).to_bytes(2, "big")) == 0


# ── round trips ─────────────────────────────────────────────────────────


@FAST
@given(v2_adverts(), ipv4, ipv4)
def test_rfc3768_v2_round_trip(advert: Advert, source: IPv4Address, dest: IPv4Address) -> None:
    sent = encode(advert, source, dest)
    assert len(sent) == 8 + 4 * len(advert.addresses) + 8
    assert decode(sent, source, dest) == advert


@FAST
@given(v3_adverts(4), ipv4, ipv4, st.booleans())
def test_rfc9568_v3_ipv4_round_trip(
    advert: Advert, source: IPv4Address, dest: IPv4Address, as_v2: bool
) -> None:
    sent = encode(advert, source, dest, v3_checksum_as_v2=as_v2)
    assert len(sent) == 8 + 4 * len(advert.addresses)
    assert decode(sent, source, dest, v3_checksum_as_v2=as_v2) == advert


@FAST
@given(v3_adverts(6), ipv6, ipv6)
def test_rfc9568_v3_ipv6_round_trip(advert: Advert, source: IPv6Address, dest: IPv6Address) -> None:
    sent = encode(advert, source, dest)
    assert len(sent) == 8 + 16 * len(advert.addresses)
    assert decode(sent, source, dest) == advert


# ── whatever the bytes, only PacketError ────────────────────────────────

endpoints = st.one_of(st.tuples(ipv4, ipv4), st.tuples(ipv6, ipv6))


def decodes_or_refuses(data: bytes, source: IPAddress, dest: IPAddress, as_v2: bool) -> None:
    try:
        advert = decode(data, source, dest, v3_checksum_as_v2=as_v2)
    except PacketError:
        return
    assert advert.addresses
    assert all(a.version == source.version for a in advert.addresses)
    if advert.vrid == 0:
        return  # decode leaves VRID 0 to the router's VRID match; encode refuses it
    # Whatever is accepted goes back out unchanged (up to reserved bits and padding).
    again = encode(advert, source, dest, v3_checksum_as_v2=as_v2)
    assert decode(again, source, dest, v3_checksum_as_v2=as_v2) == advert


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), endpoints, st.booleans())
def test_decode_of_random_bytes_raises_only_packet_error(
    data: bytes, ends: tuple[IPAddress, IPAddress], as_v2: bool
) -> None:
    decodes_or_refuses(data, *ends, as_v2)


@st.composite
def mutated_adverts(draw: st.DrawFn) -> tuple[bytes, IPv4Address, IPv4Address]:
    """A valid IPv4 advert with a few bytes overwritten, then cut or padded."""
    source, dest = draw(ipv4), draw(ipv4)
    advert = draw(st.one_of(v2_adverts(max_addresses=4), v3_adverts(4, max_addresses=4)))
    data = bytearray(encode(advert, source, dest))
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    resize = draw(st.integers(-8, 8))
    data = data[: len(data) + resize] if resize < 0 else data + bytes(resize)
    return bytes(data), source, dest


@settings(max_examples=200, deadline=None)
@given(mutated_adverts(), st.booleans())
def test_decode_of_mutated_adverts_raises_only_packet_error(
    mutated: tuple[bytes, IPv4Address, IPv4Address], as_v2: bool
) -> None:
    decodes_or_refuses(*mutated, as_v2)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_parse_ipv4_of_random_bytes_raises_only_packet_error(data: bytes) -> None:
    try:
        datagram = parse_ipv4(data)
    except PacketError:
        return
    assert isinstance(datagram, IPv4Datagram)
    assert datagram.protocol == 112


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 255),
    st.integers(0, 0xFFFF),
    st.integers(0, 255),
    st.binary(min_size=16, max_size=60),
)
def test_parse_ipv4_of_near_valid_headers_raises_only_packet_error(
    version_ihl: int, total_length: int, protocol: int, rest: bytes
) -> None:
    data = bytes([version_ihl, 0]) + total_length.to_bytes(2, "big") + rest
    data = data[:9] + bytes([protocol]) + data[10:]
    try:
        datagram = parse_ipv4(data)
    except PacketError:
        return
    assert len(datagram.payload) == total_length - (version_ihl & 0x0F) * 4


# ── scapy as the oracle ─────────────────────────────────────────────────


@ORACLE
@given(v2_adverts(max_addresses=16), ipv4, ipv4)
def test_rfc3768_v2_scapy_dissects_ours_field_by_field(
    advert: Advert, source: IPv4Address, dest: IPv4Address
) -> None:
    sent = encode(advert, source, dest)
    datagram = IP(bytes(IP(src=str(source), dst=str(dest), proto=112, ttl=255) / Raw(sent)))
    vrrp = datagram[VRRP]
    assert (vrrp.version, vrrp.type) == (2, 1)
    assert (vrrp.vrid, vrrp.priority) == (advert.vrid, advert.priority)
    assert vrrp.ipcount == len(advert.addresses)
    assert vrrp.authtype == advert.auth_type
    assert vrrp.adv == advert.adver_int_cs // 100
    assert [IPv4Address(a) for a in vrrp.addrlist] == list(advert.addresses)
    assert struct.pack("!II", vrrp.auth1, vrrp.auth2) == advert.auth_data
    checksum = vrrp.chksum
    vrrp.chksum = None  # scapy recomputes it on build
    assert bytes(vrrp)[6:8] == checksum.to_bytes(2, "big")


@ORACLE
@given(v2_adverts(max_addresses=16), ipv4, ipv4)
def test_rfc3768_v2_scapy_builds_the_same_bytes_and_we_decode_them(
    advert: Advert, source: IPv4Address, dest: IPv4Address
) -> None:
    auth1, auth2 = struct.unpack("!II", advert.auth_data)
    built = bytes(
        VRRP(
            vrid=advert.vrid,
            priority=advert.priority,
            authtype=int(advert.auth_type),
            adv=advert.adver_int_cs // 100,
            addrlist=[str(a) for a in advert.addresses],
            auth1=auth1,
            auth2=auth2,
        )
    )
    assert decode(built, source, dest) == advert
    assert built == encode(advert, source, dest)


@ORACLE
@given(v3_adverts(4, max_addresses=16), ipv4, ipv4)
def test_rfc9568_v3_ipv4_scapy_dissects_ours_and_its_checksum_agrees(
    advert: Advert, source: IPv4Address, dest: IPv4Address
) -> None:
    sent = encode(advert, source, dest)
    datagram = IP(bytes(IP(src=str(source), dst=str(dest), proto=112, ttl=255) / Raw(sent)))
    vrrp = datagram[VRRPv3]
    assert (vrrp.version, vrrp.type, vrrp.res) == (3, 1, 0)
    assert (vrrp.vrid, vrrp.priority, vrrp.adv) == (
        advert.vrid,
        advert.priority,
        advert.adver_int_cs,
    )
    assert vrrp.ipcount == len(advert.addresses)
    assert [IPv4Address(a) for a in vrrp.addrlist] == list(advert.addresses)
    # scapy's own pseudo-header checksum, over our message with the field zeroed.
    zeroed = sent[:6] + b"\0\0" + sent[8:]
    assert in4_chksum(112, datagram, zeroed) == vrrp.chksum


@ORACLE
@given(v3_adverts(4, max_addresses=16), ipv4, ipv4)
def test_rfc9568_v3_ipv4_scapy_builds_the_same_bytes_and_we_decode_them(
    advert: Advert, source: IPv4Address, dest: IPv4Address
) -> None:
    packet = IP(src=str(source), dst=str(dest), ttl=255) / VRRPv3(
        vrid=advert.vrid,
        priority=advert.priority,
        adv=advert.adver_int_cs,
        addrlist=[str(a) for a in advert.addresses],
    )
    built = bytes(packet)[20:]
    assert decode(built, source, dest) == advert
    assert built == encode(advert, source, dest)


@ORACLE
@given(v3_adverts(6, max_addresses=16), ipv6, ipv6)
def test_rfc9568_v3_ipv6_scapy_dissects_ours_and_its_checksum_agrees(
    advert: Advert, source: IPv6Address, dest: IPv6Address
) -> None:
    sent = encode(advert, source, dest)
    datagram = IPv6(bytes(IPv6(src=str(source), dst=str(dest), nh=112, hlim=255) / Raw(sent)))
    vrrp = datagram[VRRPv3]
    assert (vrrp.version, vrrp.type, vrrp.res) == (3, 1, 0)
    assert (vrrp.vrid, vrrp.priority, vrrp.adv) == (
        advert.vrid,
        advert.priority,
        advert.adver_int_cs,
    )
    assert [IPv6Address(a) for a in vrrp.addrlist] == list(advert.addresses)
    checksum = vrrp.chksum
    vrrp.chksum = None  # rebuilt under its IPv6 layer: scapy's in6_chksum
    assert bytes(datagram)[40:] == sent
    assert checksum == int.from_bytes(sent[6:8], "big")


@ORACLE
@given(v3_adverts(6, max_addresses=16), ipv6, ipv6)
def test_rfc9568_v3_ipv6_scapy_builds_the_same_bytes_and_we_decode_them(
    advert: Advert, source: IPv6Address, dest: IPv6Address
) -> None:
    packet = IPv6(src=str(source), dst=str(dest), hlim=255) / VRRPv3(
        vrid=advert.vrid,
        priority=advert.priority,
        adv=advert.adver_int_cs,
        addrlist=[str(a) for a in advert.addresses],
    )
    built = bytes(packet)[40:]
    assert decode(built, source, dest) == advert
    assert built == encode(advert, source, dest)
