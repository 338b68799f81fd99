"""`vrrpd`: the daemon. Always in the foreground; systemd or the lab supervises it.

    vrrpd --config /etc/vrrpd/vrrpd.yaml
    vrrpd --check-config /etc/vrrpd/vrrpd.yaml

SIGTERM / SIGINT: every master resigns (priority 0), VIPs are removed,
notify_stop runs, exit 0. SIGHUP: reload; a bad config is refused and the
running one kept.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from vrrpd import __version__
from vrrpd.config.checks import script_issues
from vrrpd.config.detect import load_any, load_any_with_warnings
from vrrpd.config.errors import ConfigError
from vrrpd.host import log
from vrrpd.host.control import ControlError, ControlServer
from vrrpd.host.runtime import Runtime, StartupError
from vrrpd.host.systemd import SystemdNotifier
from vrrpd.protocol.model import Config
from vrrpd.protocol.status import RouterStatus

if TYPE_CHECKING:  # imported when metrics_listen is set: prometheus_client costs 3 MB
    from vrrpd.host.metrics import MetricsEndpoint, Snapshot

DEFAULT_CONFIG = "/etc/vrrpd/vrrpd.yaml"
EX_CONFIG = 78  # sysexits.h: configuration error (systemd: RestartPreventExitStatus)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vrrpd", description="VRRP failover agent")
    parser.add_argument(
        "--config", default=DEFAULT_CONFIG, help="config file (YAML or keepalived.conf)"
    )
    parser.add_argument(
        "--check-config",
        metavar="FILE",
        help="validate FILE (without touching the network) and exit",
    )
    parser.add_argument("--log-format", choices=log.FORMATS, help="default: from the config")
    parser.add_argument("--log-level", choices=log.LEVELS, help="default: from the config")
    parser.add_argument("--version", action="version", version=f"vrrpd {__version__}")
    return parser.parse_args(argv)


def check_config(path: str) -> int:
    """Print every error and warning in a config; 0 when it can run."""
    try:
        loaded = load_any_with_warnings(path)
    except ConfigError as error:
        print(error, *error.warnings, sep="\n", file=sys.stderr)
        return EX_CONFIG
    config = loaded.config
    for issue in (*loaded.warnings, *script_issues(config, loaded.source)):
        print(issue, file=sys.stderr)
    names = ", ".join(i.name for i in config.instances)
    print(f"{path}: OK ({len(config.instances)} instance(s): {names})")
    return 0


class Daemon:
    """Runs the Runtime until a signal says stop; reloads on SIGHUP."""

    def __init__(
        self,
        config_path: str,
        config: Config,
        *,
        log_format: str | None = None,
        log_level: str | None = None,
    ) -> None:
        self.config_path = config_path
        self.config = config
        self.log_overrides = (log_format, log_level)  # the command line wins over the file
        self.log = structlog.get_logger("vrrpd")
        self.last_reload_error: str | None = None
        self._stop = asyncio.Event()
        self.runtime: Runtime | None = None
        self._reloading: asyncio.Task[None] | None = None
        self.systemd = SystemdNotifier()
        self.control: ControlServer | None = None
        self.metrics: MetricsEndpoint | None = None
        self._running = False
        self._reload_pending = False

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        # Signals first: a SIGHUP or SIGTERM during start-up must not kill us uncleanly.
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        runtime = Runtime()
        self.runtime = runtime
        try:
            await runtime.start(self.config)
        except (StartupError, OSError) as error:
            self.log.error("startup_failed", error=str(error))
            await runtime.shutdown()
            return 1
        try:
            self.control = await self._start_control(self.config.global_.control_socket)
        except (ControlError, OSError) as error:
            self.log.error("control_socket_failed", error=str(error))
            await runtime.shutdown()
            return 1
        await self._apply_metrics(self.config.global_.metrics_listen)
        self._running = True
        _settle_memory()
        if self._reload_pending:
            self.request_reload()
        runtime.on_state_change = self._publish_status
        watchdog = self._start_watchdog()
        self.systemd.ready(self.summary())
        self.log.info(
            "started",
            version=__version__,
            config=self.config_path,
            instances=[i.name for i in self.config.instances],
        )
        await self._stop.wait()
        self.log.info("stopping")
        self._running = False  # a reload still under way leaves the metrics endpoint closed
        self.systemd.stopping()
        if watchdog is not None:
            watchdog.cancel()
        if self.control is not None:
            await self.control.close()
        if self._reloading is not None:
            await self._reloading
        if self.metrics is not None:
            metrics, self.metrics = self.metrics, None  # a later reload leaves it closed
            await metrics.close()
        await runtime.shutdown()
        self.log.info("stopped")
        return 0

    @property
    def statuses(self) -> list[RouterStatus]:
        return [] if self.runtime is None else self.runtime.statuses()

    async def status_report(self) -> list[RouterStatus]:
        return [] if self.runtime is None else await self.runtime.status_report()

    def interface_drops(self) -> list[dict[str, Any]]:
        return [] if self.runtime is None else self.runtime.interface_drops()

    def set_maintenance(self, name: str, on: bool) -> str | None:
        if self.runtime is None:
            return "starting up"
        return self.runtime.set_maintenance(name, on)

    async def _apply_metrics(self, listen: str | None) -> None:
        """Start, move or (None) stop the metrics endpoint."""
        if self.metrics is None and listen:
            from vrrpd.host.metrics import MetricsEndpoint  # noqa: PLC0415

            self.metrics = MetricsEndpoint(self._metrics_snapshot)
        if self.metrics is not None:
            # Optional: an address it cannot bind is logged (metrics_listen_failed), not fatal.
            await self.metrics.apply(listen)

    async def _metrics_snapshot(self) -> Snapshot:
        from vrrpd.host.metrics import runtime_snapshot  # noqa: PLC0415

        assert self.runtime is not None
        reloaded = self.last_reload_error is None
        return await runtime_snapshot(self.runtime, reload_successful=reloaded)

    def summary(self) -> str:
        """One line for `systemctl status`: each instance's state and priority."""
        parts = [f"{s.name} {s.state} prio {s.effective_priority}" for s in self.statuses]
        text = ", ".join(parts) or "no instances"
        if self.last_reload_error:
            text += " (last reload refused: see vrrpctl status)"
        return text

    def _publish_status(self) -> None:
        self.systemd.status(self.summary())

    def _start_watchdog(self) -> asyncio.Task[None] | None:
        """Ping systemd's watchdog from the loop that runs the VRRP timers."""
        interval = self.systemd.watchdog_interval
        if interval is None:
            return None

        async def ping() -> None:
            while True:
                self.systemd.watchdog()
                await asyncio.sleep(interval)

        return asyncio.get_running_loop().create_task(ping(), name="watchdog")

    async def _start_control(self, path: str) -> ControlServer:
        control = ControlServer(path, self)
        await control.start()
        return control

    def request_reload(self) -> None:
        if not self._running:
            self._reload_pending = True  # done once start-up has finished
            return
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.get_running_loop().create_task(self.reload())

    async def reload(self) -> None:
        self.systemd.reloading()
        try:
            await self._reload()
        finally:
            self.systemd.ready(self.summary())

    async def _reload(self) -> None:
        try:
            config = load_any(self.config_path)
        except ConfigError as error:
            self.last_reload_error = str(error)
            self.log.error("reload_refused", config=self.config_path, errors=str(error))
            return
        assert self.runtime is not None
        try:
            outcome = await self.runtime.reload(config)
            await self._apply_globals(config)
        except (StartupError, ControlError, OSError) as error:
            self.last_reload_error = str(error)
            self.log.error("reload_failed", error=str(error))
            return
        except Exception as error:
            self.last_reload_error = f"internal error: {error!r}"
            self.log.exception("reload_failed")
            return
        self.config = config
        self.last_reload_error = None
        self.log.info("reloaded", **outcome)
        _settle_memory()

    async def _apply_globals(self, config: Config) -> None:
        """The daemon-wide settings a reload may change: logging, control socket, metrics."""
        log_format, log_level = self.log_overrides
        log.configure(
            log_format or config.global_.log_format, log_level or config.global_.log_level
        )
        self.log = structlog.get_logger("vrrpd")
        new_path = config.global_.control_socket
        if self.control is not None and str(self.control.path) != new_path:
            replacement = await self._start_control(new_path)
            await self.control.close()
            self.control = replacement
        if self._running:  # not while stopping: the endpoint is closed for good then
            await self._apply_metrics(config.global_.metrics_listen)


def _settle_memory() -> None:
    """Move what start-up (or a reload) built out of the garbage collector's sight.

    The config, the routers and the sockets live until the next reload; a full
    collection walking them all is a pause of milliseconds, which could land on
    a take-over. gc.freeze() leaves them out of every later collection.
    """
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.check_config:
        return check_config(args.check_config)
    if not Path(args.config).exists():
        print(f"vrrpd: {args.config}: no such file; give one with --config", file=sys.stderr)
        return EX_CONFIG
    try:
        config = load_any(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EX_CONFIG
    log.configure(
        args.log_format or config.global_.log_format, args.log_level or config.global_.log_level
    )
    daemon = Daemon(args.config, config, log_format=args.log_format, log_level=args.log_level)
    return asyncio.run(daemon.run())


if __name__ == "__main__":
    sys.exit(main())
