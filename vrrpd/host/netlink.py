"""rtnetlink: interface facts at start-up, and a monitor of links and addresses.

No `ip` subprocesses and no pyroute2 API objects: the requests and the
kernel's announcements are pyroute2 messages (`ifinfmsg`, `ifaddrmsg`, see
`rtnl.py`) on sockets of our own. VIP changes, which must not wait for the
event loop, are in `addresses.py`.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from vrrpd.host.rtnl import (
    RTM_DELADDR,
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_NEWLINK,
    decode,
    dump,
    ifaddrmsg,
    ifinfmsg,
    route_socket,
)
from vrrpd.protocol.model import IPAddress, IPInterface

IFF_UP = 0x1
IFF_RUNNING = 0x40
# rtnetlink multicast groups: links, IPv4 and IPv6 addresses.
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100
SO_RCVBUFFORCE = 33
MONITOR_BUFFER = 1 << 20  # a burst of link and address changes must not overflow it


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


def _link_up(message: Any) -> tuple[bool, str]:
    flags = int(message["flags"])
    operstate = str(message.get("IFLA_OPERSTATE") or "UNKNOWN")
    if not flags & IFF_UP:
        return False, "administratively down"
    if not flags & IFF_RUNNING:
        return False, f"no carrier (operstate {operstate})"
    return True, f"operstate {operstate}"


class Netlink:
    """Start-up queries: one dump of the links and one of the addresses per question."""

    async def close(self) -> None:
        pass  # every query has its own socket, closed when it is answered

    async def interface(self, name: str) -> InterfaceInfo | None:
        links = [m for m in dump(RTM_GETLINK, ifinfmsg) if m.get("IFLA_IFNAME") == name]
        if not links:
            return None
        link = links[0]
        index = int(link["index"])
        mac = bytes.fromhex(str(link.get("IFLA_ADDRESS") or "").replace(":", ""))
        up, _ = _link_up(link)
        addresses = []
        for message in dump(RTM_GETADDR, ifaddrmsg, sequence=2):
            text = message.get("IFA_ADDRESS")
            if text and int(message["index"]) == index:
                addresses.append(ipaddress.ip_interface(f"{text}/{message['prefixlen']}"))
        return InterfaceInfo(name, index, mac, up, tuple(addresses))


async def monitor() -> AsyncGenerator[LinkEvent | AddressRemoved, None]:
    """Link state changes and removed addresses, as the kernel announces them."""
    loop = asyncio.get_running_loop()
    sock = route_socket(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, MONITOR_BUFFER)
    except PermissionError:  # not root (tests): the largest the sysctl allows
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, MONITOR_BUFFER)
    try:
        while True:
            try:
                data = await loop.sock_recv(sock, 1 << 16)
            except OSError as error:
                if error.errno == errno.ENOBUFS:
                    continue  # announcements were lost; the next ones still count
                raise
            for kind, _, message in decode(data):
                if kind == RTM_NEWLINK:
                    up, detail = _link_up(message)
                    yield LinkEvent(
                        str(message.get("IFLA_IFNAME")), int(message["index"]), up, detail
                    )
                elif kind == RTM_DELADDR and message.get("IFA_ADDRESS"):
                    yield AddressRemoved(
                        int(message["index"]), ipaddress.ip_address(message.get("IFA_ADDRESS"))
                    )
    finally:
        sock.close()
