"""The model's rules that both config formats apply, in one place.

The YAML loader and the keepalived.conf reader word their messages for their
own syntax. Where a rule's words are the same in both, the rule returns them
as a `(problem, fix)` pair (None when the value is fine). Where the words
differ, it says which rule is broken, and the caller words it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from vrrpd.protocol.model import (
    V2_ADVER_INT_S_MAX,
    V3_ADVER_INT_CS_MAX,
    Family,
    InstanceConfig,
    IPAddress,
    IPInterface,
    TrackKind,
    Version,
    Vip,
)

IFNAMSIZ = 16  # Linux: interface names and address labels are at most 15 bytes

Refusal = tuple[str, str]  # (problem, fix)


def interface_name_refusal(name: str) -> Refusal | None:
    """Why `name` cannot name a Linux interface, or None."""
    if len(name.encode()) >= IFNAMSIZ or "/" in name:
        return (
            f"{name!r} cannot be a Linux interface name",
            f"use at most {IFNAMSIZ - 1} bytes and no '/'",
        )
    return None


def virtual_ip_refusal(interface: IPInterface, text: str) -> Refusal | None:
    """Why the address `text` (read as `interface`) cannot be a virtual IP, or None."""
    ip = interface.ip
    if ip.is_multicast or ip.is_unspecified or "%" in text:
        return f"{text!r} cannot be a virtual IP", "use a unicast address"
    return None


def family_refusal(address: IPAddress, family: Family) -> Refusal | None:
    """Why a unicast address of an instance whose VIPs are of `family` is wrong, or None."""
    if address.version == int(family):
        return None
    return (
        f"{address} is IPv{address.version} but this instance's virtual IPs are IPv{int(family)}",
        f"use this node's IPv{int(family)} address",
    )


class AdvertIntFault(enum.Enum):
    """How an advert interval cannot be carried by its VRRP version."""

    NOT_A_STEP = "finer than the version's unit"
    OUT_OF_RANGE = "out of range"


def advert_int_fault(seconds: Decimal, version: Version) -> AdvertIntFault | None:
    """Whether `version`'s advert can carry an interval of `seconds`."""
    if version is Version.V2:
        # RFC 3768 §5.3.7: Adver Int is 8 bits of whole seconds.
        units, top = seconds, V2_ADVER_INT_S_MAX
    else:
        # RFC 9568 §5.2.7: Max Adver Int is 12 bits of centiseconds.
        units, top = seconds * 100, V3_ADVER_INT_CS_MAX
    if units != units.to_integral_value():
        return AdvertIntFault.NOT_A_STEP
    if not 1 <= units <= top:
        return AdvertIntFault.OUT_OF_RANGE
    return None


class LabelFault(enum.Enum):
    """What is wrong with a virtual IP's label."""

    IPV6 = "IPv6 addresses have no labels"
    TOO_LONG = "longer than an interface name"
    NOT_UNDER_DEVICE = "does not start with the device name"  # a warning only


def label_fault(vip: Vip) -> LabelFault | None:
    """The first rule `vip.label` breaks, in the order they are checked, or None."""
    if vip.label is None:
        return None
    if vip.family is Family.IPV6:
        return LabelFault.IPV6
    if len(vip.label.encode()) >= IFNAMSIZ:
        return LabelFault.TOO_LONG
    if vip.dev is not None and not vip.label.startswith(vip.dev):
        return LabelFault.NOT_UNDER_DEVICE
    return None


def vrid_clashes(
    instances: Iterable[InstanceConfig], counted: Callable[[InstanceConfig], bool]
) -> Iterator[tuple[InstanceConfig, str]]:
    """Each counted instance whose (interface, vrid, family) an earlier one holds, and its name.

    A segment has one virtual router per VRID and family. `counted` leaves out
    instances whose fields had errors; it is asked as the instances come, so
    it sees the errors reported for the clashes before.
    """
    routers: dict[tuple[str, int, Family], str] = {}
    for inst in instances:
        if not counted(inst):
            continue
        key = (inst.interface, inst.vrid, inst.family)
        if key in routers:
            yield inst, routers[key]
        routers.setdefault(key, inst.name)


def shared_vips(instances: Iterable[InstanceConfig]) -> Iterator[tuple[InstanceConfig, Vip, str]]:
    """Each virtual IP an earlier instance already has, and that instance's name."""
    owner: dict[IPAddress, str] = {}
    for inst in instances:
        for vip in inst.vips:
            first = owner.setdefault(vip.address, inst.name)
            if first != inst.name:
                yield inst, vip, first


def tracked(instances: Iterable[InstanceConfig]) -> set[tuple[TrackKind, str]]:
    """The (kind, name) of every track some instance uses."""
    return {(ref.kind, ref.name) for inst in instances for ref in inst.tracks}
