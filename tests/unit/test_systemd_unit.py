"""The shipped unit file: systemd must accept every line, and it must stay hardened."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[2] / "systemd" / "vrrpd.service"
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def installed_copy(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's vrrpd, which exists here."""
    vrrpd = Path(sys.executable).parent / "vrrpd"
    copy = tmp_path / "vrrpd.service"
    copy.write_text(UNIT.read_text().replace("/usr/local/bin/vrrpd", str(vrrpd)))
    return copy


def test_systemd_analyze_verify_prints_nothing(tmp_path: Path) -> None:
    # systemd 252 only warns (exit 0) on unknown keys, bad values and trailing
    # comments, so any output at all is a failure.
    result = subprocess.run(
        [str(ANALYZE), "verify", "--man=no", str(installed_copy(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_systemd_analyze_security_rates_the_unit_3_5_or_better(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ANALYZE), "security", "--offline=true", str(installed_copy(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 3.5


def test_unit_has_no_trailing_comments() -> None:
    for number, line in enumerate(UNIT.read_text().splitlines(), 1):
        if "=" in line and not line.lstrip().startswith("#"):
            assert "#" not in line.split("=", 1)[1], f"line {number}: {line}"
