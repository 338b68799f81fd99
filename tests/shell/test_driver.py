"""The driver on a real asyncio loop, with fake ports that record what it does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import ip_address

import pytest
import structlog

from tests.factories import PEER, VIP, advert_from, config
from vrrpd.host.driver import Announcer, Listener, RouterDriver, Transmitter, VipKeeper
from vrrpd.host.rawsock import GROUP_V4, Received, Unreadable
from vrrpd.protocol import events as ev
from vrrpd.protocol.fsm import VirtualRouter
from vrrpd.protocol.model import Family, InstanceConfig, IPAddress, State, Vip
from vrrpd.protocol.packet import DropReason, PacketError, decode, encode

ME = ip_address("192.0.2.11")
MAC = bytes.fromhex("027700000011")


@dataclass
class Journal:
    """Everything the fakes saw, in order."""

    entries: list[tuple[str, object]] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.entries]


@dataclass
class FakeSender:
    journal: Journal
    source: IPAddress = ME

    def send(self, message: bytes, destination: IPAddress) -> None:
        self.journal.entries.append(("advert", decode(message, self.source, destination)))


@dataclass
class FakeNetlink:
    journal: Journal

    def prepare(self, vip: Vip, index: int) -> None:
        pass

    def add_vip(self, vip: Vip, index: int) -> str | None:
        self.journal.entries.append(("add", vip))
        return None

    def remove_vip(self, vip: Vip, index: int) -> str | None:
        self.journal.entries.append(("remove", vip))
        return None


@dataclass
class FakeFrames:
    journal: Journal

    def send(self, frame: bytes) -> None:
        self.journal.entries.append(("frame", frame))


@dataclass
class FakeNotifier:
    journal: Journal

    def submit(self, notify: ev.Notify) -> None:
        self.journal.entries.append(("notify", notify.state))


def make_driver(cfg: InstanceConfig, journal: Journal) -> RouterDriver:
    return RouterDriver(
        VirtualRouter(cfg, ME),
        transmitter=Transmitter(FakeSender(journal), cfg),
        vips=VipKeeper(FakeNetlink(journal), {"eth0": 2}, "eth0"),
        announcer=Announcer({"eth0": FakeFrames(journal)}, {"eth0": MAC}, "eth0"),
        notifier=FakeNotifier(journal),
    )


async def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.001)


async def test_owner_takes_over_advert_then_vips_then_announcements_then_hooks() -> None:
    journal = Journal()
    driver = make_driver(config(priority=255), journal)
    driver.start()  # all of it happens inside this call: nothing waits for the loop
    kinds = journal.kinds()
    assert kinds[0] == "advert"
    assert kinds[1] == "add"
    assert kinds[2:7] == ["frame"] * 5  # garp_master_repeat 5
    assert kinds[7] == "notify"
    advert = journal.entries[0][1]
    assert advert.priority == 255  # type: ignore[attr-defined]
    driver.close()


async def test_backup_times_out_to_master_on_the_loop_clock() -> None:
    journal = Journal()
    driver = make_driver(config(advert_int_cs=5), journal)  # MDI 0.15 + skew
    loop = asyncio.get_running_loop()
    started = loop.time()
    driver.start()
    await wait_for(lambda: driver.router.state is State.MASTER)
    assert loop.time() - started >= 0.15 + 156 * 0.05 / 256
    await wait_for(lambda: journal.kinds().count("advert") >= 3)
    driver.close()


async def test_shutdown_resigns_and_removes_the_vips_at_once() -> None:
    journal = Journal()
    driver = make_driver(config(priority=255), journal)
    driver.start()
    journal.entries.clear()
    driver.deliver(ev.ShutdownRequested())
    assert journal.kinds() == ["advert", "remove", "notify"]
    assert journal.entries[0][1].priority == 0  # type: ignore[attr-defined]
    driver.close()


async def test_unicast_sends_one_advert_per_peer() -> None:
    journal = Journal()
    peers = (ip_address("192.0.2.12"), ip_address("192.0.2.13"))
    driver = make_driver(config(priority=255, unicast_peers=peers), journal)
    driver.start()
    assert journal.kinds()[:2] == ["advert", "advert"]
    driver.close()


@dataclass
class FakeReceiver:
    items: list[Received | Unreadable]
    ifname: str = "eth0"
    family: Family = Family.IPV4

    def read(self) -> Received | Unreadable | None:
        return self.items.pop(0) if self.items else None


def wire(cfg: InstanceConfig, priority: int, source: IPAddress = PEER, ttl: int = 255) -> Received:
    destination = ME if cfg.unicast else GROUP_V4
    message = encode(advert_from(cfg, priority), source, destination)
    return Received(source, destination, ttl, message)


async def listen(cfg: InstanceConfig, *items: Received | Unreadable) -> RouterDriver:
    journal = Journal()
    driver = make_driver(cfg, journal)
    driver.start()
    listener = Listener(FakeReceiver(list(items)), frozenset({ME}))
    listener.by_vrid[cfg.vrid] = driver
    listener.on_readable()
    driver.close()
    return driver


async def test_rfc9568_7_1_listener_drops_ttl_other_than_255() -> None:
    cfg = config()
    driver = await listen(cfg, wire(cfg, 200, ttl=64))
    assert driver.status().counters.drops == {DropReason.BAD_TTL: 1}


async def test_keepalived_unicast_skips_ttl_check_but_requires_a_configured_peer() -> None:
    cfg = config(unicast_peers=(PEER,))
    stranger = ip_address("192.0.2.99")
    driver = await listen(cfg, wire(cfg, 200, ttl=64), wire(cfg, 200, source=stranger))
    status = driver.status()
    assert status.counters.adverts_received == 1
    assert status.counters.drops == {DropReason.NOT_A_PEER: 1}


async def test_listener_drops_own_adverts_and_bad_checksums() -> None:
    cfg = config()
    bad = wire(cfg, 200)
    corrupted = Received(
        bad.source, bad.destination, 255, bad.message[:6] + b"\0\0" + bad.message[8:]
    )
    driver = await listen(cfg, wire(cfg, 200, source=ME), corrupted)
    assert driver.status().counters.drops == {
        DropReason.OWN_ADVERT: 1,
        DropReason.BAD_CHECKSUM: 1,
    }


async def test_listener_counts_other_vrids_and_unreadable_packets_itself() -> None:
    cfg = config()
    other = wire(config(vrid=7), 200)
    unreadable = Unreadable(PEER, PacketError(DropReason.AUTH_UNSUPPORTED, "AH"))
    journal = Journal()
    driver = make_driver(cfg, journal)
    listener = Listener(FakeReceiver([other, unreadable, wire(cfg, 200)]), frozenset({ME}))
    listener.by_vrid[cfg.vrid] = driver
    driver.start()
    listener.on_readable()
    assert listener.drops == {DropReason.WRONG_VRID: 1, DropReason.AUTH_UNSUPPORTED: 1}
    assert driver.status().master_address == str(PEER)
    driver.close()


@pytest.fixture(autouse=True)
def _vip_sanity() -> None:
    assert VIP.address == ip_address("192.0.2.100")


async def test_keepalived_multicast_instance_drops_unicast_adverts() -> None:
    cfg = config()
    unicast = Received(PEER, ME, 255, wire(cfg, 200).message)
    driver = await listen(cfg, unicast)
    assert driver.status().counters.drops == {DropReason.WRONG_DESTINATION: 1}


@dataclass
class FlakySender:
    """Refuses to send to one peer, as a route-less peer would."""

    journal: Journal
    broken: IPAddress
    source: IPAddress = ME

    def send(self, message: bytes, destination: IPAddress) -> None:
        if destination == self.broken:
            raise OSError(113, "No route to host")
        self.journal.entries.append(("advert", destination))


def test_one_unreachable_unicast_peer_does_not_starve_the_others() -> None:
    journal = Journal()
    peers = (ip_address("192.0.2.12"), ip_address("192.0.2.13"), ip_address("192.0.2.14"))
    cfg = config(unicast_peers=peers)
    transmitter = Transmitter(FlakySender(journal, broken=peers[0]), cfg)
    problems = transmitter.send(advert_from(cfg, 100))
    assert problems == ["cannot send advert to 192.0.2.12: [Errno 113] No route to host"]
    assert journal.entries == [("advert", peers[1]), ("advert", peers[2])]


@dataclass
class RefusingNetlink:
    journal: Journal

    def prepare(self, vip: Vip, index: int) -> None:
        pass

    def add_vip(self, vip: Vip, index: int) -> str | None:
        return "1 EPERM: Operation not permitted"

    def remove_vip(self, vip: Vip, index: int) -> str | None:
        return None


async def test_a_refused_vip_is_logged_and_still_announced_and_notified(
    capsys: pytest.CaptureFixture[str],
) -> None:
    journal = Journal()
    cfg = config(priority=255)
    driver = RouterDriver(
        VirtualRouter(cfg, ME),
        transmitter=Transmitter(FakeSender(journal), cfg),
        vips=VipKeeper(RefusingNetlink(journal), {"eth0": 2}, "eth0"),
        announcer=Announcer({"eth0": FakeFrames(journal)}, {"eth0": MAC}, "eth0"),
        notifier=FakeNotifier(journal),
    )
    driver.start()
    assert journal.kinds() == ["advert", *["frame"] * 5, "notify"]
    assert driver.router.state is State.MASTER
    assert "vip_change_failed" in capsys.readouterr().out
    driver.close()


async def test_a_takeover_logs_its_own_latency_from_the_deadline_on_the_monotonic_clock() -> None:
    journal = Journal()
    driver = make_driver(config(advert_int_cs=5), journal)
    with structlog.testing.capture_logs() as logs:
        driver.start()
        await wait_for(lambda: driver.router.state is State.MASTER)
    driver.close()
    (timing,) = [line for line in logs if line["event"] == "takeover_timing"]
    assert 0 <= timing["late_us"] <= timing["advert_us"] <= timing["vips_us"] <= timing["garps_us"]
    # Log lines are written after the actions they describe, never in between.
    events = [line["event"] for line in logs]
    assert events[-4:] == ["vips_added", "announced", "transition", "takeover_timing"]
