"""FLY202 (no HSTS header on a public HTTP service) and FLY203 (HSTS max-age too short)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flylint.checks.context import FlyTomlContext
from flylint.diagnostics import Diagnostic, Edit
from flylint.files.fly_toml import FlyConfig, handlers, port_number
from flylint.files.toml_locations import KeyPath
from flylint.support.lazy_regex import Regex
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SIX_MONTHS = 15_768_000
RECOMMENDED = "max-age=63072000; includeSubDomains"
_HEADERS = ("http_options", "response", "headers")
_MAX_AGE = Regex(r'(?:^|;)\s*max-age\s*=\s*"?(\d{1,12})"?\s*(?:;|$)', re.IGNORECASE)


class _Entry(Record):
    """A public HTTP service: ``[http_service]`` or one ``[[services]]`` entry."""

    __slots__ = ("fix_table", "header_tables", "headers_hint", "label", "path")

    def __init__(
        self,
        path: KeyPath,
        label: str,
        header_tables: list[KeyPath],
        headers_hint: str,
        fix_table: KeyPath | None,
    ) -> None:
        self.path = path
        self.label = label
        self.header_tables = header_tables  # where its ports' response headers live
        self.headers_hint = headers_hint  # where to add the header, for the message
        self.fix_table = fix_table  # where --fix adds the header: the HTTPS side, if there is one


def _entries(ctx: FlyTomlContext) -> Iterator[_Entry]:
    config = ctx.config
    if isinstance(config.data.get("http_service"), dict):
        yield _Entry(
            ("http_service",),
            "[http_service]",
            [("http_service", *_HEADERS)],
            "[http_service.http_options.response.headers]",
            ("http_service", *_HEADERS),
        )
    for service_path, _ in config.tables("services"):
        ports = config.tables(*service_path, "ports")
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
        )


def _hsts_header(headers: Any) -> tuple[str, Any] | None:
    if not isinstance(headers, dict):
        return None
    for name, value in headers.items():
        # An empty value tells Fly's proxy to drop the header: that is not setting it.
        if name.lower() == "strict-transport-security" and value not in ("", False, None):
            return name, value
    return None


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    for entry in _entries(ctx):
        found = False
        for table_path in entry.header_tables:
            header = _hsts_header(config.get(table_path))
            if header is None:
                continue
            found = True
            name, value = header
            weakness = _weakness(value)
            if weakness:
                yield ctx.diagnostic(
                    "FLY203",
                    config.where((*table_path, name)).entry,
                    f'Strict-Transport-Security {weakness}: use "{RECOMMENDED}"',
                    ".".join(map(str, (*table_path, name))),
                    fix=Edit(table_path, name, _strengthened(value)),
                )
        code_on = [h for h in ctx.app.code_hsts if h.max_age != 0]
        if found or code_on:
            continue
        anchor = ".".join(map(str, entry.path))
        code_off = [h for h in ctx.app.code_hsts if h.max_age == 0]
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
        yield ctx.diagnostic(
            "FLY202",
            where.key,
            f"{entry.label} sends no Strict-Transport-Security header: add "
            f'Strict-Transport-Security = "{RECOMMENDED}" under {entry.headers_hint}',
            anchor,
            fix=Edit(entry.fix_table, "Strict-Transport-Security", RECOMMENDED)
            if entry.fix_table
            else None,
        )
    for setting in ctx.app.code_hsts:
        if setting.max_age and setting.max_age < SIX_MONTHS:
            yield Diagnostic(
                "FLY203",
                setting.path,
                setting.span,
                f"{setting.label} sets HSTS max-age={setting.max_age}, under six months "
                f"({SIX_MONTHS} seconds): use 63072000 (two years)",
                f"{setting.label}:{setting.max_age}",
            )


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


def _strengthened(value: Any) -> str:
    """The header value with a two-year max-age, its other directives kept."""
    match = _MAX_AGE.search(value) if isinstance(value, str) else None
    if match is None:
        return RECOMMENDED
    return f"{value[: match.start(1)]}63072000{value[match.end(1) :]}"


def _weakness(value: Any) -> str | None:
    """Why an HSTS header value is too weak, or None when its max-age is six months or more."""
    if not isinstance(value, str):
        return "must be a string with a max-age"
    match = _MAX_AGE.search(value)
    if match is None:
        return "has no valid max-age"
    seconds = int(match.group(1))
    if seconds < SIX_MONTHS:
        return f"max-age={seconds} is under six months ({SIX_MONTHS} seconds)"
    return None
