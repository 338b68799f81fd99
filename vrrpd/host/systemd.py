"""sd_notify in a few lines of the standard library: READY, STATUS, WATCHDOG, ...

systemd passes NOTIFY_SOCKET (and WATCHDOG_USEC / WATCHDOG_PID when
WatchdogSec= is set). Without NOTIFY_SOCKET every call is a no-op, so the
daemon runs the same in a terminal, in the lab and under systemd. A send that
fails is logged, never raised: systemd going away must not stop VRRP.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

import structlog


class SystemdNotifier:
    """Sends state lines to systemd's notify socket, if there is one."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.log = structlog.get_logger("vrrpd.systemd")
        address = env.get("NOTIFY_SOCKET", "")
        # A leading '@' names a socket in the abstract namespace.
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_interval = _watchdog_interval(env)

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def notify(self, *fields: str) -> bool:
        """Send `KEY=value` fields in one datagram; True if it was sent."""
        if not self._address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self._address)
                sock.sendall("\n".join(fields).encode())
        except OSError as error:
            self.log.warning("sd_notify_failed", fields=list(fields), error=str(error))
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.notify("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def status(self, status: str) -> bool:
        return self.notify(f"STATUS={status}")

    def reloading(self) -> bool:
        return self.notify("RELOADING=1", "STATUS=reloading the configuration")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1", "STATUS=stopping: masters resign")

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")


def _watchdog_interval(env: Mapping[str, str]) -> float | None:
    """How often to ping: half of WatchdogSec, if the watchdog is meant for us."""
    usec = env.get("WATCHDOG_USEC")
    pid = env.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2_000_000
    except ValueError:
        return None
