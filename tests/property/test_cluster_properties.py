"""Properties of the state machine under random input (hypothesis)."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import VIP, advert_from, config
from tests.sim.cluster import Cluster
from vrrpd.protocol import events as ev
from vrrpd.protocol.fsm import VirtualRouter
from vrrpd.protocol.model import State, TrackKind, TrackRef


def starter(cluster: Cluster, name: str) -> Callable[[], None]:
    return lambda: cluster.feed(name, ev.Started())


@settings(max_examples=60, deadline=None)
@given(
    priorities=st.lists(st.integers(1, 254), min_size=2, max_size=4),
    offsets=st.lists(st.floats(0, 5), min_size=4, max_size=4),
    loss=st.floats(0, 0.6),
    delay=st.sampled_from([0.0, 0.0005, 0.003]),
    seed=st.integers(0, 2**16),
)
def test_cluster_converges_to_one_master_once_the_wire_is_clean(
    priorities: list[int], offsets: list[float], loss: float, delay: float, seed: int
) -> None:
    cluster = Cluster(loss=loss, delay=delay, seed=seed)
    for index, priority in enumerate(priorities):
        name, address = f"n{index}", f"192.0.2.{11 + index}"
        cluster.add(name, address, config(priority=priority), start=False)
        cluster.at(offsets[index], starter(cluster, name))

    def clean_wire() -> None:
        cluster.loss = 0.0

    cluster.at(20.0, clean_wire)
    cluster.run_until(40.0)
    masters = cluster.masters()
    assert len(masters) == 1
    assert cluster.vip_holders() == masters
    if len(set(priorities)) == len(priorities):
        # RFC 9568 §6.4.2 with preemption: the highest priority ends up master.
        best = max(range(len(priorities)), key=lambda i: priorities[i])
        assert masters == [f"n{best}"]


PEER = ip_address("192.0.2.12")
TRACK = TrackRef("chk", TrackKind.SCRIPT, weight=0)
event_strategy = st.one_of(
    st.builds(
        lambda p, i, vrid: ev.AdvertReceived(
            advert_from(config(), p, adver_int_cs=i, vrid=vrid), PEER
        ),
        st.integers(0, 255),
        st.integers(1, 4095),
        st.sampled_from([51, 51, 51, 7]),
    ),
    st.builds(ev.TrackChanged, st.just("chk"), st.booleans()),
    st.builds(ev.LinkChanged, st.booleans()),
    st.builds(ev.GroupFaultChanged, st.sampled_from([None, "sync group G: VI_2 is in FAULT"])),
    st.builds(
        ev.GroupStateRequested, st.sampled_from([State.MASTER, State.BACKUP]), st.just("group")
    ),
    st.builds(ev.MaintenanceChanged, st.booleans()),
    st.just("deadline"),
)


@settings(max_examples=200, deadline=None)
@given(
    priority=st.sampled_from([100, 200, 255]),
    steps=st.lists(st.tuples(event_strategy, st.floats(0, 5)), max_size=40),
)
def test_router_keeps_vips_exactly_while_master_under_any_input(
    priority: int, steps: list[tuple[ev.Event | str, float]]
) -> None:
    router = VirtualRouter(config(priority=priority, tracks=(TRACK,)), ip_address("192.0.2.11"))
    holding = False
    now = 0.0

    def apply(actions: list[ev.Action]) -> None:
        nonlocal holding
        for action in actions:
            if isinstance(action, ev.AddVips):
                assert action.vips == (VIP,)
                holding = True
            elif isinstance(action, ev.RemoveVips):
                holding = False

    apply(router.handle(ev.Started(), now))
    for event, gap in steps:
        now += gap
        if event == "deadline":
            deadline = router.next_deadline()
            if deadline is not None:
                now = max(now, deadline)
                apply(router.on_deadline(now))
        else:
            assert not isinstance(event, str)
            apply(router.handle(event, now))
        assert holding == (router.state is State.MASTER)
        timed = router.state is State.MASTER or (
            router.state is State.BACKUP and not router.maintenance
        )
        assert (router.next_deadline() is not None) == timed
    apply(router.handle(ev.ShutdownRequested(), now))
    assert not holding
    assert router.state is State.STOP
