"""Micro-benchmark of the VRRP codec: µs per encode / decode, beside scapy's.

Run from the repository root: .venv/bin/python bench/codec.py [--number N]
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from ipaddress import IPv4Address

from vrrpd.protocol.model import Version
from vrrpd.protocol.packet import Advert, decode, encode, parse_ipv4

SOURCE = IPv4Address("192.0.2.11")
DESTINATION = IPv4Address("224.0.0.18")
ADVERT = Advert(Version.V3, 51, 200, 100, (IPv4Address("192.0.2.100"),))


def per_call_us(function: Callable[[], object], number: int) -> float:
    """The best of 5 runs of `number` calls, in µs per call."""
    return min(timeit.repeat(function, number=number, repeat=5)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=20_000, help="calls per run (ours)")
    args = parser.parse_args()
    message = encode(ADVERT, SOURCE, DESTINATION)
    # An IPv4 header as a raw socket delivers it: TOS 0xc0, TTL 255, protocol 112.
    ip_header = bytes.fromhex("45c0002000010000ff700000") + SOURCE.packed + DESTINATION.packed
    datagram = ip_header + message

    rows: list[tuple[str, float]] = [
        (
            "ours: encode v3 IPv4 (1 address)",
            per_call_us(lambda: encode(ADVERT, SOURCE, DESTINATION), args.number),
        ),
        (
            "ours: decode v3 IPv4 (1 address)",
            per_call_us(lambda: decode(message, SOURCE, DESTINATION), args.number),
        ),
        ("ours: parse_ipv4 + decode", per_call_us(lambda: _receive(datagram), args.number)),
        (
            "floor: Advert(...) alone (frozen dataclass)",
            per_call_us(lambda: Advert(Version.V3, 51, 200, 100, ADVERT.addresses), args.number),
        ),
    ]

    # scapy lazily, as vrrpctl imports it: the daemon never does.
    from scapy.layers.inet import IP  # noqa: PLC0415
    from scapy.layers.vrrp import VRRPv3  # noqa: PLC0415

    scapy_number = max(args.number // 50, 100)

    def scapy_build() -> bytes:
        return bytes(
            IP(src=str(SOURCE), dst=str(DESTINATION), ttl=255)
            / VRRPv3(vrid=51, priority=200, adv=100, addrlist=["192.0.2.100"])
        )

    def scapy_dissect() -> object:
        packet = IP(datagram)
        return packet[VRRPv3].addrlist

    assert scapy_build()[20:] == message
    rows += [
        ("scapy: build IP()/VRRPv3()", per_call_us(scapy_build, scapy_number)),
        ("scapy: dissect IP(datagram)", per_call_us(scapy_dissect, scapy_number)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, us in rows:
        print(f"{name:<{width}}  {us:9.2f} µs")


def _receive(datagram: bytes) -> Advert:
    ip = parse_ipv4(datagram)
    return decode(ip.payload, ip.source, ip.destination)


if __name__ == "__main__":
    main()
