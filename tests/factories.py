"""Small builders of core values for the tests."""

from __future__ import annotations

import dataclasses
from ipaddress import ip_address, ip_interface
from typing import Any

from vrrpd.protocol.model import InstanceConfig, IPAddress, Version, Vip
from vrrpd.protocol.packet import Advert

VIP = Vip(ip_interface("192.0.2.100/24"))
ME = ip_address("192.0.2.11")
PEER = ip_address("192.0.2.12")


def config(**changes: Any) -> InstanceConfig:
    """An instance config: VRID 51, priority 100, v3, one IPv4 VIP, unless changed."""
    base = InstanceConfig(name="VI_1", interface="eth0", vrid=51, vips=(VIP,))
    return dataclasses.replace(base, **changes)


def advert_from(cfg: InstanceConfig, priority: int, **changes: Any) -> Advert:
    """The advert a peer configured like `cfg` would send with `priority`."""
    base = Advert(
        version=cfg.version,
        vrid=cfg.vrid,
        priority=priority,
        adver_int_cs=cfg.advert_int_cs,
        addresses=tuple(vip.address for vip in cfg.vips),
        auth_type=cfg.auth_type,
        auth_data=cfg.auth_pass.ljust(8, b"\0") if cfg.version is Version.V2 else b"",
    )
    return dataclasses.replace(base, **changes)


def addr(text: str) -> IPAddress:
    return ip_address(text)
