"""`vrrpctl watch`: the pure segment view, its conflict sentences and table, the
dissection of real Keepalived frames, the kernel filter, and the outputs."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest

from vrrpd.watch import (
    COLUMNS,
    VRRP_BPF,
    ConflictKind,
    JsonLines,
    ScapyLayers,
    SegmentView,
    Sighting,
    TableOutput,
    attach_filter,
    render,
    run_watch,
    sighting_from_frame,
    sighting_json,
    title,
)

GOLDEN = Path(__file__).parents[1] / "data" / "golden" / "index.json"
N1, N2, N3 = "192.0.2.11", "192.0.2.12", "192.0.2.13"
VIP, VIP2 = "192.0.2.100", "192.0.2.101"


def advert(
    source: str = N1,
    *,
    vrid: int = 51,
    priority: int = 100,
    interval: float = 1.0,
    addresses: tuple[str, ...] = (VIP,),
    version: int = 3,
    **extra: Any,
) -> Sighting:
    return Sighting(
        ip_address(source),
        version,
        vrid,
        priority,
        round(interval * 100),
        tuple(ip_address(a) for a in addresses),
        **extra,
    )


def feed(view: SegmentView, sighting: Sighting, start: float, stop: float) -> None:
    """Adverts every interval from `start` up to and including `stop`."""
    step = sighting.adver_int_cs / 100
    for k in range(round((stop - start) / step) + 1):
        view.observe(sighting, start + k * step)


def texts(view: SegmentView, now: float) -> list[str]:
    return [c.text for c in view.conflicts(now)]


# ──────────────────────────────────────────────────────── speakers and expiry


def test_one_master_is_one_speaker_without_conflicts() -> None:
    view = SegmentView()
    feed(view, advert(N1, priority=200), 0.0, 5.0)
    [speaker] = view.speakers(5.2)
    assert (speaker.vrid, str(speaker.source), speaker.priority) == (51, N1, 200)
    assert (speaker.adverts, speaker.first_seen, speaker.last_seen) == (6, 0.0, 5.0)
    assert view.conflicts(5.2) == []
    assert view.adverts_seen == 6


def test_speakers_are_keyed_by_family_vrid_and_source() -> None:
    view = SegmentView()
    view.observe(advert(N1, vrid=51), 0.0)
    view.observe(advert(N1, vrid=52), 0.0)
    view.observe(advert(N2, vrid=51), 0.0)
    view.observe(advert("fe80::11", vrid=51, addresses=("2001:db8::100",)), 0.0)
    view.observe(advert(N1, vrid=51, priority=150), 0.5)  # the same speaker again
    keys = [(s.family, s.vrid, str(s.source)) for s in view.speakers(0.5)]
    # Ranked as the election would: by VRID, then priority, then the higher address.
    assert keys == [(4, 51, N1), (4, 51, N2), (4, 52, N1), (6, 51, "fe80::11")]


def test_observed_interval_is_the_mean_gap_of_the_last_ten_adverts() -> None:
    view = SegmentView()
    view.observe(advert(N1), 0.0)
    assert view.speakers(0.0)[0].observed_interval is None  # one advert: no gap yet
    for k in range(1, 11):  # a slow start: 2 s gaps ...
        view.observe(advert(N1), 2.0 * k)
    assert view.speakers(20.0)[0].observed_interval == pytest.approx(2.0)
    for k in range(1, 6):  # ... then 1 s gaps: half of the window is the new pace
        view.observe(advert(N1), 20.0 + k)
    assert view.speakers(25.0)[0].observed_interval == pytest.approx(1.5)


def test_speaker_is_gone_after_three_intervals_and_one_second_then_forgotten() -> None:
    view = SegmentView(forget_after=60.0)
    feed(view, advert(N1, interval=0.5, priority=0), 0.0, 2.0)
    [speaker] = view.speakers(3.5)  # silent 1.5 s: 3 x 0.5 + 1 = 2.5 s allowed
    assert not speaker.gone(3.5)
    assert texts(view, 3.5) == ["VRID 51 priority 0: 192.0.2.11 is resigning"]
    [speaker] = view.speakers(4.51)
    assert speaker.gone(4.51)  # still listed, marked gone ...
    assert view.conflicts(4.51) == []  # ... and no longer in any conflict
    assert "2.5s gone" in render(view, 4.51)
    assert view.speakers(4.5 + 60.0) != []
    assert view.speakers(4.51 + 60.0) == []  # forgotten


def test_a_speaker_back_after_being_gone_starts_afresh() -> None:
    view = SegmentView()
    feed(view, advert(N1), 0.0, 3.0)
    view.observe(advert(N1), 10.0)
    [speaker] = view.speakers(10.0)
    assert (speaker.first_seen, speaker.adverts, speaker.observed_interval) == (10.0, 1, None)


# ──────────────────────────────────────────────────────────────── conflicts


def test_two_masters_are_reported_with_their_priorities() -> None:
    view = SegmentView()
    feed(view, advert(N1, priority=200), 0.0, 5.0)
    feed(view, advert(N2, priority=100), 3.5, 5.5)
    assert texts(view, 5.6) == [
        "VRID 51: two masters: 192.0.2.11 (prio 200) and 192.0.2.12 (prio 100)"
    ]
    [conflict] = view.conflicts(5.6)
    assert conflict.kind == ConflictKind.TWO_MASTERS
    assert [str(s) for s in conflict.sources] == [N1, N2]


def test_two_masters_show_within_one_interval_of_the_second_ones_first_advert() -> None:
    view = SegmentView()
    feed(view, advert(N1, priority=200), 0.0, 5.0)
    view.observe(advert(N2, priority=100), 5.5)
    assert texts(view, 5.6) == []  # N1 may have stopped as N2 started: a handover
    view.observe(advert(N1, priority=200), 6.0)
    assert len(texts(view, 6.0)) == 1  # N1 went on: both are masters


def test_three_masters_are_named_in_rank_order() -> None:
    view = SegmentView()
    for source, priority in ((N1, 100), (N2, 200), (N3, 100)):
        feed(view, advert(source, priority=priority), 0.0, 3.0)
    assert texts(view, 3.0) == [
        "VRID 51: 3 masters: 192.0.2.12 (prio 200), 192.0.2.13 (prio 100) and 192.0.2.11 (prio 100)"
    ]


def test_a_handover_is_not_two_masters() -> None:
    view = SegmentView()
    feed(view, advert(N2, priority=100), 0.0, 10.0)  # the old master stops at 10 ...
    feed(view, advert(N1, priority=200), 10.3, 14.3)  # ... as the new one preempts it
    for now in (10.3, 11.0, 12.0, 13.0, 14.5):
        assert texts(view, now) == [], now


def test_a_master_that_resigned_and_came_back_is_not_two_masters() -> None:
    view = SegmentView()
    feed(view, advert(N1, priority=200), 0.0, 5.0)
    view.observe(advert(N1, priority=0), 5.2)  # resigns; N2 takes over after skew time
    feed(view, advert(N2, priority=100), 5.8, 7.8)  # N2 master for 2 s ...
    feed(view, advert(N1, priority=200), 8.0, 10.0)  # ... N1 back, preempts N2
    assert texts(view, 10.0) == []


def test_intervals_differ() -> None:
    view = SegmentView()
    view.observe(advert(N1, priority=200, interval=1.0), 0.0)
    view.observe(advert(N2, priority=100, interval=0.1), 0.0)
    assert "VRID 51: intervals differ: 1 s from 192.0.2.11, 0.1 s from 192.0.2.12" in texts(
        view, 0.0
    )


def test_sources_that_agree_are_grouped() -> None:
    view = SegmentView()
    view.observe(advert(N1, priority=0, interval=1.0), 0.0)
    view.observe(advert(N2, priority=0, interval=2.0), 0.0)
    view.observe(advert(N3, priority=0, interval=1.0), 0.0)
    [differ] = [c for c in view.conflicts(0.0) if c.kind == ConflictKind.INTERVALS_DIFFER]
    assert differ.text == (
        "VRID 51: intervals differ: 1 s from 192.0.2.13 and 192.0.2.11, 2 s from 192.0.2.12"
    )


def test_versions_differ() -> None:
    view = SegmentView()
    view.observe(advert(N1, priority=0, version=2, auth_type=0), 0.0)
    view.observe(advert(N2, priority=0, version=3), 0.0)
    assert "VRID 51: versions differ: v3 from 192.0.2.12, v2 from 192.0.2.11" in texts(view, 0.0)


def test_vip_lists_differ_but_not_their_order() -> None:
    view = SegmentView()
    view.observe(advert(N1, priority=0, addresses=(VIP,)), 0.0)
    view.observe(advert(N2, priority=0, addresses=(VIP, VIP2)), 0.0)
    assert (
        "VRID 51: VIP lists differ: 192.0.2.100, 192.0.2.101 from 192.0.2.12;"
        " 192.0.2.100 from 192.0.2.11"
    ) in texts(view, 0.0)
    view.observe(advert(N1, priority=0, addresses=(VIP2, VIP)), 0.1)
    assert not any("VIP lists" in t for t in texts(view, 0.1))


def test_v2_auth_differs_and_passwords_are_fingerprinted_not_shown() -> None:
    view = SegmentView()
    view.observe(advert(N1, priority=0, version=2, auth_type=1, auth_data=b"secret12"), 0.0)
    view.observe(advert(N2, priority=0, version=2, auth_type=1, auth_data=b"secret13"), 0.0)
    view.observe(advert(N3, priority=0, version=2, auth_type=0), 0.0)
    [auth] = [c for c in view.conflicts(0.0) if c.kind == ConflictKind.AUTH_DIFFERS]
    fp12, fp13 = (hashlib.sha256(p).hexdigest()[:4] for p in (b"secret12", b"secret13"))
    assert auth.text == (
        f"VRID 51: v2 auth differs: none from 192.0.2.13, PASS#{fp13} from 192.0.2.12,"
        f" PASS#{fp12} from 192.0.2.11"
    )
    assert "secret" not in auth.text and "secret" not in render(view, 0.0)


def test_same_password_is_no_conflict() -> None:
    view = SegmentView()
    view.observe(advert(N1, priority=0, version=2, auth_type=1, auth_data=b"secret12"), 0.0)
    view.observe(advert(N2, priority=0, version=2, auth_type=1, auth_data=b"secret12"), 0.0)
    assert [c.kind for c in view.conflicts(0.0)] == [ConflictKind.RESIGNING] * 2


def test_priority_zero_is_a_resigning_master() -> None:
    view = SegmentView()
    view.observe(advert(N1, priority=0), 0.0)
    assert texts(view, 0.0) == ["VRID 51 priority 0: 192.0.2.11 is resigning"]


def test_rfc9568_7_1_an_advert_without_ttl_255_is_flagged() -> None:
    view = SegmentView()
    view.observe(advert(N1, priority=200, ttl=64), 0.0)
    view.observe(advert("fe80::11", priority=200, addresses=("2001:db8::100",), ttl=1), 0.0)
    assert texts(view, 0.0) == [
        "VRID 51: 192.0.2.11 sends TTL 64, not 255: peers drop its adverts",
        "VRID 51 (IPv6): fe80::11 sends hop limit 1, not 255: peers drop its adverts",
    ]


def test_ipv4_and_ipv6_vrids_are_separate_routers() -> None:
    view = SegmentView()
    feed(view, advert(N1, priority=200), 0.0, 3.0)
    feed(view, advert("fe80::12", priority=100, addresses=("2001:db8::100",)), 0.0, 3.0)
    assert texts(view, 3.0) == []
    feed(view, advert("fe80::11", priority=200, addresses=("2001:db8::101",)), 0.0, 3.0)
    assert texts(view, 3.0) == [
        "VRID 51 (IPv6): two masters: fe80::11 (prio 200) and fe80::12 (prio 100)",
        "VRID 51 (IPv6): VIP lists differ: 2001:db8::101 from fe80::11;"
        " 2001:db8::100 from fe80::12",
    ]


# ─────────────────────────────────────────────────────────────────── render


def test_render_is_a_fixed_width_table_then_the_conflicts() -> None:
    view = SegmentView()
    feed(view, advert(N1, priority=200), 0.0, 4.0)
    feed(view, advert(N2, priority=100, interval=0.5, addresses=(VIP, VIP2)), 3.0, 4.0)
    lines = render(view, 4.3).splitlines()
    assert lines[0].split() == list(COLUMNS)
    assert lines[1].split() == ["51", "v3", N1, "200", "1", "s", "1.00", "s", VIP, "-", "0.3s"]
    assert lines[2].split() == [
        "51", "v3", N2, "100", "0.5", "s", "0.50", "s", f"{VIP},{VIP2}", "-", "0.3s",
    ]  # fmt: skip
    starts = {line.index(N1 if N1 in line else N2) for line in lines[1:3]}
    assert starts == {lines[0].index("SOURCE")}  # columns line up
    assert lines[3:] == [
        "",
        "conflicts:",
        "  VRID 51: two masters: 192.0.2.11 (prio 200) and 192.0.2.12 (prio 100)",
        "  VRID 51: intervals differ: 1 s from 192.0.2.11, 0.5 s from 192.0.2.12",
        "  VRID 51: VIP lists differ: 192.0.2.100 from 192.0.2.11;"
        " 192.0.2.100, 192.0.2.101 from 192.0.2.12",
    ]


def test_render_says_so_when_nothing_was_heard_or_all_is_well() -> None:
    view = SegmentView()
    assert render(view, 0.0) == "no VRRP adverts heard yet"
    view.observe(advert(N1), 0.0)
    assert render(view, 0.0).endswith("\n\nno conflicts")


# ──────────────────────────────────────────── dissection of real Keepalived frames


def golden_frames() -> Iterator[tuple[str, dict[str, Any]]]:
    index = json.loads(GOLDEN.read_text())
    for name, entry in index.items():
        if name != "_meta":
            for frame in entry["frames"]:
                yield name, frame


def test_scapy_dissects_every_golden_advert_as_index_json_records_it() -> None:
    scapy = ScapyLayers.load()
    adverts = 0
    for name, frame in golden_frames():
        sighting = sighting_from_frame(scapy.Ether(bytes.fromhex(frame["frame_hex"])), scapy)
        if frame["kind"] != "vrrp":
            assert sighting is None, (name, frame["kind"])
            continue
        adverts += 1
        assert sighting is not None, name
        assert (str(sighting.source), str(sighting.destination)) == (
            frame["src_ip"],
            frame["dst_ip"],
        )
        assert (sighting.version, sighting.vrid, sighting.priority, sighting.ttl) == (
            frame["ver"],
            frame["vrid"],
            frame["prio"],
            frame["ttl"],
        )
        assert sighting.adver_int_cs == round(frame["adv_int"] * 100)
        assert [str(a) for a in sighting.addresses] == frame["addrs"]
        expected_auth = {None: None, 0: "none", 2: "AH"}.get(frame.get("auth_type"), "PASS")
        assert (sighting.auth or "")[:4] == (expected_auth or "")[:4], name
    assert adverts == 74


def test_json_line_of_an_advert() -> None:
    sighting = advert(
        N1, priority=200, version=2, auth_type=0, destination=ip_address("224.0.0.18")
    )
    assert sighting_json(sighting, interface="eth0", wall_time=1700000000.25) == {
        "event": "advert",
        "time": 1700000000.25,
        "interface": "eth0",
        "family": 4,
        "source": N1,
        "destination": "224.0.0.18",
        "ttl": 255,
        "version": 2,
        "vrid": 51,
        "priority": 200,
        "interval": 1.0,
        "addresses": [VIP],
        "auth": "none",
    }


# ─────────────────────────────────────────────────────── the kernel filter


def test_bpf_filter_passes_exactly_the_vrrp_frames() -> None:
    """The classic BPF program, run by the kernel on an AF_UNIX socket (same VM)."""
    receiver, sender = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with receiver, sender:
        attach_filter(receiver, VRRP_BPF)
        receiver.setblocking(False)
        for name, frame in golden_frames():
            sender.send(bytes.fromhex(frame["frame_hex"]))
            try:
                passed = receiver.recv(65536) != b""
            except BlockingIOError:
                passed = False
            assert passed == (frame["kind"] == "vrrp"), (name, frame["kind"])
        udp = bytes.fromhex("0102030405060a0b0c0d0e0f0800" + "4500001c00000000ff11" + "00" * 10)
        sender.send(udp + b"\0" * 8)  # IPv4 UDP with TTL 255: not VRRP
        with pytest.raises(BlockingIOError):
            receiver.recv(65536)


# ─────────────────────────────────────────────────────────────────── outputs


def test_json_output_reports_a_conflict_once_and_its_end() -> None:
    stream = io.StringIO()
    out = JsonLines(stream, "eth0")
    view = SegmentView()
    for now, source in ((0.0, N1), (0.0, N2), (1.0, N1), (1.0, N2)):
        sighting = advert(source, priority=200 if source == N1 else 100)
        view.observe(sighting, now)
        out.advert(sighting, 1700000000.0 + now, view, now)
    out.tick(view, 10.0, 0.0)  # both gone
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    events = [(r["event"], r.get("kind")) for r in records]
    # Two masters once each has advertised after the other began (not at a handover).
    assert events == [("advert", None)] * 4 + [
        ("conflict", "two_masters"),
        ("resolved", "two_masters"),
    ]
    assert records[4]["sources"] == [N1, N2]
    assert records[4]["text"].startswith("VRID 51: two masters")


def test_table_output_off_a_terminal_prints_again_only_when_something_changes() -> None:
    stream = io.StringIO()
    out = TableOutput(stream, "eth0", live=False, once=False)
    view = SegmentView()
    out.tick(view, 0.0, 0.0)
    assert "no VRRP adverts heard yet" in stream.getvalue()
    for k in range(5):
        view.observe(advert(N1, priority=200), float(k))
        out.tick(view, float(k), 0.0)
    assert stream.getvalue().count("VRID  VER") == 1  # ages change, the table does not
    assert "\x1b[" not in stream.getvalue()
    view.observe(advert(N1, priority=150), 5.0)
    out.finish(view, 5.0, 0.0)
    assert stream.getvalue().count("VRID  VER") == 2


def test_table_output_on_a_terminal_clears_and_redraws_every_tick() -> None:
    stream = io.StringIO()
    out = TableOutput(stream, "eth0", live=True, once=False)
    view = SegmentView()
    out.tick(view, 0.0, 0.0)
    out.tick(view, 1.0, 0.0)
    assert stream.getvalue().count("\x1b[H\x1b[2J") == 2
    assert "no VRRP adverts heard yet" in stream.getvalue()


def test_title_counts_speakers_adverts_and_skipped_frames() -> None:
    view = SegmentView()
    assert title("eth0", view, 0.0, 0.0).startswith("vrrpctl watch eth0: 0 speakers, 0 adverts in")
    view.observe(advert(N1), 0.0)
    view.frames_skipped = 2
    heading = title("eth0", view, 3.0, 0.0)
    assert heading.startswith("vrrpctl watch eth0: 1 speaker, 1 advert in 3.0s (")
    assert heading.endswith(", 2 unreadable frames skipped")


# ──────────────────────────────────────────────────────── start-up and errors


def test_importing_watch_or_ctl_loads_no_scapy() -> None:
    code = "import sys, vrrpd.ctl, vrrpd.watch; print('scapy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_such_interface_is_exit_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_watch("nosuch0", duration=1.0) == 2
    assert capsys.readouterr().err == (
        "vrrpctl watch: no interface named 'nosuch0' here (see `ip link`)\n"
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="drops root to nobody to show the message")
def test_not_root_is_exit_2_with_a_message() -> None:
    code = "import sys; from vrrpd.watch import run_watch; sys.exit(run_watch('lo', duration=1))"
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c"]
    result = subprocess.run(
        [*argv, code],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 2
    assert "capturing on lo needs root (CAP_NET_RAW)" in result.stderr
