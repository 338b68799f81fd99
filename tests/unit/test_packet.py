"""The VRRP codec: golden Keepalived frames, every refusal, and the checksum forms."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

import pytest

from tests.golden import VrrpFrame, capture, vrrp_frames
from vrrpd.protocol.checksum import internet_checksum, ipv4_pseudo_header, ipv6_pseudo_header
from vrrpd.protocol.model import AuthType, IPAddress, Version
from vrrpd.protocol.packet import (
    Advert,
    DropReason,
    IPv4Datagram,
    PacketError,
    decode,
    encode,
    parse_ipv4,
)

SRC4 = IPv4Address("192.0.2.11")
DST4 = IPv4Address("224.0.0.18")
VIP4 = IPv4Address("192.0.2.100")
SRC6 = IPv6Address("fe80::11")
DST6 = IPv6Address("ff02::12")
VIP6 = IPv6Address("2001:db8::100")

V3_ADVERT = Advert(Version.V3, vrid=51, priority=200, adver_int_cs=100, addresses=(VIP4,))
V2_ADVERT = Advert(
    Version.V2,
    vrid=51,
    priority=200,
    adver_int_cs=100,
    addresses=(VIP4,),
    auth_type=AuthType.NONE,
    auth_data=bytes(8),
)
V2_BODY = VIP4.packed + bytes(8)  # one address and the auth data
V6_ADVERT = Advert(Version.V3, vrid=51, priority=200, adver_int_cs=100, addresses=(VIP6,))

GOLDEN = vrrp_frames()
GOLDEN_ACCEPTED = [f for f in GOLDEN if not f.ah]
GOLDEN_AH = [f for f in GOLDEN if f.ah]
GOLDEN_IPV4 = [f for f in GOLDEN if f.family == 4]


def _ids(frames: list[VrrpFrame]) -> list[str]:
    return [f.id for f in frames]


def naive_checksum(data: bytes) -> int:
    """RFC 1071 §4.1, word by word: an independent check on internet_checksum."""
    if len(data) % 2:
        data += b"\0"
    total = 0
    for (word,) in struct.iter_unpack("!H", data):
        total += word
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def message(
    *,
    version: int = 3,
    type_: int = 1,
    count: int = 1,
    word: int = 100,
    body: bytes = VIP4.packed,
    source: IPAddress = SRC4,
    destination: IPAddress = DST4,
) -> bytes:
    """A VRRP message (VRID 51, priority 200) with any header fields, and a checksum
    that verifies. `word` is auth type + Adver Int (v2) or rsvd + Max Adver Int (v3)."""
    unsummed = struct.pack("!BBBBHH", version << 4 | type_, 51, 200, count, word, 0) + body
    prefix = b""
    if version == 3:
        if isinstance(source, IPv6Address):
            assert isinstance(destination, IPv6Address)
            prefix = ipv6_pseudo_header(source, destination, 112, len(unsummed))
        else:
            assert isinstance(destination, IPv4Address)
            prefix = ipv4_pseudo_header(source, destination, 112, len(unsummed))
    checksum = naive_checksum(prefix + unsummed)
    return unsummed[:6] + checksum.to_bytes(2, "big") + unsummed[8:]


def ipv4_datagram(
    payload: bytes,
    *,
    protocol: int = 112,
    ttl: int = 255,
    options: bytes = b"",
    version: int = 4,
    total_length: int | None = None,
) -> bytes:
    ihl = 5 + len(options) // 4
    length = 4 * ihl + len(payload) if total_length is None else total_length
    header = struct.pack(
        "!BBHHHBBH4s4s",
        version << 4 | ihl,
        0xC0,
        length,
        1,
        0,
        ttl,
        protocol,
        0,
        SRC4.packed,
        DST4.packed,
    )
    return header + options + payload


def refused(reason: DropReason, data: bytes, source: IPAddress, destination: IPAddress) -> str:
    with pytest.raises(PacketError) as caught:
        decode(data, source, destination)
    assert caught.value.reason is reason, caught.value
    return caught.value.detail


# ── golden Keepalived 2.2.7 frames ──────────────────────────────────────


def test_golden_index_holds_every_capture() -> None:
    names = {f.capture for f in GOLDEN}
    assert names == {
        "v2_ah",
        "v2_noauth",
        "v2_pass",
        "v2_unicast",
        "v3_ipv4",
        "v3_ipv4_adv0.1",
        "v3_ipv4_unicast",
        "v3_ipv6",
    }
    assert all(f.checksum_ok for f in GOLDEN)


@pytest.mark.parametrize("frame", GOLDEN_ACCEPTED, ids=_ids(GOLDEN_ACCEPTED))
def test_keepalived_golden_advert_decodes_to_captured_fields(frame: VrrpFrame) -> None:
    advert = decode(frame.vrrp, frame.source, frame.destination)
    assert advert.version == frame.version
    assert advert.vrid == frame.vrid
    assert advert.priority == frame.priority
    assert advert.adver_int_cs == frame.adver_int_cs
    assert advert.addresses == frame.addresses
    assert len(advert.addresses) == frame.count
    if frame.version == 2:
        assert advert.auth_type == frame.auth_type
        assert advert.auth_data == frame.auth_data
    else:
        assert advert.auth_type is AuthType.NONE
        assert advert.auth_data == b""


@pytest.mark.parametrize("frame", GOLDEN_ACCEPTED, ids=_ids(GOLDEN_ACCEPTED))
def test_keepalived_golden_advert_reencodes_byte_for_byte(frame: VrrpFrame) -> None:
    advert = decode(frame.vrrp, frame.source, frame.destination)
    assert encode(advert, frame.source, frame.destination) == frame.vrrp


@pytest.mark.parametrize("frame", GOLDEN_IPV4, ids=_ids(GOLDEN_IPV4))
def test_golden_ipv4_frames_parse(frame: VrrpFrame) -> None:
    if frame.ah:
        with pytest.raises(PacketError) as caught:
            parse_ipv4(frame.ip_packet)
        assert caught.value.reason is DropReason.AUTH_UNSUPPORTED
        return
    datagram = parse_ipv4(frame.ip_packet)
    assert datagram == IPv4Datagram(
        ttl=frame.ttl,
        protocol=112,
        source=IPv4Address(frame.source),
        destination=IPv4Address(frame.destination),
        payload=frame.vrrp,
    )


@pytest.mark.parametrize("frame", GOLDEN_AH, ids=_ids(GOLDEN_AH))
def test_rfc3768_5_3_6_ah_auth_refused_as_unsupported(frame: VrrpFrame) -> None:
    detail = refused(DropReason.AUTH_UNSUPPORTED, frame.vrrp, frame.source, frame.destination)
    assert detail == "IPsec AH authentication (auth_type AH) is not supported: use PASS or none"


@pytest.mark.parametrize("frame", GOLDEN_AH, ids=_ids(GOLDEN_AH))
def test_keepalived_ah_header_before_vrrp_refused_as_unsupported(frame: VrrpFrame) -> None:
    with pytest.raises(PacketError) as caught:
        parse_ipv4(frame.ip_packet)
    assert caught.value.reason is DropReason.AUTH_UNSUPPORTED
    assert "auth_type AH" in caught.value.detail


def test_keepalived_v2_without_auth_sends_eight_zero_bytes() -> None:
    for frame in capture("v2_noauth").vrrp_frames():
        assert frame.vrrp[-8:] == bytes(8)
    assert encode(V2_ADVERT, SRC4, DST4)[-8:] == bytes(8)
    bare = Advert(Version.V2, 51, 200, 100, (VIP4,))  # auth_data b"": zeros too
    assert encode(bare, SRC4, DST4) == encode(V2_ADVERT, SRC4, DST4)


def test_rfc3768_5_3_10_pass_auth_data_is_password_zero_padded() -> None:
    frame = capture("v2_pass").vrrp_frames()[0]
    assert frame.vrrp[-8:] == b"secret12"
    short = Advert(Version.V2, 51, 200, 100, (VIP4,), AuthType.PASS, b"abc")
    sent = encode(short, SRC4, DST4)
    assert sent[4] == AuthType.PASS
    assert sent[-8:] == b"abc\0\0\0\0\0"
    assert decode(sent, SRC4, DST4).auth_data == b"abc\0\0\0\0\0"


def test_decode_does_not_check_the_password() -> None:
    sent = encode(Advert(Version.V2, 51, 200, 100, (VIP4,), AuthType.PASS, b"other"), SRC4, DST4)
    advert = decode(sent, SRC4, DST4)
    assert (advert.auth_type, advert.auth_data) == (AuthType.PASS, b"other\0\0\0")


# ── the checksum ────────────────────────────────────────────────────────


def test_rfc1071_checksum_of_the_rfc_example() -> None:
    # RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement).
    data = bytes.fromhex("0001f203f4f5f6f7")
    assert internet_checksum(data) == ~0xDDF2 & 0xFFFF
    assert internet_checksum(data) == naive_checksum(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\0",
        b"\0\0\0\0",
        b"\xff\xff",
        b"\xff\xfe\x00\x01",
        b"\x12",
        b"\x01\x02\x03",
        bytes(range(256)),
    ],
)
def test_rfc1071_checksum_edge_cases_agree_with_word_by_word_sum(data: bytes) -> None:
    assert internet_checksum(data) == naive_checksum(data)


def test_rfc1071_a_message_with_its_checksum_sums_to_zero() -> None:
    sent = encode(V2_ADVERT, SRC4, DST4)
    assert internet_checksum(sent) == 0


def test_rfc1071_odd_length_is_padded_with_a_zero_byte() -> None:
    assert internet_checksum(b"\xab") == internet_checksum(b"\xab\x00") == 0x54FF


def test_keepalived_v3_ipv4_checksum_includes_pseudo_header_by_default() -> None:
    frame = capture("v3_ipv4").vrrp_frames()[0]
    advert = decode(frame.vrrp, frame.source, frame.destination)
    assert encode(advert, frame.source, frame.destination) == frame.vrrp
    assert internet_checksum(frame.vrrp) != 0  # the message alone does not verify
    source, destination = frame.source, frame.destination
    assert isinstance(source, IPv4Address)
    assert isinstance(destination, IPv4Address)
    pseudo = ipv4_pseudo_header(source, destination, 112, len(frame.vrrp))
    assert internet_checksum(pseudo + frame.vrrp) == 0


def test_keepalived_v3_checksum_as_v2_sums_the_ipv4_message_alone() -> None:
    sent = encode(V3_ADVERT, SRC4, DST4, v3_checksum_as_v2=True)
    assert internet_checksum(sent) == 0
    assert decode(sent, SRC4, DST4, v3_checksum_as_v2=True) == V3_ADVERT
    assert sent != encode(V3_ADVERT, SRC4, DST4)


def test_keepalived_v3_checksum_as_v2_mismatch_says_to_set_it() -> None:
    sent = encode(V3_ADVERT, SRC4, DST4, v3_checksum_as_v2=True)
    detail = refused(DropReason.BAD_CHECKSUM, sent, SRC4, DST4)
    checksum = int.from_bytes(sent[6:8], "big")
    assert detail == (
        f"checksum 0x{checksum:04x} does not verify; "
        "it matches the message-only form: set v3_checksum_as_v2"
    )


def test_keepalived_v3_checksum_as_v2_mismatch_says_to_unset_it() -> None:
    frame = capture("v3_ipv4").vrrp_frames()[0]
    with pytest.raises(PacketError) as caught:
        decode(frame.vrrp, frame.source, frame.destination, v3_checksum_as_v2=True)
    assert caught.value.reason is DropReason.BAD_CHECKSUM
    assert caught.value.detail.endswith(
        "it matches the pseudo-header form: unset v3_checksum_as_v2"
    )


def test_rfc9568_5_2_8_ipv6_checksum_always_includes_pseudo_header() -> None:
    plain = encode(V6_ADVERT, SRC6, DST6)
    assert encode(V6_ADVERT, SRC6, DST6, v3_checksum_as_v2=True) == plain
    assert decode(plain, SRC6, DST6, v3_checksum_as_v2=True) == V6_ADVERT
    pseudo = ipv6_pseudo_header(SRC6, DST6, 112, len(plain))
    assert internet_checksum(pseudo + plain) == 0


def test_rfc3768_5_3_8_v2_checksum_covers_the_message_alone() -> None:
    sent = encode(V2_ADVERT, SRC4, DST4)
    assert internet_checksum(sent) == 0
    assert encode(V2_ADVERT, SRC4, DST4, v3_checksum_as_v2=True) == sent
    assert decode(sent, SRC4, IPv4Address("192.0.2.12")) == V2_ADVERT  # destination not summed


def test_rfc9568_5_2_8_unicast_checksum_covers_the_peer_destination() -> None:
    frame = capture("v3_ipv4_unicast").vrrp_frames()[0]
    assert frame.destination == IPv4Address("10.77.0.12")
    decode(frame.vrrp, frame.source, frame.destination)
    refused(DropReason.BAD_CHECKSUM, frame.vrrp, frame.source, DST4)


def test_bad_checksum_without_a_fitting_form_gives_the_expected_value() -> None:
    sent = bytearray(encode(V2_ADVERT, SRC4, DST4))
    good = int.from_bytes(sent[6:8], "big")
    sent[6:8] = (good ^ 0x0101).to_bytes(2, "big")
    detail = refused(DropReason.BAD_CHECKSUM, bytes(sent), SRC4, DST4)
    assert detail == f"checksum 0x{good ^ 0x0101:04x} does not verify (expected 0x{good:04x})"


def test_rfc9568_7_1_corrupted_address_fails_the_checksum() -> None:
    sent = bytearray(encode(V3_ADVERT, SRC4, DST4))
    sent[-1] ^= 0x01
    refused(DropReason.BAD_CHECKSUM, bytes(sent), SRC4, DST4)


# ── every refusal decode can make ───────────────────────────────────────


@pytest.mark.parametrize("length", [0, 1, 7])
def test_rfc9568_7_1_shorter_than_the_header_is_truncated(length: int) -> None:
    data = encode(V3_ADVERT, SRC4, DST4)[:length]
    assert "8-byte VRRP header" in refused(DropReason.TRUNCATED, data, SRC4, DST4)


def test_rfc9568_7_1_shorter_than_the_address_list_is_truncated() -> None:
    two = Advert(Version.V3, 51, 200, 100, (VIP4, IPv4Address("192.0.2.101")))
    data = encode(two, SRC4, DST4)[:-1]
    detail = refused(DropReason.TRUNCATED, data, SRC4, DST4)
    assert detail == "15 bytes, shorter than the 16 that 2 IPv4 address(es) need"


def test_rfc9568_7_1_ipv6_addresses_are_sixteen_bytes() -> None:
    data = encode(V6_ADVERT, SRC6, DST6)
    refused(DropReason.TRUNCATED, data[:-4], SRC6, DST6)
    # The same bytes read as IPv4 have a 4-byte address and 12 bytes of padding.
    refused(DropReason.BAD_CHECKSUM, data, SRC4, DST4)


def test_rfc3768_7_1_v2_without_its_auth_data_is_truncated() -> None:
    data = encode(V2_ADVERT, SRC4, DST4)[:-8]
    detail = refused(DropReason.TRUNCATED, data, SRC4, DST4)
    assert detail.endswith("and the auth data need")


@pytest.mark.parametrize("version", [0, 1, 4, 15])
def test_rfc9568_7_1_unknown_version_refused(version: int) -> None:
    data = message(version=version)
    assert refused(DropReason.BAD_VERSION, data, SRC4, DST4) == f"version {version}, not 2 or 3"


def test_rfc3768_5_2_v2_over_ipv6_refused_as_bad_version() -> None:
    data = message(
        version=2, word=0x0001, body=VIP6.packed + bytes(8), source=SRC6, destination=DST6
    )
    assert "IPv4 only" in refused(DropReason.BAD_VERSION, data, SRC6, DST6)


@pytest.mark.parametrize("type_", [0, 2, 15])
def test_rfc9568_5_2_2_only_type_1_advertisement_accepted(type_: int) -> None:
    data = message(type_=type_)
    refused(DropReason.BAD_TYPE, data, SRC4, DST4)


def test_rfc9568_7_1_v3_address_count_zero_refused() -> None:
    data = message(count=0, body=b"")
    refused(DropReason.BAD_ADDRESS_COUNT, data, SRC4, DST4)


def test_rfc3768_v2_address_count_zero_refused() -> None:
    data = message(version=2, count=0, word=0x0001, body=bytes(8))
    refused(DropReason.BAD_ADDRESS_COUNT, data, SRC4, DST4)


def test_rfc9568_7_1_v3_max_adver_int_zero_refused() -> None:
    data = message(word=0)
    assert refused(DropReason.BAD_ADVER_INT, data, SRC4, DST4) == "Max Adver Int is 0"


def test_rfc9568_5_2_6_reserved_bits_do_not_hide_a_zero_max_adver_int() -> None:
    data = message(word=0xF000)
    refused(DropReason.BAD_ADVER_INT, data, SRC4, DST4)


def test_rfc3768_5_3_7_v2_adver_int_zero_refused() -> None:
    data = message(version=2, word=0x0000, body=V2_BODY)
    assert refused(DropReason.BAD_ADVER_INT, data, SRC4, DST4) == "Adver Int is 0"


def test_rfc3768_5_3_6_ah_type_refused_as_unsupported() -> None:
    data = message(version=2, word=0x0201, body=V2_BODY)
    detail = refused(DropReason.AUTH_UNSUPPORTED, data, SRC4, DST4)
    assert detail == "IPsec AH authentication (auth_type AH) is not supported: use PASS or none"


@pytest.mark.parametrize("auth_type", [3, 7, 255])
def test_rfc3768_5_3_6_unknown_auth_type_refused_as_unsupported(auth_type: int) -> None:
    data = message(version=2, word=auth_type << 8 | 1, body=V2_BODY)
    detail = refused(DropReason.AUTH_UNSUPPORTED, data, SRC4, DST4)
    assert detail.startswith(f"unknown auth type {auth_type}")


# ── what decode accepts ─────────────────────────────────────────────────


def test_rfc9568_5_2_6_reserved_bits_ignored_on_receipt() -> None:
    data = message(word=0xF000 | 250)
    assert decode(data, SRC4, DST4).adver_int_cs == 250


def test_rfc3768_5_3_7_v2_adver_int_is_whole_seconds() -> None:
    advert = Advert(Version.V2, 51, 200, 300, (VIP4,), AuthType.NONE, bytes(8))
    sent = encode(advert, SRC4, DST4)
    assert sent[5] == 3
    assert decode(sent, SRC4, DST4) == advert


def test_rfc9568_5_2_7_v3_max_adver_int_is_centiseconds() -> None:
    advert = Advert(Version.V3, 51, 200, 4095, (VIP4,))
    sent = encode(advert, SRC4, DST4)
    assert sent[4:6] == b"\x0f\xff"
    assert decode(sent, SRC4, DST4) == advert


@pytest.mark.parametrize(
    ("advert", "source", "destination"),
    [(V2_ADVERT, SRC4, DST4), (V3_ADVERT, SRC4, DST4), (V6_ADVERT, SRC6, DST6)],
    ids=["v2", "v3-ipv4", "v3-ipv6"],
)
@pytest.mark.parametrize("padding", [b"\0", bytes(6), b"\xde\xad\xbe\xef" * 5])
def test_trailing_padding_after_declared_length_is_ignored(
    advert: Advert, source: IPAddress, destination: IPAddress, padding: bytes
) -> None:
    sent = encode(advert, source, destination)
    assert decode(sent + padding, source, destination) == advert


def test_priority_zero_and_owner_priority_decode() -> None:
    for priority in (0, 255):
        advert = Advert(Version.V3, 1, priority, 100, (VIP4,))
        assert decode(encode(advert, SRC4, DST4), SRC4, DST4) == advert


def test_all_255_addresses_round_trip() -> None:
    addresses = tuple(IPv6Address(f"2001:db8::{i:x}") for i in range(1, 256))
    advert = Advert(Version.V3, 255, 100, 100, addresses)
    sent = encode(advert, SRC6, DST6)
    assert len(sent) == 8 + 255 * 16
    assert decode(sent, SRC6, DST6) == advert


def test_decode_with_mixed_family_arguments_is_our_bug() -> None:
    with pytest.raises(ValueError, match="differ in family"):
        decode(encode(V3_ADVERT, SRC4, DST4), SRC4, DST6)


# ── encode refuses what it cannot send (our bugs, ValueError) ───────────


@pytest.mark.parametrize(
    ("advert", "source", "destination", "match"),
    [
        (Advert(Version.V2, 51, 200, 100, (VIP6,)), SRC6, DST6, "IPv4 only"),
        (Advert(Version.V3, 51, 200, 100, (VIP4,)), SRC4, DST6, "differ in family"),
        (Advert(Version.V3, 0, 200, 100, (VIP4,)), SRC4, DST4, "VRID 0"),
        (Advert(Version.V3, 256, 200, 100, (VIP4,)), SRC4, DST4, "VRID 256"),
        (Advert(Version.V3, 51, 256, 100, (VIP4,)), SRC4, DST4, "priority 256"),
        (Advert(Version.V3, 51, -1, 100, (VIP4,)), SRC4, DST4, "priority -1"),
        (Advert(Version.V3, 51, 200, 100, ()), SRC4, DST4, "0 addresses"),
        (Advert(Version.V3, 51, 200, 100, (VIP4,) * 256), SRC4, DST4, "256 addresses"),
        (Advert(Version.V3, 51, 200, 100, (VIP6,)), SRC4, DST4, "family"),
        (Advert(Version.V3, 51, 200, 0, (VIP4,)), SRC4, DST4, "adver_int_cs 0"),
        (Advert(Version.V3, 51, 200, 4096, (VIP4,)), SRC4, DST4, "adver_int_cs 4096"),
        (Advert(Version.V3, 51, 200, 100, (VIP4,), AuthType.PASS), SRC4, DST4, "no auth"),
        (Advert(Version.V3, 51, 200, 100, (VIP4,), auth_data=b"x"), SRC4, DST4, "no auth"),
        (Advert(Version.V2, 51, 200, 150, (VIP4,)), SRC4, DST4, "whole seconds"),
        (Advert(Version.V2, 51, 200, 0, (VIP4,)), SRC4, DST4, "whole seconds"),
        (Advert(Version.V2, 51, 200, 25600, (VIP4,)), SRC4, DST4, "whole seconds"),
        (Advert(Version.V2, 51, 200, 100, (VIP4,), AuthType.AH), SRC4, DST4, "only NONE or PASS"),
        (Advert(Version.V2, 51, 200, 100, (VIP4,), AuthType.PASS, bytes(9)), SRC4, DST4, "than 8"),
        (Advert(4, 51, 200, 100, (VIP4,)), SRC4, DST4, "not 2 or 3"),  # type: ignore[arg-type]
    ],
)
def test_encode_refuses_an_advert_it_cannot_send(
    advert: Advert, source: IPAddress, destination: IPAddress, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        encode(advert, source, destination)


# ── parse_ipv4: raw IPv4 sockets deliver the header ─────────────────────


def test_parse_ipv4_returns_header_fields_and_payload() -> None:
    payload = encode(V3_ADVERT, SRC4, DST4)
    datagram = parse_ipv4(ipv4_datagram(payload, ttl=64))
    assert datagram == IPv4Datagram(64, 112, SRC4, DST4, payload)  # TTL is the caller's


def test_rfc791_ipv4_options_are_skipped_by_ihl() -> None:
    payload = encode(V3_ADVERT, SRC4, DST4)
    router_alert = b"\x94\x04\x00\x00"
    assert parse_ipv4(ipv4_datagram(payload, options=router_alert)).payload == payload


def test_rfc791_bytes_after_total_length_are_not_payload() -> None:
    payload = encode(V3_ADVERT, SRC4, DST4)
    assert parse_ipv4(ipv4_datagram(payload) + bytes(10)).payload == payload


@pytest.mark.parametrize("length", [0, 1, 19])
def test_parse_ipv4_shorter_than_a_header_is_truncated(length: int) -> None:
    with pytest.raises(PacketError) as caught:
        parse_ipv4(ipv4_datagram(encode(V3_ADVERT, SRC4, DST4))[:length])
    assert caught.value.reason is DropReason.TRUNCATED


def test_parse_ipv4_shorter_than_total_length_is_truncated() -> None:
    with pytest.raises(PacketError) as caught:
        parse_ipv4(ipv4_datagram(encode(V3_ADVERT, SRC4, DST4))[:-1])
    assert caught.value.reason is DropReason.TRUNCATED


def test_parse_ipv4_header_longer_than_the_datagram_is_truncated() -> None:
    data = ipv4_datagram(b"", options=bytes(40))[:30]
    with pytest.raises(PacketError) as caught:
        parse_ipv4(data)
    assert caught.value.reason is DropReason.TRUNCATED


@pytest.mark.parametrize(
    ("datagram", "match"),
    [
        (ipv4_datagram(b"x" * 12, version=6), "IP version 6"),
        (ipv4_datagram(b"x" * 12, version=0), "IP version 0"),
        (b"\x44" + ipv4_datagram(b"x" * 12)[1:], "IHL 4"),
        (ipv4_datagram(b"x" * 12, total_length=19), "total length 19"),
        (ipv4_datagram(b"x" * 12, options=bytes(4), total_length=20), "total length 20"),
    ],
    ids=["version-6", "version-0", "ihl-4", "total-below-20", "total-below-ihl"],
)
def test_parse_ipv4_malformed_header_refused(datagram: bytes, match: str) -> None:
    with pytest.raises(PacketError, match=match) as caught:
        parse_ipv4(datagram)
    assert caught.value.reason is DropReason.BAD_IP_HEADER


@pytest.mark.parametrize("protocol", [0, 6, 17, 50, 113, 255])
def test_rfc9568_5_1_1_4_ip_protocol_must_be_112(protocol: int) -> None:
    with pytest.raises(PacketError) as caught:
        parse_ipv4(ipv4_datagram(encode(V3_ADVERT, SRC4, DST4), protocol=protocol))
    assert caught.value.reason is DropReason.BAD_PROTOCOL


def test_keepalived_ah_protocol_51_refused_as_unsupported() -> None:
    with pytest.raises(PacketError) as caught:
        parse_ipv4(ipv4_datagram(bytes(24) + encode(V2_ADVERT, SRC4, DST4), protocol=51))
    assert caught.value.reason is DropReason.AUTH_UNSUPPORTED
