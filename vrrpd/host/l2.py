"""Sends whole Ethernet frames (gratuitous ARPs, unsolicited NAs) on an interface."""

from __future__ import annotations

import socket


class FrameSender:
    """An AF_PACKET socket bound to one interface; frames come from protocol/announce.py."""

    def __init__(self, ifname: str) -> None:
        self.ifname = ifname
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.bind((ifname, 0))
        self.sock.setblocking(False)

    def send(self, frame: bytes) -> None:
        """Send one frame; OSError goes to the caller."""
        self.sock.send(frame)

    def close(self) -> None:
        self.sock.close()
