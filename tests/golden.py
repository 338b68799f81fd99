"""Typed access to the golden Keepalived 2.2.7 captures (tests/data/golden/index.json).

    from tests.golden import captures, vrrp_frames

    for frame in vrrp_frames():
        decode(frame.vrrp, frame.source, frame.destination)

Every frame keeps its capture name and index (`frame.id`, for pytest ids).
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "data" / "golden"
INDEX = GOLDEN_DIR / "index.json"
ETHERNET_HEADER_LEN = 14

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
_Raw = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class CaptureConfig:
    """How the two Keepalived nodes of a capture were configured."""

    version: int
    family: int
    vrid: int
    adver_int_cs: int
    auth_type: str | None  # "PASS", "AH" or None
    auth_pass: str | None
    unicast: bool
    vip: IPInterface
    priorities: tuple[int, ...]
    nopreempt: bool


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured Ethernet frame."""

    capture: str
    index: int
    kind: str  # "vrrp", "arp" or "na"
    t_rel: float
    src_mac: bytes
    dst_mac: bytes
    frame: bytes  # the whole Ethernet frame

    @property
    def id(self) -> str:
        return f"{self.capture}#{self.index}"

    @property
    def ip_packet(self) -> bytes:
        """The frame without its Ethernet header (what a raw IP socket delivers)."""
        return self.frame[ETHERNET_HEADER_LEN:]


@dataclass(frozen=True, slots=True)
class VrrpFrame(Frame):
    """A VRRP advert, with the fields Wireshark-style decoding found in it."""

    family: int
    source: IPAddress
    destination: IPAddress
    ttl: int
    version: int
    type: int
    vrid: int
    priority: int
    count: int
    adver_int_cs: int
    addresses: tuple[IPAddress, ...]
    auth_type: int | None  # v2 only
    auth_data: bytes | None  # v2 only
    checksum: int
    checksum_ok: bool
    ah: bool  # an IPsec AH header sits between IPv4 and VRRP
    vrrp: bytes  # the VRRP message alone


@dataclass(frozen=True, slots=True)
class ArpFrame(Frame):
    """A gratuitous ARP."""

    op: int
    sha: bytes
    spa: ipaddress.IPv4Address
    tha: bytes
    tpa: ipaddress.IPv4Address
    gratuitous: bool


@dataclass(frozen=True, slots=True)
class NaFrame(Frame):
    """An unsolicited IPv6 Neighbor Advertisement."""

    source: ipaddress.IPv6Address
    destination: ipaddress.IPv6Address
    hop_limit: int
    target: ipaddress.IPv6Address
    na_flags: int  # the top byte of the flags word: 0x80 R, 0x40 S, 0x20 O


@dataclass(frozen=True, slots=True)
class Capture:
    """One pcap file of the golden set and its decoded frames."""

    name: str
    path: Path
    description: str
    config: CaptureConfig
    keepalived_conf: str
    frames: tuple[Frame, ...]

    def vrrp_frames(self) -> tuple[VrrpFrame, ...]:
        return tuple(f for f in self.frames if isinstance(f, VrrpFrame))

    def arp_frames(self) -> tuple[ArpFrame, ...]:
        return tuple(f for f in self.frames if isinstance(f, ArpFrame))

    def na_frames(self) -> tuple[NaFrame, ...]:
        return tuple(f for f in self.frames if isinstance(f, NaFrame))


@functools.cache
def captures() -> tuple[Capture, ...]:
    """Every capture in index.json, in file order."""
    raw = json.loads(INDEX.read_text())
    if not isinstance(raw, dict):
        raise TypeError(f"{INDEX}: not a JSON object")
    return tuple(_capture(name, _map(value)) for name, value in raw.items() if name != "_meta")


def capture(name: str) -> Capture:
    """The capture called `name` (e.g. "v3_ipv4"); KeyError if there is none."""
    for found in captures():
        if found.name == name:
            return found
    raise KeyError(name)


def node_macs() -> dict[str, bytes]:
    """The lab nodes' MAC addresses, by node name (n1, n2)."""
    meta = _map(json.loads(INDEX.read_text())["_meta"])
    return {node: _mac_text(mac) for node, mac in _map(meta["node_macs"]).items()}


def vrrp_frames() -> tuple[VrrpFrame, ...]:
    return tuple(f for c in captures() for f in c.vrrp_frames())


def arp_frames() -> tuple[ArpFrame, ...]:
    return tuple(f for c in captures() for f in c.arp_frames())


def na_frames() -> tuple[NaFrame, ...]:
    return tuple(f for c in captures() for f in c.na_frames())


# ── parsing the JSON, type-checked ──────────────────────────────────────


def _capture(name: str, raw: _Raw) -> Capture:
    frames = tuple(_frame(name, i, _map(f)) for i, f in enumerate(_list(raw, "frames")))
    return Capture(
        name=name,
        path=GOLDEN_DIR / _str(raw, "file"),
        description=_str(raw, "description"),
        config=_config(_map(raw["config"])),
        keepalived_conf=_str(raw, "keepalived_conf_master"),
        frames=frames,
    )


def _config(raw: _Raw) -> CaptureConfig:
    auth = raw["auth"]
    auth_type, auth_pass = (None, None)
    if isinstance(auth, str):
        auth_type, _, auth_pass = auth.partition(":")
    return CaptureConfig(
        version=_int(raw, "version"),
        family=_int(raw, "family"),
        vrid=_int(raw, "vrid"),
        adver_int_cs=round(_float(raw, "advert_int") * 100),
        auth_type=auth_type,
        auth_pass=auth_pass,
        unicast=_bool(raw, "unicast"),
        vip=ipaddress.ip_interface(_str(raw, "vip")),
        priorities=tuple(_as_int(p) for p in _list(raw, "priorities")),
        nopreempt=_bool(raw, "nopreempt"),
    )


def _frame(capture_name: str, index: int, raw: _Raw) -> Frame:
    kind = _str(raw, "kind")
    common = _common(capture_name, index, raw)
    if kind == "vrrp":
        return _vrrp(common, raw)
    if kind == "arp":
        return ArpFrame(
            *common,
            op=_int(raw, "op"),
            sha=_mac(raw, "sha"),
            spa=ipaddress.IPv4Address(_str(raw, "spa")),
            tha=_mac(raw, "tha"),
            tpa=ipaddress.IPv4Address(_str(raw, "tpa")),
            gratuitous=_bool(raw, "gratuitous"),
        )
    if kind == "na":
        return NaFrame(
            *common,
            source=ipaddress.IPv6Address(_str(raw, "src_ip")),
            destination=ipaddress.IPv6Address(_str(raw, "dst_ip")),
            hop_limit=_int(raw, "ttl"),
            target=ipaddress.IPv6Address(_str(raw, "target")),
            na_flags=_int(raw, "na_flags"),
        )
    raise ValueError(f"{capture_name}#{index}: unknown frame kind {kind!r}")


_Common = tuple[str, int, str, float, bytes, bytes, bytes]


def _common(capture_name: str, index: int, raw: _Raw) -> _Common:
    """Frame's fields, in order, for the subclasses' constructors."""
    return (
        capture_name,
        index,
        _str(raw, "kind"),
        _float(raw, "t_rel"),
        _mac(raw, "src_mac"),
        _mac(raw, "dst_mac"),
        _hex(raw, "frame_hex"),
    )


def _vrrp(common: _Common, raw: _Raw) -> VrrpFrame:
    return VrrpFrame(
        *common,
        family=_int(raw, "fam"),
        source=ipaddress.ip_address(_str(raw, "src_ip")),
        destination=ipaddress.ip_address(_str(raw, "dst_ip")),
        ttl=_int(raw, "ttl"),
        version=_int(raw, "ver"),
        type=_int(raw, "type"),
        vrid=_int(raw, "vrid"),
        priority=_int(raw, "prio"),
        count=_int(raw, "count"),
        adver_int_cs=round(_float(raw, "adv_int") * 100),
        addresses=tuple(ipaddress.ip_address(_as_str(a)) for a in _list(raw, "addrs")),
        auth_type=_int(raw, "auth_type") if "auth_type" in raw else None,
        auth_data=_hex(raw, "auth_data") if "auth_data" in raw else None,
        checksum=int(_str(raw, "csum"), 16),
        checksum_ok=_bool(raw, "csum_ok"),
        ah=_bool(raw, "ah") if "ah" in raw else False,
        vrrp=_hex(raw, "vrrp_hex"),
    )


def _map(value: object) -> _Raw:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {value!r}")
    return value


def _list(raw: _Raw, key: str) -> list[object]:
    value = raw[key]
    if not isinstance(value, list):
        raise TypeError(f"{key}: expected a list, got {value!r}")
    return value


def _as_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _as_int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _str(raw: _Raw, key: str) -> str:
    return _as_str(raw[key])


def _int(raw: _Raw, key: str) -> int:
    return _as_int(raw[key])


def _float(raw: _Raw, key: str) -> float:
    value = raw[key]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"{key}: expected a number, got {value!r}")
    return float(value)


def _bool(raw: _Raw, key: str) -> bool:
    value = raw[key]
    if not isinstance(value, bool):
        raise TypeError(f"{key}: expected a boolean, got {value!r}")
    return value


def _hex(raw: _Raw, key: str) -> bytes:
    return bytes.fromhex(_str(raw, key))


def _mac(raw: _Raw, key: str) -> bytes:
    return _mac_text(_str(raw, key))


def _mac_text(text: object) -> bytes:
    return bytes.fromhex(_as_str(text).replace(":", ""))
