"""The one way benchmarks report: figures, each a ratio against a baseline from the same run.

A benchmark module exposes ``run() -> list[Figure]``; ``python -m benchmarks`` runs them all.
Wall-clock budgets are checked here, never in tests: these machines are noisy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure; ``ratio``/``budget`` are set where the issue names a budget."""

    name: str
    value: float
    unit: str
    ratio: float | None = None
    budget: float | None = None
    budget_is_max: bool = True
    """True: the ratio (or value, with no ratio) must be <= budget; False: >= budget."""

    @property
    def within_budget(self) -> bool | None:
        if self.budget is None:
            return None
        measured = self.value if self.ratio is None else self.ratio
        return measured <= self.budget if self.budget_is_max else measured >= self.budget

    def line(self) -> str:
        text = f"{self.name}: {self.value:,.3f} {self.unit}"
        if self.ratio is not None:
            text += f" (ratio {self.ratio:.3f}x)"
        if self.budget is not None:
            sign = "<=" if self.budget_is_max else ">="
            verdict = "ok" if self.within_budget else "OVER BUDGET"
            text += f" [budget {sign} {self.budget:g}: {verdict}]"
        return text


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """The fastest of ``repeat`` wall-clock runs of ``fn``, in seconds (least disturbed by noise)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
