"""VRRP raw sockets: IP protocol 112, IPv4 and IPv6, multicast and unicast.

One receiving socket per (interface, family) serves every instance there; one
sending socket per (interface, family, source address). They are separate
because a raw IPv4 socket bound to an address only receives what is sent to
that address, and the sender must be bound so that we know the source address
that goes into the checksum's pseudo-header.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass

from vrrpd.protocol.model import Family, IPAddress
from vrrpd.protocol.packet import PacketError, parse_ipv4

IPPROTO_VRRP = 112
IPPROTO_AH = 51
# RFC 9568 §5.1.1.2 / §5.1.2.2: the VRRP multicast groups.
GROUP_V4 = ipaddress.IPv4Address("224.0.0.18")
GROUP_V6 = ipaddress.IPv6Address("ff02::12")
# RFC 9568 §5.1.1.3 / §5.1.2.3: sent with TTL / hop limit 255.
VRRP_TTL = 255
# Keepalived: IPv4 TOS / IPv6 traffic class 0xc0 (network control).
TOS_NETWORK_CONTROL = 0xC0
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
RECV_BUFFER = 65536
ANCILLARY_BUFFER = socket.CMSG_SPACE(4) + socket.CMSG_SPACE(20)
IN6_PKTINFO = struct.Struct("16sI")
IP_MREQN = struct.Struct("4s4si")
IPV6_MREQ = struct.Struct("16sI")
HOP_LIMIT = struct.Struct("i")


def group_for(family: Family) -> IPAddress:
    return GROUP_V4 if family is Family.IPV4 else GROUP_V6


@dataclass(frozen=True, slots=True)
class Received:
    """A VRRP message as it arrived: who sent it, to where, with what TTL."""

    source: IPAddress
    destination: IPAddress
    ttl: int
    message: bytes


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A packet refused before its VRRP message could be read (bad IPv4 header, AH)."""

    source: IPAddress | None
    error: PacketError


def _bind_to_device(sock: socket.socket, ifname: str) -> None:
    sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, ifname.encode())


class VrrpReceiver:
    """Receives every VRRP packet on one interface and family, multicast or unicast."""

    def __init__(self, ifname: str, ifindex: int, family: Family) -> None:
        self.ifname, self.ifindex, self.family = ifname, ifindex, family
        if family is Family.IPV4:
            sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_VRRP)
            _bind_to_device(sock, ifname)
            mreq = IP_MREQN.pack(GROUP_V4.packed, bytes(4), ifindex)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        else:
            sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_VRRP)
            _bind_to_device(sock, ifname)
            mreq6 = IPV6_MREQ.pack(GROUP_V6.packed, ifindex)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq6)
            # RFC 9568 §7.1: the hop limit must be checked, and the destination
            # is part of the checksum: ask the kernel for both.
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        sock.setblocking(False)
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()

    def read(self) -> Received | Unreadable | None:
        """One packet, or None when there is nothing left to read."""
        try:
            if self.family is Family.IPV4:
                return self._read_v4()
            return self._read_v6()
        except (BlockingIOError, InterruptedError):
            return None

    def _read_v4(self) -> Received | Unreadable:
        datagram, (source_text, _) = self.sock.recvfrom(RECV_BUFFER)
        try:
            header = parse_ipv4(datagram)
        except PacketError as error:
            return Unreadable(ipaddress.IPv4Address(source_text), error)
        return Received(header.source, header.destination, header.ttl, header.payload)

    def _read_v6(self) -> Received:
        message, ancillary, _flags, address = self.sock.recvmsg(RECV_BUFFER, ANCILLARY_BUFFER)
        source = ipaddress.IPv6Address(address[0].split("%", 1)[0])
        hop_limit, destination = -1, GROUP_V6
        for level, kind, data in ancillary:
            if level != socket.IPPROTO_IPV6:
                continue
            if kind == socket.IPV6_HOPLIMIT and len(data) >= HOP_LIMIT.size:
                (hop_limit,) = HOP_LIMIT.unpack_from(data)
            elif kind == socket.IPV6_PKTINFO and len(data) >= IN6_PKTINFO.size:
                packed, _ = IN6_PKTINFO.unpack_from(data)
                destination = ipaddress.IPv6Address(packed)
        return Received(source, destination, hop_limit, message)


class AhReceiver:
    """Notices VRRPv2 adverts sent with IPsec AH (Keepalived's auth_type AH).

    They arrive as IP protocol 51, which the VRRP socket never sees; without
    this, a Keepalived peer using AH would just look absent (two masters and
    no drop counted). Each one is reported as an auth_unsupported drop.
    """

    family = Family.IPV4

    def __init__(self, ifname: str) -> None:
        self.ifname = ifname
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_AH)
        _bind_to_device(sock, ifname)
        sock.setblocking(False)
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()

    def read(self) -> Unreadable | None:
        """The next AH-wrapped VRRP packet, refused; None when there is none left."""
        while True:
            try:
                datagram, (source_text, _) = self.sock.recvfrom(RECV_BUFFER)
            except (BlockingIOError, InterruptedError):
                return None
            try:
                parse_ipv4(datagram)
            except PacketError as error:
                header_length = (datagram[0] & 0x0F) * 4 if datagram else 0
                # RFC 4302 §2.2: the AH header's first byte is the next protocol.
                if datagram[header_length : header_length + 1] == bytes([IPPROTO_VRRP]):
                    return Unreadable(ipaddress.IPv4Address(source_text), error)


class VrrpSender:
    """Sends VRRP messages from one source address out of one interface."""

    def __init__(self, ifname: str, ifindex: int, source: IPAddress) -> None:
        self.ifname, self.ifindex, self.source = ifname, ifindex, source
        if source.version == 4:
            sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_VRRP)
            _bind_to_device(sock, ifname)
            sock.bind((str(source), 0))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, VRRP_TTL)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, VRRP_TTL)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, TOS_NETWORK_CONTROL)
            mreq = IP_MREQN.pack(bytes(4), source.packed, ifindex)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreq)
        else:
            sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_VRRP)
            _bind_to_device(sock, ifname)
            sock.bind((str(source), 0, 0, ifindex))
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, VRRP_TTL)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, VRRP_TTL)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, TOS_NETWORK_CONTROL)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
        # This socket only sends: keep what the kernel queues for it small.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
        sock.setblocking(False)
        self.sock = sock
        self._sockaddrs: dict[IPAddress, tuple[str, int] | tuple[str, int, int, int]] = {}

    def send(self, message: bytes, destination: IPAddress) -> None:
        """Send one message; OSError goes to the caller (counted and logged there)."""
        sockaddr = self._sockaddrs.get(destination)
        if sockaddr is None:
            if destination.version == 4:
                sockaddr = (str(destination), 0)
            else:
                sockaddr = (str(destination), 0, 0, self.ifindex)
            self._sockaddrs[destination] = sockaddr
        self.sock.sendto(message, sockaddr)

    def close(self) -> None:
        self.sock.close()
