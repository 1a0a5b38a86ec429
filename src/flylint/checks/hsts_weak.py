"""FLY203: HSTS set with a max-age under six months, in fly.toml or in the app's code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flylint.checks.context import FlyTomlContext
from flylint.checks.hsts_missing import (
    FACTS,
    RECOMMENDED,
    SIX_MONTHS,
    code_hsts,
    hsts_header,
    services,
)
from flylint.diagnostics import Diagnostic, Edit
from flylint.support.lazy_regex import Regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["FACTS", "check_fly_toml"]  # FACTS: the HSTS the app's code sends

_MAX_AGE = Regex(r'(?:^|;)\s*max-age\s*=\s*"?(\d{1,12})"?\s*(?:;|$)', re.IGNORECASE)


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    for entry in services(ctx):
        for table_path in entry.header_tables:
            header = hsts_header(config.get(table_path))
            if header is None:
                continue
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
    # One finding per file and value: a web server's config repeats the header in every
    # location block, one problem the first line reports, naming the others.
    weak: dict[tuple, list] = {}
    for setting in code_hsts(ctx):
        if setting.max_age and setting.max_age < SIX_MONTHS:
            weak.setdefault((setting.path, setting.label, setting.max_age), []).append(setting)
    for (path, label, max_age), settings in weak.items():
        others = sorted({s.span.line for s in settings[1:]} - {settings[0].span.line})
        also = f" (also at line{'s' if len(others) > 1 else ''} {', '.join(map(str, others))})"
        yield Diagnostic(
            "FLY203",
            path,
            settings[0].span,
            f"{label} sets HSTS max-age={max_age}{also if others else ''}, under six months "
            f"({SIX_MONTHS} seconds): use 63072000 (two years)",
            f"{label}:{max_age}",
        )


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
