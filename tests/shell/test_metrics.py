"""Prometheus metrics: the collector on made-up statuses, and the endpoint on a real socket."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from tests.factories import ME, VIP, config
from vrrpd.host.driver import Announcer, Listener, RouterDriver, Transmitter, VipKeeper
from vrrpd.host.metrics import (
    KEEPALIVED_DROP_COUNTERS,
    STATE_VALUES,
    MetricsEndpoint,
    NotifyView,
    ScriptView,
    Snapshot,
    VrrpdCollector,
    runtime_snapshot,
    split_listen,
)
from vrrpd.host.rawsock import Received, Unreadable
from vrrpd.host.runtime import Instance, Runtime
from vrrpd.host.scripts import CommandResult, HookKind, HookRun, NotifyRunner, TrackScriptRunner
from vrrpd.protocol.fsm import VirtualRouter
from vrrpd.protocol.model import Family, IPAddress, NotifyHooks, ScriptTrack, State, Vip
from vrrpd.protocol.packet import DropReason
from vrrpd.protocol.status import Counters, HostStatus, RouterStatus, TrackStatus

WALL = 1_800_000_000.0  # the collector's wall clock in these tests
DEADLINE = 5.0

Labels = frozenset[tuple[str, str]]


def status(**changes: Any) -> RouterStatus:
    """A real router's status (so new RouterStatus fields need no change here), then changed."""
    base = VirtualRouter(config(), ME).status(0.0)
    return dataclasses.replace(base, **changes)


def render(what: Snapshot | VrrpdCollector) -> str:
    """The text exposition of a snapshot (through a new collector), or of a collector."""
    if isinstance(what, Snapshot):
        snapshot = what
        what = VrrpdCollector(lambda: snapshot, clock=lambda: WALL)
    registry = CollectorRegistry()
    registry.register(what)
    return generate_latest(registry).decode()


def samples(text: str) -> dict[str, dict[Labels, float]]:
    """Sample name -> labels -> value, read back with prometheus_client's own parser."""
    found: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = frozenset(sample.labels.items())
            found.setdefault(sample.name, {})[labels] = sample.value
    return found


def labels(**values: str) -> Labels:
    return frozenset(values.items())


VI_1 = {"iname": "VI_1", "intf": "eth0", "vrid": "51"}


def run(hook: HookKind, exit_status: int | None, started_at: float, **more: Any) -> HookRun:
    result = CommandResult(exit_status, started_at=started_at, duration=0.25, **more)
    return HookRun(hook, "/etc/vrrpd/notify.sh", State.MASTER, result)


# ── the collector ───────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("state", "value"),
    [("INIT", 0), ("BACKUP", 1), ("MASTER", 2), ("FAULT", 3), ("STOP", 98)],
)
def test_state_uses_keepalived_numbers_one_series_per_vip(state: str, value: int) -> None:
    two_vips = ("192.0.2.100/24", "192.0.2.101/24")
    found = samples(render(Snapshot((status(state=state, vips=two_vips),))))
    assert found["vrrpd_vrrp_state"] == {
        labels(**VI_1, ip_address="192.0.2.100/24"): value,
        labels(**VI_1, ip_address="192.0.2.101/24"): value,
    }
    assert STATE_VALUES[state] == value


def test_state_series_carry_the_vips_own_interface_as_the_exporter_does() -> None:
    vips = ("192.0.2.100/24", "198.51.100.7/24")
    snapshot = Snapshot(
        (status(vips=vips),),
        vip_devices={"VI_1": {"192.0.2.100/24": "eth0", "198.51.100.7/24": "eth1"}},
    )
    found = samples(render(snapshot))["vrrpd_vrrp_state"]
    assert set(found) == {
        labels(**VI_1, ip_address="192.0.2.100/24"),
        labels(**{**VI_1, "intf": "eth1"}, ip_address="198.51.100.7/24"),
    }


def test_an_unknown_state_is_minus_one_not_a_missing_series() -> None:
    found = samples(render(Snapshot((status(state="ACTIVE"),))))
    assert list(found["vrrpd_vrrp_state"].values()) == [-1]


def test_priorities_transitions_adverts_and_maintenance_per_instance() -> None:
    s = status(
        state="MASTER",
        base_priority=150,
        effective_priority=130,
        in_state_for=42.5,
        maintenance=True,
        counters=Counters(adverts_sent=7980, adverts_received=12, transitions=2),
    )
    found = samples(render(Snapshot((s,))))
    one = labels(**VI_1)
    assert found["vrrpd_instance_priority"] == {one: 150}
    assert found["vrrpd_instance_effective_priority"] == {one: 130}
    assert found["vrrpd_instance_maintenance"] == {one: 1}
    assert found["vrrpd_state_transitions_total"] == {one: 2}
    assert found["vrrpd_advertisements_sent_total"] == {one: 7980}
    assert found["vrrpd_advertisements_received_total"] == {one: 12}
    assert found["vrrpd_instance_last_transition_timestamp_seconds"] == {one: WALL - 42.5}


def test_drops_by_reason_keepalived_ones_always_others_from_their_first_drop() -> None:
    drops = {DropReason.BAD_TTL.value: 4, DropReason.OWN_ADVERT.value: 9}
    found = samples(render(Snapshot((status(counters=Counters(drops=drops)),))))
    dropped = {
        dict(key)["reason"]: value
        for key, value in found["vrrpd_advertisements_dropped_total"].items()
    }
    expected = {reason.value: 0.0 for reason in KEEPALIVED_DROP_COUNTERS}
    expected.update(bad_ttl=4, own_advert=9)
    assert dropped == expected


def test_interface_level_drops_by_family_and_reason() -> None:
    snapshot = Snapshot(interface_drops={("eth0", 4): {"wrong_vrid": 7, "bad_ip_header": 1}})
    found = samples(render(snapshot))["vrrpd_packets_dropped_total"]
    assert found[labels(intf="eth0", family="ipv4", reason="wrong_vrid")] == 7
    assert found[labels(intf="eth0", family="ipv4", reason="bad_ip_header")] == 1
    assert found[labels(intf="eth0", family="ipv4", reason="bad_ttl")] == 0


def test_vips_present_and_send_errors_only_with_the_host_view() -> None:
    bare = samples(render(Snapshot((status(),))))
    assert "vrrpd_vip_assigned" not in bare
    assert "vrrpd_advertisement_send_errors_total" not in bare
    host = HostStatus(vips_present={"192.0.2.100/24": False}, send_errors=3)
    found = samples(render(Snapshot((status(host=host),))))
    assert found["vrrpd_vip_assigned"] == {labels(**VI_1, ip_address="192.0.2.100/24"): 0}
    assert found["vrrpd_advertisement_send_errors_total"] == {labels(**VI_1): 3}


def test_tracks_show_state_and_priority_share_per_instance() -> None:
    tracks = (
        TrackStatus("chk_haproxy", "script", -60, False, 0, -60, False, "exit status 1"),
        TrackStatus("eth1", "interface", 0, True, 0, 0, True, "up"),
    )
    found = samples(render(Snapshot((status(tracks=tracks),))))
    haproxy = labels(**VI_1, track="chk_haproxy", kind="script")
    eth1 = labels(**VI_1, track="eth1", kind="interface")
    assert found["vrrpd_instance_track_up"] == {haproxy: 0, eth1: 1}
    assert found["vrrpd_instance_track_priority_delta"] == {haproxy: -60, eth1: 0}


def test_track_scripts_status_like_the_exporter_and_their_run_counters() -> None:
    scripts = (
        ScriptView("chk_haproxy", up=True, runs=10, failures=3, timeouts=1, skipped=2,
                   last=CommandResult(0, duration=0.004)),
        ScriptView("chk_slow", up=False, runs=1, failures=1, timeouts=1,
                   last=CommandResult(None, timed_out=True, duration=2.0)),
        ScriptView("chk_new", up=True),
    )  # fmt: skip
    found = samples(render(Snapshot(scripts=scripts)))
    assert found["vrrpd_script_status"] == {
        labels(name="chk_haproxy"): 1,
        labels(name="chk_slow"): 0,
        labels(name="chk_new"): 1,
    }
    assert found["vrrpd_track_script_runs_total"][labels(name="chk_haproxy")] == 10
    assert found["vrrpd_track_script_failures_total"][labels(name="chk_haproxy")] == 3
    assert found["vrrpd_track_script_timeouts_total"][labels(name="chk_haproxy")] == 1
    assert found["vrrpd_track_script_skipped_total"][labels(name="chk_haproxy")] == 2
    assert found["vrrpd_track_script_last_exit_status"] == {
        labels(name="chk_haproxy"): 0,
        labels(name="chk_slow"): -1,  # killed at its timeout: no exit status
    }
    assert found["vrrpd_track_script_last_duration_seconds"][labels(name="chk_slow")] == 2.0


def test_notify_runs_are_counted_once_each_across_scrapes_and_past_the_history_bound() -> None:
    a = run(HookKind.MASTER, 0, 10.0)
    b = run(HookKind.NOTIFY, 1, 10.5)
    c = run(HookKind.MASTER, None, 20.0, timed_out=True)
    d = run(HookKind.MASTER, 0, 30.0)
    configured = (HookKind.MASTER, HookKind.BACKUP, HookKind.NOTIFY)
    history: tuple[HookRun, ...] = ()

    def snapshot() -> Snapshot:
        return Snapshot((status(),), now=40.0, notify={"VI_1": NotifyView(configured, history)})

    collector = VrrpdCollector(snapshot, clock=lambda: WALL)

    def counts(name: str) -> dict[str, float]:
        found = samples(render(collector))[name]
        return {dict(key)["hook"]: value for key, value in found.items()}

    assert counts("vrrpd_notify_runs_total") == {
        "notify_master": 0,
        "notify_backup": 0,
        "notify": 0,
    }
    history = (a, b)
    assert counts("vrrpd_notify_runs_total") == {
        "notify_master": 1,
        "notify_backup": 0,
        "notify": 1,
    }
    history = (a, b, c)
    assert counts("vrrpd_notify_runs_total")["notify_master"] == 2
    assert counts("vrrpd_notify_runs_total")["notify_master"] == 2  # scraped again: no change
    history = (c, d)  # the bounded history dropped a and b
    assert counts("vrrpd_notify_runs_total") == {
        "notify_master": 3,
        "notify_backup": 0,
        "notify": 1,
    }
    assert counts("vrrpd_notify_failures_total") == {
        "notify_master": 1,  # c timed out
        "notify_backup": 0,
        "notify": 1,  # b exited 1
    }
    assert counts("vrrpd_notify_last_exit_status") == {"notify_master": 0, "notify": 1}
    assert counts("vrrpd_notify_last_run_timestamp_seconds") == {
        "notify_master": WALL - (40.0 - 30.0),
        "notify": WALL - (40.0 - 10.5),
    }
    assert counts("vrrpd_notify_last_duration_seconds")["notify_master"] == 0.25


def test_notify_counts_start_again_for_an_instance_removed_and_added_back() -> None:
    ran = NotifyView((HookKind.MASTER,), (run(HookKind.MASTER, 0, 1.0),))
    current: dict[str, NotifyView] = {"VI_1": ran}
    collector = VrrpdCollector(lambda: Snapshot((status(),), notify=current))
    found = samples(render(collector))["vrrpd_notify_runs_total"]
    assert found == {labels(**VI_1, hook="notify_master"): 1}
    current = {}
    render(collector)  # gone from the config
    current = {"VI_1": NotifyView((HookKind.MASTER,), ())}
    found = samples(render(collector))["vrrpd_notify_runs_total"]
    assert found == {labels(**VI_1, hook="notify_master"): 0}


def test_daemon_level_series_up_build_info_and_reload() -> None:
    found = samples(render(Snapshot()))
    assert found["vrrpd_up"] == {frozenset(): 1}
    assert list(found["vrrpd_build_info"]) == [labels(version=__import__("vrrpd").__version__)]
    assert "vrrpd_config_last_reload_successful" not in found
    refused = samples(render(Snapshot(reload_successful=False)))
    assert refused["vrrpd_config_last_reload_successful"] == {frozenset(): 0}


def full_snapshot() -> Snapshot:
    host = HostStatus(vips_present={"192.0.2.100/24": True}, send_errors=0)
    tracks = (TrackStatus("chk_haproxy", "script", -60, True, 0, 0, False, "exit status 0"),)
    return Snapshot(
        (status(state="MASTER", tracks=tracks, host=host),),
        now=5.0,
        vip_devices={"VI_1": {"192.0.2.100/24": "eth0"}},
        notify={"VI_1": NotifyView((HookKind.MASTER,), (run(HookKind.MASTER, 0, 1.0),))},
        scripts=(ScriptView("chk_haproxy", True, 3, 0, 0, 0, CommandResult(0, duration=0.01)),),
        interface_drops={("eth0", 4): {"wrong_vrid": 2}},
        reload_successful=True,
    )


def test_no_label_is_called_instance_it_would_clash_with_prometheus_own() -> None:
    text = render(full_snapshot())
    assert 'iname="VI_1"' in text
    assert not re.search(r"[{,]instance=", text)


def test_the_output_parses_as_prometheus_text_and_as_openmetrics() -> None:
    snapshot = full_snapshot()
    registry = CollectorRegistry()
    registry.register(VrrpdCollector(lambda: snapshot))
    text = samples(generate_latest(registry).decode())
    encoder, _ = choose_encoder("application/openmetrics-text; version=1.0.0")
    openmetrics = encoder(registry).decode()
    assert openmetrics.endswith("# EOF\n")
    families = parse_openmetrics(openmetrics)  # type: ignore[no-untyped-call]  # strict parser
    parsed = {s.name: s.value for f in families for s in f.samples}
    assert {"vrrpd_vrrp_state", "vrrpd_notify_runs_total", "vrrpd_build_info"} <= set(text)
    assert set(parsed) == set(text)


# ── the snapshot of a running daemon ────────────────────────────────────


@dataclasses.dataclass
class NoSocket:
    """Stands in for the raw socket, the netlink socket and the frame sender."""

    ifname: str = "eth0"
    family: Family = Family.IPV4
    source: IPAddress = ME

    def read(self) -> Received | Unreadable | None:
        return None

    def send(self, *args: object) -> None:
        pass

    def prepare(self, vip: Vip, index: int) -> None:
        pass

    def add_vip(self, vip: Vip, index: int) -> str | None:
        return None

    def remove_vip(self, vip: Vip, index: int) -> str | None:
        return None


async def test_runtime_snapshot_reads_statuses_hooks_scripts_and_listener_drops() -> None:
    runtime = Runtime()
    try:
        hooks = NotifyHooks(master="/bin/true", notify="/bin/true")
        other_dev = Vip(ip_interface("198.51.100.7/24"), dev="eth1")
        cfg = config(vips=(VIP, other_dev), notify=hooks)
        fake = NoSocket()
        driver = RouterDriver(
            VirtualRouter(cfg, ME),
            transmitter=Transmitter(fake, cfg),
            vips=VipKeeper(fake, {"eth0": 2, "eth1": 3}, "eth0"),
            announcer=Announcer({}, {"eth0": bytes(6), "eth1": bytes(6)}, "eth0"),
            notifier=None,
        )
        notifier = NotifyRunner("VI_1", hooks, vrid=51, vips=[])
        runtime.instances["VI_1"] = Instance(cfg, driver, notifier, [])
        script = ScriptTrack("chk_haproxy", "pidof haproxy")
        runner = TrackScriptRunner(script, lambda name, up, detail: None)
        idle = asyncio.create_task(asyncio.sleep(0))
        runtime.script_runners["chk_haproxy"] = (script, runner, idle)
        listener = Listener(fake, frozenset())
        listener.drops[DropReason.WRONG_VRID] = 5
        runtime.listeners["eth0", Family.IPV4] = listener

        snapshot = await runtime_snapshot(runtime, reload_successful=True)

        assert [s.name for s in snapshot.statuses] == ["VI_1"]
        assert snapshot.statuses[0].host is not None  # the status report, not the bare status
        assert snapshot.vip_devices == {
            "VI_1": {"192.0.2.100/24": "eth0", "198.51.100.7/24": "eth1"}
        }
        assert snapshot.notify["VI_1"].configured == (HookKind.MASTER, HookKind.NOTIFY)
        assert snapshot.scripts == (ScriptView("chk_haproxy", up=True),)
        assert snapshot.interface_drops == {("eth0", 4): {"wrong_vrid": 5}}
        assert snapshot.reload_successful is True
        await idle
    finally:
        driver.close()
        runtime.addresses.close()
        await runtime.netlink.close()


async def test_runtime_snapshot_falls_back_to_bare_statuses_when_the_report_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime = Runtime()
    try:
        cfg = config()
        fake = NoSocket()
        driver = RouterDriver(
            VirtualRouter(cfg, ME),
            transmitter=Transmitter(fake, cfg),
            vips=VipKeeper(fake, {"eth0": 2}, "eth0"),
            announcer=Announcer({}, {"eth0": bytes(6), "eth1": bytes(6)}, "eth0"),
            notifier=None,
        )
        runtime.instances["VI_1"] = Instance(
            cfg, driver, NotifyRunner("VI_1", NotifyHooks(), vrid=51, vips=[]), []
        )

        async def broken() -> list[RouterStatus]:
            raise OSError("netlink is gone")

        monkeypatch.setattr(runtime, "status_report", broken)
        snapshot = await runtime_snapshot(runtime)
        assert [(s.name, s.host) for s in snapshot.statuses] == [("VI_1", None)]
    finally:
        driver.close()
        runtime.addresses.close()
        await runtime.netlink.close()


# ── the HTTP endpoint ───────────────────────────────────────────────────


def test_split_listen_takes_the_brackets_off_ipv6() -> None:
    assert split_listen("127.0.0.1:9650") == ("127.0.0.1", 9650)
    assert split_listen("[::1]:9650") == ("::1", 9650)
    assert split_listen("[fe80::1%eth0]:0") == ("fe80::1%eth0", 0)


def static(snapshot: Snapshot) -> Callable[[], Awaitable[Snapshot]]:
    async def source() -> Snapshot:
        return snapshot

    return source


@dataclasses.dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


async def fetch(
    address: tuple[str, int], path: str = "/metrics", method: str = "GET", **headers: str
) -> Reply:
    """A real HTTP client (urllib), off the loop as Prometheus would be."""
    host, port = address
    host = f"[{host}]" if ":" in host else host
    request = urllib.request.Request(f"http://{host}:{port}{path}", method=method, headers=headers)

    # No proxy, whatever the environment says: this is our own loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get() -> Reply:
        try:
            with opener.open(request, timeout=DEADLINE) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())

    return await asyncio.to_thread(get)


async def test_endpoint_serves_metrics_on_an_ephemeral_port_and_shuts_down_cleanly() -> None:
    endpoint = MetricsEndpoint(static(full_snapshot()))
    assert await endpoint.apply("127.0.0.1:0") is None
    address = endpoint.address
    assert address is not None and address[0] == "127.0.0.1" and address[1] > 0
    reply = await fetch(address)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(reply.body.decode())
    assert found["vrrpd_vrrp_state"] == {labels(**VI_1, ip_address="192.0.2.100/24"): 2}
    assert "process_resident_memory_bytes" in found  # the process collector rides along
    await endpoint.close()
    assert endpoint.address is None
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(*address)
    others = asyncio.all_tasks() - {asyncio.current_task()}
    assert not [t for t in others if not t.done()]


async def test_endpoint_speaks_openmetrics_when_the_scraper_asks() -> None:
    endpoint = MetricsEndpoint(static(full_snapshot()))
    await endpoint.apply("127.0.0.1:0")
    assert endpoint.address is not None
    try:
        accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
        reply = await fetch(endpoint.address, Accept=accept)
        assert reply.headers["Content-Type"].startswith("application/openmetrics-text")
        assert reply.body.endswith(b"# EOF\n")
    finally:
        await endpoint.close()


async def test_endpoint_head_other_paths_and_methods() -> None:
    endpoint = MetricsEndpoint(static(Snapshot()))
    await endpoint.apply("127.0.0.1:0")
    address = endpoint.address
    assert address is not None
    try:
        head = await fetch(address, method="HEAD")
        assert (head.status, head.body) == (200, b"")
        assert int(head.headers["Content-Length"]) > 0
        assert (await fetch(address, "/")).status == 200
        assert (await fetch(address, "/metricz")).status == 404
        refused = await fetch(address, method="POST")
        assert (refused.status, refused.headers["Allow"]) == (405, "GET, HEAD")
    finally:
        await endpoint.close()


async def test_endpoint_on_ipv6_loopback() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    endpoint = MetricsEndpoint(static(Snapshot()))
    assert await endpoint.apply("[::1]:0") is None
    assert endpoint.address is not None and endpoint.address[0] == "::1"
    try:
        assert (await fetch(endpoint.address)).status == 200
    finally:
        await endpoint.close()


async def test_apply_keeps_the_same_address_and_moves_to_a_new_one() -> None:
    endpoint = MetricsEndpoint(static(Snapshot()), process_metrics=False)
    await endpoint.apply("127.0.0.1:0")
    first = endpoint.address
    assert first is not None
    await endpoint.apply("127.0.0.1:0")  # a reload with the same setting
    assert endpoint.address == first
    # The same port, spelled differently: the old server must close before the new binds.
    assert await endpoint.apply(f"127.0.0.1:{first[1]}") is None
    assert endpoint.address == first
    assert (await fetch(first)).status == 200
    await endpoint.apply(None)
    assert endpoint.address is None
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(*first)


async def test_a_port_in_use_is_reported_not_raised_and_retried_on_the_next_apply() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        endpoint = MetricsEndpoint(static(Snapshot()))
        error = await endpoint.apply(f"127.0.0.1:{port}")
        assert error is not None and error.startswith(f"cannot serve metrics on 127.0.0.1:{port}")
        assert endpoint.address is None
    assert await endpoint.apply(f"127.0.0.1:{port}") is None  # same setting, now free
    assert endpoint.address == ("127.0.0.1", port)
    await endpoint.close()


async def test_a_client_that_sends_nothing_does_not_hold_up_shutdown() -> None:
    endpoint = MetricsEndpoint(static(Snapshot()))
    await endpoint.apply("127.0.0.1:0")
    assert endpoint.address is not None
    reader, writer = await asyncio.open_connection(*endpoint.address)
    writer.write(b"GET /metrics HTTP/1.1\r\n")  # and never the end of the headers
    await writer.drain()
    await asyncio.sleep(0.01)
    async with asyncio.timeout(1.0):  # well inside the 5 s request timeout
        await endpoint.close()
        assert await reader.read() == b""
    writer.close()


async def test_a_failing_source_is_a_500_and_the_endpoint_goes_on() -> None:
    calls = 0

    async def flaky() -> Snapshot:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug")
        return Snapshot()

    endpoint = MetricsEndpoint(flaky)
    await endpoint.apply("127.0.0.1:0")
    assert endpoint.address is not None
    try:
        assert (await fetch(endpoint.address)).status == 500
        assert (await fetch(endpoint.address)).status == 200
    finally:
        await endpoint.close()


async def test_scrapes_at_once_each_get_a_whole_exposition() -> None:
    endpoint = MetricsEndpoint(static(full_snapshot()), clock=lambda: WALL, process_metrics=False)
    await endpoint.apply("127.0.0.1:0")
    address = endpoint.address
    assert address is not None
    try:
        replies = await asyncio.gather(*(fetch(address) for _ in range(5)))
        assert {r.status for r in replies} == {200}
        assert len({r.body for r in replies}) == 1
    finally:
        await endpoint.close()


# ── the docs cannot go stale ────────────────────────────────────────────

METRICS_MD = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_metrics_md_documents_every_metric_and_drop_reason() -> None:
    text = METRICS_MD.read_text()
    for name in samples(render(full_snapshot())):
        assert f"`{name}`" in text, f"docs/metrics.md lacks `{name}`"
    for reason in DropReason:
        assert f"`{reason.value}`" in text, f"docs/metrics.md lacks the reason `{reason}`"
    for state, value in STATE_VALUES.items():
        assert f"| {value} | `{state}`" in text
