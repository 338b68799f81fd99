"""The Vagrant lab's files (vagrant/): they validate, lint clean, and write good configs.

`vagrant validate` checks the Vagrantfile without a box or a running provider;
shellcheck checks every shell script under vagrant/; the configs that
vagrant/provision/write-config.sh writes for lb1 and lb2 go through
`vrrpd --check-config` and the loader. tests/lab/test_vagrant_drill.py runs the
lab's drill with the same files; `make vagrant-test` runs it in real VMs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vrrpd.config.loader import load_config

REPO = Path(__file__).resolve().parents[2]
VAGRANT = REPO / "vagrant"
PROVISION = VAGRANT / "provision"
WRITE_CONFIG = PROVISION / "write-config.sh"
SHELL_SCRIPTS = sorted(VAGRANT.rglob("*.sh"))
VAGRANT_BIN = shutil.which("vagrant")
SHELLCHECK = shutil.which("shellcheck")
HAPROXY = shutil.which("haproxy", path="/usr/sbin:/usr/bin:/sbin:/bin")
ANALYZE = shutil.which("systemd-analyze")

# What the drill (here and in vagrant/test.sh) relies on: lb1 outranks lb2 by
# priority, and loses to it once chk_haproxy's weight applies.
NODES = {"lb1": (".11", 150), "lb2": (".12", 100)}

# The environment vagrant/test.sh gives Vagrant (a local box, no network).
TEST_SH_ENVIRONMENT = {
    "VRRPD_BOX": "vrrpd/bookworm-0123456789ab",
    "VRRPD_OFFLINE": "1",
    "VRRPD_LAB_NET": "198.51.100.0/24",
    "VRRPD_LIBVIRT_DRIVER": "qemu",
    "VRRPD_LIBVIRT_MGMT_NET": "192.168.123.0/24",
    "VRRPD_LIBVIRT_POOL": "vrrpd-test",
    "VRRPD_LIBVIRT_PREFIX": "vrrpd-test-",
    "VRRPD_BOOT_TIMEOUT": "900",
}


def vagrant(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run vagrant on vagrant/Vagrantfile; its state goes to tmp_path, not the checkout."""
    assert VAGRANT_BIN is not None
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VAGRANT_", "VRRPD_"))},
        "VAGRANT_CWD": str(VAGRANT),
        "VAGRANT_HOME": str(tmp_path / "vagrant.d"),
        "VAGRANT_DOTFILE_PATH": str(tmp_path / "dotvagrant"),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
        **(env or {}),
    }
    return subprocess.run(
        [VAGRANT_BIN, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def write_config(
    node: str, priority: str, outdir: Path, *extra: str, interface: str = "eth1"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VRRPD_INTERFACE": interface}
    return subprocess.run(
        ["bash", str(WRITE_CONFIG), node, priority, str(outdir), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


# ------------------------------------------------------------- Vagrantfile

needs_vagrant = pytest.mark.skipif(
    VAGRANT_BIN is None, reason="vagrant is not installed (Debian package vagrant)"
)


@needs_vagrant
@pytest.mark.parametrize(
    "env", [{}, TEST_SH_ENVIRONMENT], ids=["default", "as-vagrant-test-runs-it"]
)
def test_vagrantfile_validates_without_a_provider(tmp_path: Path, env: dict[str, str]) -> None:
    if env:
        env = {**env, "VRRPD_WHEELHOUSE": str(tmp_path), "VRRPD_CONSOLE_LOG_DIR": str(tmp_path)}
    result = vagrant(tmp_path, "validate", "--ignore-provider", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Vagrantfile validated successfully." in result.stdout
    assert not (VAGRANT / ".vagrant").exists(), "vagrant wrote its state into the checkout"


@needs_vagrant
@pytest.mark.parametrize(
    "env", [{}, TEST_SH_ENVIRONMENT], ids=["default", "as-vagrant-test-runs-it"]
)
def test_vagrantfile_validates_its_libvirt_settings(tmp_path: Path, env: dict[str, str]) -> None:
    # Without -p, vagrant also checks the provider block's keys (a misspelt one
    # fails), but only where vagrant-libvirt is installed.
    if env:
        env = {**env, "VRRPD_WHEELHOUSE": str(tmp_path), "VRRPD_CONSOLE_LOG_DIR": str(tmp_path)}
    result = vagrant(tmp_path, "validate", env={**env, "VAGRANT_DEFAULT_PROVIDER": "libvirt"})
    output = result.stdout + result.stderr
    if result.returncode != 0 and re.search(r"provider .?libvirt.? could not be found", output):
        pytest.skip("vagrant-libvirt is not installed (Debian package vagrant-libvirt)")
    assert result.returncode == 0, output
    assert "Vagrantfile validated successfully." in result.stdout


@needs_vagrant
def test_vagrantfile_refuses_a_lab_network_that_is_not_a_24(tmp_path: Path) -> None:
    result = vagrant(tmp_path, "validate", "-p", env={"VRRPD_LAB_NET": "10.0.0.0/8"})
    assert result.returncode != 0
    assert "VRRPD_LAB_NET must be a /24" in result.stdout + result.stderr


def test_vagrantfile_nodes_are_the_ones_the_drills_expect() -> None:
    text = (VAGRANT / "Vagrantfile").read_text()
    for name, (suffix, priority) in NODES.items():
        line = (
            rf'"{name}" => \{{ ip: "#{{LAB_PREFIX}}{re.escape(suffix)}", priority: {priority} \}}'
        )
        assert re.search(line, text), f"Vagrantfile: no {name} at {suffix}, priority {priority}"
    assert 'ENV.fetch("VRRPD_BOX", "debian/bookworm64")' in text
    assert 'ENV.fetch("VRRPD_LAB_NET", "192.0.2.0/24")' in text
    assert 'path: "provision/provision.sh"' in text


# ------------------------------------------------------------ shell scripts


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck is not installed (Debian package)")
def test_shell_scripts_are_shellcheck_clean() -> None:
    names = {p.relative_to(VAGRANT).as_posix() for p in SHELL_SCRIPTS}
    assert {
        "test.sh",
        "build-box.sh",
        "provision/provision.sh",
        "provision/write-config.sh",
        "provision/notify.sh",
    } <= names
    assert SHELLCHECK is not None
    result = subprocess.run(
        [SHELLCHECK, "--external-sources", *map(str, SHELL_SCRIPTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.relative_to(VAGRANT).as_posix())
def test_shell_scripts_are_executable_and_strict(script: Path) -> None:
    assert os.access(script, os.X_OK), f"{script}: chmod +x"
    text = script.read_text()
    assert text.startswith(("#!/bin/bash\n", "#!/bin/sh\n")), f"{script}: shebang"
    assert re.search(r"^set -E?euo pipefail$|^set -eu$", text, re.M), f"{script}: set -euo pipefail"


# ------------------------------------------------------------ node configs


@pytest.mark.parametrize("node", sorted(NODES))
def test_node_config_passes_check_config(tmp_path: Path, node: str) -> None:
    priority = NODES[node][1]
    written = write_config(node, str(priority), tmp_path)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "notify.sh").read_bytes() == (PROVISION / "notify.sh").read_bytes()
    assert os.access(tmp_path / "notify.sh", os.X_OK)
    config = tmp_path / "vrrpd.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "vrrpd.daemon", "--check-config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"{config}: OK (1 instance(s): VI_WEB)\n"
    # Here, only the hook's installed path is missing: a node has it (the lab drill
    # checks that its configs draw no warning at all).
    for line in result.stderr.splitlines():
        assert "warning: instances.VI_WEB.notify: /etc/vrrpd/notify.sh does not exist" in line


def test_node_configs_fail_over_on_haproxy(tmp_path: Path) -> None:
    """lb1 outranks lb2, until chk_haproxy fails on lb1; then lb2 outranks lb1."""
    loaded = {}
    for node, (_, priority) in NODES.items():
        assert write_config(node, str(priority), tmp_path / node).returncode == 0
        config = load_config(tmp_path / node / "vrrpd.yaml")
        (instance,) = config.instances
        (track,) = instance.tracks
        (script,) = config.scripts
        assert (track.name, script.name, script.command) == ("chk_haproxy",) * 2 + (
            "pidof haproxy",
        )
        assert [str(v.interface) for v in instance.vips] == ["192.0.2.100/24"]
        assert (instance.interface, instance.vrid, instance.notify.notify) == (
            "eth1",
            51,
            "/etc/vrrpd/notify.sh",
        )
        loaded[node] = (instance.priority, track.weight)
    (p1, w1), (p2, w2) = loaded["lb1"], loaded["lb2"]
    assert p1 > p2
    assert p1 + w1 < p2, "a failed chk_haproxy must take lb1 below lb2"
    assert p1 + w1 > p2 + w2, "with HAProxy dead on both, lb1 must still win (no flapping)"


def test_write_config_follows_the_lab_network(tmp_path: Path) -> None:
    result = write_config("lb2", "100", tmp_path, "198.51.100.0/24", interface="ens7")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "vrrpd.yaml").read_text()
    assert "interface: ens7\n" in text
    assert "virtual_ipaddress: [198.51.100.100/24]\n" in text
    assert "router_id: lb2\n" in text
    assert "notify: /etc/vrrpd/notify.sh\n" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lb1", "0"], "PRIORITY must be a whole number 1..254"),
        (["lb1", "255"], "PRIORITY must be a whole number 1..254"),
        (["lb1", "15O"], "PRIORITY must be a whole number 1..254"),
        (["lb 1", "150"], "NODE must be a host name"),
        (["lb1", "150", "OUT", "10.0.0.0/8"], "NETWORK must be a /24"),
        (["lb1"], "usage:"),
    ],
)
def test_write_config_refuses_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    outdir = tmp_path / "out"
    argv = [a.replace("OUT", str(outdir)) for a in args]
    if len(argv) == 2:
        argv.append(str(outdir))
    result = subprocess.run(
        ["bash", str(WRITE_CONFIG), *argv], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert not outdir.exists()


def test_write_config_without_the_lab_network_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "VRRPD_INTERFACE"}
    result = subprocess.run(
        ["bash", str(WRITE_CONFIG), "lb1", "150", str(tmp_path / "out"), "203.0.113.0/24"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode == 0:
        pytest.skip("this host has an address in 203.0.113.0/24")
    assert result.returncode == 1
    assert "no interface has an address in 203.0.113.0/24; set VRRPD_INTERFACE" in result.stderr


# ------------------------------------------------------------ notify hook


def test_notify_hook_logs_one_line_per_transition(tmp_path: Path) -> None:
    stub = tmp_path / "bin"
    stub.mkdir()
    logger = stub / "logger"
    logger.write_text('#!/bin/sh\nprintf "%s|" "$@" >> "$LOGGED"\necho >> "$LOGGED"\n')
    logger.chmod(0o755)
    logged = tmp_path / "logged"
    env = {
        "PATH": f"{stub}:/usr/bin:/bin",
        "LOGGED": str(logged),
        "VRRPD_PREVIOUS_STATE": "BACKUP",
        "VRRPD_REASON": "no advert heard for 3.414 s",
        "VRRPD_VIPS": "192.0.2.100/24",
    }
    result = subprocess.run(
        [str(PROVISION / "notify.sh"), "INSTANCE", "VI_WEB", "MASTER", "150"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert logged.read_text() == (
        "-t|vrrpd-notify|-p|daemon.notice|--|"
        "INSTANCE VI_WEB BACKUP -> MASTER priority 150|"
        "vips 192.0.2.100/24: no advert heard for 3.414 s|\n"
    )
    wrong = subprocess.run(
        [str(PROVISION / "notify.sh"), "INSTANCE"], capture_output=True, text=True, check=False
    )
    assert wrong.returncode == 2 and "usage:" in wrong.stderr


# ------------------------------------------------------- HAProxy and backend


@pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed (make test installs it)")
def test_haproxy_config_is_valid() -> None:
    assert HAPROXY is not None
    result = subprocess.run(
        [HAPROXY, "-c", "-f", str(PROVISION / "haproxy.cfg")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
def test_backend_unit_verifies_cleanly() -> None:
    assert ANALYZE is not None
    result = subprocess.run(
        [ANALYZE, "verify", "--man=no", str(PROVISION / "vrrpd-lab-backend.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
