"""A plan: what would change (no secret values), what stops it, and the steps that do it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Plan:
    what: str
    changes: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    steps: list[Callable[[], object]] = field(default_factory=list)

    def public(self) -> dict:
        """What a Salt module may return: the steps (closures over secrets) stay here."""
        return {"what": self.what, "changes": self.changes, "problems": list(self.problems)}

    def run(self) -> dict:
        """Carry out the steps in order; refuse when there are problems."""
        if self.problems:
            raise PlanError(f"{self.what}: " + "; ".join(self.problems))
        for step in self.steps:
            step()
        return self.changes


class PlanError(RuntimeError):
    pass
