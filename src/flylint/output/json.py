"""JSON output, schema version 1 (documented in docs/output-formats.md)."""

from __future__ import annotations

from collections import Counter

from flylint import __version__
from flylint.diagnostics import Report
from flylint.output import OutputOptions, json_text
from flylint.output.fingerprints import fingerprints
from flylint.registry import rule_data

SCHEMA_VERSION = 1


def render(report: Report, options: OutputOptions) -> str:
    rules = rule_data.rules()
    findings = [
        {
            "rule": d.rule_id,
            "name": rules[d.rule_id].name,
            "level": rules[d.rule_id].level,
            "path": d.path.as_posix(),
            "line": d.span.line,
            "column": d.span.column,
            "end_line": d.span.end_line,
            "end_column": d.span.end_column,
            "message": d.message,
            "docs_url": rules[d.rule_id].docs_url,
            "fingerprint": fingerprint,
            "precision": rules[d.rule_id].precision,
            "confidence": rule_data.confidence_of(d),
            "related": [
                {
                    "line": r.span.line,
                    "column": r.span.column,
                    "end_line": r.span.end_line,
                    "end_column": r.span.end_column,
                    "message": r.message,
                }
                for r in d.related
            ],
        }
        for d, fingerprint in zip(
            report.diagnostics, fingerprints(report.diagnostics, options.root), strict=True
        )
    ]
    document = {
        "schema_version": SCHEMA_VERSION,
        "flylint_version": __version__,
        "findings": findings,
        "notices": [
            {"path": n.path.as_posix(), "message": n.message, "error": n.error}
            for n in report.notices
        ],
        "summary": {
            "files_checked": report.files_checked,
            "findings": len(findings),
            "by_rule": dict(sorted(Counter(f["rule"] for f in findings).items())),
            "by_level": dict(sorted(Counter(f["level"] for f in findings).items())),
        },
    }
    return json_text(document)
