"""What a rule sees while it checks one file."""

from __future__ import annotations

from dataclasses import dataclass

from flylint.apps import App, Project
from flylint.flytoml import FlyConfig
from flylint.model import Diagnostic, Span


@dataclass(frozen=True, slots=True)
class FlyTomlContext:
    config: FlyConfig
    app: App
    project: Project

    def diagnostic(self, rule_id: str, span: Span, message: str, anchor: str) -> Diagnostic:
        return Diagnostic(rule_id, self.config.source.path, span, message, anchor)
