"""The VRRP wire codec: VRRPv2 (RFC 3768) and VRRPv3 (RFC 9568) adverts.

Plain `struct` code, no I/O. Every refusal raises PacketError with a
DropReason, so the shell can count drops by reason; nothing else escapes.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import NoReturn

from vrrpd.protocol.checksum import internet_checksum, ipv4_pseudo_header, ipv6_pseudo_header
from vrrpd.protocol.model import (
    V2_ADVER_INT_S_MAX,
    V3_ADVER_INT_CS_MAX,
    VRID_MAX,
    VRID_MIN,
    AuthType,
    IPAddress,
    Version,
)


class DropReason(enum.StrEnum):
    """Why an incoming advert was refused; the shell counts drops by these."""

    TRUNCATED = "truncated"  # shorter than its header, address list or auth data
    BAD_IP_HEADER = "bad_ip_header"  # the IPv4 header is malformed
    BAD_PROTOCOL = "bad_protocol"  # the IP protocol is not 112 (VRRP)
    BAD_TTL = "bad_ttl"  # RFC 9568 §7.1: TTL / hop limit must be 255
    BAD_VERSION = "bad_version"  # not 2 or 3, or v2 over IPv6
    BAD_TYPE = "bad_type"  # RFC 9568 §5.2.2: only type 1 (advertisement)
    BAD_CHECKSUM = "bad_checksum"
    BAD_ADDRESS_COUNT = "bad_address_count"  # RFC 9568 §7.1: count 0 is ignored
    BAD_ADVER_INT = "bad_adver_int"  # RFC 9568 §7.1: Max Adver Int 0 is ignored
    AUTH_UNSUPPORTED = "auth_unsupported"  # v2 AH (type 2) or an unknown type
    AUTH_MISMATCH = "auth_mismatch"  # RFC 3768 §7.1: type or password differs
    WRONG_VRID = "wrong_vrid"  # no instance with this VRID on this interface
    OWN_ADVERT = "own_advert"  # our own advert looped back
    NOT_A_PEER = "not_a_peer"  # unicast: the source is not a configured peer
    INTERVAL_MISMATCH = "interval_mismatch"  # RFC 3768 §7.1: v2 intervals must match
    OWNER_IGNORES = "owner_ignores"  # RFC 9568 §7.1: the address owner ignores adverts
    ADDRESS_LIST_MISMATCH = "address_list_mismatch"  # Keepalived: VIPs differ (VRID clash?)
    WRONG_DESTINATION = "wrong_destination"  # unicast to a multicast instance, or the reverse


class PacketError(Exception):
    """An advert refused on receipt: the reason (for counters) and a detail (for logs)."""

    def __init__(self, reason: DropReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Advert:
    """One VRRP advertisement, as on the wire but in plain units.

    adver_int_cs is the interval in centiseconds for both versions: v3 carries
    it as is (Max Adver Int), v2 carries whole seconds (x 100 here).
    auth_type and auth_data are v2 only; auth_data is the 8 bytes as sent.
    """

    version: Version
    vrid: int
    priority: int
    adver_int_cs: int
    addresses: tuple[IPAddress, ...]
    auth_type: AuthType = AuthType.NONE
    auth_data: bytes = b""


# ── the wire format ─────────────────────────────────────────────────────

IPPROTO_VRRP = 112  # RFC 9568 §5.1.1.4 / RFC 3768 §5.2.4
IPPROTO_AH = 51  # RFC 4302: Keepalived's auth_type AH puts this header before VRRP
VRRP_TYPE_ADVERTISEMENT = 1  # RFC 9568 §5.2.2: the only type defined
HEADER_LEN = 8
_V2_ADVERTISEMENT = 2 << 4 | VRRP_TYPE_ADVERTISEMENT
_V3_ADVERTISEMENT = 3 << 4 | VRRP_TYPE_ADVERTISEMENT
V2_AUTH_DATA_LEN = 8  # RFC 3768 §5.3.10
MAX_ADDRESSES = 255  # Count IPvX Addrs is one byte

# version/type, VRID, priority, count, then a 16-bit word that is
# auth type + Adver Int (v2, RFC 3768 §5.3.6-7) or rsvd + Max Adver Int (v3,
# RFC 9568 §5.2.6-7), then the checksum.
_HEADER = struct.Struct("!BBBBHH")
# version/IHL, total length, TTL, protocol, source, destination (RFC 791 §3.1).
_IPV4_HEADER = struct.Struct("!BxH4xBB2x4s4s")
_IPV4_HEADER_MIN = 20
# The address list for each possible count, compiled once.
_IPV4_ADDRESSES = tuple(struct.Struct(f"!{n}I") for n in range(MAX_ADDRESSES + 1))
_IPV6_ADDRESSES = tuple(struct.Struct("!" + "16s" * n) for n in range(MAX_ADDRESSES + 1))


def encode(
    advert: Advert,
    source: IPAddress,
    destination: IPAddress,
    *,
    v3_checksum_as_v2: bool = False,
) -> bytes:
    """The VRRP message for `advert`, sent from `source` to `destination` (no IP header).

    Raises ValueError if the advert cannot be sent as given: that is our bug.
    """
    _check_sendable(advert, source, destination)
    addresses = b"".join([address.packed for address in advert.addresses])
    version = advert.version
    if version == Version.V2:
        # RFC 3768 §5.3.7: Adver Int is whole seconds.
        word = advert.auth_type << 8 | advert.adver_int_cs // 100
        # RFC 3768 §5.3.10: 8 bytes of auth data; Keepalived: the password
        # zero padded, or 8 zero bytes without authentication.
        tail = addresses + advert.auth_data.ljust(V2_AUTH_DATA_LEN, b"\0")
    else:
        # RFC 9568 §5.2.6-7: 4 reserved bits sent as 0, then centiseconds.
        word = advert.adver_int_cs
        tail = addresses
    fields = (version << 4 | VRRP_TYPE_ADVERTISEMENT, advert.vrid, advert.priority)
    count = len(advert.addresses)
    unsummed = _HEADER.pack(*fields, count, word, 0) + tail
    pseudo = _pseudo_header(version, source, destination, len(unsummed), v3_checksum_as_v2)
    checksum = internet_checksum(pseudo + unsummed)
    return _HEADER.pack(*fields, count, word, checksum) + tail


def decode(
    message: bytes,
    source: IPAddress,
    destination: IPAddress,
    *,
    v3_checksum_as_v2: bool = False,
) -> Advert:
    """The advert in `message` (the IP payload), received from `source` at `destination`.

    The address family is that of `source`. Raises PacketError, and nothing
    else, whatever the bytes; the v2 password is not checked here (the router
    compares it with its config).
    """
    if source.version != destination.version:
        raise ValueError(f"source {source} and destination {destination} differ in family")
    if len(message) < HEADER_LEN:
        raise PacketError(
            DropReason.TRUNCATED, f"{len(message)} bytes, shorter than the 8-byte VRRP header"
        )
    version_type, vrid, priority, count, word, checksum = _HEADER.unpack_from(message)
    version = version_type >> 4
    ipv6 = source.version == 6
    # RFC 9568 §7.1 / RFC 3768 §7.1: v3, or v2 over IPv4, and type 1 (one test for both).
    if version_type != _V3_ADVERTISEMENT and (version_type != _V2_ADVERTISEMENT or ipv6):
        _refuse_version_type(version, version_type & 0x0F, ipv6)
    auth_len = V2_AUTH_DATA_LEN if version == 2 else 0
    length = HEADER_LEN + count * (16 if ipv6 else 4) + auth_len
    if len(message) < length:
        # RFC 9568 §7.1: the packet must hold the whole message with its addresses.
        raise PacketError(
            DropReason.TRUNCATED,
            f"{len(message)} bytes, shorter than the {length} that {count} "
            f"IPv{source.version} address(es){' and the auth data' if auth_len else ''} need",
        )
    # Trailing bytes (padding) are not part of the message: not summed, not read.
    message = message[:length]
    pseudo = _pseudo_header(version, source, destination, length, v3_checksum_as_v2)
    if internet_checksum(pseudo + message):
        # RFC 9568 §7.1 / RFC 3768 §7.1: the checksum must verify.
        raise PacketError(
            DropReason.BAD_CHECKSUM,
            _checksum_detail(
                message, checksum, source, destination, v3_checksum_as_v2=v3_checksum_as_v2
            ),
        )
    if count == 0:
        # RFC 9568 §7.1: an advert without addresses is ignored.
        raise PacketError(DropReason.BAD_ADDRESS_COUNT, "Count IPvX Addrs is 0")
    addresses = _addresses(message, count, ipv6)
    if version == 3:
        # RFC 9568 §5.2.6: the 4 reserved bits are ignored on receipt.
        adver_int_cs = word & 0x0FFF
        if adver_int_cs == 0:
            # RFC 9568 §7.1: a Max Adver Int of 0 is ignored.
            raise PacketError(DropReason.BAD_ADVER_INT, "Max Adver Int is 0")
        return Advert(Version.V3, vrid, priority, adver_int_cs, addresses)
    adver_int_s = word & 0xFF
    if adver_int_s == 0:
        # RFC 3768 §5.3.7: Adver Int is 1..255 seconds; 0 would mean no timer at all.
        raise PacketError(DropReason.BAD_ADVER_INT, "Adver Int is 0")
    auth_type = _auth_type(word >> 8)
    # RFC 3768 §5.3.10: the 8 auth bytes, returned as sent; the router compares them.
    auth_data = message[length - V2_AUTH_DATA_LEN :]
    return Advert(Version.V2, vrid, priority, adver_int_s * 100, addresses, auth_type, auth_data)


@dataclass(frozen=True, slots=True)
class IPv4Datagram:
    """An IPv4 datagram as a raw IPv4 socket delivers it, header parsed."""

    ttl: int
    protocol: int
    source: IPv4Address
    destination: IPv4Address
    payload: bytes


def parse_ipv4(datagram: bytes) -> IPv4Datagram:
    """The header fields and VRRP payload of a datagram from a raw IPv4 socket.

    The TTL is returned, not checked (RFC 9568 §7.1 is the caller's, for both
    families). Raises PacketError, and nothing else, whatever the bytes.
    """
    if len(datagram) < _IPV4_HEADER_MIN:
        raise PacketError(
            DropReason.TRUNCATED, f"{len(datagram)} bytes, shorter than an IPv4 header"
        )
    version_ihl, total_length, ttl, protocol, source, destination = _IPV4_HEADER.unpack_from(
        datagram
    )
    if version_ihl >> 4 != 4:
        raise PacketError(DropReason.BAD_IP_HEADER, f"IP version {version_ihl >> 4}, not 4")
    header_len = (version_ihl & 0x0F) * 4
    if header_len < _IPV4_HEADER_MIN:
        # RFC 791 §3.1: the IHL is at least 5 words.
        raise PacketError(DropReason.BAD_IP_HEADER, f"IHL {header_len // 4}, less than 5")
    if total_length < header_len:
        raise PacketError(
            DropReason.BAD_IP_HEADER,
            f"total length {total_length} is shorter than the {header_len}-byte header",
        )
    if len(datagram) < total_length:
        raise PacketError(
            DropReason.TRUNCATED,
            f"{len(datagram)} bytes, shorter than the total length {total_length}",
        )
    if protocol == IPPROTO_AH:
        # Keepalived: auth_type AH (RFC 2338's IPsec AH) puts an AH header before VRRP.
        raise PacketError(DropReason.AUTH_UNSUPPORTED, _AH_UNSUPPORTED)
    if protocol != IPPROTO_VRRP:
        raise PacketError(DropReason.BAD_PROTOCOL, f"IP protocol {protocol}, not 112 (VRRP)")
    return IPv4Datagram(
        ttl,
        protocol,
        IPv4Address(source),
        IPv4Address(destination),
        datagram[header_len:total_length],
    )


_AH_UNSUPPORTED = "IPsec AH authentication (auth_type AH) is not supported: use PASS or none"


def _refuse_version_type(version: int, type_: int, ipv6: bool) -> NoReturn:
    """Refuse a version or type we do not speak."""
    if version == 2:
        if ipv6:
            # RFC 3768 §5.2: VRRPv2 is IPv4 only.
            raise PacketError(DropReason.BAD_VERSION, "VRRPv2 over IPv6: RFC 3768 is IPv4 only")
    elif version != 3:
        # RFC 9568 §7.1 / RFC 3768 §7.1: the version must be one we speak.
        raise PacketError(DropReason.BAD_VERSION, f"version {version}, not 2 or 3")
    # RFC 9568 §5.2.2 / RFC 3768 §5.3.2: a packet of unknown type is discarded.
    raise PacketError(DropReason.BAD_TYPE, f"type {type_}, not 1 (advertisement)")


def _addresses(message: bytes, count: int, ipv6: bool) -> tuple[IPAddress, ...]:
    """The `count` addresses after the header (RFC 9568 §5.2.9, RFC 3768 §5.3.9)."""
    if ipv6:
        return tuple(map(IPv6Address, _IPV6_ADDRESSES[count].unpack_from(message, HEADER_LEN)))
    return tuple(map(IPv4Address, _IPV4_ADDRESSES[count].unpack_from(message, HEADER_LEN)))


def _auth_type(value: int) -> AuthType:
    """The v2 auth type, if we accept it (RFC 3768 §5.3.6)."""
    # RFC 3768 §5.3.6: types 1 and 2 are reserved, kept from RFC 2338 (1: text
    # password, 2: IPsec AH); Keepalived still sends both.
    if value == AuthType.NONE:
        return AuthType.NONE
    if value == AuthType.PASS:
        return AuthType.PASS
    if value == AuthType.AH:
        raise PacketError(DropReason.AUTH_UNSUPPORTED, _AH_UNSUPPORTED)
    raise PacketError(
        DropReason.AUTH_UNSUPPORTED, f"unknown auth type {value}: only none (0) and PASS (1)"
    )


def _pseudo_header(
    version: int,
    source: IPAddress,
    destination: IPAddress,
    length: int,
    v3_checksum_as_v2: bool,
) -> bytes:
    """What the checksum covers before the message: nothing, or a pseudo-header."""
    if version == 2:
        # RFC 3768 §5.3.8: the checksum covers the VRRP message alone.
        return b""
    if isinstance(source, IPv6Address):
        assert isinstance(destination, IPv6Address)
        # RFC 9568 §5.2.8: over IPv6 the checksum covers the pseudo-header.
        return ipv6_pseudo_header(source, destination, IPPROTO_VRRP, length)
    if v3_checksum_as_v2:
        # RFC 9568 §5.2.8: over IPv4 the sum is the message alone (Keepalived's
        # v3_checksum_as_v2, FRR without checksum-with-ipv4-pseudoheader).
        return b""
    assert isinstance(destination, IPv4Address)
    # Keepalived and FRR by default read RFC 5798 §5.2.8 as covering an IPv4
    # pseudo-header too; the peers we meet send it, so it is our default.
    return ipv4_pseudo_header(source, destination, IPPROTO_VRRP, length)


def _checksum_detail(
    message: bytes,
    checksum: int,
    source: IPAddress,
    destination: IPAddress,
    *,
    v3_checksum_as_v2: bool,
) -> str:
    """Why the checksum failed, and which setting would make it verify, if one would."""
    detail = f"checksum 0x{checksum:04x} does not verify"
    version = message[0] >> 4
    if version == 3 and source.version == 4:
        other = _pseudo_header(version, source, destination, len(message), not v3_checksum_as_v2)
        if internet_checksum(other + message) == 0:
            if v3_checksum_as_v2:
                return f"{detail}; it matches the pseudo-header form: unset v3_checksum_as_v2"
            return f"{detail}; it matches the message-only form: set v3_checksum_as_v2"
    pseudo = _pseudo_header(version, source, destination, len(message), v3_checksum_as_v2)
    expected = internet_checksum(pseudo + message[:6] + b"\0\0" + message[8:])
    return f"{detail} (expected 0x{expected:04x})"


def _check_sendable(advert: Advert, source: IPAddress, destination: IPAddress) -> None:
    """Raise ValueError unless `advert` can go on the wire from `source` to `destination`."""
    if source.version != destination.version:
        raise ValueError(f"source {source} and destination {destination} differ in family")
    if not VRID_MIN <= advert.vrid <= VRID_MAX:
        raise ValueError(f"VRID {advert.vrid}, not {VRID_MIN}..{VRID_MAX}")
    if not 0 <= advert.priority <= 255:
        raise ValueError(f"priority {advert.priority}, not 0..255")
    if not 1 <= len(advert.addresses) <= MAX_ADDRESSES:
        # RFC 9568 §7.1: peers ignore an advert without addresses.
        raise ValueError(f"{len(advert.addresses)} addresses, not 1..{MAX_ADDRESSES}")
    for address in advert.addresses:
        if address.version != source.version:
            raise ValueError(f"address {address} is not of the source's family ({source})")
    if advert.version == Version.V2:
        _check_sendable_v2(advert, source)
    elif advert.version == Version.V3:
        _check_sendable_v3(advert)
    else:
        raise ValueError(f"VRRP version {advert.version!r}, not 2 or 3")


def _check_sendable_v2(advert: Advert, source: IPAddress) -> None:
    if source.version != 4:
        raise ValueError("VRRPv2 is IPv4 only (RFC 3768): use version 3 for IPv6")
    seconds, rest = divmod(advert.adver_int_cs, 100)
    if rest or not 1 <= seconds <= V2_ADVER_INT_S_MAX:
        # RFC 3768 §5.3.7: Adver Int is whole seconds, one byte.
        raise ValueError(f"adver_int_cs {advert.adver_int_cs}: VRRPv2 needs whole seconds, 1..255")
    if advert.auth_type not in (AuthType.NONE, AuthType.PASS):
        raise ValueError(f"auth type {advert.auth_type!r} cannot be sent: only NONE or PASS")
    if len(advert.auth_data) > V2_AUTH_DATA_LEN:
        raise ValueError(f"auth data of {len(advert.auth_data)} bytes, more than 8")


def _check_sendable_v3(advert: Advert) -> None:
    if not 1 <= advert.adver_int_cs <= V3_ADVER_INT_CS_MAX:
        # RFC 9568 §5.2.7: Max Adver Int is 12 bits of centiseconds.
        raise ValueError(f"adver_int_cs {advert.adver_int_cs}, not 1..{V3_ADVER_INT_CS_MAX}")
    if advert.auth_type != AuthType.NONE or advert.auth_data:
        # RFC 9568 §5.2: VRRPv3 has no authentication fields.
        raise ValueError("VRRPv3 carries no authentication")
