"""Evidence that an app is private: ``fly deploy`` gives an app with services public IPs,
unless the repository shows otherwise. It is deployed or launched with ``--flycast`` or
``--no-public-ips``, its IPs allocated with ``fly ips allocate-v6 --private`` or
released (in the docs and CI workflows of its build context), or the apps of the
repository that call it do so at ``APP.flycast`` and none at ``APP.fly.dev``.

The rows come from ``hostnames`` (the addresses and deploy commands the code and docs
name) and from each app's summary (the addresses its ``[env]`` names).
"""

from __future__ import annotations

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
        if setting.startswith("private:") and named in ("", name):
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
