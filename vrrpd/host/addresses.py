"""VIP add and remove, done in the call that decides them.

rtnetlink applies a request, and queues its reply, inside the sendmsg() that
carries it. So a VIP change is one send() of a prebuilt RTM_NEWADDR or
RTM_DELADDR on a non-blocking socket and one recv() of the reply that is
already waiting: about 20 µs, no round trip through the event loop. That is
what lets a new master add its VIPs and send its gratuitous ARPs within
microseconds of its first advert, as Keepalived does.

The messages are built by pyroute2's `ifaddrmsg`, with the attributes
`IPRoute.addr()` would send, once per VIP and interface; after that only the
sequence number changes. Errors that mean "already so" (EEXIST on add,
EADDRNOTAVAIL or ENODEV on remove) are not errors; others come back as text
to log, never raised into the state machine.
"""

from __future__ import annotations

import errno
import os
import socket
import struct

from vrrpd.host.rtnl import (
    IFA_F_NODAD,
    NLM_F_ACK,
    NLM_F_CREATE,
    NLM_F_EXCL,
    NLM_F_REQUEST,
    NLMSG_ERROR,
    RTM_DELADDR,
    RTM_NEWADDR,
    decode,
    ifaddrmsg,
    route_socket,
)
from vrrpd.protocol.model import Vip

SCOPES = {"global": 0, "site": 200, "link": 253, "host": 254, "nowhere": 255}
_SEQUENCE_OFFSET = 8
_ALREADY_SO = {RTM_NEWADDR: {errno.EEXIST}, RTM_DELADDR: {errno.EADDRNOTAVAIL, errno.ENODEV}}


def build_request(command: int, vip: Vip, index: int) -> bytearray:
    """The RTM_NEWADDR / RTM_DELADDR message for `vip` on interface `index`."""
    message = ifaddrmsg()
    iface = vip.interface
    message["family"] = socket.AF_INET if iface.version == 4 else socket.AF_INET6
    message["prefixlen"] = iface.network.prefixlen
    message["index"] = index
    message["scope"] = SCOPES[vip.scope] if vip.scope else 0
    attrs: list[tuple[str, object]] = [("IFA_ADDRESS", str(vip.address))]
    if iface.version == 4:
        attrs.append(("IFA_LOCAL", str(vip.address)))
    if command == RTM_NEWADDR:
        if vip.label:
            attrs.append(("IFA_LABEL", vip.label))
        if iface.version == 6:
            attrs.append(("IFA_FLAGS", IFA_F_NODAD))  # Keepalived: no DAD for VIPs
    message["attrs"] = attrs
    flags = NLM_F_REQUEST | NLM_F_ACK
    if command == RTM_NEWADDR:
        flags |= NLM_F_CREATE | NLM_F_EXCL
    message["header"]["type"] = command
    message["header"]["flags"] = flags
    message.encode()
    return bytearray(message.data)


class AddressWriter:
    """One rtnetlink socket that adds and removes VIPs synchronously."""

    def __init__(self, sock: socket.socket | None = None) -> None:
        """`sock`: an unbound NETLINK_ROUTE socket (the tests make one in a namespace)."""
        if sock is None:
            sock = route_socket()
        else:
            sock.setblocking(False)
            sock.bind((0, 0))
        self._socket = sock
        self._sequence = 0
        self._requests: dict[tuple[int, Vip, int], bytearray] = {}

    def prepare(self, vip: Vip, index: int) -> None:
        """Build the add and the remove request for `vip` now, not when they are needed."""
        for command in (RTM_NEWADDR, RTM_DELADDR):
            self._message(command, vip, index)

    def add_vip(self, vip: Vip, index: int) -> str | None:
        """Add a VIP; None on success (or if present), else the error as text."""
        return self._request(RTM_NEWADDR, vip, index)

    def remove_vip(self, vip: Vip, index: int) -> str | None:
        """Remove a VIP; None on success (or if absent), else the error as text."""
        return self._request(RTM_DELADDR, vip, index)

    def close(self) -> None:
        self._socket.close()

    def _request(self, command: int, vip: Vip, index: int) -> str | None:
        message = self._message(command, vip, index)
        self._sequence = (self._sequence + 1) & 0xFFFFFFFF
        struct.pack_into("=I", message, _SEQUENCE_OFFSET, self._sequence)
        try:
            self._socket.send(message)
        except OSError as error:
            return _describe(error.errno or errno.EIO)
        code = self._reply(self._sequence)
        if code is None:
            return "no reply from the kernel (netlink replies lost)"
        if code == 0 or code in _ALREADY_SO[command]:
            return None
        return _describe(code)

    def _message(self, command: int, vip: Vip, index: int) -> bytearray:
        key = (command, vip, index)
        message = self._requests.get(key)
        if message is None:
            message = self._requests[key] = build_request(command, vip, index)
        return message

    def _reply(self, sequence: int) -> int | None:
        """The error code the kernel answered to `sequence` (0 = done)."""
        while True:
            try:
                data = self._socket.recv(65536)
            except BlockingIOError:
                return None
            except OSError as error:  # ENOBUFS: replies were dropped; ours may follow
                if error.errno != errno.ENOBUFS:
                    return None
                continue
            for kind, seq, code in decode(data):
                if kind == NLMSG_ERROR and seq == sequence:
                    return int(code)
            # A stale reply to an earlier request: keep reading.


def _describe(code: int) -> str:
    return f"{code} {errno.errorcode.get(code, '')}: {os.strerror(code)}"
