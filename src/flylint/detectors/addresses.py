"""Network addresses in configuration values: Fly hostnames, public IPs, database URLs.

Shared by every rule that asks "does this value point at a public host?" (FLY302,
FLY401, FLY402), whatever file the value comes from.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from flylint.registry import rule_data
from flylint.support.globs import Globs
from flylint.support.lazy_regex import Regex
from flylint.support.records import Record

_LABEL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_SCHEME = Regex(r"[a-z][a-z0-9+.-]{0,30}")
_TOKEN_BREAKS = Regex(r"[\s,;\"'()\[\]{}<>]")


class FlyDevTarget(Record):
    __slots__ = ("app", "port", "scheme")

    def __init__(self, app: str, scheme: str | None, port: int | None) -> None:
        self.app = app  # lower-cased app name
        self.scheme = scheme  # lower-cased, when the value names one
        self.port = port

    @property
    def public_url(self) -> str:
        """The public address as the value wrote it, without any userinfo (it may hold a
        password)."""
        prefix = f"{self.scheme}://" if self.scheme else ""
        suffix = f":{self.port}" if self.port else ""
        return f"{prefix}{self.app}.fly.dev{suffix}"


def fly_dev_targets(value: str) -> list[FlyDevTarget]:
    """Every ``APP.fly.dev`` address written in ``value``, in order.

    Scans back from each ``.fly.dev`` over a bounded window rather than with one big
    regex, so the cost stays linear on adversarial input.
    """
    lower = value.lower()
    found: list[FlyDevTarget] = []
    at = lower.find(".fly.dev")
    while at != -1:
        target = _target_at(lower, at)
        if target is not None:
            found.append(target)
        at = lower.find(".fly.dev", at + 8)
    return found


def _target_at(lower: str, at: int) -> FlyDevTarget | None:
    end = at + len(".fly.dev")
    if end < len(lower) and (lower[end] in _LABEL or lower[end] == "."):
        return None  # "x.fly.dev.example.com", "x.fly.devices"
    start = at
    while start > 0 and at - start < 63 and lower[start - 1] in _LABEL:
        start -= 1
    app = lower[start:at]
    if not app or app.startswith("-") or (start > 0 and lower[start - 1] == "."):
        return None  # no label, or a deeper name that is not an app's
    port = None
    if end < len(lower) and lower[end] == ":":
        digits = re.match(r"\d{1,5}", lower[end + 1 : end + 6])
        port = int(digits.group()) if digits else None
    # The scheme, if any, is in the same token: "wss://user:pw@app.fly.dev".
    window = lower[max(0, start - 300) : start]
    breaks = list(_TOKEN_BREAKS.finditer(window))
    token = window[breaks[-1].end() :] if breaks else window
    scheme = None
    if "://" in token:
        candidate = token[: token.index("://")]
        if _SCHEME.fullmatch(candidate):
            scheme = candidate
    return FlyDevTarget(app, scheme, port)


def is_public_ip(host: str) -> bool:
    if not any(c.isdigit() for c in host):
        return False
    import ipaddress  # only for hosts that may be an address

    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_global


# The private network is encrypted (WireGuard), so apps speak plain HTTP over it.
_PRIVATE_SCHEMES = {"https": "http", "wss": "ws"}


def private_url(app: str, port: int | str, scheme: str | None) -> str:
    """``app``'s address on the private network (``app.internal``)."""
    scheme = _PRIVATE_SCHEMES.get(scheme, scheme) if scheme else None
    return f"{scheme}://{app}.internal:{port}" if scheme else f"{app}.internal:{port}"


def flycast_url(app: str, scheme: str | None) -> str:
    """``app``'s address through Fly's proxy on the private network (``app.flycast``)."""
    return private_url(app, 0, scheme).replace(".internal:0", ".flycast")


def private_address(app: str, port: int | None, scheme: str | None, stops: bool = False) -> str:
    """The private-network addresses to suggest instead of ``app.fly.dev``: Flycast first
    for an app that stops its idle Machines (``.internal`` bypasses Fly's proxy, which is
    what starts them again), else ``.internal`` on its internal port."""
    flycast = flycast_url(app, scheme)
    if stops:
        return (
            f"{flycast} ({app} stops idle Machines and only Flycast, through Fly's proxy, "
            f"starts them: give it a private IPv6 with fly ips allocate-v6 --private -a {app}, "
            "and no force_https on the service Flycast reaches, which is plain HTTP)"
        )
    return f"{private_url(app, port or '<internal_port>', scheme)} (or {flycast})"


def ownership(app: str, ours: bool) -> str:
    """The evidence a call to ``app``'s public URL rests on: whether the repository holds
    the app's config (a call between its own services) or not (maybe a third party's)."""
    if ours:
        return f"{app} is an app of this repository"
    return f"no config of {app} in this repository: if it is not your app, ignore this"


class DatabaseTarget(Record):
    __slots__ = ("engine", "fly_app", "host", "port")

    def __init__(self, host: str, port: int | None, engine: str, fly_app: str | None) -> None:
        self.host = host  # lower-cased
        self.port = port
        self.engine = engine  # "PostgreSQL", "Redis", ... or "database"
        self.fly_app = fly_app  # set when the host is APP.fly.dev


@functools.cache
def _database_catalog() -> tuple[dict[str, str], Globs]:
    catalog = rule_data.catalog("databases")
    return catalog["url_schemes"], Globs(catalog["host_keys"])


def is_database_host_key(key: str) -> bool:
    _, host_keys = _database_catalog()
    return host_keys.match(key.upper())


def database_target(value: str) -> DatabaseTarget | None:
    """The host of a database URL (``postgres://...``), or None when it is not one."""
    schemes, _ = _database_catalog()
    scheme, sep, _ = value.partition("://")
    scheme = scheme.strip().lower()
    base = scheme if scheme == "mongodb+srv" else scheme.split("+", 1)[0]
    if not sep or base not in schemes:
        return None
    try:
        parts = urlsplit(value.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return _target(host, port, schemes[base])


def database_host_target(value: str) -> DatabaseTarget | None:
    """The host named by a database host setting (``PGHOST = "db.fly.dev"``)."""
    host, _, port = value.strip().partition(":")
    if not host or "/" in host:
        return None
    return _target(host.lower(), int(port) if port.isdigit() else None, "database")


def _target(host: str, port: int | None, engine: str) -> DatabaseTarget:
    targets = fly_dev_targets(host)
    fly_app = targets[0].app if targets and host.endswith(".fly.dev") else None
    return DatabaseTarget(host, port, engine, fly_app)


def is_public_database(target: DatabaseTarget) -> bool:
    return target.fly_app is not None or is_public_ip(target.host)


@functools.cache
def _service_catalog() -> tuple[Globs, Globs, tuple[str, ...]]:
    catalog = rule_data.catalog("service-urls")
    return (
        Globs(catalog["service_keys"]),
        Globs(catalog["self_keys"]),
        tuple(catalog["browser_prefixes"]),
    )


def is_service_address_key(key: str) -> bool:
    """A setting that holds the address of a service the app calls (``BILLING_API_URL``).

    Not: settings that describe the app itself or links people follow, and browser-facing
    settings (``NEXT_PUBLIC_*``), whose public URLs are expected.
    """
    service_keys, self_keys, browser_prefixes = _service_catalog()
    upper = key.upper()
    if upper.startswith(browser_prefixes):
        return False
    if self_keys.match(upper):
        return False
    return service_keys.match(upper)
