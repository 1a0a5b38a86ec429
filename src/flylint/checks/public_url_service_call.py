"""FLY401: Python HTTP, gRPC and WebSocket calls to another app's public fly.dev URL."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import PythonContext
from flylint.detectors import addresses
from flylint.diagnostics import Diagnostic, Related, Span
from flylint.files.python import calls_catalog

TYPE_CHECKING = False
if TYPE_CHECKING:
    from flylint.files.python import PythonModule


def check_python(ctx: PythonContext) -> Iterator[Diagnostic]:
    import ast

    repository = ctx.repository
    if not ctx.apps and (repository.apps or repository.solo):
        # Code outside every app's build context does not run on Fly (a developer's script
        # calling the deployed app from a laptop); with no app in the repository, nothing
        # tells, and the call is reported.
        return
    module = ctx.module
    catalog = calls_catalog()["http"]
    # By (app, constant or settings field): the first place's span and message, the other
    # calls, anchor, confidence. A settings field comes first: its calls are listed with it.
    calls: dict[tuple, tuple[Span, str, list[Related], str, str]] = {}
    fields = dict(_settings_fields(ctx))
    for (app, field), (span, message, anchor, confidence) in fields.items():
        calls[(app, f"field:{field}")] = (span, message, [], anchor, confidence)
    functions, clients = set(catalog["functions"]), set(catalog["clients"])
    for call in module.nodes(ast.Call):
        names = module.names(call.func)
        if names & functions:
            label = min(names & functions)
            target = module.argument(call, catalog["url_keywords"])
        elif names & clients:
            label = f"{min(names & clients)}(base_url=...)"
            target = next(
                (k.value for k in call.keywords if k.arg in catalog["client_keywords"]), None
            )
        elif isinstance(call.func, ast.Attribute) and call.func.attr in catalog["methods"]:
            label = module.segment(call.func)
            target = module.argument(call, catalog["url_keywords"])
        else:
            continue
        value = module.string(target)
        if not value or addresses.database_target(value):
            continue  # nothing known, or a database URL (FLY302's)
        for found in addresses.fly_dev_targets(value):
            if ctx.is_own(found.app):
                continue
            other = ctx.repository.app_named(found.app)
            private = addresses.private_address(
                found.app,
                other.internal_port if other else None,
                found.scheme,
                other.stops if other else False,
            )
            field = _field(module, target, {f for app, f in fields if app == found.app})
            constant = f"field:{field}" if field else _constant(module, target)
            message = (
                f"{label} calls {found.app} over the public internet: use {private} "
                f"instead of {found.public_url} ({addresses.ownership(found.app, bool(other))})"
            )
            # One URL constant, one finding: its first call, the others listed with it.
            key = (found.app, constant) if constant else (found.app, module.span(call))
            if key in calls:
                calls[key][2].append(Related(module.span(call), f"{label} calls it too"))
            else:
                # An app of this repository: certainly a call between our own services; an
                # app the repository does not hold may be a third party's public API.
                confidence = "high" if other else "medium"
                calls[key] = (module.span(call), message, [], f"{label}:{found.app}", confidence)
            break
    for span, message, related, anchor, confidence in calls.values():
        yield ctx.diagnostic("FLY401", span, message, anchor, confidence, related=tuple(related))


def _constant(module: PythonModule, node: object) -> str | None:
    """The module constant an address comes from (``BILLING`` in ``f"{BILLING}/charge"``),
    if it does: the calls through one constant are one problem."""
    import ast

    if not isinstance(node, ast.AST):
        return None
    for name in ast.walk(node):
        if isinstance(name, ast.Name) and name.id in module.constants:
            value = module.string(module.constants[name.id])
            if value and ".fly.dev" in value.lower():
                return name.id
    return None


def _settings_fields(
    ctx: PythonContext,
) -> Iterator[tuple[tuple[str, str], tuple[Span, str, str, str]]]:
    """The fields of the module's settings classes (pydantic ``BaseSettings``) whose
    default is another app's public URL under a service-address name: each is an
    environment setting like FLY402's, the address its clients call when nothing
    overrides it. ((app, field), (span, message, anchor, confidence))."""
    module = ctx.module
    for class_name, name, default, statement in module.settings_fields():
        value = module.string(default) if default is not None else None
        if not value or not addresses.is_service_address_key(name):
            continue
        for found in addresses.fly_dev_targets(value):
            if ctx.is_own(found.app):
                continue
            other = ctx.repository.app_named(found.app)
            private = addresses.private_address(
                found.app,
                other.internal_port if other else None,
                found.scheme,
                other.stops if other else False,
            )
            message = (
                f"{class_name}.{name} defaults to {found.app}'s public URL, which the app's "
                f"calls use unless the environment overrides it: use {private} instead of "
                f"{found.public_url} ({addresses.ownership(found.app, bool(other))})"
            )
            span = module.span(default if default is not None else statement)
            confidence = "high" if other else "medium"
            yield (found.app, name), (span, message, f"{class_name}.{name}", confidence)
            break


def _field(module: PythonModule, node: object, fields: set[str], depth: int = 0) -> str | None:
    """The reported settings field an address is read from: ``settings.billing_url``, or
    through what holds it (``self.url = settings.billing_url``, then ``self.url``)."""
    import ast

    if not fields or not isinstance(node, ast.AST) or depth > 10:
        return None
    for part in ast.walk(node):
        held = None
        if isinstance(part, ast.Attribute):
            if part.attr in fields:
                return part.attr
            held = module.assigned("attr", part.attr)
        elif isinstance(part, ast.Name):
            held = module.constants.get(part.id) or module.assigned("name", part.id)
        if held is not None and (field := _field(module, held, fields, depth + 1)):
            return field
    return None
