"""One virtual router's state machine (RFC 9568 §6.4, RFC 3768 §6.4), pure.

Theory of operation
-------------------
States are Keepalived's words: INIT, BACKUP, MASTER (RFC 9568's Active),
FAULT (a Keepalived extension) and STOP. The router never reads a clock,
opens a socket or runs a process. The shell (the driver) calls:

- ``handle(event, now)`` for every input: Started, AdvertReceived,
  AdvertDropped, TrackChanged, LinkChanged, GroupStateRequested,
  ShutdownRequested;
- ``on_deadline(now)`` when ``next_deadline()`` has come (the master's
  advert timer, the backup's Master_Down timer, the announcement bursts).

Both return a list of actions (events.py) for the shell to carry out in
order. ``now`` is monotonic seconds; deadlines are absolute (``*_at``). The
advert timer is scheduled from its own deadline, not from ``now``, so it does
not drift. ``status(now)`` says what the router thinks and why.
"""

from __future__ import annotations

import hmac

from vrrpd.protocol import events as ev
from vrrpd.protocol.model import (
    PRIORITY_RESIGN,
    AuthType,
    InstanceConfig,
    IPAddress,
    State,
    Version,
)
from vrrpd.protocol.packet import Advert, DropReason
from vrrpd.protocol.priority import (
    TrackContribution,
    TrackState,
    contributions,
    effective_priority,
)
from vrrpd.protocol.status import Counters, RouterStatus, TrackStatus
from vrrpd.protocol.timing import master_down_interval, skew_time

V2_AUTH_DATA_LEN = 8
MAINTENANCE_REASON = "maintenance: drained by the operator; stays BACKUP until it ends"


class VirtualRouter:
    """The state machine of one VRRP instance (one VRID on one interface)."""

    def __init__(self, config: InstanceConfig, primary_address: IPAddress) -> None:
        self.config = config
        # RFC 9568 §6.4.3: the address compared on equal priority (and sent from).
        self.primary_address = primary_address
        self._state = State.INIT
        self._since = 0.0
        self._reason = "not started"
        self._track_states: dict[str, TrackState] = {}
        self._tracks: tuple[TrackContribution, ...] = contributions(config.tracks, {})
        self._priority = effective_priority(config.priority, self._tracks)
        self._adverts: dict[int, Advert] = {}  # by priority; the config never changes
        self._link_up = True
        self._link_detail = ""
        self._group_fault: str | None = None
        self._maintenance = False
        # RFC 9568 §6.1: learnt from the master's adverts (v3); ours until then.
        self._master_adver_interval = config.advertisement_interval
        self._master_address: IPAddress | None = None
        self._master_priority: int | None = None
        self._adver_at: float | None = None
        self._master_down_at: float | None = None
        self._takeover_cause = ""
        self._preempt_at: float | None = None
        self._second_burst_at: float | None = None
        self._refresh_at: float | None = None
        self._adverts_sent = 0
        self._adverts_received = 0
        self._transitions = 0
        self._drops: dict[str, int] = {}
        self._vip_addresses = frozenset(vip.address for vip in config.vips)

    # ── the shell's interface ───────────────────────────────────────────

    @property
    def state(self) -> State:
        return self._state

    @property
    def maintenance(self) -> bool:
        """The operator has drained this node: it never becomes master."""
        return self._maintenance

    @property
    def group_fault(self) -> str | None:
        """Why the sync group holds this router in FAULT, if it does."""
        return self._group_fault

    @property
    def priority(self) -> int:
        """The effective priority: the configured one moved by the tracks."""
        return self._priority

    def handle(self, event: ev.Event, now: float) -> list[ev.Action]:
        """Take one event; answer the actions to carry out, in order."""
        if self._state is State.STOP:
            return []
        match event:
            case ev.Started():
                return self._on_started(now)
            case ev.AdvertReceived(advert=advert, source=source):
                return self._on_advert(advert, source, now)
            case ev.AdvertDropped(reason=reason, source=source, detail=detail):
                return [self._drop(reason, source, detail)]
            case ev.TrackChanged(name=name, up=up, value=value, detail=detail):
                return self._on_track(name, TrackState(up, value, detail), now)
            case ev.LinkChanged(up=up, detail=detail):
                self._link_up, self._link_detail = up, detail
                return self._reconsider_fault(now)
            case ev.GroupFaultChanged(reason=reason):
                self._group_fault = reason
                return self._reconsider_fault(now)
            case ev.GroupStateRequested(state=state, reason=reason):
                return self._on_group_request(state, reason, now)
            case ev.MaintenanceChanged(on=on):
                return self._on_maintenance(on, now)
            case ev.ShutdownRequested():
                return self._on_shutdown(now)
        raise TypeError(f"not an event: {event!r}")

    def on_deadline(self, now: float) -> list[ev.Action]:
        """Fire every timer that is due at `now`."""
        actions: list[ev.Action] = []
        if self._master_down_at is not None and self._master_down_at <= now:
            # RFC 9568 §6.4.2: Master_Down_Timer fired: become master.
            actions += self._become_master(now, self._takeover_cause)
        if self._adver_at is not None and self._adver_at <= now:
            # RFC 9568 §6.4.3: Adver_Timer fired: advertise, rearm from the deadline.
            actions.append(self._send_advert(self._priority))
            next_at = self._adver_at + self.config.advertisement_interval
            # A loop that fell behind skips missed adverts rather than bursting them.
            self._adver_at = next_at if next_at > now else now + self.config.advertisement_interval
        if self._second_burst_at is not None and self._second_burst_at <= now:
            # Keepalived: garp_master_delay: a second burst after becoming master.
            self._second_burst_at = None
            actions += self._announce(self.config.announcements.repeat)
        if self._refresh_at is not None and self._refresh_at <= now:
            # Keepalived: garp_master_refresh: periodic bursts while master.
            self._refresh_at = now + self.config.announcements.refresh
            actions += self._announce(self.config.announcements.refresh_repeat)
        return actions

    def next_deadline(self) -> float | None:
        """When on_deadline should next be called (None: only on events)."""
        # Called twice per advert: a plain loop, no list.
        soonest = self._master_down_at
        for at in (self._adver_at, self._second_burst_at, self._refresh_at):
            if at is not None and (soonest is None or at < soonest):
                soonest = at
        return soonest

    def status(self, now: float) -> RouterStatus:
        """A snapshot of what the router thinks and why."""
        return RouterStatus(
            name=self.config.name,
            interface=self.config.interface,
            vrid=self.config.vrid,
            version=int(self.config.version),
            family=int(self.config.family),
            state=str(self._state),
            in_state_for=max(0.0, now - self._since),
            reason=self._explanation(),
            last_transition=self._reason,
            maintenance=self._maintenance,
            base_priority=self.config.priority,
            effective_priority=self._priority,
            advertisement_interval=self.config.advertisement_interval,
            master_adver_interval=self._master_adver_interval,
            master_address=None if self._master_address is None else str(self._master_address),
            master_priority=self._master_priority,
            master_down_in=(
                None if self._master_down_at is None else max(0.0, self._master_down_at - now)
            ),
            vips=tuple(str(vip.interface) for vip in self.config.vips),
            tracks=tuple(
                TrackStatus(
                    name=t.name,
                    kind=str(t.kind),
                    weight=t.weight,
                    up=t.up,
                    value=t.value,
                    delta=t.delta,
                    faults=t.faults,
                    detail=t.detail,
                )
                for t in self._tracks
            ),
            counters=Counters(
                adverts_sent=self._adverts_sent,
                adverts_received=self._adverts_received,
                transitions=self._transitions,
                drops=dict(self._drops),
            ),
        )

    def _explanation(self) -> str:
        """Why the router is where it is now (a backup's reason changes as adverts come)."""
        following = (
            self._state is State.BACKUP
            and not self._maintenance
            and self._master_address is not None
            and self._master_priority  # 0 (resigning) or unknown: the transition says more
        )
        if not following:
            return self._reason
        if self._master_priority is not None and (
            self._master_priority >= self._priority or not self.config.preempt
        ):
            return (
                f"following master {self._master_address} (priority {self._master_priority}); "
                f"takes over after {self._master_down_interval():.3f} s of silence"
                + self._lowered_by()
            )
        return self._takeover_cause

    def _lowered_by(self) -> str:
        """Which tracks moved our priority, when they did."""
        moved = [f"{t.name} {t.delta:+d}" for t in self._tracks if t.delta]
        if not moved:
            return ""
        return f"; our priority {self._priority} (base {self.config.priority}): {', '.join(moved)}"

    # ── events ──────────────────────────────────────────────────────────

    def _on_started(self, now: float) -> list[ev.Action]:
        if self._state is not State.INIT:
            raise RuntimeError(f"{self.config.name}: Started twice (state {self._state})")
        self._since = now
        faults = self._fault_reasons()
        if faults:
            return self._become_fault(now, faults[0])
        if self._maintenance:
            return self._become_backup(now, MAINTENANCE_REASON)
        if self.config.is_owner:
            # RFC 9568 §6.4.1: the address owner becomes master at once.
            return self._become_master(now, "address owner (priority 255): master at once")
        # RFC 9568 §6.4.1: everyone else starts as backup and waits for a master.
        mdi = self._master_down_interval()
        self._takeover_cause = f"no advert heard for {mdi:.3f} s (Master_Down_Interval) since start"
        return self._become_backup(
            now, f"started; master in {mdi:.3f} s (Master_Down_Interval) unless one advertises"
        )

    def _on_advert(self, advert: Advert, source: IPAddress, now: float) -> list[ev.Action]:
        refusal = self._refusal(advert)
        if refusal is not None:
            reason, detail = refusal
            return [self._drop(reason, source, detail)]
        self._adverts_received += 1
        if self._state is State.BACKUP:
            return self._backup_receives(advert, source, now)
        if self._state is State.MASTER:
            return self._master_receives(advert, source, now)
        # FAULT or INIT: not taking part, but show who the master is.
        self._note_master(advert, source)
        return []

    def _refusal(self, advert: Advert) -> tuple[DropReason, str] | None:
        """Why an advert that decoded cleanly is still refused, if it is."""
        config = self.config
        if advert.vrid != config.vrid:
            return DropReason.WRONG_VRID, f"VRID {advert.vrid}, ours is {config.vrid}"
        if advert.version != config.version:
            return DropReason.BAD_VERSION, f"VRRPv{advert.version}, we speak v{config.version}"
        if config.version is Version.V2:
            auth_problem = self._auth_problem(advert)
            if auth_problem is not None:
                return DropReason.AUTH_MISMATCH, auth_problem
            if advert.adver_int_cs != config.advert_int_cs:
                # RFC 3768 §7.1: v2 discards an advert whose interval is not ours.
                return DropReason.INTERVAL_MISMATCH, (
                    f"advert_int {advert.adver_int_cs / 100:g} s, ours is "
                    f"{config.advertisement_interval:g} s"
                )
        if set(advert.addresses) != self._vip_addresses:
            # RFC 9568 §7.1 lets us verify the list; Keepalived drops a differing one
            # (unless skip_check_adv_addr), so another cluster that reuses our VRID
            # cannot make us follow it and drop our VIPs.
            theirs = ", ".join(map(str, advert.addresses)) or "none"
            ours = ", ".join(map(str, sorted(self._vip_addresses, key=int))) or "none"
            return DropReason.ADDRESS_LIST_MISMATCH, (
                f"advert lists {theirs}, ours are {ours}: another cluster using VRID "
                f"{config.vrid}, or a virtual_ipaddress list that differs between nodes"
            )
        if config.is_owner:
            # RFC 9568 §7.1: the address owner does not take part in elections.
            return DropReason.OWNER_IGNORES, "we own the addresses (priority 255)"
        return None

    def _auth_problem(self, advert: Advert) -> str | None:
        """RFC 3768 §5.3.6 / §7.1: the auth type and password must be ours."""
        expected = self.config.auth_type
        if advert.auth_type != expected:
            return f"auth type {advert.auth_type.name}, ours is {expected.name}"
        if expected is AuthType.PASS and not hmac.compare_digest(
            advert.auth_data, self._auth_data()
        ):
            return "the password differs from ours"
        return None

    def _backup_receives(self, advert: Advert, source: IPAddress, now: float) -> list[ev.Action]:
        self._note_master(advert, source)
        if advert.priority == PRIORITY_RESIGN and self._maintenance:
            return []  # drained: someone else must take over
        if advert.priority == PRIORITY_RESIGN:
            # RFC 9568 §6.4.2: the master resigned: take over after Skew_Time only.
            skew = skew_time(self.config.version, self._priority, self._master_adver_interval)
            self._master_down_at = now + skew
            self._takeover_cause = (
                f"master {source} resigned (priority 0); took over after Skew_Time {skew:.3f} s"
            )
            return []
        if advert.priority >= self._priority:
            self._preempt_at = None
            return self._follow_master(advert, source, now)
        if not self.config.preempt:
            # RFC 9568 §6.4.2: without preemption a lower priority master is kept.
            return self._follow_master(advert, source, now)
        if self._maintenance or self._preempt_delay_holds(now):
            return self._follow_master(advert, source, now)
        # RFC 9568 §6.4.2: preempt: discard the lower priority advert, let the timer run out.
        self._takeover_cause = (
            f"preempted {source}: its priority {advert.priority} is below ours ({self._priority})"
        )
        return []

    def _follow_master(self, advert: Advert, source: IPAddress, now: float) -> list[ev.Action]:
        """RFC 9568 §6.4.2: accept the master: learn its interval, restart the timer."""
        self._learn_interval(advert)
        if self._maintenance:
            return []
        mdi = self._master_down_interval()
        self._master_down_at = now + mdi
        self._takeover_cause = f"no advert from {source} for {mdi:.3f} s (Master_Down_Interval)"
        return []

    def _preempt_delay_holds(self, now: float) -> bool:
        """Keepalived: preempt_delay: wait this long after first seeing a lower master."""
        if self.config.preempt_delay <= 0:
            return False
        if self._preempt_at is None:
            self._preempt_at = now + self.config.preempt_delay
        return now < self._preempt_at

    def _master_receives(self, advert: Advert, source: IPAddress, now: float) -> list[ev.Action]:
        if advert.priority == PRIORITY_RESIGN:
            # RFC 9568 §6.4.3: another master resigned: advertise at once.
            return [self._send_advert_now(now)]
        ours = self._priority
        if advert.priority > ours or (
            # RFC 9568 §6.4.3: equal priority: the higher primary address wins
            # (unsigned compare in network byte order, which int() gives).
            advert.priority == ours and int(source) > int(self.primary_address)
        ):
            self._note_master(advert, source)
            self._learn_interval(advert)
            mdi = self._master_down_interval()
            self._takeover_cause = f"no advert from {source} for {mdi:.3f} s (Master_Down_Interval)"
            if advert.priority > ours:
                why = f"{source} advertises priority {advert.priority}, above ours ({ours})"
            else:
                why = f"{source} advertises our priority ({ours}) from a higher address"
            return self._become_backup(now, why)
        if self.config.lower_prio_no_advert:
            return []
        # RFC 9568 §6.4.3: a lower priority: discard it and advertise at once
        # (Keepalived's default, lower_prio_no_advert false).
        return [self._send_advert_now(now)]

    def _on_track(self, name: str, state: TrackState, now: float) -> list[ev.Action]:
        self._track_states[name] = state
        self._tracks = contributions(self.config.tracks, self._track_states)
        before, self._priority = (
            self._priority,
            effective_priority(self.config.priority, self._tracks),
        )
        actions = self._reconsider_fault(now)
        if self._state is State.MASTER and self._priority != before:
            # Tell the segment at once rather than at the next interval, so peers
            # (and vrrpctl watch) see the new priority without waiting.
            actions.append(self._send_advert_now(now))
        return actions

    def _on_maintenance(self, on: bool, now: float) -> list[ev.Action]:
        if on == self._maintenance:
            return []
        self._maintenance = on
        if on and self._state is State.MASTER:
            # Drain: resign with priority 0 so the backup takes over after Skew_Time.
            return [
                self._send_advert(PRIORITY_RESIGN),
                *self._become_backup(now, MAINTENANCE_REASON),
            ]
        if on and self._state is State.BACKUP:
            self._master_down_at = None
            self._reason = MAINTENANCE_REASON
            return []
        if not on and self._state is State.BACKUP:
            if self.config.is_owner:
                return self._become_master(now, "maintenance ended; address owner (priority 255)")
            mdi = self._master_down_interval()
            self._master_down_at = now + mdi
            self._takeover_cause = f"no advert heard for {mdi:.3f} s (Master_Down_Interval)"
            self._reason = f"maintenance ended; master in {mdi:.3f} s unless one advertises"
        return []

    def _on_group_request(self, state: State, reason: str, now: float) -> list[ev.Action]:
        # Keepalived: vrrp_sync_group: members follow each other to MASTER and BACKUP.
        if state is State.MASTER and self._state is State.BACKUP and not self._maintenance:
            return self._become_master(now, reason)
        if state is State.BACKUP and self._state is State.MASTER:
            return self._become_backup(now, reason)
        return []

    def _on_shutdown(self, now: float) -> list[ev.Action]:
        actions: list[ev.Action] = []
        if self._state is State.MASTER:
            # RFC 9568 §6.4.3: on Shutdown the master sends priority 0 and resigns.
            actions.append(self._send_advert(PRIORITY_RESIGN))
            actions += self._release_vips()
        self._stop_timers()
        return actions + self._enter(State.STOP, now, "shutting down")

    # ── fault ───────────────────────────────────────────────────────────

    def own_fault_reasons(self) -> list[str]:
        """Keepalived: what of this instance's own keeps it in FAULT (not its group's)."""
        reasons = []
        if not self._link_up:
            detail = f": {self._link_detail}" if self._link_detail else ""
            reasons.append(f"interface {self.config.interface} is down{detail}")
        for track in self._tracks:
            if track.faults:
                detail = f": {track.detail}" if track.detail else ""
                reasons.append(f"track {track.name} failed{detail}")
        return reasons

    def _fault_reasons(self) -> list[str]:
        reasons = self.own_fault_reasons()
        if self._group_fault is not None:
            reasons.append(self._group_fault)
        return reasons

    def _reconsider_fault(self, now: float) -> list[ev.Action]:
        faults = self._fault_reasons()
        if faults and self._state in (State.BACKUP, State.MASTER):
            return self._become_fault(now, "; ".join(faults))
        if faults and self._state is State.FAULT:
            self._reason = "; ".join(faults)
            return []
        if not faults and self._state is State.FAULT:
            if self.config.is_owner and not self._maintenance:
                return self._become_master(now, "recovered; address owner (priority 255)")
            # RFC 9568 §6.4.1: back through Initialize: our own interval until we hear one.
            self._master_adver_interval = self.config.advertisement_interval
            mdi = self._master_down_interval()
            self._takeover_cause = f"no advert heard for {mdi:.3f} s (Master_Down_Interval)"
            return self._become_backup(now, "recovered from FAULT")
        return []

    # ── transitions ─────────────────────────────────────────────────────

    def _become_master(self, now: float, reason: str) -> list[ev.Action]:
        # RFC 9568 §6.4.2: advertise, then announce the addresses (GARP / NA).
        actions: list[ev.Action] = [self._send_advert(self._priority)]
        if self.config.vips:
            actions.append(ev.AddVips(self.config.vips))
        actions += self._announce(self.config.announcements.repeat)
        self._master_down_at = None
        self._preempt_at = None
        self._adver_at = now + self.config.advertisement_interval
        schedule = self.config.announcements
        self._second_burst_at = now + schedule.delay if schedule.delay > 0 else None
        self._refresh_at = now + schedule.refresh if schedule.refresh > 0 else None
        self._master_address = self.primary_address
        self._master_priority = self._priority
        self._master_adver_interval = self.config.advertisement_interval
        return actions + self._enter(State.MASTER, now, reason)

    def _become_backup(self, now: float, reason: str) -> list[ev.Action]:
        actions = self._release_vips() if self._state is State.MASTER else []
        self._stop_timers()
        if not self._maintenance:
            self._master_down_at = now + self._master_down_interval()
        return actions + self._enter(State.BACKUP, now, reason)

    def _become_fault(self, now: float, reason: str) -> list[ev.Action]:
        actions: list[ev.Action] = []
        if self._state is State.MASTER:
            # Keepalived: a master going to FAULT resigns with priority 0 first.
            actions.append(self._send_advert(PRIORITY_RESIGN))
            actions += self._release_vips()
        self._stop_timers()
        return actions + self._enter(State.FAULT, now, reason)

    def _enter(self, state: State, now: float, reason: str) -> list[ev.Action]:
        previous = self._state
        self._state, self._since, self._reason = state, now, reason
        self._transitions += 1
        return [ev.Notify(previous, state, self._priority, reason)]

    def _stop_timers(self) -> None:
        self._adver_at = self._master_down_at = None
        self._second_burst_at = self._refresh_at = None
        self._preempt_at = None

    def _release_vips(self) -> list[ev.Action]:
        return [ev.RemoveVips(self.config.vips)] if self.config.vips else []

    def _announce(self, count: int) -> list[ev.Action]:
        if not self.config.vips or count <= 0:
            return []
        return [ev.Announce(self.config.vips, count)]

    # ── adverts ─────────────────────────────────────────────────────────

    def _send_advert_now(self, now: float) -> ev.SendAdvert:
        self._adver_at = now + self.config.advertisement_interval
        return self._send_advert(self._priority)

    def _send_advert(self, priority: int) -> ev.SendAdvert:
        self._adverts_sent += 1
        # The same Advert object for the same priority: the shell may reuse its bytes.
        advert = self._adverts.get(priority)
        if advert is None:
            config = self.config
            advert = self._adverts[priority] = Advert(
                version=config.version,
                vrid=config.vrid,
                priority=priority,
                adver_int_cs=config.advert_int_cs,
                addresses=tuple(vip.address for vip in config.vips),
                auth_type=config.auth_type if config.version is Version.V2 else AuthType.NONE,
                auth_data=self._auth_data() if config.version is Version.V2 else b"",
            )
        return ev.SendAdvert(advert)

    def _auth_data(self) -> bytes:
        # RFC 3768 §5.3.10: the password, zero padded to 8 bytes; zeros without one.
        if self.config.auth_type is AuthType.PASS:
            return self.config.auth_pass.ljust(V2_AUTH_DATA_LEN, b"\0")
        return bytes(V2_AUTH_DATA_LEN)

    # ── bookkeeping ─────────────────────────────────────────────────────

    def _note_master(self, advert: Advert, source: IPAddress) -> None:
        self._master_address = source
        self._master_priority = advert.priority

    def _learn_interval(self, advert: Advert) -> None:
        if self.config.version is Version.V3:
            # RFC 9568 §6.4.2: a v3 backup adopts the master's Max Adver Int.
            self._master_adver_interval = advert.adver_int_cs / 100

    def _master_down_interval(self) -> float:
        return master_down_interval(
            self.config.version, self._priority, self._master_adver_interval
        )

    def _drop(self, reason: DropReason, source: IPAddress | None, detail: str) -> ev.ReportDrop:
        self._drops[reason] = self._drops.get(reason, 0) + 1
        return ev.ReportDrop(reason, source, detail)
