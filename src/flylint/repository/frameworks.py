"""HSTS that an app's code or framework sends, for FLY202 and FLY203.

A generated Rails app (``config.force_ssl = true``, Rails 7.1+) and a generated Phoenix
app (``force_ssl: [...]`` in ``config/prod.exs``, Phoenix 1.7+) send
Strict-Transport-Security without a line in fly.toml; FLY202 must not ask them for one.
Only these fixed paths are read, and only when they exist. Python apps are read from
their parsed source: Django's ``SECURE_HSTS_SECONDS``, Flask-Talisman, and code that
sets the header itself.
"""

from __future__ import annotations

import re
from pathlib import Path

from flylint.diagnostics import Span
from flylint.files.fly_toml import integer
from flylint.repository.apps import HstsSetting
from flylint.support.lazy_regex import Regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from flylint.files.python import PythonModule

_RAILS_CONFIG = "config/environments/production.rb"
_RAILS_FORCE_SSL = Regex(r"^[ \t]*config\.force_ssl[ \t]*=[ \t]*true\b", re.MULTILINE)
_RAILS_HSTS_OFF = Regex(r"^[ \t]*config\.ssl_options\b.*\bhsts:[ \t]*false", re.MULTILINE)
_RAILS_MAX_AGE = 63_072_000  # ActionDispatch::SSL's default since Rails 7.0: two years

_PHOENIX_CONFIGS = ("config/prod.exs", "config/runtime.exs")
_PHOENIX_FORCE_SSL = Regex(r"^[ \t]*[^#\n]*\bforce_ssl:[ \t]*\[(?P<options>[^\]\n]*)", re.M)
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
            line = _line_of(text, match.start())
            found.append(HstsSetting(rails, Span.at_line(line), _RAILS_MAX_AGE, "config.force_ssl"))
    for name in _PHOENIX_CONFIGS:
        config = app_dir / name
        text = _read(config)
        if text is None:
            continue
        for match in _PHOENIX_FORCE_SSL.finditer(text):
            if re.search(r"\bhsts:[ \t]*false", match.group("options")):
                continue
            line = _line_of(text, match.start())
            found.append(HstsSetting(config, Span.at_line(line), _PHOENIX_MAX_AGE, "force_ssl"))
    return found


_TALISMAN = "flask_talisman.Talisman"
_TALISMAN_MAX_AGE = 31_556_926  # Flask-Talisman's default: one year
_HEADER = "strict-transport-security"
_MAX_AGE = Regex(r"max-age\s*=\s*\"?(\d{1,12})", re.IGNORECASE)


def python_hsts(module: PythonModule) -> list[HstsSetting]:
    """Where a Python module sets HSTS, and with what max-age."""
    import libcst as cst

    path = module.source.path
    found: list[HstsSetting] = []

    def header_value(value: cst.BaseExpression | None, at: cst.CSTNode) -> None:
        text = module.string(value)
        match = _MAX_AGE.search(text) if text else None
        max_age = int(match.group(1)) if match else None
        found.append(HstsSetting(path, module.span(at), max_age, "Strict-Transport-Security"))

    for node in module.nodes((cst.Assign, cst.Call, cst.DictElement)):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                name = target.target
                if isinstance(name, cst.Name) and name.value == "SECURE_HSTS_SECONDS":
                    seconds = _integer(module, node.value)
                    found.append(HstsSetting(path, module.span(node), seconds, name.value))
                elif isinstance(name, cst.Subscript) and _is_header(module, name):
                    header_value(node.value, node)
        elif isinstance(node, cst.DictElement):
            if (module.string(node.key) or "").lower() == _HEADER:
                header_value(node.value, node)
        elif _TALISMAN in module.names(node.func):
            keywords = {a.keyword.value: a.value for a in node.args if a.keyword}
            turned_off = isinstance(keywords.get("strict_transport_security"), cst.Name) and (
                keywords["strict_transport_security"].value == "False"
            )
            seconds = _integer(module, keywords.get("strict_transport_security_max_age"))
            max_age = 0 if turned_off else seconds or _TALISMAN_MAX_AGE
            found.append(HstsSetting(path, module.span(node), max_age, "Talisman(...)"))
        elif len(node.args) >= 2 and (module.string(node.args[0].value) or "").lower() == _HEADER:
            header_value(node.args[1].value, node)  # headers.append("Strict-...", value)
    return found


def _is_header(module: PythonModule, target: object) -> bool:
    import libcst as cst

    if not isinstance(target, cst.Subscript) or len(target.slice) != 1:
        return False
    index = target.slice[0].slice
    return isinstance(index, cst.Index) and (module.string(index.value) or "").lower() == _HEADER


def _integer(module: PythonModule, node: object) -> int | None:
    """An integer literal, or the default of ``int(os.environ.get("X", "31536000"))``."""
    import libcst as cst

    from flylint.files.python import literal

    if isinstance(node, cst.Call) and module.names(node.func) == {"int"} and node.args:
        node = node.args[0].value
        if not isinstance(node, cst.Integer):
            text = module.string(node)
            return integer(text) if text else None
    if isinstance(node, cst.Integer):
        value = literal(node)
        return value if isinstance(value, int) else None
    return None
