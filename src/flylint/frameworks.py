"""HSTS that a web framework sends by itself, read from its production configuration.

A generated Rails app (``config.force_ssl = true``, Rails 7.1+) and a generated Phoenix
app (``force_ssl: [...]`` in ``config/prod.exs``, Phoenix 1.7+) send
Strict-Transport-Security without a line in fly.toml; FLY202 must not ask them for one.
Only these fixed paths are read, and only when they exist.
"""

from __future__ import annotations

import re
from pathlib import Path

from flylint.apps import HstsSetting

_RAILS_CONFIG = "config/environments/production.rb"
_RAILS_FORCE_SSL = re.compile(r"^[ \t]*config\.force_ssl[ \t]*=[ \t]*true\b", re.MULTILINE)
_RAILS_HSTS_OFF = re.compile(r"^[ \t]*config\.ssl_options\b.*\bhsts:[ \t]*false", re.MULTILINE)
_RAILS_MAX_AGE = 63_072_000  # ActionDispatch::SSL's default since Rails 7.0: two years

_PHOENIX_CONFIGS = ("config/prod.exs", "config/runtime.exs")
_PHOENIX_FORCE_SSL = re.compile(r"^[ \t]*[^#\n]*\bforce_ssl:[ \t]*\[(?P<options>[^\]\n]*)", re.M)
_PHOENIX_MAX_AGE = 31_536_000  # Plug.SSL's default: one year


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def hsts_settings(app_dir: Path) -> list[HstsSetting]:
    """HSTS settings of a Rails or Phoenix app whose fly.toml is in ``app_dir``."""
    found: list[HstsSetting] = []
    rails = app_dir / _RAILS_CONFIG
    text = _read(rails)
    if text is not None:
        match = _RAILS_FORCE_SSL.search(text)
        if match and not _RAILS_HSTS_OFF.search(text):
            found.append(HstsSetting(rails, _line_of(text, match.start()), _RAILS_MAX_AGE))
    for name in _PHOENIX_CONFIGS:
        config = app_dir / name
        text = _read(config)
        if text is None:
            continue
        for match in _PHOENIX_FORCE_SSL.finditer(text):
            if re.search(r"\bhsts:[ \t]*false", match.group("options")):
                continue
            found.append(HstsSetting(config, _line_of(text, match.start()), _PHOENIX_MAX_AGE))
    return found
