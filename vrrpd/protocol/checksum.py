"""The Internet checksum (RFC 1071) and the IPv4 / IPv6 pseudo-headers it may cover."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

_IPV4_PSEUDO = struct.Struct("!4s4sxBH")  # RFC 768 / RFC 791: src, dst, zero, protocol, length
_IPV6_PSEUDO = struct.Struct("!16s16sI3xB")  # RFC 8200 §8.1: src, dst, length, zero, next header


def internet_checksum(data: bytes) -> int:
    """The 16-bit one's complement of the one's complement sum of `data` (RFC 1071).

    Computing it over a message that carries a correct checksum gives 0.
    """
    if len(data) % 2:
        data += b"\0"  # RFC 1071 §4.1: an odd trailing byte is padded with a zero byte
    # RFC 1071 §2(B): the one's complement sum is the value modulo 0xffff, because
    # 0x10000 == 1 (mod 0xffff); a non-zero input never sums to +0, so 0 means 0xffff.
    value = int.from_bytes(data, "big")
    total = value % 0xFFFF
    if total == 0 and value:
        total = 0xFFFF
    return 0xFFFF - total


def ipv4_pseudo_header(
    source: IPv4Address, destination: IPv4Address, protocol: int, length: int
) -> bytes:
    """The 12-byte IPv4 pseudo-header an upper-layer checksum covers."""
    return _IPV4_PSEUDO.pack(source.packed, destination.packed, protocol, length)


def ipv6_pseudo_header(
    source: IPv6Address, destination: IPv6Address, next_header: int, length: int
) -> bytes:
    """The 40-byte IPv6 pseudo-header an upper-layer checksum covers (RFC 8200 §8.1)."""
    return _IPV6_PSEUDO.pack(source.packed, destination.packed, length, next_header)
