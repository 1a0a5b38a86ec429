"""Evidence that an app is private: ``fly deploy`` gives an app with services public IPs,
unless the repository shows otherwise. It is deployed or launched with ``--flycast`` or
``--no-public-ips``, its IPs allocated with ``fly ips allocate-v6 --private`` or
released (in the docs and CI workflows of its build context, or in the repository's
when they name the app, its config or its directory), or the apps of the
repository that call it do so at ``APP.flycast`` and none at ``APP.fly.dev``.

The rows come from ``hostnames`` (the addresses and deploy commands the code and docs
name) and from each app's summary (the addresses its ``[env]`` names).
"""

from __future__ import annotations

from flylint.detectors import hostnames

TYPE_CHECKING = False
if TYPE_CHECKING:
    from flylint.checks.context import FlyTomlContext


def evidence(ctx: FlyTomlContext) -> str | None:
    """Why the app of this config looks private, or None."""
    app = ctx.app
    name = (app.name or "").lower() if app is not None else ""
    if not name:
        return None
    for fact in ctx.facts("hostnames"):
        line, setting, named = fact.row
        if not setting.startswith("private:"):
            continue
        # A command that names no other app counts in a doc beside the app's config
        # ("cd my-repo && fly deploy --flycast" in its README); elsewhere, only one that
        # names it.
        others = [a for a in (*ctx.repository.apps, *ctx.repository.solo) if a is not app]
        if hostnames.names_app(named, app) or (
            hostnames.about(fact, app) and not any(hostnames.names_app(named, o) for o in others)
        ):
            command = setting.removeprefix("private: ")
            return f"it is deployed private: {command} ({ctx.named(fact)}:{line})"
    flycast, public = f"{name}.flycast", f"{name}.fly.dev"
    callers: list[str] = []
    for other in ctx.repository.apps:
        if public in other.calls:
            return None
        if flycast in other.calls:
            callers.append(f"[env] of {other.relative}")
        for fact in ctx.repository.facts(other, "hostnames"):
            line, setting, host = fact.row
            if setting:
                continue
            if host == public:
                return None  # its public address is in use (a caller, its docs)
            if host == flycast:
                callers.append(f"{ctx.named(fact)}:{line}")
    if not callers:
        return None
    return f"the repository calls it at {flycast} ({callers[0]}), never at {public}"
