"""Prometheus metrics: a collector over the routers' status, and the HTTP endpoint that serves it.

Off unless `global.metrics_listen` is set. The names follow the Keepalived
exporters (mehdy/keepalived-exporter), `keepalived_` becoming `vrrpd_`, so a
dashboard carries over by renaming; what the exporters cannot see is named as
docs/metrics.md lists. The per-instance labels are the exporter's `iname`,
`intf`, `vrid` (never `instance`: that is Prometheus' own target label).

Nothing is counted on the hot path: every family is built at scrape time from
a `Snapshot` of what the routers and the shell already count.

The HTTP endpoint runs on the event loop (not on prometheus_client's
`start_http_server` thread), and so does the snapshot: the status report is a
coroutine (it asks netlink which VIPs are really present), and only the
loop's thread ever touches a router, so there are no locks and no futures
crossing threads. Rendering is the expensive part (prometheus_client's
encoders: about 5 ms for 20 instances, 50 ms for 255), so it runs in a worker
thread on the snapshot, which holds only frozen values and copies. The GIL
still makes the loop wait its turn, but in slices: with 255 instances a
scrape delayed the loop's timers by up to ~25 ms this way, against ~65 ms
rendered on the loop (docs/metrics.md). One render at a time (a lock): the
collector keeps the notify counts between scrapes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

import structlog
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry

from vrrpd import __version__
from vrrpd.host.runtime import Runtime
from vrrpd.host.scripts import CommandResult, HookKind, HookRun, TrackScriptRunner
from vrrpd.protocol.model import NotifyHooks, State
from vrrpd.protocol.packet import DropReason
from vrrpd.protocol.status import RouterStatus

# keepalived_vrrp_state's values: Keepalived's own state numbers (vrrp.h).
STATE_VALUES: Mapping[str, int] = {
    State.INIT.value: 0,
    State.BACKUP.value: 1,
    State.MASTER.value: 2,
    State.FAULT.value: 3,
    State.STOP.value: 98,  # Keepalived: VRRP_STATE_STOP
}
UNKNOWN_STATE = -1
# Drop reasons that always have a series (0 until the first drop): those the
# Keepalived exporter has a counter for. The others appear from their first drop.
KEEPALIVED_DROP_COUNTERS: Mapping[DropReason, str] = {
    DropReason.TRUNCATED: "keepalived_packet_length_errors_total",
    DropReason.BAD_TTL: "keepalived_ip_ttl_errors_total",
    DropReason.BAD_TYPE: "keepalived_invalid_type_received_total",
    DropReason.INTERVAL_MISMATCH: "keepalived_advertisements_interval_errors_total",
    DropReason.ADDRESS_LIST_MISMATCH: "keepalived_address_list_errors_total",
    DropReason.AUTH_UNSUPPORTED: "keepalived_authentication_invalid_total",
    DropReason.AUTH_MISMATCH: "keepalived_authentication_mismatch_total",
}
NO_EXIT_STATUS = -1  # the command did not exit by itself: timeout, signal, could not start
INSTANCE_LABELS = ("iname", "intf", "vrid")
REQUEST_TIMEOUT = 5.0  # seconds for a client to send its request
MAX_REQUEST = 8 * 1024  # bytes of request line and headers


# ── what a scrape shows ─────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class ScriptView:
    """One track script's runs, as its TrackScriptRunner counts them."""

    name: str
    up: bool
    runs: int = 0
    failures: int = 0  # timeouts included
    timeouts: int = 0
    skipped: int = 0  # runs left out because the one before overran
    last: CommandResult | None = None

    @classmethod
    def of(cls, runner: TrackScriptRunner) -> ScriptView:
        return cls(
            runner.script.name,
            runner.up,
            runner.runs,
            runner.failures,
            runner.timeouts,
            runner.skipped,
            runner.last,
        )


@dataclass(frozen=True, slots=True)
class NotifyView:
    """One instance's notify hooks: which are set, and their recent runs."""

    configured: tuple[HookKind, ...] = ()
    history: tuple[HookRun, ...] = ()  # oldest first, bounded (HOOK_HISTORY)

    @staticmethod
    def configured_in(hooks: NotifyHooks) -> tuple[HookKind, ...]:
        commands = {
            HookKind.MASTER: hooks.master,
            HookKind.BACKUP: hooks.backup,
            HookKind.FAULT: hooks.fault,
            HookKind.STOP: hooks.stop,
            HookKind.NOTIFY: hooks.notify,
        }
        return tuple(kind for kind, command in commands.items() if command)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The routers' statuses, and what the shell knows besides (all optional)."""

    statuses: tuple[RouterStatus, ...] = ()
    now: float = 0.0  # loop.time() when taken: the clock hook start times are on
    # instance -> VIP ("192.0.2.100/24") -> the interface it is on
    vip_devices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    notify: Mapping[str, NotifyView] = field(default_factory=dict)  # by instance
    scripts: tuple[ScriptView, ...] = ()
    # (interface, family) -> reason -> count: drops before any instance saw the packet
    interface_drops: Mapping[tuple[str, int], Mapping[str, int]] = field(default_factory=dict)
    reload_successful: bool | None = None


async def runtime_snapshot(runtime: Runtime, *, reload_successful: bool | None = None) -> Snapshot:
    """Everything the collector shows, read from the running daemon on the loop."""
    try:
        statuses = await runtime.status_report()
    except Exception as error:
        # The VIP check asks netlink; without it the routers' own status still counts.
        runtime.log.warning("metrics_status_report_failed", error=repr(error))
        statuses = runtime.statuses()
    instances = dict(runtime.instances)
    return Snapshot(
        statuses=tuple(statuses),
        now=asyncio.get_running_loop().time(),
        vip_devices={
            name: {str(vip.interface): vip.dev or i.config.interface for vip in i.config.vips}
            for name, i in instances.items()
        },
        notify={
            name: NotifyView(NotifyView.configured_in(i.config.notify), i.notifier.history)
            for name, i in instances.items()
        },
        scripts=tuple(ScriptView.of(runner) for _, runner, _ in runtime.script_runners.values()),
        interface_drops={
            (interface, int(family)): dict(listener.drops)
            for (interface, family), listener in runtime.listeners.items()
        },
        reload_successful=reload_successful,
    )


# ── the collector ───────────────────────────────────────────────────────

Value = Callable[[RouterStatus], float]

_INSTANCE_GAUGES: tuple[tuple[str, str, Value], ...] = (
    ("vrrpd_instance_priority", "Configured priority (1..255).", lambda s: s.base_priority),
    (
        "vrrpd_instance_effective_priority",
        "Priority after tracks, as advertised.",
        lambda s: s.effective_priority,
    ),
    (
        "vrrpd_instance_maintenance",
        "1 while drained by the operator (vrrpctl maintenance).",
        lambda s: s.maintenance,
    ),
)
_INSTANCE_COUNTERS: tuple[tuple[str, str, Value], ...] = (
    (
        "vrrpd_advertisements_received",
        "Adverts accepted from the other routers.",
        lambda s: s.counters.adverts_received,
    ),
    ("vrrpd_advertisements_sent", "Adverts sent.", lambda s: s.counters.adverts_sent),
    ("vrrpd_state_transitions", "State changes.", lambda s: s.counters.transitions),
)

_SCRIPT_COUNTERS: tuple[tuple[str, str, Callable[[ScriptView], float]], ...] = (
    ("vrrpd_track_script_runs", "Runs.", lambda s: s.runs),
    ("vrrpd_track_script_failures", "Runs that failed, timeouts included.", lambda s: s.failures),
    ("vrrpd_track_script_timeouts", "Runs killed at their timeout.", lambda s: s.timeouts),
    ("vrrpd_track_script_skipped", "Runs left out: the one before overran.", lambda s: s.skipped),
)


@dataclass(slots=True)
class _HookTally:
    """One hook of one instance, over the daemon's life (its history is bounded)."""

    runs: int = 0
    failures: int = 0
    last: HookRun | None = None


def _drops(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Every reason with a count, and the Keepalived exporter's ones even at 0."""
    return [
        (reason.value, counts.get(reason, 0))
        for reason in DropReason
        if reason in KEEPALIVED_DROP_COUNTERS or counts.get(reason)
    ]


def _exit_status(result: CommandResult) -> int:
    return NO_EXIT_STATUS if result.exit_status is None else result.exit_status


def _instance_labels(status: RouterStatus) -> list[str]:
    return [status.name, status.interface, str(status.vrid)]


class VrrpdCollector(Collector):
    """Builds every vrrpd metric family at scrape time from `source()`."""

    def __init__(
        self, source: Callable[[], Snapshot], *, clock: Callable[[], float] = time.time
    ) -> None:
        self.source = source
        self.clock = clock  # wall clock, for the *_timestamp_seconds gauges
        # Notify hooks keep only their recent runs: count each run once, across scrapes.
        self._hooks_seen: dict[str, tuple[HookRun, ...]] = {}
        self._hook_tallies: dict[tuple[str, HookKind], _HookTally] = {}

    def collect(self) -> list[Metric]:
        snapshot = self.source()
        wall = self.clock()
        return [
            *self._daemon(snapshot),
            *self._states(snapshot, wall),
            *self._instances(snapshot),
            *self._tracks(snapshot),
            *self._notify(snapshot, wall),
            *self._scripts(snapshot.scripts),
            *self._interface_drops(snapshot.interface_drops),
        ]

    def _daemon(self, snapshot: Snapshot) -> list[Metric]:
        up = GaugeMetricFamily("vrrpd_up", "1: vrrpd is running (keepalived_up).", value=1)
        info = InfoMetricFamily("vrrpd_build", "vrrpd's version.", value={"version": __version__})
        families: list[Metric] = [up, info]
        if snapshot.reload_successful is not None:
            reload = GaugeMetricFamily(
                "vrrpd_config_last_reload_successful",
                "1 if the last reload (SIGHUP) was applied, 0 if it was refused.",
                value=snapshot.reload_successful,
            )
            families.append(reload)
        return families

    def _states(self, snapshot: Snapshot, wall: float) -> list[Metric]:
        per_vip = [*INSTANCE_LABELS, "ip_address"]
        state = GaugeMetricFamily(
            "vrrpd_vrrp_state",
            "State, one series per VIP: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP.",
            labels=per_vip,
        )
        assigned = GaugeMetricFamily(
            "vrrpd_vip_assigned",
            "1 if the kernel has the VIP on its interface (read from netlink), else 0.",
            labels=per_vip,
        )
        since = GaugeMetricFamily(
            "vrrpd_instance_last_transition_timestamp_seconds",
            "When the instance entered its state (Unix time).",
            labels=INSTANCE_LABELS,
        )
        for s in snapshot.statuses:
            code = STATE_VALUES.get(s.state, UNKNOWN_STATE)
            devices = snapshot.vip_devices.get(s.name, {})
            for vip in s.vips or ("",):
                # The exporter's intf here is the VIP's own interface.
                labels = [s.name, devices.get(vip, s.interface), str(s.vrid), vip]
                state.add_metric(labels, code)
                if s.host is not None and vip in s.host.vips_present:
                    assigned.add_metric(labels, s.host.vips_present[vip])
            since.add_metric(_instance_labels(s), wall - s.in_state_for)
        return [state, assigned, since]

    def _instances(self, snapshot: Snapshot) -> list[Metric]:
        families: list[Metric] = []
        for name, text, value in _INSTANCE_GAUGES:
            gauge = GaugeMetricFamily(name, text, labels=INSTANCE_LABELS)
            for s in snapshot.statuses:
                gauge.add_metric(_instance_labels(s), value(s))
            families.append(gauge)
        for name, text, value in _INSTANCE_COUNTERS:
            counter = CounterMetricFamily(name, text, labels=INSTANCE_LABELS)
            for s in snapshot.statuses:
                counter.add_metric(_instance_labels(s), value(s))
            families.append(counter)
        send_errors = CounterMetricFamily(
            "vrrpd_advertisement_send_errors",
            "Adverts the kernel refused to send (one per destination).",
            labels=INSTANCE_LABELS,
        )
        dropped = CounterMetricFamily(
            "vrrpd_advertisements_dropped",
            "Adverts for this instance that were refused, by reason.",
            labels=[*INSTANCE_LABELS, "reason"],
        )
        for s in snapshot.statuses:
            labels = _instance_labels(s)
            if s.host is not None:
                send_errors.add_metric(labels, s.host.send_errors)
            for reason, count in _drops(s.counters.drops):
                dropped.add_metric([*labels, reason], count)
        return [*families, send_errors, dropped]

    def _tracks(self, snapshot: Snapshot) -> list[Metric]:
        labels = [*INSTANCE_LABELS, "track", "kind"]
        up = GaugeMetricFamily(
            "vrrpd_instance_track_up",
            "1 if the track is up, as this instance sees it.",
            labels=labels,
        )
        delta = GaugeMetricFamily(
            "vrrpd_instance_track_priority_delta",
            "What the track adds to (or takes from) this instance's priority now.",
            labels=labels,
        )
        for s in snapshot.statuses:
            for t in s.tracks:
                values = [*_instance_labels(s), t.name, t.kind]
                up.add_metric(values, t.up)
                delta.add_metric(values, t.delta)
        return [up, delta]

    def _notify(self, snapshot: Snapshot, wall: float) -> list[Metric]:
        self._count_hooks({name: view.history for name, view in snapshot.notify.items()})
        labels = [*INSTANCE_LABELS, "hook"]
        runs = CounterMetricFamily("vrrpd_notify_runs", "Notify hook runs.", labels=labels)
        failures = CounterMetricFamily(
            "vrrpd_notify_failures",
            "Notify hook runs that did not exit 0 (timeouts included).",
            labels=labels,
        )
        exit_status = GaugeMetricFamily(
            "vrrpd_notify_last_exit_status",
            "Exit status of the hook's last run; -1: it did not exit (timeout, signal, not run).",
            labels=labels,
        )
        last_run = GaugeMetricFamily(
            "vrrpd_notify_last_run_timestamp_seconds",
            "When the hook last started (Unix time).",
            labels=labels,
        )
        duration = GaugeMetricFamily(
            "vrrpd_notify_last_duration_seconds", "How long its last run took.", labels=labels
        )
        for s in snapshot.statuses:
            view = snapshot.notify.get(s.name)
            if view is None:
                continue  # no host view of this instance's hooks
            for hook in HookKind:
                tally = self._hook_tallies.get((s.name, hook))
                if tally is None and hook not in view.configured:
                    continue
                tally = tally or _HookTally()
                values = [*_instance_labels(s), hook.value]
                runs.add_metric(values, tally.runs)
                failures.add_metric(values, tally.failures)
                run = tally.last
                if run is not None:
                    exit_status.add_metric(values, _exit_status(run.result))
                    last_run.add_metric(values, wall - (snapshot.now - run.result.started_at))
                    duration.add_metric(values, run.result.duration)
        return [runs, failures, exit_status, last_run, duration]

    def _count_hooks(self, hooks: Mapping[str, tuple[HookRun, ...]]) -> None:
        """Count the runs not seen at the last scrape (by identity: the history is bounded)."""
        for name in set(self._hooks_seen) - set(hooks):
            del self._hooks_seen[name]  # a removed instance starts again from 0
            for key in [k for k in self._hook_tallies if k[0] == name]:
                del self._hook_tallies[key]
        for name, history in hooks.items():
            seen = {id(run) for run in self._hooks_seen.get(name, ())}
            for run in history:
                if id(run) not in seen:
                    tally = self._hook_tallies.setdefault((name, run.hook), _HookTally())
                    tally.runs += 1
                    tally.failures += not run.result.ok
                    tally.last = run
            # Holding these runs keeps their ids from being reused while we compare.
            self._hooks_seen[name] = history

    def _scripts(self, scripts: Iterable[ScriptView]) -> list[Metric]:
        labels = ["name"]
        status = GaugeMetricFamily(
            "vrrpd_script_status", "Track script status: 1 GOOD (up), 0 BAD (down).", labels=labels
        )
        counters = [
            (CounterMetricFamily(name, text, labels=labels), value)
            for name, text, value in _SCRIPT_COUNTERS
        ]
        exit_status = GaugeMetricFamily(
            "vrrpd_track_script_last_exit_status",
            "Exit status of the last run; -1: it did not exit (timeout, signal, not run).",
            labels=labels,
        )
        duration = GaugeMetricFamily(
            "vrrpd_track_script_last_duration_seconds", "How long the last run took.", labels=labels
        )
        for script in scripts:
            status.add_metric([script.name], script.up)
            for counter, value in counters:
                counter.add_metric([script.name], value(script))
            if script.last is not None:
                exit_status.add_metric([script.name], _exit_status(script.last))
                duration.add_metric([script.name], script.last.duration)
        return [status, *(counter for counter, _ in counters), exit_status, duration]

    def _interface_drops(self, drops: Mapping[tuple[str, int], Mapping[str, int]]) -> list[Metric]:
        dropped = CounterMetricFamily(
            "vrrpd_packets_dropped",
            "VRRP packets refused before reaching an instance (unreadable, unknown VRID).",
            labels=["intf", "family", "reason"],
        )
        for (interface, family), counts in sorted(drops.items()):
            for reason, count in _drops(counts):
                dropped.add_metric([interface, f"ipv{family}", reason], count)
        return [dropped]


# ── the HTTP endpoint ───────────────────────────────────────────────────


def split_listen(listen: str) -> tuple[str, int]:
    """Host and port of an `address:port` the config loader has checked.

    "127.0.0.1:9650" -> ("127.0.0.1", 9650); "[::1]:9650" -> ("::1", 9650).
    """
    host, _, port = listen.rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


class MetricsEndpoint:
    """GET /metrics for Prometheus, served on the event loop.

    `apply(listen)` starts it, moves it to a new address, or stops it (None);
    the same address again leaves it alone. The collector (and so the notify
    counts it keeps) lives as long as the endpoint, across moves.
    """

    def __init__(
        self,
        source: Callable[[], Awaitable[Snapshot]],
        *,
        clock: Callable[[], float] = time.time,
        process_metrics: bool = True,
    ) -> None:
        self.source = source
        self.listen: str | None = None
        self.log = structlog.get_logger("vrrpd.metrics")
        self._snapshot = Snapshot()
        self.collector = VrrpdCollector(lambda: self._snapshot, clock=clock)
        self.registry = CollectorRegistry()
        self.registry.register(self.collector)
        if process_metrics:
            self.registry.register(ProcessCollector(registry=None))
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self._rendering = asyncio.Lock()

    @property
    def address(self) -> tuple[str, int] | None:
        """The address and port it listens on (the real port when 0 was asked for)."""
        if self._server is None or not self._server.sockets:
            return None
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def apply(self, listen: str | None) -> str | None:
        """Serve on `listen` (None: stop); the error if it cannot (logged, not raised)."""
        if listen == self.listen and (listen is None or self._server is not None):
            return None
        # Close first: 0.0.0.0:9650 -> 127.0.0.1:9650 could not bind while the old one listens.
        await self.close()
        self.listen = listen
        if listen is None:
            return None
        host, port = split_listen(listen)
        try:
            self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_REQUEST)
        except OSError as error:
            self.log.error("metrics_listen_failed", listen=listen, error=str(error))
            return f"cannot serve metrics on {listen}: {error.strerror or error}"
        self.log.info("metrics_listening", listen=listen, address=self.address)
        return None

    async def close(self) -> None:
        """Stop listening and drop every open connection."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for client in list(self._clients):
            client.cancel()
        if self._clients:
            await asyncio.wait(list(self._clients))
        if server is not None:
            await server.wait_closed()

    async def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The metrics in the format the Accept header asks for, and its content type."""
        encoder, content_type = choose_encoder(accept)
        async with self._rendering:
            # Taken on the loop; rendered in a thread from frozen values and copies only.
            self._snapshot = await self.source()
            body = await asyncio.to_thread(encoder, self.registry)
        return body, content_type

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            response = await self._answer(head)
            writer.write(response)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # no complete request in time, or too large: just close
        except ConnectionError:
            pass
        finally:
            self._clients.discard(task)
            writer.close()

    async def _answer(self, head: bytes) -> bytes:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return _response(400, b"bad request line\n")
        method, target, _ = parts
        headers = dict(_header(line) for line in lines[1:] if ":" in line)
        path = target.split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return _response(405, b"only GET and HEAD\n", extra={"Allow": "GET, HEAD"})
        if path == "/":
            body = b"vrrpd: Prometheus metrics at /metrics\n"
            return _response(200, body, head_only=method == "HEAD")
        if path != "/metrics":
            return _response(404, b"not found: try /metrics\n")
        try:
            body, content_type = await self.exposition(headers.get("accept", ""))
        except Exception:
            # A bug of ours: the scraper sees a 500 (and `up` 0), the daemon goes on.
            self.log.exception("metrics_scrape_failed")
            return _response(500, b"vrrpd could not collect its metrics; see its log\n")
        return _response(200, body, content_type, head_only=method == "HEAD")


def _header(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name.strip().lower(), value.strip()


def _response(
    status: int,
    body: bytes,
    content_type: str = "text/plain; charset=utf-8",
    *,
    head_only: bool = False,
    extra: Mapping[str, str] | None = None,
) -> bytes:
    headers = {
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "Connection": "close",
        **(extra or {}),
    }
    lines = [f"HTTP/1.1 {status} {_REASONS[status]}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else body)
