"""The architecture's import rules, enforced (docs/design.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import vrrpd

PACKAGE = Path(vrrpd.__file__).parent
CORE_FORBIDDEN = {
    "asyncio", "socket", "subprocess", "time", "os", "threading", "selectors",
    "yaml", "structlog", "pyroute2", "scapy",
}  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_protocol_core_imports_only_stdlib_and_itself() -> None:
    core = sorted((PACKAGE / "protocol").glob("*.py"))
    assert core, "the core is missing"
    for path in core:
        for name in imported_modules(path):
            top = name.split(".")[0]
            assert top not in CORE_FORBIDDEN, f"{path.name} imports {name}"
            if top == "vrrpd":
                assert name.startswith("vrrpd.protocol"), f"{path.name} imports {name}"
            else:
                assert top in sys.stdlib_module_names or top == "__future__", (
                    f"{path.name} imports the third-party {name}"
                )


def test_importing_the_core_loads_no_io_library() -> None:
    code = (
        "import sys, vrrpd.protocol.fsm, vrrpd.protocol.packet, vrrpd.protocol.sync_group;"
        "bad = {'scapy', 'pyroute2', 'yaml', 'structlog', 'asyncio'} & set(sys.modules);"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_daemon_loads_pyroute2_messages_not_the_whole_library() -> None:
    """RSS: pyroute2's package __init__ (IPRoute, NDB, sqlite3, ssl...) is 16 MB; the
    daemon needs two message classes (vrrpd/host/rtnl.py). Metrics and keepalived.conf
    parsing load only when configured."""
    code = (
        "import sys, vrrpd.daemon;"
        "heavy = {'pyroute2', 'pyroute2.iproute', 'pyroute2.ndb', 'prometheus_client', "
        "'scapy', 'vrrpd.config.keepalived'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_pyroute2_still_imports_whole_after_the_daemon_took_its_messages() -> None:
    code = "import vrrpd.host.rtnl; from pyroute2 import IPRoute; print(IPRoute.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "IPRoute"
