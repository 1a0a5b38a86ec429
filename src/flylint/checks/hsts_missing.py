"""FLY202: a public HTTP service that sends no Strict-Transport-Security header.

HSTS counts as set when fly.toml's proxy adds the header or when the code the app ships
sends it (facts: ``FACTS``). A generated Rails app (``config.force_ssl = true``, Rails
7.1+) and a generated Phoenix app (``force_ssl: [...]`` in ``config/prod.exs``, Phoenix
1.7+) send Strict-Transport-Security without a line in fly.toml; Python apps are read
from their parsed source: Django's ``SECURE_HSTS_SECONDS``, Flask-Talisman, and code that
sets the header itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from flylint.checks.context import FlyTomlContext
from flylint.detectors import databases, hostnames, private, processes
from flylint.diagnostics import Diagnostic, Edit, Span
from flylint.files.fly_toml import FlyConfig, handlers, integer, port_number
from flylint.repository.facts import PYTHON, TEXT, Producer
from flylint.support.lazy_regex import Regex
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from flylint.files.python import PythonModule
    from flylint.files.toml_locations import KeyPath

SIX_MONTHS = 15_768_000
RECOMMENDED = "max-age=63072000; includeSubDomains"
_HEADERS = ("http_options", "response", "headers")


class _Entry(Record):
    """A public HTTP service: ``[http_service]`` or one ``[[services]]`` entry."""

    __slots__ = ("fix_table", "header_tables", "headers_hint", "label", "path", "table")

    def __init__(
        self,
        path: KeyPath,
        label: str,
        header_tables: list[KeyPath],
        headers_hint: str,
        fix_table: KeyPath | None,
        table: dict[str, Any],
    ) -> None:
        self.path = path
        self.table = table  # the service's own table: its processes, its internal port
        self.label = label
        self.header_tables = header_tables  # where its ports' response headers live
        self.headers_hint = headers_hint  # where to add the header, for the message
        self.fix_table = fix_table  # where --fix adds the header: the HTTPS side, if there is one


def services(ctx: FlyTomlContext) -> Iterator[_Entry]:
    """The public HTTP services of the config; a database behind one is FLY301's finding
    alone (one problem, one finding)."""
    config = ctx.config
    service = config.data.get("http_service")
    if isinstance(service, dict) and not databases.behind(ctx, service, []):
        yield _Entry(
            ("http_service",),
            "[http_service]",
            [("http_service", *_HEADERS)],
            "[http_service.http_options.response.headers]",
            ("http_service", *_HEADERS),
            service,
        )
    for service_path, table in config.tables("services"):
        ports = config.tables(*service_path, "ports")
        if databases.behind(ctx, table, [port for _, port in ports]):
            continue
        serving = [
            port
            for _, port in ports
            if "http" in handlers(port) and port.get("force_https") is not True
        ]
        if not serving:
            continue  # private, TCP-only, or only redirecting to HTTPS
        number = port_number(serving[-1].get("port"))
        tls = [port_path for port_path, port in ports if "tls" in handlers(port)]
        if not tls:  # browsers ignore HSTS received over plain HTTP
            where = ' of a TLS port (it has none: add port 443 with handlers = ["tls", "http"])'
        else:
            where = f" of its port {number}" if number is not None else ""
        yield _Entry(
            service_path,
            "[[services]]",
            [(*port_path, *_HEADERS) for port_path, _ in ports],
            f"[services.ports.http_options.response.headers]{where}",
            (*tls[0], *_HEADERS) if tls else None,
            table,
        )


def hsts_header(headers: Any) -> tuple[str, Any] | None:
    if not isinstance(headers, dict):
        return None
    for name, value in headers.items():
        # An empty value tells Fly's proxy to drop the header: that is not setting it.
        if name.lower() == "strict-transport-security" and value not in ("", False, None):
            return name, value
    return None


class HstsSetting(Record):
    """HSTS as the app's code or framework sets it."""

    __slots__ = ("label", "max_age", "path", "span")

    def __init__(self, path: Path, span: Span, max_age: int | None, label: str) -> None:
        self.path = path
        self.span = span
        self.max_age = max_age  # 0: explicitly turned off; None: set, max-age not known statically
        self.label = label  # what sets it, for messages: "SECURE_HSTS_SECONDS", "Talisman(...)"


def code_hsts(ctx: FlyTomlContext) -> list[HstsSetting]:
    return [
        HstsSetting(fact.path, Span(*fact.row[:4]), fact.row[4], fact.row[5])
        for fact in ctx.facts("hsts")
    ]


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    in_code = code_hsts(ctx)
    for entry in services(ctx):
        found = any(hsts_header(config.get(p)) is not None for p in entry.header_tables)
        code_on = [h for h in in_code if h.max_age != 0]
        if found or code_on:
            continue
        anchor = ".".join(map(str, entry.path))
        code_off = [h for h in in_code if h.max_age == 0]
        if code_off:
            off = code_off[0]
            yield Diagnostic(
                "FLY202",
                off.path,
                off.span,
                f"{off.label} turns HSTS off and fly.toml sets no Strict-Transport-Security "
                f"for {entry.label}: enable it here, or add "
                f'Strict-Transport-Security = "{RECOMMENDED}" under {entry.headers_hint}',
                anchor,
            )
            continue
        misspelt = _misspelt_header(config, entry.header_tables)
        if misspelt is not None:
            # Renaming is the fix; adding a second header beside the typo would hide it.
            yield ctx.diagnostic(
                "FLY202",
                config.where(misspelt).key,
                f"{entry.label} sends no Strict-Transport-Security header: {misspelt[-1]} is "
                "not that header (misspelt?); rename it Strict-Transport-Security",
                anchor,
            )
            continue
        headers_tables = [p for p in entry.header_tables if p in config.locations]
        where = config.where(headers_tables[0] if headers_tables else entry.path)
        add = f'add Strict-Transport-Security = "{RECOMMENDED}" under {entry.headers_hint}'
        message, confidence = _evidence(ctx, entry, add)
        fix = None
        if entry.fix_table and confidence != "low":
            fix = Edit(entry.fix_table, "Strict-Transport-Security", RECOMMENDED)
        yield ctx.diagnostic("FLY202", where.key, message, anchor, confidence, fix=fix)


def _evidence(ctx: FlyTomlContext, entry: _Entry, add: str) -> tuple[str, str]:
    """The message and confidence of a missing header, from what the app runs and the
    hostnames it answers on."""
    missing = f"{entry.label} sends no Strict-Transport-Security header"
    stale = processes.unbuildable(ctx)
    if stale is not None:
        return f"{missing}, but {stale}", "low"
    idle = processes.serves_no_http(ctx, entry.table)
    if idle is not None:
        return processes.boilerplate(entry.label, idle), "low"
    hidden = private.evidence(ctx)
    if hidden is not None:
        return f"{missing}, but {hidden}: no browser reaches it unless it gets a public IP", "low"
    custom, fly_dev = hostnames.evidence(ctx)
    if custom:
        host, where = custom[0]
        return f"{missing} and the app answers on {host} ({where}): {add}", "high"
    if fly_dev:
        host, where = fly_dev[0]
        return (
            f"{missing}, but the app answers only on *.fly.dev names as far as the repository "
            f"shows ({host}, {where}), which browsers reach over HTTPS anyway (.dev is "
            f"HSTS-preloaded): once it answers on a custom domain (fly certs add), {add}"
        ), "low"
    return (
        f"{missing} (the repository names none of the app's hostnames: this matters on a "
        f"custom domain, *.fly.dev names are HSTS-preloaded): {add}"
    ), "medium"


def _misspelt_header(config: FlyConfig, tables: list[KeyPath]) -> KeyPath | None:
    """A response header whose name is a near miss of Strict-Transport-Security
    (``Strict-Transport-Secuirty``, ``Strict_Transport_Security``, ``HSTS``)."""
    for table_path in tables:
        headers = config.get(table_path)
        for name in headers if isinstance(headers, dict) else ():
            if name.lower() == "strict-transport-security":
                continue  # the header itself, emptied to remove it: not a misspelling
            squashed = re.sub(r"[-_\s]", "", name.lower())
            if squashed == "hsts" or _near(squashed, "stricttransportsecurity"):
                return (*table_path, name)
    return None


def _near(text: str, target: str) -> bool:
    """difflib's ratio >= 0.85. The ratio is at most 2 * min(lengths) / (sum of lengths),
    which settles most names without importing difflib (~1.5 ms a run)."""
    if 2.0 * min(len(text), len(target)) / (len(text) + len(target)) < 0.85:
        return False
    import difflib

    return difflib.SequenceMatcher(None, text, target).ratio() >= 0.85


# -- HSTS the app's code sends (facts) ---------------------------------------------------

_RAILS_CONFIG = "config/environments/production.rb"
_RAILS_FORCE_SSL = Regex(r"^[ \t]*config\.force_ssl[ \t]*=[ \t]*true\b", re.MULTILINE)
_RAILS_HSTS_OFF = Regex(r"^[ \t]*config\.ssl_options\b.*\bhsts:[ \t]*false", re.MULTILINE)
_RAILS_MAX_AGE = 63_072_000  # ActionDispatch::SSL's default since Rails 7.0: two years

_PHOENIX_CONFIGS = ("config/prod.exs", "config/runtime.exs")
_PHOENIX_FORCE_SSL = Regex(r"^[ \t]*[^#\n]*\bforce_ssl:[ \t]*\[(?P<options>[^\]\n]*)", re.M)
_PHOENIX_MAX_AGE = 31_536_000  # Plug.SSL's default: one year


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _rails_rows(text: str) -> list[tuple]:
    """HSTS of a Rails app: ``config.force_ssl = true`` in production.rb (Rails 7.1+
    generates it), unless ``ssl_options`` turns HSTS off."""
    match = _RAILS_FORCE_SSL.search(text)
    if match is None or _RAILS_HSTS_OFF.search(text):
        return []
    line = _line_of(text, match.start())
    return [(line, 1, line, 1, _RAILS_MAX_AGE, "config.force_ssl")]


def _phoenix_rows(text: str) -> list[tuple]:
    """HSTS of a Phoenix app: ``force_ssl: [...]`` in prod.exs or runtime.exs (Phoenix
    1.7+ generates it), unless it says ``hsts: false``."""
    rows = []
    for match in _PHOENIX_FORCE_SSL.finditer(text):
        if re.search(r"\bhsts:[ \t]*false", match.group("options")):
            continue
        line = _line_of(text, match.start())
        rows.append((line, 1, line, 1, _PHOENIX_MAX_AGE, "force_ssl"))
    return rows


# A web server in front of the app that adds the header: nginx's ``add_header`` (in any
# server or location block), Caddy's ``header``. Its value may be quoted, and ends at the
# line's end or an unquoted ``;`` (nginx's end of directive).
_PROXY_HSTS = Regex(
    r"^[ \t]*(?P<directive>add_header|header(?:[ \t]+[^\s\"']+)?)[ \t]+[\"']?"
    r"strict-transport-security[\"']?[ \t]+(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^;\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
_PROXY_CONFIGS = (
    "*.conf", "*.conf.template", "nginx/*.conf", "nginx/*.conf.template", "conf.d/*.conf",
    "config/*.conf", "docker/*.conf", "deploy/*.conf", "Caddyfile", "caddy/Caddyfile",
)  # fmt: skip


def _proxy_rows(text: str) -> list[tuple]:
    """HSTS a web server's config adds: nginx ``add_header Strict-Transport-Security``,
    Caddy ``header Strict-Transport-Security``."""
    rows = []
    for match in _PROXY_HSTS.finditer(text):
        age = _CODE_MAX_AGE.search(match.group("value"))
        line = _line_of(text, match.start())
        label = "add_header" if match.group("directive").lower() == "add_header" else "header"
        rows.append((line, 1, line, 1, int(age.group(1)) if age else None, label))
    return rows


_TALISMAN = "flask_talisman.Talisman"
_TALISMAN_MAX_AGE = 31_556_926  # Flask-Talisman's default: one year
_HEADER = "strict-transport-security"
_CODE_MAX_AGE = Regex(r"max-age\s*=\s*\"?(\d{1,12})", re.IGNORECASE)


def _python_rows(module: PythonModule) -> list[tuple]:
    """Where a Python module sets HSTS, and with what max-age: Django's
    ``SECURE_HSTS_SECONDS``, Flask-Talisman, code that sets the header."""
    import ast

    from flylint.files.python import arguments

    found: list[tuple] = []

    def setting(span: Span, max_age: int | None, label: str) -> None:
        found.append((*span, max_age, label))

    def header_value(value: ast.expr | None, span: Span) -> None:
        text = module.string(value)
        match = _CODE_MAX_AGE.search(text) if text else None
        max_age = int(match.group(1)) if match else None
        setting(span, max_age, "Strict-Transport-Security")

    for node in module.nodes((ast.Assign, ast.Call, ast.Dict)):
        if isinstance(node, ast.Assign):
            for name in node.targets:
                if isinstance(name, ast.Name) and name.id == "SECURE_HSTS_SECONDS":
                    seconds = _integer(module, node.value)
                    setting(module.span(node), seconds, name.id)
                elif isinstance(name, ast.Subscript) and _is_header(module, name):
                    header_value(node.value, module.span(node))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and (module.string(key) or "").lower() == _HEADER:
                    start, end = module.span(key), module.span(value)  # the entry key: value
                    header_value(
                        value, Span(start.line, start.column, end.end_line, end.end_column)
                    )
        elif _TALISMAN in module.names(node.func):
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            off = keywords.get("strict_transport_security")
            turned_off = isinstance(off, ast.Constant) and off.value is False
            seconds = _integer(module, keywords.get("strict_transport_security_max_age"))
            max_age = 0 if turned_off else seconds or _TALISMAN_MAX_AGE
            setting(module.span(node), max_age, "Talisman(...)")
        elif len(values := arguments(node)) >= 2 and (
            (module.string(values[0]) or "").lower() == _HEADER
        ):
            header_value(values[1], module.span(node))  # headers.append("Strict-...", value)
    return found


def _is_header(module: PythonModule, target: object) -> bool:
    import ast

    return (
        isinstance(target, ast.Subscript) and (module.string(target.slice) or "").lower() == _HEADER
    )


def _integer(module: PythonModule, node: object) -> int | None:
    """An integer literal, or the default of ``int(os.environ.get("X", "31536000"))``."""
    import ast

    from flylint.files.python import arguments

    if isinstance(node, ast.Call) and module.names(node.func) == {"int"}:
        values = arguments(node)
        if not values:
            return None
        node = values[0]
        if not _is_integer(node):
            text = module.string(node)
            return integer(text) if text else None
    return node.value if _is_integer(node) else None  # type: ignore[attr-defined]


def _is_integer(node: object) -> bool:
    import ast

    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    )


FACTS = (
    Producer("hsts", PYTHON, _python_rows, hints=("strict-transport-security",
             "secure_hsts_seconds", "talisman")),
    Producer("hsts", TEXT, _rails_rows, paths=(_RAILS_CONFIG,)),
    Producer("hsts", TEXT, _phoenix_rows, paths=_PHOENIX_CONFIGS),
    Producer("hsts", TEXT, _proxy_rows, hints=("strict-transport-security",),
             paths=_PROXY_CONFIGS),
    *databases.FACTS,  # a database behind a service
    *processes.FACTS,  # whether the app's process serves HTTP
    *hostnames.FACTS,  # the hostnames the app answers on
)  # fmt: skip
