"""Netlink through pyroute2: interface facts and a link and address monitor.

No `ip` subprocesses. Every call goes through AsyncIPRoute on the daemon's
event loop. VIP changes, which must not wait for the loop, are in
`addresses.py`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from dataclasses import dataclass

from pyroute2 import AsyncIPRoute

from vrrpd.protocol.model import IPAddress, IPInterface

IFF_UP = 0x1
IFF_RUNNING = 0x40
# rtnetlink multicast groups: links, IPv4 and IPv6 addresses.
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100


@dataclass(frozen=True, slots=True)
class InterfaceInfo:
    """What the daemon needs to know of one interface."""

    name: str
    index: int
    mac: bytes
    up: bool
    addresses: tuple[IPInterface, ...]

    def primary_v4(self, exclude: frozenset[IPAddress]) -> ipaddress.IPv4Address | None:
        """RFC 9568 §7.2 (IPv4): the interface's primary address, not one of our VIPs."""
        for iface in self.addresses:
            if isinstance(iface, ipaddress.IPv4Interface) and iface.ip not in exclude:
                return iface.ip
        return None

    def link_local_v6(self) -> ipaddress.IPv6Address | None:
        """RFC 9568 §7.2 (IPv6): adverts are sent from the link-local address."""
        for iface in self.addresses:
            if isinstance(iface, ipaddress.IPv6Interface) and iface.ip.is_link_local:
                return iface.ip
        return None


@dataclass(frozen=True, slots=True)
class LinkEvent:
    name: str
    index: int
    up: bool
    detail: str


@dataclass(frozen=True, slots=True)
class AddressRemoved:
    index: int
    address: IPAddress


def _link_up(message: object) -> tuple[bool, str]:
    flags = int(message["flags"])  # type: ignore[index]
    operstate = str(message.get("IFLA_OPERSTATE") or "UNKNOWN")  # type: ignore[attr-defined]
    if not flags & IFF_UP:
        return False, "administratively down"
    if not flags & IFF_RUNNING:
        return False, f"no carrier (operstate {operstate})"
    return True, f"operstate {operstate}"


class Netlink:
    """One rtnetlink socket for requests."""

    def __init__(self) -> None:
        self._ipr = AsyncIPRoute()

    async def close(self) -> None:
        self._ipr.close()

    async def interface(self, name: str) -> InterfaceInfo | None:
        indexes = await self._ipr.link_lookup(ifname=name)
        if not indexes:
            return None
        index = indexes[0]
        mac, up = b"", False
        async for link in await self._ipr.get_links(index):
            mac = bytes.fromhex(str(link.get("IFLA_ADDRESS") or "").replace(":", ""))
            up, _ = _link_up(link)
        addresses = []
        async for message in await self._ipr.get_addr(index=index):
            text = message.get("IFA_ADDRESS")
            if text:
                addresses.append(ipaddress.ip_interface(f"{text}/{message['prefixlen']}"))
        return InterfaceInfo(name, index, mac, up, tuple(addresses))


async def monitor() -> AsyncIterator[LinkEvent | AddressRemoved]:
    """Link state changes and removed addresses, as the kernel announces them."""
    ipr = AsyncIPRoute()
    try:
        await ipr.bind(groups=RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)
        while True:
            async for message in ipr.get():
                event = message.get("event")
                if event == "RTM_NEWLINK":
                    up, detail = _link_up(message)
                    yield LinkEvent(
                        str(message.get("IFLA_IFNAME")), int(message["index"]), up, detail
                    )
                elif event == "RTM_DELADDR" and message.get("IFA_ADDRESS"):
                    yield AddressRemoved(
                        int(message["index"]), ipaddress.ip_address(message.get("IFA_ADDRESS"))
                    )
    finally:
        ipr.close()
