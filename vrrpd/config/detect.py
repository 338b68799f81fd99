"""Either config format, told apart by its syntax: `vrrpd --config` takes both.

A YAML config is a mapping, so its first significant line is `key:` (or a
document marker); a keepalived.conf starts with a keyword and its words
(`global_defs {`, `vrrp_instance VI_1 {`, `include ...`), or with its own
`!` comments. The file's name plays no part.
"""

from __future__ import annotations

import enum
import re
from pathlib import Path

from vrrpd.config.errors import FILE_AS_A_WHOLE, ConfigError, ConfigIssue
from vrrpd.config.loader import LoadedConfig, parse_config_with_warnings
from vrrpd.protocol.model import Config

# `key:` or `"key":` at the start of a line, followed by a space or the end.
_YAML_KEY = re.compile(r"""("[^"]*"|'[^']*'|[^\s:#{}!"']+)\s*:(\s|$)""")
_YAML_START = ("---", "%YAML", "%TAG", "{", "[", "- ")


class ConfigFormat(enum.StrEnum):
    YAML = "yaml"
    KEEPALIVED = "keepalived.conf"


def detect_format(text: str) -> ConfigFormat:
    """YAML if the first significant line is a mapping key (or a YAML marker); else Keepalived."""
    for line in text.splitlines():
        body = line.strip()
        if not body or body.startswith("#"):
            continue
        if body.startswith(_YAML_START) or _YAML_KEY.match(body):
            return ConfigFormat.YAML
        return ConfigFormat.KEEPALIVED
    return ConfigFormat.YAML  # empty: the YAML loader says what to write


def parse_any_with_warnings(text: str, filename: str) -> LoadedConfig:
    """Validate config text in either format; keepalived.conf includes start at `filename`."""
    if detect_format(text) is ConfigFormat.KEEPALIVED:
        # Imported only for a keepalived.conf: its 17 modules cost 1 MB in the daemon.
        from vrrpd.config.keepalived import parse_keepalived_with_warnings  # noqa: PLC0415

        return parse_keepalived_with_warnings(text, filename)
    return parse_config_with_warnings(text, filename)


def load_any_with_warnings(path: str | Path) -> LoadedConfig:
    """Read a config in either format; raise ConfigError with every error in it."""
    filename = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([_unreadable(filename, exc.strerror or str(exc))]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([_unreadable(filename, f"is not UTF-8 text (byte {exc.start})")]) from exc
    return parse_any_with_warnings(text, filename)


def load_any(path: str | Path) -> Config:
    """Read a YAML config or a keepalived.conf (told apart by syntax) into the model."""
    return load_any_with_warnings(path).config


def _unreadable(filename: str, problem: str) -> ConfigIssue:
    at = FILE_AS_A_WHOLE
    fix = "check the path and that vrrpd may read it"
    return ConfigIssue(filename, at.line, at.column, "", f"cannot read: {problem}", fix)
