"""Fixtures for lab tests: ``make_lab`` (a factory) and ``lab`` (a ready 2-node lab).

Every lab is closed after its test, also when the test fails or is interrupted;
on failure the observer's capture is saved as a pcap and each process's log tail is
printed (pytest shows it under "Captured stdout teardown"). Tests marked
``@pytest.mark.lab`` are skipped, with the reason, where labs cannot run (not root).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from tests.lab.netlab import Lab, LabFactory, lab_unavailable_reason

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = lab_unavailable_reason()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("lab") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def make_lab(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabFactory]:
    reason = lab_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    labs: list[Lab] = []
    base = tmp_path_factory.mktemp("lab")

    def factory(nodes: int = 2, *, ipv6: bool = True, capture: bool = True) -> Lab:
        lab = Lab(nodes, ipv6=ipv6, capture=capture, workdir=base / f"lab{len(labs) + 1}")
        labs.append(lab)
        return lab.build()

    yield factory

    reports = request.node.stash.get(_REPORTS, {})
    failed = any(r.failed for r in reports.values())
    errors: list[str] = []
    for lab in reversed(labs):
        if failed:
            print(lab.save_diagnostics())
        try:
            lab.close()
        except Exception as exc:
            errors.append(str(exc))
    if errors:
        pytest.fail("lab teardown failed: " + "; ".join(errors), pytrace=False)


@pytest.fixture
def lab(make_lab: LabFactory) -> Lab:
    """A 2-node dual-stack lab with the observer capturing."""
    return make_lab()
