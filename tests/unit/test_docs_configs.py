"""Every config shown in the docs loads: they cannot go stale.

A YAML block in README.md or docs/*.md with an `instances:` section must pass
the loader. The line just before a block may say what else it is:
`<!-- bad-example -->` (it must fail) or `<!-- fragment -->` (an outline, not
a whole config: not checked).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vrrpd.config.errors import ConfigError
from vrrpd.config.loader import parse_config

REPO = Path(__file__).parents[2]
BLOCK = re.compile(r"(?:<!-- (bad-example|fragment) -->\s*)?```yaml\n(.*?)```", re.S)


def yaml_blocks() -> list[tuple[str, bool, str]]:
    found = []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for number, match in enumerate(BLOCK.finditer(path.read_text()), 1):
            kind, text = match.group(1), match.group(2)
            if kind != "fragment" and re.search(r"^instances:", text, re.M):
                found.append((f"{path.name}#{number}", kind == "bad-example", text))
    return found


@pytest.mark.parametrize(("where", "bad", "text"), yaml_blocks(), ids=[b[0] for b in yaml_blocks()])
def test_config_shown_in_docs_loads(where: str, bad: bool, text: str) -> None:
    if bad:
        with pytest.raises(ConfigError):
            parse_config(text, where)
    else:
        parse_config(text, where)


def test_docs_show_some_configs() -> None:
    assert len(yaml_blocks()) >= 3
