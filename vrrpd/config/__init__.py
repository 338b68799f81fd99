"""Reading configuration: YAML text -> the validated model, with positioned issues."""

from vrrpd.config.checks import command_argv, script_issues
from vrrpd.config.errors import (
    ConfigError,
    ConfigIssue,
    Position,
    Severity,
    SourceMap,
    VrrpdError,
)
from vrrpd.config.loader import (
    LoadedConfig,
    load_config,
    load_config_with_warnings,
    parse_config,
    parse_config_with_warnings,
)

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "LoadedConfig",
    "Position",
    "Severity",
    "SourceMap",
    "VrrpdError",
    "command_argv",
    "load_config",
    "load_config_with_warnings",
    "parse_config",
    "parse_config_with_warnings",
    "script_issues",
]
