"""What a benchmark run found: per framework and scenario, the measured rounds or the error."""

from dataclasses import dataclass, field
from typing import Any

from load import Measurement


@dataclass(slots=True)
class Outcome:
    rounds: list[Measurement] = field(default_factory=list)
    error: str | None = None  # set once, never cleared: a scenario that failed any round reports n/a
    answer: Any = None  # the decoded response to the check request, to compare frameworks

    @property
    def best(self) -> Measurement | None:
        if self.error is not None or not self.rounds:
            return None
        return max(self.rounds, key=lambda m: m.requests_per_s)

    def as_dict(self) -> dict[str, Any]:
        best = self.best
        return {
            "requests_per_s": None if best is None else round(best.requests_per_s, 1),
            "best": None if best is None else best.as_dict(),
            "rounds": [m.as_dict() for m in self.rounds],
            "error": self.error,
        }


@dataclass(slots=True)
class Results:
    frameworks: tuple[str, ...]
    scenarios: tuple[str, ...]
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def outcome(self, framework: str, scenario: str) -> Outcome:
        return self.outcomes.setdefault((framework, scenario), Outcome())

    def failed(self, framework: str, scenario: str) -> bool:
        return self.outcome(framework, scenario).error is not None

    def fail(self, framework: str, scenario: str, error: str) -> None:
        outcome = self.outcome(framework, scenario)
        if outcome.error is None:
            outcome.error = error

    def rate(self, framework: str, scenario: str) -> float | None:
        """Best requests/s, or None when the framework was not run, does not serve the scenario, or failed."""
        found = self.outcomes.get((framework, scenario))
        best = None if found is None else found.best
        return None if best is None else best.requests_per_s

    def errors(self) -> list[tuple[str, str, str]]:
        return [(fw, sc, o.error) for (fw, sc), o in self.outcomes.items() if o.error is not None]

    def as_dict(self) -> dict[str, Any]:
        table: dict[str, dict[str, Any]] = {}
        for (framework, scenario), outcome in self.outcomes.items():
            table.setdefault(scenario, {})[framework] = outcome.as_dict()
        return {"frameworks": list(self.frameworks), "scenarios": table, "notes": self.notes}
