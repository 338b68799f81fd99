"""Sync groups: members move together."""

from __future__ import annotations

from vrrpd.protocol.model import State, SyncGroupConfig
from vrrpd.protocol.sync_group import followers, group_faults

G = SyncGroupConfig("G", ("VI_1", "VI_2", "VI_3"))


def test_keepalived_sync_group_one_fault_faults_the_others() -> None:
    faults = group_faults(G, {"VI_1": [], "VI_2": ["track chk failed"], "VI_3": []})
    assert faults["VI_1"] == "sync group G: VI_2 is in FAULT (track chk failed)"
    assert faults["VI_3"] == faults["VI_1"]
    assert faults["VI_2"] is None  # its own fault is enough


def test_keepalived_sync_group_stays_faulted_while_any_member_is() -> None:
    faults = group_faults(G, {"VI_1": ["a"], "VI_2": ["b"], "VI_3": []})
    assert faults["VI_1"] is not None
    assert faults["VI_2"] is not None
    assert group_faults(G, {}) == {"VI_1": None, "VI_2": None, "VI_3": None}


def test_keepalived_sync_group_master_takes_backups_along() -> None:
    states = {"VI_1": State.MASTER, "VI_2": State.BACKUP, "VI_3": State.FAULT}
    assert followers(G, states, "VI_1", State.BACKUP, State.MASTER) == {"VI_2": State.MASTER}


def test_keepalived_sync_group_backup_takes_masters_along() -> None:
    states = {"VI_1": State.BACKUP, "VI_2": State.MASTER, "VI_3": State.MASTER}
    wanted = followers(G, states, "VI_1", State.MASTER, State.BACKUP)
    assert wanted == {"VI_2": State.BACKUP, "VI_3": State.BACKUP}


def test_sync_group_ignores_other_transitions() -> None:
    states = {"VI_1": State.BACKUP, "VI_2": State.MASTER}
    assert followers(G, states, "VI_1", State.FAULT, State.BACKUP) == {}
    assert followers(G, states, "VI_1", State.INIT, State.BACKUP) == {}
