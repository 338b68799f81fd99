"""A Config -> vrrpd's YAML and back, and telling the two config formats apart."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from vrrpd.config import ConfigError, Severity, load_config, parse_config
from vrrpd.config.convert import convert_file, number, text, to_yaml
from vrrpd.config.detect import (
    ConfigFormat,
    detect_format,
    load_any,
    load_any_with_warnings,
    parse_any_with_warnings,
)
from vrrpd.config.keepalived import (
    GLOBAL_POLICIES,
    INSTANCE_POLICIES,
    SUPPORTED_KEYWORDS,
    SYNC_GROUP_POLICIES,
    TOP_POLICIES,
    TRACK_FILE_POLICIES,
    load_keepalived,
    load_keepalived_with_warnings,
)
from vrrpd.protocol.model import (
    Announcements,
    AuthType,
    Config,
    Family,
    FileTrack,
    GlobalConfig,
    InstanceConfig,
    NotifyHooks,
    ScriptTrack,
    SyncGroupConfig,
    TrackKind,
    TrackRef,
    Version,
    Vip,
)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "keepalived"
KEEPALIVED_CONFIGS = sorted([*DATA.glob("*.conf"), DATA / "include" / "keepalived.conf"])
YAML_EXAMPLES = sorted((REPO / "docs" / "examples").glob("*.yaml"))


def round_trip(config: Config) -> Config:
    return parse_config(to_yaml(config), "converted.yaml")


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", KEEPALIVED_CONFIGS, ids=lambda p: str(p.relative_to(DATA)))
def test_every_keepalived_config_converts_to_yaml_that_means_the_same(path: Path) -> None:
    config = load_keepalived(path)
    assert round_trip(config) == config


@pytest.mark.parametrize("path", YAML_EXAMPLES, ids=lambda p: p.name)
def test_every_yaml_example_converts_to_itself(path: Path) -> None:
    config = load_config(path)
    assert round_trip(config) == config


def test_a_config_with_every_setting_changed_round_trips() -> None:
    hooks = NotifyHooks("/x/m", "/x/b", "/x/f", "/x/s", "/x/n", timeout=12.5)
    config = Config(
        global_=GlobalConfig(
            router_id="lb 1",
            log_format="json",
            log_level="debug",
            control_socket="/run/other.sock",
            script_user="keepalived_script",
            metrics_listen="[::1]:9650",
            notify=hooks,
        ),
        instances=(
            InstanceConfig(
                name="VI_1",
                interface="eth0.5",
                vrid=255,
                priority=254,
                version=Version.V2,
                family=Family.IPV4,
                advert_int_cs=300,
                vips=(
                    Vip(ipaddress.IPv4Interface("192.0.2.1/24"), "eth1", "eth1:a", "link"),
                    Vip(ipaddress.IPv4Interface("192.0.2.2/32")),
                ),
                preempt=False,
                preempt_delay=0.5,
                auth_type=AuthType.PASS,
                auth_pass=b"0123 #x",
                unicast_src_ip=ipaddress.IPv4Address("192.0.2.11"),
                unicast_peers=(ipaddress.IPv4Address("192.0.2.12"),),
                v3_checksum_as_v2=True,
                lower_prio_no_advert=True,
                tracks=(
                    TrackRef("yes", TrackKind.SCRIPT, -3),
                    TrackRef("eth2", TrackKind.INTERFACE, 7),
                    TrackRef("0123", TrackKind.FILE, 2),
                ),
                announcements=Announcements(repeat=2, delay=0.25, refresh=90, refresh_repeat=3),
                sync_group="G1",
                notify=NotifyHooks("/y/m: x", "/x/b", "/x/f", "/x/s", "/x/n", timeout=3),
            ),
            InstanceConfig(
                name="VI_6",
                interface="eth0",
                vrid=1,
                version=Version.V3,
                family=Family.IPV6,
                advert_int_cs=1,
                vips=(Vip(ipaddress.IPv6Interface("2001:db8::1/64"), scope="global"),),
                unicast_peers=(ipaddress.IPv6Address("fe80::2"),),
                sync_group="G1",
                notify=hooks,
            ),
        ),
        scripts=(
            ScriptTrack(
                "yes", "/bin/sh -c 'exit 0'", 0.5, 1.5, 2, 3, -20, "nobody", init_fail=True
            ),
        ),
        files=(FileTrack("0123", "/etc/keepalived/maintenance file", -100),),
        sync_groups=(SyncGroupConfig("G1", ("VI_1", "VI_6"), NotifyHooks(notify="/g")),),
    )
    assert round_trip(config) == config


MODEL_FIELDS = {
    GlobalConfig: {"router_id", "log_format", "log_level", "control_socket", "script_user",
                   "metrics_listen", "notify"},
    InstanceConfig: {"name", "interface", "vrid", "priority", "version", "family",
                     "advert_int_cs", "vips", "preempt", "preempt_delay", "auth_type",
                     "auth_pass", "unicast_src_ip", "unicast_peers", "v3_checksum_as_v2",
                     "lower_prio_no_advert", "tracks", "announcements", "sync_group", "notify"},
    ScriptTrack: {"name", "command", "interval", "timeout", "fall", "rise", "weight", "user",
                  "init_fail"},
    FileTrack: {"name", "path", "weight"},
    SyncGroupConfig: {"name", "members", "notify"},
    NotifyHooks: {"master", "backup", "fault", "stop", "notify", "timeout"},
    Announcements: {"repeat", "delay", "refresh", "refresh_repeat"},
    Vip: {"interface", "dev", "label", "scope"},
}  # fmt: skip


@pytest.mark.parametrize("cls", MODEL_FIELDS, ids=lambda c: c.__name__)
def test_to_yaml_writes_every_field_of_the_model(cls: type) -> None:
    # A new field in the model needs a line in convert.py (and here).
    assert {f.name for f in dataclasses.fields(cls)} == MODEL_FIELDS[cls]


def test_the_yaml_reads_like_the_examples() -> None:
    loaded = load_keepalived_with_warnings(DATA / "seed.conf")
    out = to_yaml(loaded.config, source="keepalived.conf", issues=loaded.warnings)
    header, body = out.split("\n\n", 1)
    assert header.startswith("# vrrpd configuration, converted from keepalived.conf by vrrpd ")
    assert "# What the conversion noticed:" in header
    assert "#   tests/" in header or "#   /" in header  # each issue, with its file:line
    assert body == (
        "global:\n"
        "  router_id: lb1\n"
        "\n"
        "scripts:\n"
        "  chk_haproxy:\n"
        '    script: "pidof haproxy"\n'
        "    interval: 2\n"
        "    weight: 2\n"
        "\n"
        "instances:\n"
        "  VI_1:\n"
        "    interface: bond0.101\n"
        "    vrid: 51\n"
        "    priority: 100\n"
        "    version: 2\n"
        "    advert_int: 1\n"
        "    virtual_ipaddress:\n"
        "      - 192.168.101.15/32\n"
        "    track_script: [chk_haproxy]\n"
        '    notify_master: "/etc/keepalived/notify.sh master"\n'
        '    notify_backup: "/etc/keepalived/notify.sh backup"\n'
        '    notify_fault: "/etc/keepalived/notify.sh fault"\n'
    )


def test_the_header_without_a_source_or_issues() -> None:
    out = to_yaml(Config())
    assert out.splitlines()[0].startswith("# vrrpd configuration, written by vrrpd ")
    assert "noticed" not in out


def test_convert_file_takes_either_format(tmp_path: Path) -> None:
    converted, issues = convert_file(DATA / "sync-group.conf")
    assert [i.severity for i in issues] == [Severity.NOTE]  # who runs the scripts
    path = tmp_path / "vrrpd.yaml"
    path.write_text(converted)
    again, no_issues = convert_file(path)
    assert no_issues == ()
    assert again.split("\n\n", 1)[1] == converted.split("\n\n", 1)[1]


# --- scalars --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("eth0", "eth0"),
        ("bond0.101", "bond0.101"),
        ("/etc/keepalived/notify.sh", "/etc/keepalived/notify.sh"),
        ("yes", '"yes"'),
        ("0123", '"0123"'),
        ("1.5", '"1.5"'),
        ("null", '"null"'),
        ("eth0:vip", '"eth0:vip"'),
        ("a b", '"a b"'),
        ("#x", '"#x"'),
        ("@x", '"@x"'),
        ("", '""'),
    ],
)
def test_text_is_plain_only_where_yaml_reads_it_back_as_the_same_text(
    value: str, written: str
) -> None:
    assert text(value) == written


@given(st.text())
@example("...")  # a YAML document end marker: the loader raises on it alone
@example("---")
def test_any_text_reads_back_as_itself(value: str) -> None:
    assert yaml.safe_load(f"key: {text(value)}") == {"key": value}


@pytest.mark.parametrize(
    ("value", "written"),
    [(1, "1"), (2.0, "2"), (0.5, "0.5"), (1e-05, "0.00001"), (1000.0, "1000"), (-60, "-60")],
)
def test_numbers_are_plain_decimals(value: float, written: str) -> None:
    assert number(value) == written


# --- either format --------------------------------------------------------------------------


@pytest.mark.parametrize("path", KEEPALIVED_CONFIGS, ids=lambda p: p.name)
def test_a_keepalived_conf_is_recognised(path: Path) -> None:
    assert detect_format(path.read_text()) is ConfigFormat.KEEPALIVED
    assert load_any(path) == load_keepalived(path)


@pytest.mark.parametrize("path", YAML_EXAMPLES, ids=lambda p: p.name)
def test_a_yaml_config_is_recognised(path: Path) -> None:
    assert detect_format(path.read_text()) is ConfigFormat.YAML
    assert load_any(path) == load_config(path)


@pytest.mark.parametrize(
    ("first_lines", "expected"),
    [
        ("# a comment\ninstances:\n", ConfigFormat.YAML),
        ("---\ninstances: {}\n", ConfigFormat.YAML),
        ('"instances":\n', ConfigFormat.YAML),
        ("", ConfigFormat.YAML),
        ("! a Keepalived comment\nvrrp_instance VI_1 {\n", ConfigFormat.KEEPALIVED),
        ("# a comment\nglobal_defs {\n", ConfigFormat.KEEPALIVED),
        ("include /etc/keepalived/conf.d/*.conf\n", ConfigFormat.KEEPALIVED),
        ("vrrp_instance VI_1\n{\n", ConfigFormat.KEEPALIVED),
        ("global_defs{\n", ConfigFormat.KEEPALIVED),
    ],
)
def test_the_format_is_told_by_the_first_significant_line(
    first_lines: str, expected: ConfigFormat
) -> None:
    assert detect_format(first_lines) is expected


def test_errors_come_from_the_loader_of_the_detected_format() -> None:
    with pytest.raises(ConfigError) as info:
        parse_any_with_warnings("vrrp_instance VI_1 {\n    prority 1\n}\n", "k.conf")
    assert "unknown keyword 'prority'" in str(info.value)
    with pytest.raises(ConfigError) as info:
        parse_any_with_warnings("instances:\n  VI_1:\n    prority: 1\n", "v.yaml")
    assert "unknown key 'prority'" in str(info.value)


def test_an_unreadable_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_any_with_warnings(tmp_path / "nope.conf")
    (issue,) = info.value.issues
    assert (issue.line, issue.problem) == (0, "cannot read: No such file or directory")


# --- docs/migrating-from-keepalived.md ------------------------------------------------------

MIGRATING = REPO / "docs" / "migrating-from-keepalived.md"


def test_the_migration_guides_example_is_what_convert_prints(tmp_path: Path) -> None:
    guide = MIGRATING.read_text()
    conf = guide.split("```conf\n", 1)[1].split("```", 1)[0]
    shown = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "keepalived.conf"
    path.write_text(conf)
    converted, _ = convert_file(path)
    assert converted.split("\n\n", 1)[1] == shown


def test_the_migration_guide_names_every_keyword_the_parser_knows() -> None:
    guide = MIGRATING.read_text()
    tables = [
        *SUPPORTED_KEYWORDS.values(),
        GLOBAL_POLICIES,
        INSTANCE_POLICIES,
        SYNC_GROUP_POLICIES,
        TRACK_FILE_POLICIES,
        TOP_POLICIES,
    ]
    missing = {k for table in tables for k in table if not re.search(f"`{k}[` ]", guide)}
    assert missing == set()
