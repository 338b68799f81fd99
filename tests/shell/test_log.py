"""Log lines: one JSON event per line, with a journald priority under systemd."""

from __future__ import annotations

import json

from structlog.processors import JSONRenderer

from vrrpd.host.log import to_journal, with_journal_priority


def test_journal_lines_carry_their_syslog_priority() -> None:
    render = with_journal_priority(JSONRenderer())
    line = render(None, "warning", {"event": "advert_dropped", "level": "warning"})
    assert line.startswith("<4>{")
    assert json.loads(line[3:])["event"] == "advert_dropped"
    assert render(None, "info", {"event": "x", "level": "info"}).startswith("<6>")
    assert render(None, "error", {"event": "x", "level": "error"}).startswith("<3>")


def test_not_the_journal_without_a_matching_journal_stream() -> None:
    assert not to_journal({})
    assert not to_journal({"JOURNAL_STREAM": "1:2"})
