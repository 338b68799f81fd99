"""The YAML loader: the model it builds, and every error at once with file:line:col and a fix."""

from __future__ import annotations

import ipaddress
import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vrrpd.config import (
    ConfigError,
    ConfigIssue,
    Severity,
    VrrpdError,
    load_config,
    load_config_with_warnings,
    parse_config,
    parse_config_with_warnings,
)
from vrrpd.config.errors import Position
from vrrpd.config.loader import (
    AUTH_KEYS,
    GLOBAL_KEYS,
    INSTANCE_KEYS,
    SCRIPT_KEYS,
    SYNC_GROUP_KEYS,
    TOP_KEYS,
    TRACK_FILE_KEYS,
    VIP_KEYS,
)
from vrrpd.protocol.model import (
    Announcements,
    AuthType,
    Config,
    Family,
    InstanceConfig,
    TrackKind,
    TrackRef,
    Version,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "docs" / "examples"
CONFIGURATION_MD = REPO / "docs" / "configuration.md"

BASE = """\
instances:
  VI_1:
    interface: eth0
    vrid: 51
    virtual_ipaddress: [192.0.2.100/24]
"""


def yaml_text(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def with_instance(*lines: str, before: str = "", after: str = "") -> str:
    """BASE with more lines in VI_1 (and whole sections before or after)."""
    body = "".join(f"    {line}\n" for line in lines)
    return yaml_text(before) + BASE + body + yaml_text(after)


def parse(text: str) -> Config:
    return parse_config(text, "vrrpd.yaml")


def instance(text: str) -> InstanceConfig:
    return parse(text).instances[0]


def issues(text: str) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return list(info.value.issues)


def messages(text: str) -> list[str]:
    return [str(issue) for issue in issues(text)]


def the_error(text: str) -> str:
    found = messages(text)
    assert len(found) == 1, found
    return found[0]


def warnings(text: str) -> list[str]:
    return [str(w) for w in parse_config_with_warnings(text, "vrrpd.yaml").warnings]


# --- what the loader builds ---------------------------------------------------------------


def test_minimal_instance_gets_keepalived_defaults() -> None:
    inst = instance(BASE)
    assert inst.name == "VI_1"
    assert inst.interface == "eth0"
    assert inst.vrid == 51
    assert inst.priority == 100
    assert inst.version is Version.V3
    assert inst.family is Family.IPV4
    assert inst.advert_int_cs == 100
    assert inst.preempt is True
    assert inst.preempt_delay == 0
    assert inst.auth_type is AuthType.NONE
    assert inst.unicast_peers == ()
    assert inst.tracks == ()
    assert inst.announcements == Announcements()
    assert inst.notify.timeout == 30
    assert inst.sync_group is None


def test_every_schema_key_reaches_the_model() -> None:
    config = parse(
        yaml_text("""
        global:
          router_id: lb1
          log_format: json
          log_level: debug
          control_socket: /run/vrrpd/other.sock
          script_user: haproxy
          notify_fault: /etc/vrrpd/notify.sh fault
          notify_timeout: 10
        scripts:
          chk_haproxy:
            script: "pidof haproxy"
            interval: 0.5
            timeout: 1
            fall: 2
            rise: 3
            weight: -60
            user: nobody
            init_fail: true
          chk_api:
            script: /usr/local/bin/chk_api
        track_files:
          maint:
            file: /etc/vrrpd/maint
            weight: 5
          other:
            file: /etc/vrrpd/other
        instances:
          VI_1:
            interface: eth0
            vrid: 51
            priority: 150
            version: 2
            advert_int: 2
            virtual_ipaddress:
              - 192.0.2.100/24
              - {address: 192.0.2.101/24, dev: eth1, label: "eth1:vip", scope: global}
            unicast_src_ip: 192.0.2.11
            unicast_peer: [192.0.2.12, 192.0.2.13]
            authentication: {auth_type: PASS, auth_pass: secret12}
            nopreempt: true
            track_script: [chk_haproxy, {name: chk_api, weight: -20}]
            track_interface: [eth1, {name: eth2, weight: -10}]
            track_file: [maint, {name: other, weight: 2}]
            notify_master: /etc/vrrpd/notify.sh master
            notify_backup: /etc/vrrpd/notify.sh backup
            notify_stop: /etc/vrrpd/notify.sh stop
            notify: /etc/vrrpd/notify.sh
            garp_master_delay: 2.5
            garp_master_repeat: 3
            garp_master_refresh: 60
            garp_master_refresh_repeat: 2
            v3_checksum_as_v2: true
            lower_prio_no_advert: true
          VI_2:
            interface: eth0
            vrid: 52
            virtual_ipaddress: [192.0.2.200/24]
        sync_groups:
          G1:
            group: [VI_1, VI_2]
            notify_master: /etc/vrrpd/group.sh master
        """)
    )
    g = config.global_
    assert (g.router_id, g.log_format, g.log_level) == ("lb1", "json", "debug")
    assert g.control_socket == "/run/vrrpd/other.sock"
    assert g.script_user == "haproxy"
    assert g.notify.fault == "/etc/vrrpd/notify.sh fault"
    assert g.notify.timeout == 10

    chk, api = config.scripts
    assert (chk.name, chk.command, chk.interval, chk.timeout) == (
        "chk_haproxy",
        "pidof haproxy",
        0.5,
        1.0,
    )
    assert (chk.fall, chk.rise, chk.weight, chk.user, chk.init_fail) == (2, 3, -60, "nobody", True)
    assert (api.interval, api.timeout, api.fall, api.rise, api.weight) == (1.0, None, 1, 1, 0)
    assert [(f.name, f.path, f.weight) for f in config.files] == [
        ("maint", "/etc/vrrpd/maint", 5),
        ("other", "/etc/vrrpd/other", 1),
    ]

    vi1, vi2 = config.instances
    assert (vi1.priority, vi1.version, vi1.advert_int_cs) == (150, Version.V2, 200)
    assert [str(v.interface) for v in vi1.vips] == ["192.0.2.100/24", "192.0.2.101/24"]
    assert (vi1.vips[1].dev, vi1.vips[1].label, vi1.vips[1].scope) == ("eth1", "eth1:vip", "global")
    assert vi1.unicast_src_ip == ipaddress.ip_address("192.0.2.11")
    assert [str(p) for p in vi1.unicast_peers] == ["192.0.2.12", "192.0.2.13"]
    assert (vi1.auth_type, vi1.auth_pass) == (AuthType.PASS, b"secret12")
    assert vi1.preempt is False
    assert vi1.tracks == (
        TrackRef("chk_haproxy", TrackKind.SCRIPT, -60),
        TrackRef("chk_api", TrackKind.SCRIPT, -20),
        TrackRef("eth1", TrackKind.INTERFACE, 0),
        TrackRef("eth2", TrackKind.INTERFACE, -10),
        TrackRef("maint", TrackKind.FILE, 5),
        TrackRef("other", TrackKind.FILE, 2),
    )
    n = vi1.notify
    assert (n.master, n.backup, n.stop, n.notify) == (
        "/etc/vrrpd/notify.sh master",
        "/etc/vrrpd/notify.sh backup",
        "/etc/vrrpd/notify.sh stop",
        "/etc/vrrpd/notify.sh",
    )
    assert n.fault == "/etc/vrrpd/notify.sh fault"  # from global
    assert n.timeout == 10  # from global
    assert vi1.announcements == Announcements(repeat=3, delay=2.5, refresh=60, refresh_repeat=2)
    assert vi1.v3_checksum_as_v2 and vi1.lower_prio_no_advert
    assert vi1.sync_group == vi2.sync_group == "G1"

    (group,) = config.sync_groups
    assert (group.name, group.members) == ("G1", ("VI_1", "VI_2"))
    assert group.notify.master == "/etc/vrrpd/group.sh master"
    assert group.notify.fault is None  # global hooks are defaults for instances only


def test_instances_scripts_and_groups_come_out_in_file_order() -> None:
    text = yaml_text("""
        scripts:
          zz: {script: /bin/true}
          aa: {script: /bin/true}
        instances:
          VI_Z: {interface: eth0, vrid: 3, virtual_ipaddress: [192.0.2.3], track_script: [zz, aa]}
          VI_A: {interface: eth0, vrid: 1, virtual_ipaddress: [192.0.2.1]}
          VI_M: {interface: eth0, vrid: 2, virtual_ipaddress: [192.0.2.2]}
        """)
    config = parse(text)
    assert [i.name for i in config.instances] == ["VI_Z", "VI_A", "VI_M"]
    assert [s.name for s in config.scripts] == ["zz", "aa"]


def test_vip_without_prefix_is_a_host_address() -> None:
    inst = instance(BASE.replace("[192.0.2.100/24]", "[192.0.2.100, 192.0.2.101/25]"))
    assert [str(v.interface) for v in inst.vips] == ["192.0.2.100/32", "192.0.2.101/25"]


def test_ipv6_vips_make_an_ipv6_instance() -> None:
    inst = instance(BASE.replace("[192.0.2.100/24]", '[2001:db8::100/64, "2001:db8::101"]'))
    assert inst.family is Family.IPV6
    assert [str(v.interface) for v in inst.vips] == ["2001:db8::100/64", "2001:db8::101/128"]


@pytest.mark.parametrize(
    ("version", "seconds", "centiseconds"),
    [(3, "1", 100), (3, "0.01", 1), (3, "0.5", 50), (3, "40.95", 4095),
     (2, "1", 100), (2, "255", 25500), (2, "3.0", 300)],
)  # fmt: skip
def test_advert_int_converts_to_centiseconds(version: int, seconds: str, centiseconds: int) -> None:
    inst = instance(with_instance(f"version: {version}", f"advert_int: {seconds}"))
    assert inst.advert_int_cs == centiseconds


def test_auth_pass_is_kept_as_written_and_sent_as_utf8_bytes() -> None:
    auth = "authentication: {auth_type: pass, auth_pass: %s}"
    assert instance(with_instance("version: 2", auth % "0123")).auth_pass == b"0123"
    assert instance(with_instance("version: 2", auth % "päss")).auth_pass == "päss".encode()


@pytest.mark.parametrize(
    ("lines", "preempt"),
    [((), True), (("nopreempt: true",), False), (("nopreempt: false",), True),
     (("preempt: false",), False), (("preempt: true", "nopreempt: false"), True)],
)  # fmt: skip
def test_nopreempt_or_preempt_sets_preempt_mode(lines: tuple[str, ...], preempt: bool) -> None:
    assert instance(with_instance(*lines)).preempt is preempt


def test_instance_notify_hooks_fall_back_to_global_one_by_one() -> None:
    text = with_instance(
        "notify_master: /local master",
        before="""
        global:
          notify_master: /global master
          notify_backup: /global backup
          notify_timeout: 5
        """,
    )
    notify = instance(text).notify
    assert (notify.master, notify.backup, notify.fault, notify.timeout) == (
        "/local master",
        "/global backup",
        None,
        5,
    )


def test_yaml_merge_keys_share_settings_between_instances() -> None:
    config = parse(
        yaml_text("""
        x-defaults: &defaults
          interface: eth0
          priority: 150
          advert_int: 0.5
        instances:
          VI_1:
            <<: *defaults
            vrid: 51
            virtual_ipaddress: [192.0.2.100/24]
          VI_2:
            <<: *defaults
            priority: 120
            vrid: 52
            virtual_ipaddress: [192.0.2.200/24]
        """)
    )
    vi1, vi2 = config.instances
    assert (vi1.interface, vi1.priority, vi1.advert_int_cs) == ("eth0", 150, 50)
    assert (vi2.interface, vi2.priority, vi2.advert_int_cs) == ("eth0", 120, 50)


def test_empty_sections_are_allowed() -> None:
    config = parse("global:\nscripts:\ntrack_files:\nsync_groups:\n" + BASE)
    assert config.scripts == () and config.sync_groups == ()


def test_true_and_false_in_any_case_are_booleans() -> None:
    assert instance(with_instance("lower_prio_no_advert: True")).lower_prio_no_advert
    assert not instance(with_instance("lower_prio_no_advert: FALSE")).lower_prio_no_advert


# --- how errors look ----------------------------------------------------------------------


def test_vrid_out_of_range_points_at_the_value() -> None:
    text = BASE.replace("vrid: 51", "vrid: 300")
    assert (
        the_error(text) == "vrrpd.yaml:4:11: instances.VI_1.vrid: 300 is out of range; use 1..255"
    )


def test_issue_carries_file_line_column_key_problem_and_fix() -> None:
    (issue,) = issues(BASE.replace("vrid: 51", "vrid: 0"))
    assert (issue.file, issue.line, issue.column, issue.key) == (
        "vrrpd.yaml",
        4,
        11,
        "instances.VI_1.vrid",
    )
    assert (issue.problem, issue.fix, issue.severity) == (
        "0 is out of range",
        "use 1..255",
        Severity.ERROR,
    )


def test_config_error_is_a_vrrpd_error_whose_text_lists_every_issue() -> None:
    with pytest.raises(VrrpdError) as info:
        parse(with_instance("priority: 0", "version: 4"))
    assert isinstance(info.value, ConfigError)
    assert str(info.value).splitlines() == [str(i) for i in info.value.issues]


def test_all_errors_are_reported_at_once_in_file_order() -> None:
    text = yaml_text("""
        scripts:
          chk: {script: /bin/true, fall: 0}
        instances:
          VI_1:
            interface: eth0
            vrid: 300
            priority: 0
            prority: 5
            advert_int: 0.001
            virtual_ipaddress: [192.0.2.300/24]
            track_script: [chk, nope]
          VI_2:
            interface: eth0
            version: 4
            virtual_ipaddress: []
        """)
    found = issues(text)
    keys = [i.key for i in found]
    assert keys == [
        "scripts.chk.fall",
        "instances.VI_1.vrid",
        "instances.VI_1.priority",
        "instances.VI_1.prority",
        "instances.VI_1.advert_int",
        "instances.VI_1.virtual_ipaddress[0]",
        "instances.VI_1.track_script[1]",
        "instances.VI_2.vrid",
        "instances.VI_2.version",
        "instances.VI_2.virtual_ipaddress",
    ]
    assert [i.line for i in found] == sorted(i.line for i in found)


def test_warnings_carry_their_severity_in_the_text() -> None:
    (warning,) = warnings(
        with_instance("priority: 255", "track_interface: [{name: eth1, weight: -10}]")
    )
    assert warning.startswith("vrrpd.yaml:6:15: warning: instances.VI_1.priority: ")


def test_errors_come_with_the_warnings_found_alongside() -> None:
    text = with_instance("nopreempt: true", "preempt_delay: 5", "priority: 0")
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert [i.key for i in info.value.issues] == ["instances.VI_1.priority"]
    assert [w.key for w in info.value.warnings] == ["instances.VI_1.preempt_delay"]


# --- YAML itself --------------------------------------------------------------------------


def test_yaml_syntax_error_is_placed_at_the_problem_mark() -> None:
    text = "instances:\n  VI_1: {interface: eth0\n  VI_2: x\n"
    message = the_error(text)
    assert re.match(r"vrrpd\.yaml:3:\d+: YAML syntax: ", message), message


def test_tab_indentation_asks_for_spaces() -> None:
    message = the_error("instances:\n\tVI_1: {}\n")
    assert message.startswith("vrrpd.yaml:2:1: YAML syntax: found character '\\t'")
    assert message.endswith("; indent with spaces: YAML does not allow tabs")


def test_second_yaml_document_is_an_error() -> None:
    assert "YAML syntax: found another document" in the_error(BASE + "---\nglobal: {}\n")


def test_control_character_is_placed_where_it_is() -> None:
    assert the_error("global:\n  router_id: a\x07b\n").startswith("vrrpd.yaml:2:15: YAML: ")


def test_undefined_alias_is_a_syntax_error() -> None:
    assert "found undefined alias 'nope'" in the_error(with_instance("priority: *nope"))


def test_empty_file_is_an_error() -> None:
    assert the_error("") == (
        "vrrpd.yaml:1:1: the file is empty; add an `instances:` section (see docs/examples/)"
    )


def test_file_without_instances_is_an_error() -> None:
    assert the_error("global: {router_id: lb1}\n") == (
        "vrrpd.yaml:1:1: instances: the file defines no instances; add an `instances:` section"
    )


def test_section_written_as_a_list_says_a_mapping_by_name_was_expected() -> None:
    assert the_error("instances:\n  - interface: eth0\n") == (
        "vrrpd.yaml:2:3: instances: expected a mapping of instances by name, got a list; "
        "give each entry a name: `NAME:`, with its settings indented under it"
    )


def test_top_level_list_says_a_mapping_was_expected() -> None:
    assert "expected a mapping of sections" in the_error("- instances\n")


def test_duplicate_key_is_an_error_not_last_one_wins() -> None:
    text = with_instance("priority: 100", "priority: 200")
    assert the_error(text) == (
        "vrrpd.yaml:7:5: instances.VI_1.priority: duplicate key 'priority' (first at line 6); "
        "remove one of them: YAML would silently keep only the last"
    )


def test_duplicate_instance_name_is_an_error() -> None:
    text = BASE + "  VI_1:\n    interface: eth1\n"
    assert "duplicate key 'VI_1' (first at line 2)" in the_error(text)


def test_merged_keys_do_not_count_as_duplicates_and_own_keys_win() -> None:
    text = "x-d: &d {priority: 10}\n" + with_instance("<<: *d", "priority: 20")
    assert instance(text).priority == 20


# --- keys -----------------------------------------------------------------------------------


def test_misspelt_key_suggests_the_right_one() -> None:
    assert the_error(with_instance("prority: 150")) == (
        "vrrpd.yaml:6:5: instances.VI_1.prority: unknown key 'prority'; did you mean 'priority'?"
    )


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        (with_instance("advert_interval: 1"), "'advert_int'"),
        (with_instance("track_scripts: [x]"), "'track_script'"),
        (with_instance("virtual_ipaddresses: [192.0.2.1]"), "'virtual_ipaddress'"),
        (with_instance("unicast_peers: [192.0.2.1]"), "'unicast_peer'"),
        ("instance:\n" + BASE[len("instances:\n") :], "'instances'"),
        (BASE + "scripts:\n  c: {script: /bin/true, intreval: 2}\n", "'interval'"),
    ],
)
def test_misspelt_keys_anywhere_suggest_a_fix(text: str, suggestion: str) -> None:
    assert any(f"did you mean {suggestion}?" in m for m in messages(text))


def test_unknown_key_without_a_close_match_lists_the_valid_keys() -> None:
    message = the_error(BASE + "track_files:\n  t: {file: /x, colour: blue}\n")
    assert message.endswith("unknown key 'colour'; a track file takes: file, weight")


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("virtual_router_id: 51", "vrrpd calls it `vrid`"),
        ("state: MASTER", "remove it: vrrpd has no initial state"),
        ("auth_pass: secret", "put it under `authentication:`"),
        ("mcast_src_ip: 192.0.2.11", "`unicast_src_ip`"),
    ],
)
def test_keepalived_names_get_a_hint_to_the_vrrpd_name(line: str, hint: str) -> None:
    assert hint in the_error(with_instance(line))


def test_keepalived_section_name_gets_the_vrrpd_section_name() -> None:
    message = the_error(BASE + "vrrp_script:\n  chk: {script: x}\n")
    assert message.endswith("unknown key 'vrrp_script'; vrrpd calls this section `scripts`")


def test_unsupported_keepalived_option_is_named_as_such() -> None:
    assert the_error(with_instance("use_vmac: true")).endswith(
        "'use_vmac' is a Keepalived option vrrpd does not implement; remove it"
    )


def test_top_level_x_keys_are_for_anchors_and_other_unknown_keys_are_errors() -> None:
    parse("x-anything: 1\n" + BASE)
    assert "unknown key 'extra'" in the_error("extra: 1\n" + BASE)


# --- types --------------------------------------------------------------------------------


def test_text_where_a_number_goes_says_a_number_was_expected() -> None:
    assert the_error(with_instance("priority: high")) == (
        "vrrpd.yaml:6:15: instances.VI_1.priority: expected a number, got the text 'high'"
    )


def test_quoted_number_asks_to_remove_the_quotes() -> None:
    assert the_error(with_instance('priority: "150"')).endswith(
        "expected a number, got the quoted text '150'; remove the quotes"
    )


def test_exponent_without_a_point_is_text_in_yaml_and_refused() -> None:
    assert the_error(with_instance("preempt_delay: 1e2")).endswith(
        "expected a number, got the text '1e2'; write it as a plain decimal number"
    )


def test_leading_zero_is_refused_because_yaml_reads_it_as_octal() -> None:
    assert the_error(BASE.replace("vrid: 51", "vrid: 051")).endswith(
        "051 has a leading zero, which YAML reads as octal; write 51 without the leading zero"
    )


def test_fraction_where_a_whole_number_goes_is_an_error() -> None:
    assert the_error(with_instance("priority: 150.5")).endswith(
        "150.5 is not a whole number; use 1..255"
    )


@pytest.mark.parametrize("value", [".inf", ".nan", "1_000", "0x10", "1:30"])
def test_yaml_number_oddities_are_refused(value: str) -> None:
    assert "expected a number" in the_error(with_instance(f"priority: {value}"))


def test_list_where_a_mapping_goes_says_a_mapping_was_expected() -> None:
    text = "instances:\n  VI_1:\n    - interface: eth0\n"
    assert the_error(text) == (
        "vrrpd.yaml:3:5: instances.VI_1: expected the settings of an instance 'VI_1', "
        "got a list; remove the leading '- ': these settings are `key: value` lines"
    )


def test_mapping_where_a_list_goes_says_a_list_was_expected() -> None:
    text = BASE.replace("[192.0.2.100/24]", "{address: 192.0.2.100/24}")
    assert "expected a list of virtual IP addresses, got a mapping" in the_error(text)


def test_single_value_where_a_list_goes_shows_the_list_form() -> None:
    assert the_error(with_instance("unicast_peer: 192.0.2.12")).endswith(
        "expected a list of peer addresses, got the text '192.0.2.12'; "
        "write a list, e.g. `[192.0.2.12]`"
    )


@pytest.mark.parametrize(("word", "fix"), [("yes", "true"), ("no", "false"), ("on", "true")])
def test_yaml_1_1_booleans_are_refused(word: str, fix: str) -> None:
    assert the_error(with_instance(f"nopreempt: {word}")).endswith(
        f"{word!r} is a boolean only in YAML 1.1 (YAML 1.2 reads it as text); write {fix}"
    )


def test_number_where_a_boolean_goes_is_an_error() -> None:
    assert the_error(with_instance("nopreempt: 1")).endswith(
        "expected true or false, got the number 1"
    )


def test_missing_value_is_an_error_not_a_default() -> None:
    assert the_error(with_instance("notify_master:")).endswith(
        "instances.VI_1.notify_master: has no value; "
        "give a command after the colon, or remove the key"
    )


def test_instance_without_settings_is_an_error() -> None:
    assert "got nothing" in the_error("instances:\n  VI_1:\n")


def test_names_with_whitespace_are_refused() -> None:
    text = BASE.replace("VI_1:", '"VI 1":')
    assert "'VI 1' contains whitespace" in the_error(text)


def test_interface_name_longer_than_linux_allows_is_an_error() -> None:
    text = BASE.replace("eth0", "a-very-long-interface")
    assert the_error(text).endswith(
        "'a-very-long-interface' cannot be a Linux interface name; use at most 15 bytes and no '/'"
    )


# --- required keys and ranges -------------------------------------------------------------


def test_missing_required_keys_point_at_the_instance() -> None:
    assert messages("instances:\n  VI_1:\n    priority: 100\n") == [
        "vrrpd.yaml:2:3: instances.VI_1.interface: missing required key; add `interface: eth0`",
        "vrrpd.yaml:2:3: instances.VI_1.vrid: missing required key; add `vrid: 51`",
        "vrrpd.yaml:2:3: instances.VI_1.virtual_ipaddress: missing required key; "
        "add `virtual_ipaddress: [192.0.2.100/24]`",
    ]


def test_empty_virtual_ipaddress_is_an_error() -> None:
    text = BASE.replace("[192.0.2.100/24]", "[]")
    assert the_error(text).endswith(
        "virtual_ipaddress: is empty; list at least one virtual IP, e.g. [192.0.2.100/24]"
    )


@pytest.mark.parametrize(("line", "expected"), [
    ("priority: 0", "0 is out of range; use 1..255"),
    ("priority: 256", "256 is out of range; use 1..255"),
    ("version: 1", "1 is out of range; use 2 or 3"),
    ("preempt_delay: 1001", "1001 is out of range; use 0..1000"),
    ("preempt_delay: -1", "-1 is out of range; use 0..1000"),
    ("garp_master_repeat: 0", "0 is out of range; use 1 or more"),
    ("garp_master_delay: -1", "-1 is out of range; use 0 or more"),
    ("notify_timeout: 0", "0 is out of range; use a number of seconds above 0"),
])  # fmt: skip
def test_instance_values_out_of_range(line: str, expected: str) -> None:
    assert the_error(with_instance(line)).endswith(expected)


@pytest.mark.parametrize(("line", "expected"), [
    ("interval: 0", "interval: 0 is out of range; use a number of seconds above 0"),
    ("interval: -1", "interval: -1 is out of range; use a number of seconds above 0"),
    ("timeout: 0", "timeout: 0 is out of range; use a number of seconds above 0"),
    ("fall: 0", "fall: 0 is out of range; use 1 or more"),
    ("rise: 0", "rise: 0 is out of range; use 1 or more"),
    ("weight: 255", "weight: 255 is out of range; use -254..254"),
    ("weight: -255", "weight: -255 is out of range; use -254..254"),
])  # fmt: skip
def test_script_values_out_of_range(line: str, expected: str) -> None:
    text = with_instance(
        "track_script: [chk]", after=f"scripts:\n  chk:\n    script: /bin/true\n    {line}\n"
    )
    assert the_error(text).endswith(expected)


def test_script_without_a_command_is_an_error() -> None:
    text = with_instance("track_script: [chk]", after="scripts:\n  chk: {interval: 2}\n")
    assert the_error(text).endswith(
        'scripts.chk.script: missing required key; add `script: "pidof haproxy"`'
    )


def test_track_file_needs_an_absolute_path() -> None:
    text = with_instance("track_file: [t]", after="track_files:\n  t: {file: maint}\n")
    assert the_error(text).endswith(
        "track_files.t.file: 'maint' is a relative path; "
        "write an absolute path: vrrpd does not run in your working directory"
    )


def test_global_choices_suggest_the_closest_value() -> None:
    text = "global:\n  log_level: warn\n  log_format: text\n" + BASE
    assert messages(text) == [
        "vrrpd.yaml:2:14: global.log_level: unknown value 'warn'; did you mean 'warning'?",
        "vrrpd.yaml:3:15: global.log_format: unknown value 'text'; "
        "use one of auto, console, json, logfmt",
    ]


def test_control_socket_must_be_an_absolute_path() -> None:
    assert "is a relative path" in the_error("global:\n  control_socket: vrrpd.sock\n" + BASE)


# --- versions, families, advert intervals ---------------------------------------------------


def test_ipv6_needs_version_3() -> None:
    text = with_instance("version: 2").replace("[192.0.2.100/24]", "[2001:db8::1/64]")
    assert the_error(text) == (
        "vrrpd.yaml:6:14: instances.VI_1.version: VRRPv2 carries IPv4 only, and this "
        "instance's addresses are IPv6; set version: 3 (RFC 9568) for IPv6"
    )


def test_vips_of_one_instance_share_one_family() -> None:
    text = BASE.replace("[192.0.2.100/24]", "[192.0.2.100/24, 2001:db8::1/64]")
    assert the_error(text) == (
        "vrrpd.yaml:5:41: instances.VI_1.virtual_ipaddress[1]: 2001:db8::1 is IPv6 but this "
        "instance's first address (192.0.2.100) is IPv4; put each address family in an "
        "instance of its own (the same vrid is fine)"
    )


@pytest.mark.parametrize(("version", "value", "expected"), [
    (2, "0.5", "0.5: VRRPv2 counts the interval in whole seconds; "
               "use a whole number 1..255, or version: 3 for fractions"),
    (2, "256", "256 is out of range; use 1..255 (VRRPv2)"),
    (2, "0", "0 is out of range; use 1..255 (VRRPv2)"),
    (3, "41", "41 is out of range; use 0.01..40.95 (VRRPv3)"),
    (3, "0", "0 is out of range; use 0.01..40.95 (VRRPv3)"),
    (3, "0.005", "0.005 is finer than VRRPv3's steps of 0.01 s; "
                 "use a multiple of 0.01 in 0.01..40.95"),
])  # fmt: skip
def test_advert_int_must_fit_the_version(version: int, value: str, expected: str) -> None:
    text = with_instance(f"version: {version}", f"advert_int: {value}")
    assert the_error(text).endswith(f"instances.VI_1.advert_int: {expected}")


def test_advert_int_is_not_judged_against_an_invalid_version() -> None:
    assert len(issues(with_instance("version: 4", "advert_int: 0.5"))) == 1


def test_same_interface_vrid_and_family_in_two_instances_is_an_error() -> None:
    text = (
        BASE
        + "  VI_2:\n    interface: eth0\n    vrid: 51\n    virtual_ipaddress: [192.0.2.200/24]\n"
    )
    assert the_error(text) == (
        "vrrpd.yaml:8:11: instances.VI_2.vrid: eth0, vrid 51, IPv4 is already used by instance "
        "VI_1 (line 2); give one of them another vrid: a segment has one virtual router per vrid"
    )


@pytest.mark.parametrize(
    ("interface", "vip"), [("eth1", "192.0.2.200/24"), ("eth0", "2001:db8::200/64")]
)
def test_same_vrid_on_another_interface_or_family_is_fine(interface: str, vip: str) -> None:
    text = (
        BASE
        + f"  VI_2:\n    interface: {interface}\n    vrid: 51\n    virtual_ipaddress: [{vip}]\n"
    )
    assert len(parse(text).instances) == 2


def test_vip_in_two_instances_warns() -> None:
    text = (
        BASE
        + "  VI_2:\n    interface: eth1\n    vrid: 52\n    virtual_ipaddress: [192.0.2.100/24]\n"
    )
    assert warnings(text) == [
        "vrrpd.yaml:9:24: warning: instances.VI_2.virtual_ipaddress: 192.0.2.100 is also a "
        "virtual IP of instance VI_1; give each virtual IP to one instance, or they fight over it"
    ]


# --- virtual IPs ----------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["192.0.2.300/24", "192.0.2.1/33", "eth0", "2001:db8::g"])
def test_invalid_vip_is_an_error_with_an_example(address: str) -> None:
    text = BASE.replace("[192.0.2.100/24]", f'["{address}"]')
    assert the_error(text).endswith(
        f"{address!r} is not an IP address; write an address with an optional /prefix, "
        "e.g. 192.0.2.100/24 or 2001:db8::100/64"
    )


@pytest.mark.parametrize("address", ["224.0.0.18", "0.0.0.0", "ff02::12"])
def test_multicast_or_unspecified_vip_is_refused(address: str) -> None:
    text = BASE.replace("[192.0.2.100/24]", f'["{address}"]')
    assert "cannot be a virtual IP; use a unicast address" in the_error(text)


def test_vip_listed_twice_is_an_error() -> None:
    text = BASE.replace("[192.0.2.100/24]", "[192.0.2.100/24, 192.0.2.100/32]")
    assert the_error(text).endswith("192.0.2.100 is listed twice (also at line 5); keep one")


def test_keepalived_one_line_vip_suggests_the_mapping_form() -> None:
    text = BASE.replace("[192.0.2.100/24]", '["192.0.2.100/24 dev eth1 label eth1:vip"]')
    assert the_error(text).endswith(
        "is Keepalived's one-line form; write it as a mapping: "
        "{address: 192.0.2.100/24, dev: eth1, label: eth1:vip}"
    )


def test_vip_mapping_checks_its_keys_and_values() -> None:
    text = BASE.replace(
        "[192.0.2.100/24]",
        "[{address: 192.0.2.100/24, scope: galaxy}, {dev: eth1}, {address: 192.0.2.2, devv: x}]",
    )
    assert [m.split(": ", 1)[1] for m in messages(text)] == [
        "instances.VI_1.virtual_ipaddress[0].scope: unknown value 'galaxy'; "
        "use one of global, site, link, host, nowhere",
        "instances.VI_1.virtual_ipaddress[1].address: missing required key; "
        "add `address: 192.0.2.100/24`",
        "instances.VI_1.virtual_ipaddress[2].devv: unknown key 'devv'; did you mean 'dev'?",
    ]


def test_ipv6_vip_cannot_have_a_label() -> None:
    text = BASE.replace("[192.0.2.100/24]", "[{address: '2001:db8::1/64', label: eth0:v6}]")
    assert the_error(text).endswith("label: IPv6 addresses have no labels; remove the label")


def test_label_that_does_not_start_with_the_device_warns() -> None:
    text = BASE.replace("[192.0.2.100/24]", "[{address: 192.0.2.1, dev: eth1, label: eth0:vip}]")
    assert warnings(text) == [
        "vrrpd.yaml:5:64: warning: instances.VI_1.virtual_ipaddress[0].label: 'eth0:vip' "
        "does not start with the device name 'eth1'; use a label such as eth1:vip "
        "(ip and ifconfig expect one)"
    ]


# --- unicast ------------------------------------------------------------------------------


def test_empty_unicast_peer_is_an_error_not_multicast() -> None:
    assert the_error(with_instance("unicast_peer: []")) == (
        "vrrpd.yaml:6:19: instances.VI_1.unicast_peer: is an empty list; Keepalived would "
        "silently fall back to multicast, a known cause of split brain; list the other "
        "nodes' addresses, or remove unicast_peer to use multicast"
    )


def test_unicast_addresses_must_match_the_instance_family() -> None:
    text = with_instance(
        "unicast_src_ip: 2001:db8::11", "unicast_peer: [192.0.2.12, '2001:db8::12']"
    )
    assert [m.split(": ", 1)[1] for m in messages(text)] == [
        "instances.VI_1.unicast_src_ip: 2001:db8::11 is IPv6 but this instance's virtual IPs "
        "are IPv4; use this node's IPv4 address",
        "instances.VI_1.unicast_peer[1]: 2001:db8::12 is IPv6 but this instance's virtual IPs "
        "are IPv4; use this node's IPv4 address",
    ]


def test_invalid_unicast_peer_is_an_error() -> None:
    assert the_error(with_instance("unicast_peer: [192.0.2.256]")).endswith(
        "'192.0.2.256' is not an IP address; write a plain address, e.g. 192.0.2.12 or 2001:db8::12"
    )


def test_own_address_or_repeated_peer_warns_and_is_dropped() -> None:
    text = with_instance(
        "unicast_src_ip: 192.0.2.11", "unicast_peer: [192.0.2.11, 192.0.2.12, 192.0.2.12]"
    )
    loaded = parse_config_with_warnings(text, "vrrpd.yaml")
    assert [str(p) for p in loaded.config.instances[0].unicast_peers] == ["192.0.2.12"]
    assert [w.problem for w in loaded.warnings] == [
        "192.0.2.11 is this node's unicast_src_ip",
        "192.0.2.12 is listed twice",
    ]


def test_unicast_src_ip_that_is_a_vip_warns() -> None:
    assert (
        "is one of this instance's virtual IPs"
        in warnings(with_instance("unicast_src_ip: 192.0.2.100"))[0]
    )


# --- authentication -----------------------------------------------------------------------


def test_authentication_needs_version_2() -> None:
    text = with_instance("authentication: {auth_type: PASS, auth_pass: secret}")
    assert the_error(text).endswith(
        "authentication is VRRPv2 only, and this instance speaks version 3 (the default); "
        "set version: 2 (Keepalived's default) to talk to a v2 peer, or remove authentication"
    )


def test_ah_authentication_is_refused_as_unsupported() -> None:
    text = with_instance("version: 2", "authentication: {auth_type: AH, auth_pass: secret}")
    assert the_error(text).endswith(
        "auth_type: AH authentication is not supported; "
        "use auth_type: PASS, or remove authentication on every node"
    )


def test_auth_pass_longer_than_8_bytes_is_refused_not_truncated() -> None:
    text = with_instance("version: 2", "authentication: {auth_type: PASS, auth_pass: secret123}")
    message = the_error(text)
    assert message == (
        "vrrpd.yaml:7:50: instances.VI_1.authentication.auth_pass: is 9 bytes long; VRRPv2 "
        "carries at most 8 (Keepalived cuts longer ones silently); use at most 8 bytes; a "
        "Keepalived peer configured with this password sends its first 8 bytes"
    )
    assert "secret" not in message  # a password does not belong in logs


def test_auth_pass_counts_bytes_not_characters() -> None:
    text = with_instance("version: 2", "authentication: {auth_type: PASS, auth_pass: ääää1}")
    assert "is 9 bytes long" in the_error(text)


def test_authentication_needs_both_keys() -> None:
    text = with_instance("version: 2", "authentication: {}")
    assert [i.key for i in issues(text)] == [
        "instances.VI_1.authentication.auth_type",
        "instances.VI_1.authentication.auth_pass",
    ]


# --- preemption ---------------------------------------------------------------------------


def test_nopreempt_contradicted_by_preempt_is_an_error() -> None:
    assert the_error(with_instance("nopreempt: true", "preempt: true")) == (
        "vrrpd.yaml:7:14: instances.VI_1.preempt: preempt: true contradicts nopreempt: true "
        "(line 6); keep one of the two"
    )


def test_preempt_delay_without_preemption_warns() -> None:
    assert warnings(with_instance("nopreempt: true", "preempt_delay: 10")) == [
        "vrrpd.yaml:7:20: warning: instances.VI_1.preempt_delay: has no effect: this instance "
        "does not preempt; remove preempt_delay, or the nopreempt setting"
    ]


# --- tracks -------------------------------------------------------------------------------

SCRIPTS = """
scripts:
  chk_haproxy: {script: pidof haproxy, weight: -60}
track_files:
  maint: {file: /etc/vrrpd/maint, weight: 3}
"""


def test_track_weight_defaults_to_the_definitions_and_can_be_overridden() -> None:
    text = with_instance(
        "track_script: [chk_haproxy]", "track_file: [{name: maint, weight: -2}]", after=SCRIPTS
    )
    assert instance(text).tracks == (
        TrackRef("chk_haproxy", TrackKind.SCRIPT, -60),
        TrackRef("maint", TrackKind.FILE, -2),
    )


def test_unknown_script_reference_suggests_the_close_name() -> None:
    text = with_instance("track_script: [chk_haproxi]", "track_file: [maint]", after=SCRIPTS)
    assert the_error(text) == (
        "vrrpd.yaml:6:20: instances.VI_1.track_script[0]: no script named "
        "'chk_haproxi' in scripts; did you mean 'chk_haproxy'?"
    )


def test_unknown_track_file_says_where_to_define_it() -> None:
    text = with_instance("track_script: [chk_haproxy]", "track_file: [nope]", after=SCRIPTS)
    assert the_error(text).endswith(
        "no track file named 'nope' in track_files; define it under track_files:"
    )


def test_keepalived_one_line_track_weight_suggests_the_mapping_form() -> None:
    text = with_instance('track_interface: ["eth1 weight -10"]')
    assert the_error(text).endswith(
        "'eth1 weight -10' is Keepalived's one-line form; write it as a mapping: "
        "{name: eth1, weight: -10}"
    )


def test_track_reference_weight_range_and_repeats() -> None:
    text = with_instance("track_interface: [eth1, {name: eth2, weight: 300}, eth1, {weight: 1}]")
    assert [m.split(": ", 1)[1] for m in messages(text)] == [
        "instances.VI_1.track_interface[1].weight: 300 is out of range; use -254..254",
        "instances.VI_1.track_interface[2]: 'eth1' is tracked twice; keep one",
        "instances.VI_1.track_interface[3].name: missing required key; add `name: chk_haproxy`",
    ]


def test_owner_priority_with_weighted_tracks_warns() -> None:
    text = with_instance("priority: 255", "track_interface: [{name: eth1, weight: -10}]")
    assert warnings(text) == [
        "vrrpd.yaml:6:15: warning: instances.VI_1.priority: the address owner (priority 255) "
        "is never moved by track weights (only weight-0 tracks, which put it in FAULT, affect "
        "it); use 254 or below if the tracks should move this node's priority"
    ]


def test_owner_priority_with_fault_only_tracks_does_not_warn() -> None:
    assert warnings(with_instance("priority: 255", "track_interface: [eth1]")) == []


def test_defined_but_untracked_script_warns() -> None:
    text = with_instance("track_file: [maint]", after=SCRIPTS)
    assert warnings(text) == [
        "vrrpd.yaml:8:3: warning: scripts.chk_haproxy: is not tracked by any instance; "
        "add it to an instance's track_script, or remove it"
    ]


def test_script_and_track_file_cannot_share_a_name() -> None:
    text = with_instance(
        "track_script: [x]",
        after="scripts:\n  x: {script: /bin/true}\ntrack_files:\n  x: {file: /x}\n",
    )
    assert the_error(text) == (
        "vrrpd.yaml:10:3: track_files.x: 'x' is also the name of a script (line 8); "
        "rename one: scripts and track files share one namespace of track names"
    )


# --- sync groups --------------------------------------------------------------------------

TWO = BASE + "  VI_2:\n    interface: eth0\n    vrid: 52\n    virtual_ipaddress: [192.0.2.200/24]\n"


def test_sync_group_members_must_exist() -> None:
    text = TWO + "sync_groups:\n  G1:\n    group: [VI_1, VI_3]\n"
    assert the_error(text) == (
        "vrrpd.yaml:12:19: sync_groups.G1.group[1]: no instance named 'VI_3'; did you mean 'VI_2'?"
    )


def test_instance_in_two_sync_groups_is_an_error() -> None:
    text = TWO + "sync_groups:\n  G1:\n    group: [VI_1, VI_2]\n  G2:\n    group: [VI_2, VI_1]\n"
    assert [i.problem for i in issues(text)] == [
        "VI_2 is already in sync group G1 (line 11)",
        "VI_1 is already in sync group G1 (line 11)",
    ]


def test_sync_group_may_name_an_instance_that_had_errors() -> None:
    text = TWO.replace("vrid: 52", "vrid: 520") + "sync_groups:\n  G1:\n    group: [VI_1, VI_2]\n"
    assert [i.key for i in issues(text)] == ["instances.VI_2.vrid"]


def test_sync_group_needs_members() -> None:
    text = TWO + "sync_groups:\n  G1:\n    group: []\n  G2: {notify_master: /bin/true}\n"
    assert [i.key + ": " + i.problem for i in issues(text)] == [
        "sync_groups.G1.group: is empty",
        "sync_groups.G2.group: missing required key",
    ]


def test_one_member_sync_group_warns() -> None:
    text = TWO + "sync_groups:\n  G1:\n    group: [VI_1]\n"
    assert [w.split(": ", 2)[2] for w in warnings(text)] == [
        "sync_groups.G1.group: has one instance only, so it couples nothing; "
        "add a second instance, or remove the group"
    ]


# --- files and positions ------------------------------------------------------------------


def test_load_config_reads_a_file_and_names_it_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "vrrpd.yaml"
    path.write_text(BASE)
    assert load_config(path).instances[0].vrid == 51
    path.write_text(BASE.replace("51", "0"))
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(info.value).startswith(f"{path}:4:11: ")


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "missing.yaml")
    assert str(info.value) == (
        f"{tmp_path}/missing.yaml: cannot read: No such file or directory; "
        "check the path and that vrrpd may read it"
    )
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"instances: \xff\n")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_config(binary)


def test_source_map_knows_where_each_key_and_value_is() -> None:
    text = with_instance("notify_master: /bin/true", after=SCRIPTS)
    source = parse_config_with_warnings(text, "vrrpd.yaml").source
    assert source.filename == "vrrpd.yaml"
    assert source.key_position("instances.VI_1.vrid") == Position(4, 5)
    assert source.position("instances.VI_1.vrid") == Position(4, 11)
    assert source.position("instances.VI_1.virtual_ipaddress[0]") == Position(5, 25)
    assert source.position("instances.VI_1.notify_master") == Position(6, 20)
    assert source.position("scripts.chk_haproxy.script") == Position(8, 25)
    assert "instances.VI_1.notify_master" in source
    assert "instances.VI_1.notify_backup" not in source
    # A path that was not written is placed at its nearest written ancestor's key.
    assert source.position("instances.VI_1.priority") == Position(2, 3)


def test_load_config_with_warnings_returns_config_warnings_and_source(tmp_path: Path) -> None:
    path = tmp_path / "vrrpd.yaml"
    path.write_text(with_instance("nopreempt: true", "preempt_delay: 3"))
    loaded = load_config_with_warnings(path)
    assert loaded.config.instances[0].preempt is False
    assert [w.severity for w in loaded.warnings] == [Severity.WARNING]
    assert loaded.source.filename == str(path)


@given(st.text(max_size=300))
def test_any_text_loads_or_raises_config_error_only(text: str) -> None:
    try:
        parse(text)
    except ConfigError as exc:
        assert exc.issues
        assert all(i.is_error for i in exc.issues)


@given(
    vrid=st.integers(min_value=-1000, max_value=1000),
    priority=st.integers(min_value=-1000, max_value=1000),
)
def test_vrid_and_priority_load_exactly_when_in_range(vrid: int, priority: int) -> None:
    text = with_instance(f"priority: {priority}").replace("vrid: 51", f"vrid: {vrid}")
    valid = 1 <= vrid <= 255 and 1 <= priority <= 255
    try:
        inst = instance(text)
    except ConfigError:
        assert not valid
    else:
        assert valid
        assert (inst.vrid, inst.priority) == (vrid, priority)


# --- the docs cannot go stale -------------------------------------------------------------


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


def test_there_are_examples_for_the_documented_setups() -> None:
    names = {p.stem for p in example_files()}
    assert {"lb1", "lb2", "ipv6", "unicast", "sync-group"} <= names


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_every_example_loads_without_errors_or_warnings(path: Path) -> None:
    loaded = load_config_with_warnings(path)
    assert loaded.config.instances
    assert [str(w) for w in loaded.warnings] == []


def test_configuration_md_documents_every_key() -> None:
    text = CONFIGURATION_MD.read_text()
    headings = set(re.findall(r"^#+ `([a-z_0-9]+)`", text, flags=re.MULTILINE))
    for key in (*TOP_KEYS, *GLOBAL_KEYS, *SCRIPT_KEYS, *TRACK_FILE_KEYS, *INSTANCE_KEYS):
        assert key in headings, f"docs/configuration.md has no heading for `{key}`"
    for key in (*SYNC_GROUP_KEYS, *VIP_KEYS, *AUTH_KEYS):
        assert f"| `{key}` |" in text or key in headings, f"`{key}` is not documented"


def test_configuration_md_shows_the_real_error_output() -> None:
    """The bad example in the docs, run through the loader, prints what the docs show."""
    text = CONFIGURATION_MD.read_text()
    bad = re.search(r"<!-- bad-example -->\n```yaml\n(.*?)```", text, re.DOTALL)
    shown = re.search(r"<!-- bad-example-output -->\n```text\n(.*?)```", text, re.DOTALL)
    assert bad and shown, "docs/configuration.md lost its bad example"
    with pytest.raises(ConfigError) as info:
        parse_config(bad.group(1), "vrrpd.yaml")
    output = [str(i) for i in (*info.value.issues, *info.value.warnings)]
    assert "\n".join(output) + "\n" == shown.group(1)


# --- global.metrics_listen ------------------------------------------------------------------


def test_metrics_are_off_unless_metrics_listen_is_set() -> None:
    assert parse(BASE).global_.metrics_listen is None


@pytest.mark.parametrize(
    ("written", "loaded"),
    [
        ("127.0.0.1:9650", "127.0.0.1:9650"),
        ("0.0.0.0:9650", "0.0.0.0:9650"),
        ('"[::1]:9650"', "[::1]:9650"),
        ('"[fe80::1%eth0]:2112"', "[fe80::1%eth0]:2112"),
        ("192.0.2.11:65535", "192.0.2.11:65535"),
    ],
)
def test_metrics_listen_takes_address_and_port(written: str, loaded: str) -> None:
    config = parse(f"global:\n  metrics_listen: {written}\n" + BASE)
    assert config.global_.metrics_listen == loaded


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("127.0.0.1", "'127.0.0.1' has no port; write address:port, e.g. 127.0.0.1:9650"),
        ("9650", "'9650' has no port; write address:port, e.g. 127.0.0.1:9650"),
        (
            ":9650",
            "':9650' has no address; write 127.0.0.1:PORT (this host only) "
            "or 0.0.0.0:PORT (every IPv4 address)",
        ),
        (
            "localhost:9650",
            "'localhost' is not an IP address; "
            "write an IP address, e.g. 127.0.0.1:9650: vrrpd does not look up host names",
        ),
        (
            "::1:9650",
            "'::1:9650': an IPv6 address needs brackets; "
            'put the address in brackets, in quotes for YAML: "[::1]:9650"',
        ),
        ('"[::1]"', '\'[::1]\' has no port; write "[address]:port", e.g. "[::1]:9650"'),
        ('"[192.0.2.1]:9650"', "'192.0.2.1' is not an IPv6 address; write e.g. \"[::1]:9650\""),
        ('"127.0.0.1:"', "'127.0.0.1:' has no port; add one after the colon; use 1..65535"),
        ("127.0.0.1:http", "port 'http' is not a number; use 1..65535"),
        ("127.0.0.1:0", "port 0 is out of range; use 1..65535"),
        ("127.0.0.1:65536", "port 65536 is out of range; use 1..65535"),
    ],
)
def test_metrics_listen_refusals_say_where_and_what_to_write(written: str, message: str) -> None:
    text = f"global:\n  metrics_listen: {written}\n" + BASE
    assert the_error(text) == f"vrrpd.yaml:2:19: global.metrics_listen: {message}"


def test_metrics_listen_unquoted_ipv6_is_a_yaml_error_on_its_line() -> None:
    # YAML reads `[` as the start of a list: the docs say to quote it.
    error = the_error("global:\n  metrics_listen: [::1]:9650\n" + BASE)
    assert error.startswith("vrrpd.yaml:2:")
    assert "YAML syntax" in error


def test_metrics_listen_must_be_text_not_a_list() -> None:
    text = "global:\n  metrics_listen: [127.0.0.1]\n" + BASE
    assert the_error(text) == (
        "vrrpd.yaml:2:19: global.metrics_listen: expected address:port, got a list"
    )
