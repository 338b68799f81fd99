"""Builds the running daemon from a Config: sockets, drivers, tracks, sync groups.

`Runtime.start(config)` brings every instance up, `reload(config)` changes
only what changed, `shutdown()` resigns every master and waits for the VIPs
to be gone and notify_stop to have run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

import structlog

from vrrpd.host.addresses import AddressWriter
from vrrpd.host.driver import Announcer, Listener, RouterDriver, Transmitter, VipKeeper
from vrrpd.host.l2 import FrameSender
from vrrpd.host.netlink import AddressRemoved, InterfaceInfo, LinkEvent, Netlink, monitor
from vrrpd.host.rawsock import AhReceiver, VrrpReceiver, VrrpSender
from vrrpd.host.scripts import NotifyRunner, TrackScriptRunner
from vrrpd.host.trackfile import FileTrackWatcher
from vrrpd.protocol import events as ev
from vrrpd.protocol.fsm import VirtualRouter
from vrrpd.protocol.model import (
    Config,
    Family,
    FileTrack,
    InstanceConfig,
    IPAddress,
    ScriptTrack,
    SyncGroupConfig,
    TrackKind,
)
from vrrpd.protocol.status import HookRecord, HostStatus, RouterStatus, ScriptRecord
from vrrpd.protocol.sync_group import followers, group_faults

NOTIFY_DRAIN_SECONDS = 10.0


ScriptRun = tuple[ScriptTrack, TrackScriptRunner, asyncio.Task[None]]
FileRun = tuple[FileTrack, FileTrackWatcher, asyncio.Task[None]]


class StartupError(Exception):
    """The host cannot run a configured instance (no such interface, no address)."""


@dataclass
class Instance:
    """One running instance: its driver and what belongs to it alone."""

    config: InstanceConfig
    driver: RouterDriver
    notifier: NotifyRunner
    tasks: list[asyncio.Task[None]]


class Runtime:
    """Everything the daemon runs, built from one Config."""

    def __init__(self) -> None:
        self.log = structlog.get_logger("vrrpd")
        self.config = Config()
        self.netlink = Netlink()
        self.addresses = AddressWriter()
        self.interfaces: dict[str, InterfaceInfo] = {}
        self.link_up: dict[str, bool] = {}
        self.instances: dict[str, Instance] = {}
        self.listeners: dict[tuple[str, Family], Listener] = {}
        self.senders: dict[tuple[str, IPAddress], VrrpSender] = {}
        self.frame_senders: dict[str, FrameSender] = {}
        self.receivers: dict[tuple[str, Family], VrrpReceiver] = {}
        self.extra_receivers: list[AhReceiver] = []
        self.script_runners: dict[str, ScriptRun] = {}
        self.file_watchers: dict[str, FileRun] = {}
        self.track_states: dict[str, ev.TrackChanged] = {}
        self.groups: dict[str, SyncGroupConfig] = {}
        # Instances the operator drained; kept across reloads.
        self.maintenance: set[str] = set()
        self._loop = asyncio.get_running_loop()
        self._monitor_task: asyncio.Task[None] | None = None
        # Called after every state change of any instance (the daemon updates systemd).
        self.on_state_change: Callable[[], None] | None = None

    # ── life cycle ──────────────────────────────────────────────────────

    async def start(self, config: Config) -> None:
        self.config = config
        self._monitor_task = self._spawn(self._watch_netlink(), "netlink-monitor")
        await self._load_interfaces(config)
        await self._remove_stale_vips(config.instances)
        self.groups = {group.name: group for group in config.sync_groups}
        self._sync_tracks(config)
        for instance_config in config.instances:
            await self._add_instance(instance_config)

    async def shutdown(self) -> None:
        """RFC 9568 §6.4.3: every master resigns (priority 0) and releases its VIPs."""
        names = list(self.instances)
        for name in names:
            self.instances[name].driver.deliver(ev.ShutdownRequested())
        for name in names:
            await self._retire(name)
        for _, _, task in [*self.script_runners.values(), *self.file_watchers.values()]:
            task.cancel()
        if self._monitor_task is not None:
            self._monitor_task.cancel()
        receivers: list[VrrpReceiver | AhReceiver] = [
            *self.receivers.values(),
            *self.extra_receivers,
        ]
        for receiver in receivers:
            self._loop.remove_reader(receiver.fileno())
            receiver.close()
        for sender in self.senders.values():
            sender.close()
        for frames in self.frame_senders.values():
            frames.close()
        await self.netlink.close()
        self.addresses.close()

    async def reload(self, config: Config) -> dict[str, list[str]]:
        """Apply a new config; unchanged instances are not touched at all."""
        old = self.config
        self.config = config
        new_by_name = {i.name: i for i in config.instances}
        changed = [
            name
            for name, running in self.instances.items()
            if new_by_name.get(name) != running.config
        ]
        removed = [name for name in changed if name not in new_by_name]
        rebuilt = [name for name in changed if name in new_by_name]
        added = [name for name in new_by_name if name not in self.instances]
        try:
            # Everything that can fail is checked before anything running is touched.
            await self._load_interfaces(config)
            for name in rebuilt + added:
                instance = new_by_name[name]
                self._source_address(instance, self.interfaces[instance.interface])
        except StartupError:
            self.config = old
            raise
        for name in changed:
            self.instances[name].driver.deliver(ev.ShutdownRequested())
        for name in changed:
            await self._retire(name)
        self.groups = {group.name: group for group in config.sync_groups}
        self._sync_tracks(config)
        await self._remove_stale_vips([new_by_name[n] for n in added])
        for name in rebuilt + added:
            await self._add_instance(new_by_name[name])
        unchanged = [
            i.name for i in old.instances if i.name in new_by_name and i.name not in changed
        ]
        return {"unchanged": unchanged, "rebuilt": rebuilt, "added": added, "removed": removed}

    def statuses(self) -> list[RouterStatus]:
        return [instance.driver.status() for instance in self.instances.values()]

    async def status_report(self) -> list[RouterStatus]:
        """Every instance's status, with what only the shell knows."""
        present: dict[str, set[IPAddress]] = {}
        for name in self.interfaces:
            info = await self.netlink.interface(name)
            present[name] = set() if info is None else {i.ip for i in info.addresses}
        now = self._loop.time()
        return [self._host_status(i, present, now) for i in self.instances.values()]

    def interface_drops(self) -> list[dict[str, Any]]:
        """Packets refused before any instance saw them, per interface and family."""
        return [
            {"interface": name, "family": int(family), "drops": dict(listener.drops)}
            for (name, family), listener in self.listeners.items()
            if listener.drops
        ]

    def _host_status(
        self, instance: Instance, present: dict[str, set[IPAddress]], now: float
    ) -> RouterStatus:
        config = instance.config
        hooks = tuple(
            HookRecord(
                hook=str(run.hook),
                state=str(run.state),
                command=run.command,
                ok=run.result.ok,
                detail=run.result.detail,
                duration=run.result.duration,
                ago=max(0.0, now - run.result.started_at),
            )
            for run in instance.notifier.history
        )
        scripts = []
        for ref in config.tracks:
            if ref.name in self.script_runners:
                runner = self.script_runners[ref.name][1]
                last = runner.last
                scripts.append(
                    ScriptRecord(
                        name=ref.name,
                        runs=runner.runs,
                        failures=runner.failures,
                        timeouts=runner.timeouts,
                        last_detail="not run yet" if last is None else last.detail,
                        last_output="" if last is None else last.output[-200:],
                    )
                )
        vips = {
            str(vip.interface): vip.address in present.get(vip.dev or config.interface, set())
            for vip in config.vips
        }
        host = HostStatus(vips, hooks, tuple(scripts), instance.driver.send_errors)
        return dataclasses.replace(instance.driver.status(), host=host)

    def set_maintenance(self, name: str, on: bool) -> str | None:
        """Drain an instance (on) or give it back; None, or why it cannot be done."""
        if name not in self.instances:
            return f"no instance named {name}; see vrrpctl status"
        if on:
            self.maintenance.add(name)
        else:
            self.maintenance.discard(name)
        self.log.info("maintenance", instance=name, on=on)
        self._deliver(self.instances[name], ev.MaintenanceChanged(on))
        return None

    # ── instances ───────────────────────────────────────────────────────

    async def _add_instance(self, config: InstanceConfig) -> None:
        info = self.interfaces[config.interface]
        source = self._source_address(config, info)
        sender_key = (config.interface, source)
        if sender_key not in self.senders:
            self.senders[sender_key] = VrrpSender(config.interface, info.index, source)
        devices = {config.interface, *(vip.dev for vip in config.vips if vip.dev)}
        for dev in devices:
            if dev not in self.frame_senders:
                self.frame_senders[dev] = FrameSender(dev)
        router = VirtualRouter(config, source)
        notifier = NotifyRunner(
            config.name,
            config.notify,
            vrid=config.vrid,
            vips=[str(vip.interface) for vip in config.vips],
            default_user=self.config.global_.script_user,
            group=config.sync_group,
        )
        driver = RouterDriver(
            router,
            transmitter=Transmitter(self.senders[sender_key], config),
            vips=VipKeeper(
                self.addresses,
                {dev: self.interfaces[dev].index for dev in devices},
                config.interface,
            ),
            announcer=Announcer(
                {dev: self.frame_senders[dev] for dev in devices},
                {dev: self.interfaces[dev].mac for dev in devices},
                config.interface,
            ),
            notifier=notifier,
            on_transition=self._on_transition,
        )
        listener = self._listener(config, info)
        listener.by_vrid[config.vrid] = driver
        instance = Instance(
            config, driver, notifier, [self._spawn(notifier.run(), f"notify-{config.name}")]
        )
        self.instances[config.name] = instance
        # What the tracks, the link and the operator already say, before INIT ends.
        if config.name in self.maintenance:
            driver.router.handle(ev.MaintenanceChanged(True), self._loop.time())
        if not self.link_up.get(config.interface, True):
            driver.router.handle(ev.LinkChanged(False, "down at start"), self._loop.time())
        for ref in config.tracks:
            known = self.track_states.get(ref.name)
            if known is not None:
                driver.router.handle(known, self._loop.time())
        driver.start()
        self._refresh_group_faults(config.sync_group)

    async def _retire(self, name: str) -> None:
        instance = self.instances.pop(name)
        driver = instance.driver
        with contextlib.suppress(TimeoutError):
            await instance.notifier.drain(NOTIFY_DRAIN_SECONDS)
        for task in instance.tasks:
            task.cancel()
        driver.close()
        listener = self.listeners.get((instance.config.interface, instance.config.family))
        if listener is not None and listener.by_vrid.get(instance.config.vrid) is driver:
            del listener.by_vrid[instance.config.vrid]

    def _source_address(self, config: InstanceConfig, info: InterfaceInfo) -> IPAddress:
        if config.unicast_src_ip is not None:
            return config.unicast_src_ip
        every_vip = frozenset(v.address for i in self.config.instances for v in i.vips)
        source: IPAddress | None
        if config.family is Family.IPV4:
            source = info.primary_v4(every_vip)
            missing = "an IPv4 address"
        else:
            source = info.link_local_v6()
            missing = "an IPv6 link-local address"
        if source is None:
            raise StartupError(
                f"instance {config.name}: interface {config.interface} has no {missing} "
                "to send adverts from; add one or set unicast_src_ip"
            )
        return source

    def _listener(self, config: InstanceConfig, info: InterfaceInfo) -> Listener:
        key = (config.interface, config.family)
        if key not in self.listeners:
            own = frozenset(iface.ip for iface in info.addresses)
            receiver = VrrpReceiver(config.interface, info.index, config.family)
            listener = Listener(receiver, own)
            self._loop.add_reader(receiver.fileno(), listener.on_readable)
            self.receivers[key] = receiver
            if config.family is Family.IPV4:
                ah = AhReceiver(config.interface)
                self._loop.add_reader(ah.fileno(), listener.on_readable, ah)
                self.extra_receivers.append(ah)
            self.listeners[key] = listener
        return self.listeners[key]

    async def _load_interfaces(self, config: Config) -> None:
        names = {i.interface for i in config.instances}
        names |= {vip.dev for i in config.instances for vip in i.vips if vip.dev}
        names |= {
            ref.name
            for i in config.instances
            for ref in i.tracks
            if ref.kind is TrackKind.INTERFACE
        }
        for name in sorted(names):
            info = await self.netlink.interface(name)
            if info is None:
                raise StartupError(f"interface {name} does not exist on this host")
            self.interfaces[name] = info
            self.link_up.setdefault(name, info.up)
            self.track_states.setdefault(name, ev.TrackChanged(name, info.up, detail="at start"))

    async def _remove_stale_vips(self, instances: Iterable[InstanceConfig]) -> None:
        # A VIP left behind by a crash (kill -9) would make two holders: remove it.
        for config in instances:
            for vip in config.vips:
                info = self.interfaces[vip.dev or config.interface]
                if any(iface.ip == vip.address for iface in info.addresses):
                    error = self.addresses.remove_vip(vip, info.index)
                    self.log.warning(
                        "stale_vip_removed",
                        instance=config.name,
                        vip=str(vip.interface),
                        interface=info.name,
                        error=error,
                    )

    # ── tracks ──────────────────────────────────────────────────────────

    def _sync_tracks(self, config: Config) -> None:
        """Run exactly the scripts and files that some instance tracks."""
        used = {ref.name for i in config.instances for ref in i.tracks}
        scripts = {s.name: s for s in config.scripts if s.name in used}
        files = {f.name: f for f in config.files if f.name in used}
        for name in list(self.script_runners):
            if scripts.get(name) != self.script_runners[name][0]:
                self.script_runners.pop(name)[2].cancel()
                self.track_states.pop(name, None)
        for name in list(self.file_watchers):
            if files.get(name) != self.file_watchers[name][0]:
                self.file_watchers.pop(name)[2].cancel()
                self.track_states.pop(name, None)
        for name, script in scripts.items():
            if name not in self.script_runners:
                if script.init_fail:
                    self.track_states[name] = ev.TrackChanged(name, False, detail="init_fail")
                runner = TrackScriptRunner(
                    script, self._script_changed, default_user=config.global_.script_user
                )
                task = self._spawn(runner.run(), f"script-{name}")
                self.script_runners[name] = (script, runner, task)
        for name, track in files.items():
            if name not in self.file_watchers:
                watcher = FileTrackWatcher(track, self._file_changed)
                self.file_watchers[name] = (
                    track,
                    watcher,
                    self._spawn(watcher.run(), f"file-{name}"),
                )

    def _script_changed(self, name: str, up: bool, detail: str) -> None:
        self._track_changed(ev.TrackChanged(name, up, detail=detail))

    def _file_changed(self, name: str, up: bool, value: int, detail: str) -> None:
        self._track_changed(ev.TrackChanged(name, up, value, detail))

    def _track_changed(self, event: ev.TrackChanged) -> None:
        previous = self.track_states.get(event.name)
        self.track_states[event.name] = event
        if previous is None or (previous.up, previous.value) != (event.up, event.value):
            self.log.info(
                "track_changed",
                track=event.name,
                up=event.up,
                value=event.value,
                detail=event.detail,
            )
        # Delivered even when only the detail is new, so status shows the latest word.
        for instance in list(self.instances.values()):
            if any(ref.name == event.name for ref in instance.config.tracks):
                self._deliver(instance, event)

    # ── netlink events ──────────────────────────────────────────────────

    async def _watch_netlink(self) -> None:
        async for change in monitor():
            if isinstance(change, LinkEvent):
                self._link_changed(change)
            else:
                await self._address_removed(change)

    def _link_changed(self, change: LinkEvent) -> None:
        if self.link_up.get(change.name) == change.up:
            return
        self.link_up[change.name] = change.up
        self.log.info("link_changed", interface=change.name, up=change.up, detail=change.detail)
        if change.name in self.track_states:
            self._track_changed(ev.TrackChanged(change.name, change.up, detail=change.detail))
        for instance in list(self.instances.values()):
            if instance.config.interface == change.name:
                self._deliver(instance, ev.LinkChanged(change.up, change.detail))

    async def _address_removed(self, change: AddressRemoved) -> None:
        for instance in list(self.instances.values()):
            keeper = instance.driver.vips
            for vip in list(keeper.held):
                if vip.address == change.address and keeper.index_of(vip) == change.index:
                    instance.driver.restore_vip(vip)

    # ── sync groups ─────────────────────────────────────────────────────

    def _deliver(self, instance: Instance, event: ev.Event) -> None:
        instance.driver.deliver(event)
        self._refresh_group_faults(instance.config.sync_group)

    def _on_transition(self, driver: RouterDriver, notify: ev.Notify, by_group: bool) -> None:
        if self.on_state_change is not None:
            self.on_state_change()
        group = self.groups.get(driver.config.sync_group or "")
        if group is None or by_group:
            return
        states = {n: i.driver.router.state for n, i in self.instances.items() if n in group.members}
        for member, state in followers(
            group, states, driver.config.name, notify.previous, notify.state
        ).items():
            reason = f"sync group {group.name}: {driver.config.name} is {notify.state}"
            self.instances[member].driver.deliver(ev.GroupStateRequested(state, reason))

    def _refresh_group_faults(self, group_name: str | None) -> None:
        group = self.groups.get(group_name or "")
        if group is None:
            return
        members = {n: i for n, i in self.instances.items() if n in group.members}
        own = {n: i.driver.router.own_fault_reasons() for n, i in members.items()}
        for name, reason in group_faults(group, own).items():
            instance = members.get(name)
            if instance is not None and instance.driver.router.group_fault != reason:
                instance.driver.deliver(ev.GroupFaultChanged(reason))

    # ── tasks ───────────────────────────────────────────────────────────

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = self._loop.create_task(coroutine, name=name)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.log.error("task_failed", task=task.get_name(), error=repr(task.exception()))
