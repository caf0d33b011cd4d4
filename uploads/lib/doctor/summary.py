"""What a conversion did: the conversions applied with the rows each changed, and the values it
could not convert (masked), as the console shows them and the report lists them as warnings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .plan import Plan


@dataclass(frozen=True)
class Problem:
    row: int | None  # record number, as the engine numbers the converted file's rows
    line: int | None  # physical line (CSV) or sheet row (xlsx) in the source file
    field: str | None
    column: str | None
    code: str
    message: str
    value: str | None  # masked

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Applied:
    field: str
    op: str
    title: str
    description: str
    rows: int


@dataclass
class ConversionSummary:
    layout: str
    format: str
    encoding: str | None
    sheet: str | None
    header_line: int
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def problems_truncated(self) -> bool:
        return self.problems_total > len(self.problems)

    def add(self, problem: Problem, limit: int) -> None:
        self.problems_total += 1
        self.counts[problem.code] = self.counts.get(problem.code, 0) + 1
        if len(self.problems) < limit:
            self.problems.append(problem)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems_truncated"] = self.problems_truncated
        return data


def applied(plan: Plan, rows: int) -> list[Applied]:
    """Every conversion of the mapping with the rows it changed (the cell step when it did)."""
    result = []
    for p in plan.fields:
        if p.fixed is not None:
            result.append(Applied(p.path, "value", "固定値", f"固定値「{p.fixed}」を入れる", rows))
            continue
        for i, step in enumerate(p.steps):
            if i == 0 and not step.rows:
                continue
            result.append(Applied(p.path, step.op, step.title, step.description, step.rows))
    return result
