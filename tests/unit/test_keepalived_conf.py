"""keepalived.conf -> the model, with Keepalived's meaning, and every issue with file:line.

Every config this suite feeds the parser is checked with `keepalived -t`
too (when Keepalived 2.2 is installed and we are root): the accepted ones
must pass it, so the tests speak real Keepalived syntax, and the syntax
errors must fail it, so we refuse what Keepalived refuses.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vrrpd.config import ConfigError, ConfigIssue, Severity, script_issues
from vrrpd.config.keepalived import (
    GLOBAL_POLICIES,
    INSTANCE_POLICIES,
    SUPPORTED_KEYWORDS,
    load_keepalived,
    load_keepalived_with_warnings,
    parse_keepalived,
    parse_keepalived_with_warnings,
)
from vrrpd.config.keepalived_syntax import KeepalivedSourceMap, shell_words
from vrrpd.config.loader import LoadedConfig
from vrrpd.protocol.model import (
    Announcements,
    AuthType,
    Config,
    Family,
    InstanceConfig,
    TrackKind,
    TrackRef,
    Version,
    Vip,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "keepalived"
DATA_CONFIGS = sorted([*DATA.glob("*.conf"), DATA / "include" / "keepalived.conf"])
KEEPALIVED = shutil.which("keepalived")
# Keepalived checks that interfaces exist and that scripts are safe to run as
# root; the wrapper lets it check the syntax on any machine.
WRAPPER = """\
global_defs {
    dynamic_interfaces
    script_user root
    enable_script_security
}
include %s
"""

needs_keepalived = pytest.mark.skipif(
    KEEPALIVED is None or os.geteuid() != 0,
    reason="the cross-check needs keepalived installed (apt-get install keepalived) and root "
    "(`keepalived -t` checks scripts as root)",
)

INSTANCE = """\
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.100/24
    }
%s}
"""


def conf(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def with_instance(*lines: str, before: str = "", after: str = "") -> str:
    """A minimal instance with more lines in it (and whole blocks before or after)."""
    body = "".join(f"    {line}\n" for line in lines)
    return conf(before) + INSTANCE % body + conf(after)


def load(text: str) -> LoadedConfig:
    return parse_keepalived_with_warnings(text, "keepalived.conf")


def parse(text: str) -> Config:
    return parse_keepalived(text, "keepalived.conf")


def instance(text: str, name: str = "VI_1") -> InstanceConfig:
    (found,) = [i for i in parse(text).instances if i.name == name]
    return found


def errors(text: str) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return list(info.value.issues)


def notices(text: str) -> list[str]:
    """The warnings and notes of a config that loads, as printed."""
    return [str(issue) for issue in load(text).warnings]


def keepalived_check(config: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert KEEPALIVED is not None
    wrapper = tmp_path / "wrapper.conf"
    wrapper.write_text(WRAPPER % config.resolve())
    return subprocess.run(
        [KEEPALIVED, "-t", "-f", str(wrapper)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def keepalived_accepts(text: str, tmp_path: Path) -> bool:
    path = tmp_path / "keepalived.conf"
    path.write_text(text)
    result = keepalived_check(path, tmp_path)
    return result.returncode == 0


# --- the configs in tests/data/keepalived -------------------------------------------------


@needs_keepalived
@pytest.mark.parametrize("path", DATA_CONFIGS, ids=lambda p: str(p.relative_to(DATA)))
def test_keepalived_itself_accepts_every_data_config(path: Path, tmp_path: Path) -> None:
    result = keepalived_check(path, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize("path", DATA_CONFIGS, ids=lambda p: str(p.relative_to(DATA)))
def test_every_data_config_loads_without_warnings_that_change_meaning(path: Path) -> None:
    loaded = load_keepalived_with_warnings(path)
    assert loaded.config.instances
    assert [str(w) for w in loaded.warnings if w.severity is Severity.WARNING] == []


def test_the_seed_example_means_what_keepalived_makes_of_it() -> None:
    loaded = load_keepalived_with_warnings(DATA / "seed.conf")
    config = loaded.config
    assert config.global_.router_id == "lb1"
    (script,) = config.scripts
    assert (script.name, script.command, script.interval, script.weight) == (
        "chk_haproxy",
        "pidof haproxy",
        2.0,
        2,
    )
    assert script.timeout is None  # Keepalived: the interval
    (inst,) = config.instances
    assert inst == InstanceConfig(
        name="VI_1",
        interface="bond0.101",
        vrid=51,
        priority=100,
        version=Version.V2,  # Keepalived's default, not the YAML schema's 3
        family=Family.IPV4,
        advert_int_cs=100,
        vips=(Vip(ipaddress.IPv4Interface("192.168.101.15/32")),),
        tracks=(TrackRef("chk_haproxy", TrackKind.SCRIPT, 2),),
        announcements=Announcements(repeat=5, delay=5.0),
        notify=inst.notify,
    )
    assert (inst.notify.master, inst.notify.backup, inst.notify.fault) == (
        "/etc/keepalived/notify.sh master",
        "/etc/keepalived/notify.sh backup",
        "/etc/keepalived/notify.sh fault",
    )
    assert inst.notify.stop is None and inst.notify.notify is None
    state_note = [w for w in loaded.warnings if w.key == "vrrp_instance.VI_1.state"]
    assert [str(n) for n in state_note] == [
        f"{DATA / 'seed.conf'}:15:11: note: vrrp_instance.VI_1.state: vrrpd starts every "
        "instance as BACKUP and lets the election decide, as Keepalived does in practice "
        "(it waits one Master_Down_Interval too)"
    ]


def test_a_production_style_file_keeps_every_setting() -> None:
    config = load_keepalived(DATA / "lb-pair.conf")
    assert config.global_.script_user == "root"
    haproxy, api = config.scripts
    assert (haproxy.interval, haproxy.timeout, haproxy.fall, haproxy.rise) == (1.0, 2.0, 2, 3)
    assert (haproxy.weight, haproxy.user, haproxy.init_fail) == (-60, "root", False)
    assert api.command == "/bin/sh -c 'test -f /run/api.ok'"
    assert (api.interval, api.weight, api.init_fail) == (5.0, 0, True)
    (maintenance,) = config.files
    assert (maintenance.path, maintenance.weight) == ("/etc/keepalived/maintenance", -100)
    (inst,) = config.instances
    assert (inst.priority, inst.preempt, inst.preempt_delay) == (150, True, 30.0)
    assert (inst.auth_type, inst.auth_pass) == (AuthType.PASS, b"s3cret")
    assert inst.vips == (
        Vip(ipaddress.IPv4Interface("192.0.2.100/24")),
        Vip(ipaddress.IPv4Interface("192.0.2.101/24"), dev="eth0", label="eth0:web"),
        Vip(ipaddress.IPv4Interface("198.51.100.7/32"), dev="eth1", scope="global"),
    )
    assert inst.unicast_src_ip == ipaddress.IPv4Address("192.0.2.11")
    assert inst.unicast_peers == (ipaddress.IPv4Address("192.0.2.12"),)
    assert inst.tracks == (
        TrackRef("chk_haproxy", TrackKind.SCRIPT, -60),  # the script's own weight
        TrackRef("chk_api", TrackKind.SCRIPT, -20),  # the instance's
        TrackRef("eth1", TrackKind.INTERFACE, -30),
        TrackRef("maintenance", TrackKind.FILE, -100),
    )
    assert inst.notify.stop == "/etc/keepalived/notify.sh stop"
    assert inst.notify.notify == "/etc/keepalived/notify-all.sh"
    # vrrp_garp_master_* in global_defs are the defaults; the instance adds its own.
    assert inst.announcements == Announcements(repeat=3, delay=2.0, refresh=60.0, refresh_repeat=2)
    assert inst.lower_prio_no_advert


def test_vrrpv3_for_both_families_with_sub_second_adverts() -> None:
    v4, v6 = load_keepalived(DATA / "ipv6.conf").instances
    assert (v4.version, v4.family, v4.advert_int_cs, v4.vrid) == (Version.V3, Family.IPV4, 25, 61)
    assert v4.unicast_src_ip == ipaddress.IPv4Address("192.0.2.12")  # mcast_src_ip
    assert not v4.unicast  # a source address alone is still multicast
    assert (v6.version, v6.family, v6.advert_int_cs, v6.preempt) == (
        Version.V3,
        Family.IPV6,
        50,
        False,
    )
    assert v6.vips[1] == Vip(ipaddress.IPv6Interface("2001:db8::101/64"), dev="eth1")


def test_a_sync_groups_tracks_apply_to_every_member_with_their_weights() -> None:
    config = load_keepalived(DATA / "sync-group.conf")
    (group,) = config.sync_groups
    assert group.members == ("VI_PUBLIC", "VI_PRIVATE")
    assert group.notify.master == "/etc/keepalived/group.sh master"
    assert group.notify.notify == "/etc/keepalived/group-all.sh"
    for inst in config.instances:
        assert inst.sync_group == "G_HAPROXY"
        assert inst.tracks == (
            TrackRef("chk_haproxy", TrackKind.SCRIPT, -60),
            TrackRef("eth2", TrackKind.INTERFACE, 0),
        )


def test_blocks_on_one_line_comments_and_quotes_read_as_keepalived_reads_them() -> None:
    config = load_keepalived(DATA / "syntax.conf")
    assert config.global_.router_id == "lb1"
    (script,) = config.scripts
    # "..." keeps '...' inside it; Keepalived splits that into three words.
    assert shell_words(script.command) == ["/bin/sh", "-c", "test -f /run/ok"]
    (inst,) = config.instances
    assert (inst.interface, inst.vrid) == ("eth0", 51)  # comments of both kinds end the line
    assert inst.vips == (Vip(ipaddress.IPv4Interface("192.0.2.100/24")),)
    assert inst.tracks == (TrackRef("chk_ok", TrackKind.SCRIPT, 0),)
    assert inst.notify.master == "/etc/keepalived/notify.sh 'two words'"
    assert inst.notify.backup == "'/etc/keepalived/notify#1.sh'"  # \# is not a comment


def test_includes_with_globs_braces_and_relative_paths_even_inside_a_block() -> None:
    config = load_keepalived(DATA / "include" / "keepalived.conf")
    assert [i.name for i in config.instances] == ["VI_WEB", "VI_DB", "VI_DNS"]
    web = config.instances[0]
    # `include ../vips/web.conf` inside virtual_ipaddress, relative to conf.d/.
    assert [str(v.interface) for v in web.vips] == ["192.0.2.100/24", "192.0.2.101/24"]
    assert web.tracks == (TrackRef("chk_haproxy", TrackKind.SCRIPT, -60),)


def test_the_source_map_points_into_included_files(tmp_path: Path) -> None:
    loaded = load_keepalived_with_warnings(DATA / "include" / "keepalived.conf")
    source = loaded.source
    assert isinstance(source, KeepalivedSourceMap)
    assert source.file_of("vrrp_instance.VI_DB") == str(DATA / "include" / "extra" / "db.conf")
    assert source.key_position("vrrp_instance.VI_DB.virtual_router_id").line == 3
    # script_issues asks in the YAML schema's words; the map answers in Keepalived's.
    assert "scripts.chk_haproxy.script" in source
    issue = source.issue("scripts.chk_haproxy.script", "problem", "fix", Severity.WARNING)
    assert (issue.file, issue.line, issue.column, issue.key) == (
        str(DATA / "include" / "scripts.conf"),
        2,
        12,
        "vrrp_script.chk_haproxy.script",
    )


def test_host_checks_of_scripts_point_at_keepalived_conf_lines(tmp_path: Path) -> None:
    text = with_instance(
        "track_script {",
        "    chk",
        "}",
        'notify "/nonexistent/notify.sh"',
        before="""
            global_defs {
                script_user root
            }
            vrrp_script chk {
                script "/nonexistent/check"
            }
        """,
    )
    loaded = load(text)
    found = [str(i) for i in script_issues(loaded.config, loaded.source)]
    assert found == [
        "keepalived.conf:5:12: warning: vrrp_script.chk.script: /nonexistent/check does not "
        "exist; install it, or fix the path",
        "keepalived.conf:16:12: warning: vrrp_instance.VI_1.notify: /nonexistent/notify.sh does "
        "not exist; install it, or fix the path",
    ]


# --- Keepalived's defaults and rules ------------------------------------------------------


def test_keepalived_defaults_not_the_yaml_schemas() -> None:
    inst = instance(with_instance())
    assert (inst.version, inst.priority, inst.advert_int_cs) == (Version.V2, 100, 100)
    assert inst.announcements == Announcements(repeat=5, delay=5.0, refresh=0.0)
    assert inst.preempt and inst.preempt_delay == 0.0
    assert inst.vips[0].interface == ipaddress.IPv4Interface("192.0.2.100/24")


def test_a_bare_address_is_a_host_address() -> None:
    text = with_instance().replace("192.0.2.100/24", "192.0.2.100")
    assert instance(text).vips[0].interface == ipaddress.IPv4Interface("192.0.2.100/32")


def test_global_vrrp_version_is_every_instances_default_and_version_overrides_it() -> None:
    before = "global_defs {\n    vrrp_version 3\n}\n"
    assert instance(with_instance(before=before)).version is Version.V3
    assert instance(with_instance("version 2", before=before)).version is Version.V2


def test_an_ipv6_instance_is_always_vrrpv3_as_in_keepalived() -> None:
    text = with_instance("version 2").replace("192.0.2.100/24", "2001:db8::100/64")
    assert instance(text).version is Version.V3
    assert notices(text) == [
        "keepalived.conf:7:5: note: vrrp_instance.VI_1.version: Keepalived runs an IPv6 "
        "instance as VRRPv3 whatever `version` says; so does vrrpd; write `version 3`"
    ]


def test_state_master_without_a_priority_is_the_address_owner() -> None:
    text = with_instance("state MASTER")
    assert instance(text).priority == 255
    assert notices(text) == [
        "keepalived.conf:7:11: warning: vrrp_instance.VI_1.state: state MASTER without a "
        "priority makes this instance the address owner (priority 255) in Keepalived, and so "
        "in this conversion; write `priority 255` to say so, or give a priority below 255"
    ]


def test_state_is_a_note_since_the_election_decides(tmp_path: Path) -> None:
    master = with_instance("state MASTER", "priority 200")
    assert instance(master).priority == 200
    assert "vrrpd starts every instance as BACKUP" in notices(master)[0]
    owner = with_instance("state BACKUP", "priority 255")
    assert "the address owner (priority 255) becomes MASTER at once" in notices(owner)[0]
    assert notices(with_instance("state BACKUP")) == []


@pytest.mark.parametrize(
    ("lines", "preempt", "delay", "warning"),
    [
        (["nopreempt"], False, 0.0, None),
        (["preempt_delay 4.12"], True, 4.12, None),
        (["state MASTER", "priority 150", "nopreempt"], True, 0.0, "nopreempt with state MASTER"),
        (["priority 255", "nopreempt"], True, 0.0, "nopreempt with the address owner"),
        (["nopreempt", "preempt_delay 10"], False, 0.0, "preempt_delay with nopreempt"),
        (["state MASTER", "priority 150", "preempt_delay 10"], True, 0.0, "with state MASTER"),
        (["nopreempt", "preempt"], True, 0.0, "Keepalived uses the last one, preempt"),
    ],
)
def test_preemption_as_keepalived_leaves_it(
    lines: list[str], preempt: bool, delay: float, warning: str | None
) -> None:
    text = with_instance(*lines)
    inst = instance(text)
    assert (inst.preempt, inst.preempt_delay) == (preempt, delay)
    found = [n for n in notices(text) if "warning" in n]
    if warning is None:
        assert found == []
    else:
        assert len(found) == 1 and warning in found[0], found


def test_a_long_auth_pass_is_cut_to_8_bytes_as_keepalived_does() -> None:
    text = with_instance(
        "authentication {", "    auth_type PASS", "    auth_pass longpassword", "}"
    )
    assert instance(text).auth_pass == b"longpass"
    assert notices(text) == [
        "keepalived.conf:9:19: warning: vrrp_instance.VI_1.authentication.auth_pass: is 12 "
        "bytes long; Keepalived uses only the first 8 ('longpass'), and so does this "
        "conversion; write `auth_pass longpass` to say so"
    ]


def test_authentication_is_ignored_in_vrrpv3_as_keepalived_does() -> None:
    text = with_instance(
        "version 3", "authentication {", "    auth_type PASS", "    auth_pass x", "}"
    )
    assert instance(text).auth_type is AuthType.NONE
    assert "Keepalived ignores authentication in VRRPv3" in notices(text)[0]


TRACK_PROCESS = "vrrp_track_process haproxy {\n    process haproxy\n}\n"
GROUP = """\
vrrp_script chk {
    script "pidof haproxy"
    weight -20
}
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
%s}
vrrp_instance VI_2 {
    interface eth1
    virtual_router_id 52
    virtual_ipaddress {
        198.51.100.1/24
    }
}
"""


def test_weighted_tracks_of_a_sync_group_member_are_dropped_as_keepalived_does() -> None:
    text = with_instance(
        "track_script {",
        "    chk",
        "}",
        "track_interface {",
        "    eth2 weight -10",
        "}",
        before=GROUP % "",
    )
    inst = instance(text)
    assert inst.sync_group == "G"
    # The weighted script is not run for it; the interface faults the group instead.
    assert inst.tracks == (TrackRef("eth2", TrackKind.INTERFACE, 0),)
    found = notices(text)
    assert any("Keepalived ignores a weighted track of a sync group member (G)" in n for n in found)
    assert any("Keepalived ignores track weights in a sync group (G)" in n for n in found)


def test_sync_group_tracking_weight_keeps_the_members_weights() -> None:
    text = with_instance(
        "track_script {",
        "    chk",
        "}",
        before=GROUP % "    sync_group_tracking_weight\n",
    )
    assert instance(text).tracks == (TrackRef("chk", TrackKind.SCRIPT, -20),)


def test_a_sync_groups_weighted_track_faults_instead_when_a_member_is_the_owner() -> None:
    text = with_instance("priority 255", before=GROUP % "    track_script {\n        chk\n    }\n")
    config = parse(text)
    assert [i.tracks for i in config.instances] == [(TrackRef("chk", TrackKind.SCRIPT, 0),)] * 2


def test_weighted_tracks_of_the_address_owner_are_dropped_as_keepalived_does() -> None:
    text = with_instance(
        "priority 255",
        "track_interface {",
        "    eth1 weight 10",
        "    eth2",
        "}",
    )
    assert instance(text).tracks == (TrackRef("eth2", TrackKind.INTERFACE, 0),)
    assert "Keepalived ignores a weighted track on the address owner" in notices(text)[0]


def test_tracking_the_instances_own_interface_is_left_out_as_keepalived_does() -> None:
    text = with_instance("track_interface {", "    eth0", "    eth1", "}")
    assert instance(text).tracks == (TrackRef("eth1", TrackKind.INTERFACE, 0),)
    assert "note: vrrp_instance.VI_1.track_interface[0]: Keepalived ignores" in notices(text)[0]


def test_garp_settings_global_defaults_and_vrrp_min_garp() -> None:
    before = "global_defs {\n    vrrp_min_garp\n    vrrp_garp_master_refresh 30\n}\n"
    inst = instance(with_instance("garp_master_repeat 2", before=before))
    assert inst.announcements == Announcements(repeat=2, delay=0.0, refresh=30.0)


def test_lower_prio_no_advert_and_v3_checksum_as_v2_defaults_and_overrides() -> None:
    # v3_checksum_as_v2 is newer than Keepalived 2.2.7, so no cross-check here.
    before = "global_defs {\n    vrrp_lower_prio_no_advert\n    v3_checksum_as_v2\n}\n"
    inst = instance(with_instance("lower_prio_no_advert false", before=before))
    assert (inst.lower_prio_no_advert, inst.v3_checksum_as_v2) == (False, True)


def test_enable_script_security_without_script_user_means_keepalived_script() -> None:
    text = with_instance(
        "track_script {",
        "    chk",
        "}",
        before="""
            global_defs {
                enable_script_security
            }
            vrrp_script chk {
                script "true"
            }
        """,
    )
    assert parse(text).global_.script_user == "keepalived_script"


def test_mcast_src_ip_and_unicast_src_ip_are_one_setting() -> None:
    text = with_instance("mcast_src_ip 192.0.2.11", "unicast_src_ip 192.0.2.12")
    assert instance(text).unicast_src_ip == ipaddress.IPv4Address("192.0.2.12")
    assert "mcast_src_ip and unicast_src_ip are one setting" in notices(text)[0]


def test_an_address_listed_twice_is_added_once_as_keepalived_does() -> None:
    text = with_instance().replace("192.0.2.100/24", "192.0.2.100/24\n        192.0.2.100/24")
    assert len(instance(text).vips) == 1
    assert "listed twice (also at line 5); Keepalived adds it once" in notices(text)[0]


@needs_keepalived
def test_the_rules_above_use_syntax_keepalived_accepts(tmp_path: Path) -> None:
    texts = [
        with_instance("state MASTER", "priority 200"),
        with_instance("nopreempt", "preempt_delay 4.12".replace("4.12", "0")),
        with_instance("mcast_src_ip 192.0.2.11"),
        with_instance(
            "track_script {", "    chk", "}", before=GROUP % "    sync_group_tracking_weight\n"
        ),
        with_instance(
            before="global_defs {\n    vrrp_min_garp\n    vrrp_garp_master_refresh 30\n}\n"
        ),
        with_instance(
            "lower_prio_no_advert false", before="global_defs {\n    vrrp_lower_prio_no_advert\n}\n"
        ),
    ]
    for text in texts:
        assert keepalived_accepts(text, tmp_path), text


# --- what vrrpd does not do: refused by name, or noted --------------------------------------


@pytest.mark.parametrize(
    ("lines", "before", "expected"),
    [
        (["use_vmac"], "", "vrrp_instance.VI_1.use_vmac: not supported by vrrpd: vrrpd keeps"),
        (["no_accept"], "", "vrrp_instance.VI_1.no_accept: not supported by vrrpd"),
        (["track_process {", "    haproxy", "}"], TRACK_PROCESS, "VI_1.track_process: not"),
        (["virtual_routes {", "    198.51.100.0/24 via 192.0.2.254 dev eth0", "}"], "", "routes"),
        (["virtual_rules {", "    from 192.0.2.0/24 table 1 preference 100", "}"], "", "rules"),
        (["virtual_ipaddress_excluded {", "    192.0.2.9", "}"], "", "every VIP is advertised"),
        (["smtp_alert"], "", "vrrp_instance.VI_1.smtp_alert: not supported by vrrpd: vrrpd sends"),
        (["strict_mode"], "", "strict_mode: not supported by vrrpd: strict mode drops"),
        (["mcast_dst_ip 224.0.0.19"], "", "vrrpd always sends to the IANA group"),
        (["garp_lower_prio_repeat 2"], "", "garp_lower_prio_repeat: not supported"),
        ([], "global_defs {\n    vrrp_strict\n}\n", "global_defs.vrrp_strict: not supported"),
        ([], "global_defs {\n    vrrp_notify_fifo /run/k.fifo\n}\n", "no notify FIFO"),
        ([], TRACK_PROCESS, "vrrp_track_process: not supported by vrrpd: no process tracking"),
    ],
)
def test_an_option_vrrpd_does_not_implement_is_an_error_naming_it(
    lines: list[str], before: str, expected: str, tmp_path: Path
) -> None:
    text = with_instance(*lines, before=before)
    found = [str(e) for e in errors(text)]
    assert any(expected in e for e in found), found
    assert all("not supported by vrrpd" in e for e in found), found
    if KEEPALIVED is not None and os.geteuid() == 0:
        assert keepalived_accepts(text, tmp_path), "Keepalived itself should accept it"


def test_an_unsupported_option_says_where_and_what_to_do() -> None:
    (issue,) = errors(with_instance("use_vmac"))
    assert str(issue) == (
        "keepalived.conf:7:5: vrrp_instance.VI_1.use_vmac: not supported by vrrpd: vrrpd keeps "
        "the VIPs on the interface's own MAC address and announces them with gratuitous ARP / "
        "unsolicited NA; remove it (the VIPs move by ARP, as without use_vmac)"
    )


LVS = """\
virtual_server 192.0.2.100 80 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.0.0.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 3
        }
    }
}
"""


def test_lvs_is_out_of_scope(tmp_path: Path) -> None:
    text = with_instance(after=LVS)
    (issue,) = errors(text)
    assert str(issue) == (
        "keepalived.conf:8:1: virtual_server: LVS is out of scope for vrrpd; keep Keepalived's "
        "checker for it, or remove it"
    )
    if KEEPALIVED is not None and os.geteuid() == 0:
        assert keepalived_accepts(text, tmp_path)


@pytest.mark.parametrize(
    "lines",
    [
        ["strict_mode off"],
        ["smtp_alert false"],
        ["mcast_dst_ip 224.0.0.18"],
        ["down_timer_adverts 3"],
        ["unicast_ttl 255"],
    ],
)
def test_an_unsupported_option_at_a_value_that_changes_nothing_is_accepted(
    lines: list[str],
) -> None:
    assert notices(with_instance(*lines)) == []


def test_vrrp_garp_interval_0_from_old_samples_is_accepted() -> None:
    # Keepalived 2.2.7 calls 0 invalid and ignores the line, which leaves 0.
    before = "global_defs {\n    vrrp_garp_interval 0\n    vrrp_gna_interval 0\n}\n"
    assert notices(with_instance(before=before)) == []


def test_mail_lvs_and_snmp_settings_are_noted_as_unused(tmp_path: Path) -> None:
    before = """\
        global_defs {
            notification_email {
                ops@example.com
            }
            notification_email_from lb1@example.com
            smtp_server 192.0.2.25
            smtp_connect_timeout 30
            lvs_flush
            enable_snmp_vrrp
            max_auto_priority 50
            vrrp_check_unicast_src
            vrrp_skip_check_adv_addr
        }
    """
    text = with_instance(
        "unicast_peer {", "    192.0.2.12", "}", "check_unicast_src", "accept", before=before
    )
    found = notices(text)
    assert [n.split(": ")[1:3] for n in found] == [
        ["note", "global_defs.notification_email"],
        ["note", "global_defs.notification_email_from"],
        ["note", "global_defs.smtp_server"],
        ["note", "global_defs.smtp_connect_timeout"],
        ["note", "global_defs.lvs_flush"],
        ["note", "global_defs.enable_snmp_vrrp"],
        ["note", "global_defs.max_auto_priority"],
        ["note", "global_defs.vrrp_check_unicast_src"],
        ["note", "global_defs.vrrp_skip_check_adv_addr"],
        ["note", "vrrp_instance.VI_1.check_unicast_src"],
        ["note", "vrrp_instance.VI_1.accept"],
    ]
    assert "not used by vrrpd: it is for e-mail" in found[0]
    if KEEPALIVED is not None and os.geteuid() == 0:
        assert keepalived_accepts(conf(text), tmp_path)


def test_dont_track_primary_is_a_warning_since_vrrpd_always_tracks_the_interface() -> None:
    (found,) = notices(with_instance("dont_track_primary"))
    assert "warning: vrrp_instance.VI_1.dont_track_primary: vrrpd always goes to FAULT" in found


def test_the_policy_tables_do_not_shadow_supported_keywords() -> None:
    assert not set(GLOBAL_POLICIES) & set(SUPPORTED_KEYWORDS["global_defs"])
    assert not set(INSTANCE_POLICIES) & set(SUPPORTED_KEYWORDS["vrrp_instance"])


# --- errors, each with file:line:col, all at once -----------------------------------------


def test_an_unknown_keyword_is_an_error_with_the_likely_one(tmp_path: Path) -> None:
    text = with_instance("prority 150")
    (issue,) = errors(text)
    assert str(issue) == (
        "keepalived.conf:7:5: vrrp_instance.VI_1.prority: unknown keyword 'prority'; "
        "did you mean 'priority'?"
    )
    if KEEPALIVED is not None and os.geteuid() == 0:
        assert not keepalived_accepts(text, tmp_path), "Keepalived refuses it too"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["priority 0"], "keepalived.conf:7:14: vrrp_instance.VI_1.priority: 0 is out of range"),
        (["priority 256"], "vrrp_instance.VI_1.priority: 256 is out of range; use 1..255"),
        (["advert_int 0.5"], "0.5: VRRPv2 counts whole seconds (Keepalived rounds it)"),
        (["version 3", "advert_int 0.015"], "0.015 is finer than VRRPv3's steps of 0.01 s"),
        (["version 3", "advert_int 41"], "41 is out of range (Keepalived sets 40.95)"),
        (["preempt_delay 2000"], "vrrp_instance.VI_1.preempt_delay: 2000 is out of range"),
        (["state master"], "unknown state 'master'; write MASTER or BACKUP, in capitals"),
        (["garp_master_repeat 0"], "garp_master_repeat: 0 is out of range; use 1 or more"),
        (["garp_master_delay 0.5"], "expected a whole number, got '0.5'"),
        (["unicast_peer {", "}"], "unicast_peer: is empty; Keepalived then falls back"),
        (["unicast_peer {", "    192.0.2.12 min_ttl 250", "}"], "min_ttl is not supported"),
        (["track_interface {", "    eth1 weight 10 reverse", "}"], "reversed tracks are not"),
        (["track_script {", "    chk_nope", "}"], "no vrrp_script named 'chk_nope'"),
        (["authentication {", "    auth_type AH", "    auth_pass x", "}"], "AH authentication"),
        (["notify_master /etc/keepalived/notify.sh root"], "running a hook as another user"),
        (["interface eth0 eth1"], "unexpected 'eth1' after 'eth0'"),
    ],
)
def test_a_bad_value_is_an_error_at_its_place(lines: list[str], expected: str) -> None:
    found = [str(e) for e in errors(with_instance(*lines))]
    assert any(expected in e for e in found), found


def test_a_vip_line_with_keepalived_options_vrrpd_lacks() -> None:
    text = with_instance().replace(
        "192.0.2.100/24", "192.0.2.100/24 brd 192.0.2.255 dev eth0 no_track 192.0.2.101"
    )
    assert [e.problem for e in errors(text)] == [
        "the address option 'brd' is not supported",
        "the address option 'no_track' is not supported",
        "'192.0.2.101': one address per line",
    ]


def test_a_missing_closing_brace_is_reported_at_the_opening_line(tmp_path: Path) -> None:
    text = conf("""
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            virtual_ipaddress {
                192.0.2.100/24
        }
    """)
    found = [str(e) for e in errors(text)]
    assert found == [
        "keepalived.conf:1:1: the block 'vrrp_instance VI_1 {' (line 1) has no closing '}'; "
        "add the '}' where the block ends"
    ]
    if KEEPALIVED is not None and os.geteuid() == 0:
        assert not keepalived_accepts(text, tmp_path)


def test_a_missing_brace_before_the_next_instance_says_so() -> None:
    text = with_instance().replace("    }\n}\n", "    }\n") + with_instance().replace(
        "VI_1", "VI_2"
    )
    found = [str(e) for e in errors(text)]
    assert found == [
        "keepalived.conf:1:1: the block 'vrrp_instance VI_1 {' (line 1) has no closing '}'; "
        "add the '}' where the block ends",
        "keepalived.conf:7:1: vrrp_instance.VI_1.vrrp_instance: vrrp_instance cannot be inside "
        "vrrp_instance; a '}' is probably missing before this line",
    ]


def test_an_extra_closing_brace() -> None:
    (issue,) = errors(with_instance() + "}\n")
    assert str(issue) == (
        "keepalived.conf:8:1: '}' closes no block; remove it, or add the '{' it closes"
    )


def test_an_unterminated_quote() -> None:
    (issue,) = errors(with_instance('notify_master "/etc/keepalived/notify.sh master'))
    assert str(issue) == (
        "keepalived.conf:7:19: a quoted string has no closing '\"'; close the quote on the same "
        'line: "..."'
    )


def test_an_unquoted_script_with_arguments_runs_only_its_first_word_in_keepalived() -> None:
    text = with_instance(before="vrrp_script chk {\n    script pidof haproxy\n}\n")
    found = [str(e) for e in errors(text)]
    assert found == [
        "keepalived.conf:2:18: vrrp_script.chk.script: Keepalived runs only 'pidof' and ignores "
        "'haproxy'; quote the whole command: script \"pidof haproxy\""
    ]


def test_a_track_of_a_script_defined_later_is_an_error_as_keepalived_ignores_it() -> None:
    text = with_instance(
        "track_script {", "    chk", "}", after='vrrp_script chk {\n    script "true"\n}\n'
    )
    assert [e.problem for e in errors(text)] == [
        "vrrp_script chk is defined later (line 11); Keepalived ignores a track of a script or "
        "file defined after its use"
    ]


def test_every_error_at_once_in_file_order() -> None:
    text = with_instance("priority 0", "use_vmac", "prority 1").replace("51", "300")
    found = [(e.line, e.key) for e in errors(text)]
    assert found == [
        (3, "vrrp_instance.VI_1.virtual_router_id"),
        (7, "vrrp_instance.VI_1.priority"),
        (8, "vrrp_instance.VI_1.use_vmac"),
        (9, "vrrp_instance.VI_1.prority"),
    ]


def test_missing_required_settings_are_reported_at_the_instance() -> None:
    text = "vrrp_instance VI_1 {\n    priority 100\n}\n"
    assert [str(e) for e in errors(text)] == [
        "keepalived.conf:1:1: vrrp_instance.VI_1.interface: missing; add `interface eth0`",
        "keepalived.conf:1:1: vrrp_instance.VI_1.virtual_router_id: missing; add "
        "`virtual_router_id 51`",
        "keepalived.conf:1:1: vrrp_instance.VI_1.virtual_ipaddress: no virtual IP address "
        "(Keepalived only warns; an instance without one moves nothing); add "
        "`virtual_ipaddress { 192.0.2.100/24 }`",
    ]


def test_two_instances_on_one_virtual_router() -> None:
    text = with_instance() + with_instance().replace("VI_1", "VI_2").replace(".100", ".101")
    assert [e.problem for e in errors(text)] == [
        "eth0, virtual_router_id 51, IPv4 is already used by VI_1 (line 1)"
    ]


def test_parameters_and_conditional_lines_are_refused() -> None:
    text = "$PRIO=150\n@lb1 router_id lb1\n" + with_instance('notify "${_PWD}/notify.sh"')
    assert [e.problem for e in errors(text)] == [
        "parameter definitions and ~SEQ/~LST blocks are not supported",
        "conditional configuration (@CONFIG_ID lines) is not supported",
        "Keepalived replaces ${_PWD} here; vrrpd does not expand parameters",
    ]


def test_no_instance_at_all() -> None:
    (issue,) = errors("global_defs {\n    router_id lb1\n}\n")
    assert str(issue) == (
        "keepalived.conf: the configuration defines no vrrp_instance; add a "
        "`vrrp_instance NAME { ... }` block"
    )


# --- includes -----------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(conf(text))
    return path


def test_an_error_in_an_included_file_names_that_file_and_line(tmp_path: Path) -> None:
    main = write(tmp_path / "keepalived.conf", "include conf.d/*.conf\n")
    write(tmp_path / "conf.d" / "a.conf", with_instance("prority 1"))
    with pytest.raises(ConfigError) as info:
        load_keepalived(main)
    (issue,) = info.value.issues
    assert (issue.file, issue.line, issue.column) == (str(tmp_path / "conf.d" / "a.conf"), 7, 5)


def test_an_included_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    main = write(tmp_path / "keepalived.conf", with_instance() + "include nope.conf\n")
    with pytest.raises(ConfigError) as info:
        load_keepalived(main)
    (issue,) = info.value.issues
    assert str(issue) == (
        f"{main}:8:9: include: no such file: {tmp_path / 'nope.conf'}; fix the path (relative "
        "paths start at the including file's directory)"
    )


def test_a_glob_that_matches_nothing_is_a_note(tmp_path: Path) -> None:
    main = write(tmp_path / "keepalived.conf", with_instance() + "include conf.d/*.conf\n")
    (note,) = load_keepalived_with_warnings(main).warnings
    assert str(note) == f"{main}:8:9: note: include: 'conf.d/*.conf' matches no file"


def test_an_include_loop_is_stopped(tmp_path: Path) -> None:
    main = write(tmp_path / "keepalived.conf", with_instance() + "include sub/loop.conf\n")
    write(tmp_path / "sub" / "loop.conf", "include ../keepalived.conf\n")
    with pytest.raises(ConfigError) as info:
        load_keepalived(main)
    (issue,) = info.value.issues
    assert issue.file == str(tmp_path / "sub" / "loop.conf")
    assert issue.problem == f"{tmp_path / 'keepalived.conf'} includes itself (through 2 file(s))"


def test_an_unreadable_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_keepalived(tmp_path / "missing.conf")
    (issue,) = info.value.issues
    assert issue.line == 0 and "cannot read" in issue.problem


# --- Keepalived's command splitting -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("/bin/x a b", ["/bin/x", "a", "b"]),
        ("'a b' c", ["a b", "c"]),
        ('abcd" efg h jkl "mnop', ["abcd efg h jkl mnop"]),  # keepalived.conf(5)
        ('abcd "efg h jkl" mnop', ["abcd", "efg h jkl", "mnop"]),
        (r"a\ b \x41\101\t", ["a b", "AA\t"]),
        (r"'it\'s'", ["it's"]),
    ],
)
def test_commands_are_split_as_keepalived_splits_them(text: str, words: list[str]) -> None:
    assert shell_words(text) == words


def test_a_missing_quote_in_a_command() -> None:
    with pytest.raises(ValueError, match="missing the closing '"):
        shell_words("'a b")


# --- the catalogue of mistakes --------------------------------------------------------------

SCRIPT = 'vrrp_script chk {\n    script "pidof haproxy"\n}\n'
TWO_GROUPS = """\
vrrp_sync_group G1 {
    group {
        VI_1
    }
}
vrrp_sync_group G2 {
    group {
        VI_1
    }
}
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (with_instance("nopreempt yes"), "nopreempt takes no value"),
        (with_instance("lower_prio_no_advert maybe"), "expected on or off, got 'maybe'"),
        (with_instance("virtual_ipaddress 192.0.2.1 {", "}"), "unexpected '192.0.2.1' before"),
        (with_instance("unicast_peer 192.0.2.12"), "unicast_peer needs a { } block"),
        (with_instance("interface", "{", "}"), "interface takes no { } block"),
        (with_instance("priority"), "needs a value; write `priority 1`"),
        (with_instance("advert_int fast"), "expected a number, got 'fast'"),
        (with_instance("advert_int 300"), "300 is out of range"),
        (with_instance("interface a_very_long_interface"), "cannot be a Linux interface name"),
        (with_instance("unicast_src_ip lb1"), "'lb1' is not an IP address"),
        (with_instance("unicast_src_ip 2001:db8::1"), "2001:db8::1 is IPv6 but this instance's"),
        (with_instance("unicast_peer {", "    2001:db8::2", "}"), "2001:db8::2 is IPv6 but"),
        (with_instance("unicast_peer {", "    192.0.2.12 192.0.2.13", "}"), "one address per"),
        (with_instance("notify_master"), "needs a command"),
        (with_instance('notify_master "/x \'y"'), "cannot split the command: missing the closing"),
        (with_instance("authentication {", "    auth_type MD5", "    auth_pass x", "}"), "MD5"),
        (with_instance("authentication {", "    auth_type PASS", "}"), "auth_pass: missing"),
        (with_instance("authentication {", "    auth_pass aéééé", "}"), "cut a character in two"),
        (
            with_instance("track_script {", "    chk", "    chk", "}", before=SCRIPT),
            "tracked twice",
        ),
        (
            with_instance("track_script {", "    chk extra", "}", before=SCRIPT),
            "unexpected 'extra'",
        ),
        (with_instance("track_script {", "    chk weight 300", "}", before=SCRIPT), "out of range"),
        ("vrrp_instance {\n}\n", "vrrp_instance needs one name"),
        ("vrrp_instance A B {\n}\n", "unexpected words"),
        ("vrrp_instance VI_1\n", "needs a { } block"),
        ("{\n}\n" + with_instance(), "'{' does not follow a keyword"),
        (with_instance() + "include a.conf b.conf\n", "include takes one file name or pattern"),
        (with_instance() + with_instance(), "'VI_1' is defined twice (first at line 1)"),
        (with_instance(before=SCRIPT + SCRIPT), "'chk' is defined twice"),
        (with_instance(before="vrrp_script chk {\n    interval 2\n}\n"), "missing the script"),
        (with_instance(before="track_file f {\n    weight 2\n}\n"), "missing the file to track"),
        (with_instance(before="track_file f {\n    file maint\n}\n"), "'maint' is a relative"),
        (with_instance(before="track_file f {\n    file /m\n    weight 300\n}\n"), "300 is out"),
        (with_instance(before="track_file f {\n    file /m\n    weight 2 reverse\n}\n"), "reverse"),
        (with_instance(before="track_file f {\n    file /m\n    weight\n}\n"), "needs a value"),
        (with_instance(before="track_file chk {\n    file /m\n}\n" + SCRIPT), "also the name"),
        (with_instance(before='vrrp_script c {\n    script "x"\n    weight 2 x\n}\n'), "'x'"),
        (with_instance(before='vrrp_script c {\n    script "x"\n    user a b\n}\n'), "a group (b)"),
        (with_instance(before='vrrp_script c {\n    script "x"\n    user\n}\n'), "needs a user"),
        (with_instance(before="global_defs {\n    script_user a b\n}\n"), "a group (b) is not"),
        (with_instance(after=TWO_GROUPS), "VI_1 is already in vrrp_sync_group G1 (line 8)"),
        (with_instance(after="vrrp_sync_group G {\n    group {\n    }\n}\n"), "lists no instances"),
        (with_instance(after="vrrp_sync_group G {\n    group {\n    VI_2\n    }\n}\n"), "no vrrp_"),
        (
            with_instance(after="vrrp_sync_group G {\n    group {\n    VI_1 VI_1\n    }\n}\n"),
            "twice",
        ),
        (with_instance(after="vrrp_sync_group G {\n}\nvrrp_sync_group G {\n}\n"), "'G' is defined"),
    ],
)
def test_a_mistake_is_an_error_saying_what_and_where(text: str, expected: str) -> None:
    found = [str(e) for e in errors(text)]
    assert any(expected in e for e in found), found


def vip_errors(line: str) -> list[str]:
    return [e.problem for e in errors(with_instance().replace("192.0.2.100/24", line))]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("192.0.2.100/24 scope universe", "unknown scope 'universe'"),
        ("192.0.2.100/24 dev", "dev needs a value"),
        ("192.0.2.100/24 colour blue", "unknown address option 'colour'"),
        ("192.0.2.100-110", "'192.0.2.100-110': address ranges are not supported"),
        ("lb1-vip", "'lb1-vip': address ranges are not supported"),
        ("vip", "'vip' is not an IP address"),
        ("224.0.0.18", "'224.0.0.18' cannot be a virtual IP"),
        ("2001:db8::1/64 label eth0:6", "IPv6 addresses have no labels"),
        ("192.0.2.100/24 label eth0:a_very_long", "the label 'eth0:a_very_long' is too long"),
        ("192.0.2.100/24 dev eth0 {", "a list item takes no { } block"),
    ],
)
def test_a_vip_mistake(line: str, expected: str) -> None:
    text = line if not line.endswith("{") else line + "\n        }"
    found = vip_errors(text)
    assert any(expected in e for e in found), found


def test_a_second_family_in_one_instance_is_refused() -> None:
    assert vip_errors("192.0.2.100/24\n        2001:db8::1/64") == [
        "2001:db8::1 is IPv6 but the first address (192.0.2.100) is IPv4; Keepalived ignores it"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            with_instance().replace("192.0.2.100/24", "192.0.2.100/24 dev eth1 label web"),
            "warning: vrrp_instance.VI_1.virtual_ipaddress[0]: 'web' does not start with the "
            "device name 'eth1'",
        ),
        (with_instance("unicast_src_ip 192.0.2.100"), "192.0.2.100 is one of this instance's VIPs"),
        (
            with_instance("unicast_peer {", "    192.0.2.12", "    192.0.2.12", "}"),
            "192.0.2.12 is listed twice",
        ),
        (
            with_instance("unicast_src_ip 192.0.2.11", "unicast_peer {", "    192.0.2.11", "}"),
            "192.0.2.11 is this node's own address",
        ),
        (
            with_instance() + with_instance().replace("VI_1", "VI_2").replace("51", "52"),
            "192.0.2.100 is also a virtual IP of VI_1",
        ),
        (with_instance(after="vrrp_sync_group G {\n    group {\n        VI_1\n    }\n}\n"), "one"),
        (with_instance("track_interface {", "    eth0 weight 5", "}"), "the weight does not apply"),
        (with_instance("priority 100", "priority 110"), "is given again (first at line 7)"),
    ],
)
def test_a_line_that_does_not_do_what_it_says_is_a_warning(text: str, expected: str) -> None:
    found = notices(text)
    assert any(expected in n and ": warning: " in n for n in found), found


def test_an_executable_include_is_skipped_as_keepalived_skips_it(tmp_path: Path) -> None:
    main = write(tmp_path / "keepalived.conf", with_instance() + "include conf.d/*\n")
    extra = write(tmp_path / "conf.d" / "run.sh", "#!/bin/sh\n")
    extra.chmod(0o755)
    (warning,) = load_keepalived_with_warnings(main).warnings
    assert warning.problem == f"Keepalived skips {tmp_path / 'conf.d' / 'run.sh'}: it is executable"


def test_includes_expand_braces_and_take_absolute_paths(tmp_path: Path) -> None:
    write(tmp_path / "a.conf", with_instance())
    write(tmp_path / "b.conf", with_instance().replace("VI_1", "VI_2").replace("eth0", "eth1"))
    main = write(tmp_path / "main" / "keepalived.conf", f"includea {tmp_path}/{{a,b,c}}.conf\n")
    assert [i.name for i in load_keepalived(main).instances] == ["VI_1", "VI_2"]


def test_an_included_file_that_is_not_utf8(tmp_path: Path) -> None:
    main = write(tmp_path / "keepalived.conf", with_instance() + "include bad.conf\n")
    (tmp_path / "bad.conf").write_bytes(b"\xff\n")
    with pytest.raises(ConfigError) as info:
        load_keepalived(main)
    (issue,) = info.value.issues
    assert (issue.line, issue.problem) == (8, f"{tmp_path / 'bad.conf'} is not UTF-8 text (byte 0)")


# --- robustness -----------------------------------------------------------------------------

KEYWORDS = sorted({k for keys in SUPPORTED_KEYWORDS.values() for k in keys} | set(GLOBAL_POLICIES))
WORDS = st.sampled_from(
    [*KEYWORDS, "{", "}", "\n", '"', "'", "#", "!", "\\", "192.0.2.1/24", "2001:db8::1", "eth0",
     "51", "-3", "0.5", "MASTER", "weight", "include", "vrrp_instance", "VI_1", "$X=1", "@a", "~"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=60).map(" ".join))
def test_any_text_gives_a_config_or_config_errors(text: str) -> None:
    try:
        parse_keepalived(text, "keepalived.conf")
    except ConfigError as error:
        assert all(issue.is_error for issue in error.issues)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_data_config_with_a_line_cut_short_gives_errors_not_a_crash(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(DATA_CONFIGS[:-1]))
    lines = path.read_text().splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    lines[index] = lines[index][: data.draw(st.integers(0, len(lines[index])))]
    with contextlib.suppress(ConfigError):
        parse_keepalived("\n".join(lines), str(path))
