"""SARIF 2.1.0 for GitHub code scanning: one run, every rule, repository-relative URIs."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from flylint import __version__
from flylint.diagnostics import Diagnostic, Notice, Report, Span
from flylint.files.reading import PARSE_ERROR
from flylint.output import OutputOptions, json_text
from flylint.output.fingerprints import fingerprints, repo_path
from flylint.registry import rule_data
from flylint.registry.rule_data import RuleInfo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/flylint/flylint"
SRCROOT = "%SRCROOT%"


def _help_markdown(info: RuleInfo) -> str:
    return (
        f"**{info.summary}.**\n\n{info.rationale}\n\n## How to fix\n\n{info.fix}\n\n"
        f"[Rule documentation]({info.docs_url})"
    )


def _rule(info: RuleInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.description},
        "help": {
            "text": f"{info.rationale}\n\nHow to fix: {info.fix}\n\nSee {info.docs_url}",
            "markdown": _help_markdown(info),
        },
        "helpUri": info.docs_url,
        "defaultConfiguration": {"level": info.level},
        "properties": {
            "tags": list(info.tags),
            "security-severity": f"{info.security_severity:.1f}",
            "precision": info.precision,
        },
    }


def _artifact(path: Path, root: Path) -> dict[str, str]:
    relative = repo_path(path, root)
    if relative is None:  # outside the repository: an absolute URI
        return {"uri": path.resolve().as_uri()}
    # The bytes of the name, percent-encoded: a name that is not UTF-8 keeps its bytes.
    return {"uri": quote(os.fsencode(relative)), "uriBaseId": SRCROOT}


def _region(span: Span) -> dict[str, int]:
    region = {"startLine": span.line, "startColumn": span.column, "endLine": span.end_line}
    # An empty span means "this line": leaving endColumn out covers the whole line.
    if span.end_line > span.line or span.end_column > span.column:
        region["endColumn"] = span.end_column
    return region


def _location(path: Path, span: Span, root: Path) -> dict[str, Any]:
    return {
        "physicalLocation": {"artifactLocation": _artifact(path, root), "region": _region(span)}
    }


def _result(d: Diagnostic, index: int, info: RuleInfo, fingerprint: str, root: Path) -> dict:
    result = {
        "ruleId": d.rule_id,
        "ruleIndex": index,
        "level": info.level,
        "message": {"text": d.message},
        "locations": [_location(d.path, d.span, root)],
        "partialFingerprints": {"flylintFingerprint/v1": fingerprint},
        "properties": {"confidence": d.confidence or info.confidence},
    }
    if d.related:  # the other places of the same problem (code scanning lists them)
        result["relatedLocations"] = [
            {"id": i, **_location(d.path, r.span, root), "message": {"text": r.message}}
            for i, r in enumerate(d.related, 1)
        ]
    return result


def _notification(message: str, level: str, location: dict[str, Any]) -> dict[str, Any]:
    return {"level": level, "message": {"text": message}, "locations": [location]}


def _notifications(report: Report, root: Path) -> list[dict[str, Any]]:
    found = [
        _notification(d.message, "error", _location(d.path, d.span, root))
        | {"descriptor": {"id": PARSE_ERROR}}
        for d in report.diagnostics
        if d.rule_id == PARSE_ERROR
    ]
    found += [_notice(n, root) for n in report.notices]
    return found


def _notice(notice: Notice, root: Path) -> dict[str, Any]:
    location = {"physicalLocation": {"artifactLocation": _artifact(notice.path, root)}}
    return _notification(notice.message, "error" if notice.error else "warning", location)


def render(report: Report, options: OutputOptions) -> str:
    rules = rule_data.rules()
    index = {rule_id: i for i, rule_id in enumerate(rules)}
    everything = report.diagnostics + report.suppressed
    results = [
        _result(d, index[d.rule_id], rules[d.rule_id], fingerprint, options.root)
        for d, fingerprint in zip(everything, fingerprints(everything, options.root), strict=True)
    ]
    # Suppressed findings stay in the log, marked, so code scanning shows them as dismissed.
    for result in results[len(report.diagnostics) :]:
        result["suppressions"] = [{"kind": "inSource", "justification": "flylint: ignore"}]
    root_uri = options.root.resolve().as_uri().rstrip("/") + "/"
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "flylint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(info) for info in rules.values()],
                    }
                },
                # GitHub keys alerts by this category: one per tool, stable across runs.
                "automationDetails": {"id": "flylint/"},
                "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": _notifications(report, options.root),
                    }
                ],
                "results": results,
            }
        ],
    }
    return json_text(log)
