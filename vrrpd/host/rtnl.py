"""pyroute2's rtnetlink message classes, without the rest of pyroute2.

`import pyroute2` runs a package __init__ that imports every pyroute2 API
(IPRoute, IPDB, NDB with sqlite3, ssl, the WiFi, conntrack and devlink
sockets...): about 16 MB of RSS and 90 ms of start-up, for a daemon that
needs two message classes. So while those are imported, `pyroute2` is the
bare package, its __init__ not run; then the bare package is forgotten, and a
later `import pyroute2` (a test, a tool) gets the whole library as usual.

Also here: `decode()`, which splits what a NETLINK_ROUTE socket read into
decoded messages, and `dump()`, a blocking request for start-up queries.
"""

from __future__ import annotations

import importlib.util
import socket
import struct
import sys
from collections.abc import Iterator
from typing import Any

_BARE = "pyroute2" not in sys.modules
if _BARE:
    _spec = importlib.util.find_spec("pyroute2")
    assert _spec is not None, "pyroute2 is not installed"
    sys.modules["pyroute2"] = importlib.util.module_from_spec(_spec)  # not executed
try:
    from pyroute2.netlink import (
        NLM_F_ACK,
        NLM_F_CREATE,
        NLM_F_DUMP,
        NLM_F_EXCL,
        NLM_F_REQUEST,
        NLMSG_DONE,
        NLMSG_ERROR,
    )
    from pyroute2.netlink.rtnl import (
        RTM_DELADDR,
        RTM_DELLINK,
        RTM_GETADDR,
        RTM_GETLINK,
        RTM_NEWADDR,
        RTM_NEWLINK,
    )
    from pyroute2.netlink.rtnl.ifaddrmsg import IFA_F_NODAD, ifaddrmsg
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
finally:
    if _BARE:
        del sys.modules["pyroute2"]

__all__ = [
    "HEADER",
    "IFA_F_NODAD",
    "NLMSG_ERROR",
    "NLM_F_ACK",
    "NLM_F_CREATE",
    "NLM_F_EXCL",
    "NLM_F_REQUEST",
    "RTM_DELADDR",
    "RTM_DELLINK",
    "RTM_GETADDR",
    "RTM_GETLINK",
    "RTM_NEWADDR",
    "RTM_NEWLINK",
    "NetlinkDumpError",
    "decode",
    "dump",
    "ifaddrmsg",
    "ifinfmsg",
    "route_socket",
]

HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port
_ERROR_CODE = struct.Struct("=i")
_CLASSES: dict[int, Any] = {
    RTM_NEWLINK: ifinfmsg,
    RTM_DELLINK: ifinfmsg,
    RTM_NEWADDR: ifaddrmsg,
    RTM_DELADDR: ifaddrmsg,
}
_DUMP_TIMEOUT = 5.0


class NetlinkDumpError(OSError):
    """The kernel refused a request, or did not answer it."""


def route_socket(groups: int = 0, *, blocking: bool = False) -> socket.socket:
    """A NETLINK_ROUTE socket, bound to these multicast groups."""
    sock = socket.socket(
        socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE
    )
    sock.setblocking(blocking)
    sock.bind((0, groups))
    return sock


def decode(data: bytes) -> Iterator[tuple[int, int, Any]]:
    """(type, sequence, message) for each message in one read; links and addresses decoded.

    Other types come with message None; NLMSG_ERROR with the error code (0 = done).
    """
    offset = 0
    while offset + HEADER.size <= len(data):
        length, kind, _, sequence, _ = HEADER.unpack_from(data, offset)
        if length < HEADER.size or offset + length > len(data):
            return  # truncated: nothing more can be read from it
        message: Any = None
        cls = _CLASSES.get(kind)
        if cls is not None:
            message = cls(data[offset : offset + length])
            message.decode()
        elif kind == NLMSG_ERROR:
            message = -_ERROR_CODE.unpack_from(data, offset + HEADER.size)[0]
        yield kind, sequence, message
        offset += (length + 3) & ~3


def dump(kind: int, message_class: Any, sequence: int = 1) -> list[Any]:
    """Every object of one kind (RTM_GETLINK, RTM_GETADDR), asked on a socket of its own."""
    request = message_class()
    request["family"] = socket.AF_UNSPEC
    request["header"]["type"] = kind
    request["header"]["flags"] = NLM_F_REQUEST | NLM_F_DUMP
    request["header"]["sequence_number"] = sequence
    request.encode()
    found: list[Any] = []
    with route_socket(blocking=True) as sock:
        sock.settimeout(_DUMP_TIMEOUT)
        sock.send(request.data)
        while True:
            try:
                data = sock.recv(1 << 16)
            except TimeoutError as error:
                raise NetlinkDumpError(f"no netlink answer in {_DUMP_TIMEOUT:g} s") from error
            for got, seq, message in decode(data):
                if seq != sequence:
                    continue
                if got == NLMSG_DONE:
                    return found
                if got == NLMSG_ERROR and message:
                    raise NetlinkDumpError(message, f"netlink dump refused: errno {message}")
                if message is not None and got != NLMSG_ERROR:
                    found.append(message)
