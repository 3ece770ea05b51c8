"""Benchmark protocol shared by ``benchmarks/bench_*.py`` and ``alatau-twin bench``.

Every benchmark reports its figure *and* a baseline measured in the same run, so the
ratio means something on a noisy machine. A benchmark module defines ``NAME`` (str),
``DESCRIPTION`` (str) and ``run(quick: bool = False) -> list[BenchResult]``.
No Qt, no VTK at import time: benchmarks import what they need inside ``run``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class BenchResult:
    """One measured figure against its same-run baseline.

    ``ratio`` is ``figure / baseline`` (for times: below 1 means faster than the
    baseline). ``target`` states the goal in words and ``passed`` whether it was met.
    """

    name: str
    figure: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: str = ""
    passed: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.figure / self.baseline  # type: ignore[operator]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio"] = self.ratio
        return d


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time in seconds of ``repeat`` calls: the least noisy estimate."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def with_display(cmd: list[str]) -> list[str]:
    """Prefix ``cmd`` with ``xvfb-run`` when there is no X display (window benchmarks)."""
    import os
    import shutil

    if os.environ.get("DISPLAY"):
        return cmd
    xvfb = shutil.which("xvfb-run")
    if not xvfb:
        raise RuntimeError("window benchmarks need an X display or xvfb-run (apt install xvfb)")
    return [xvfb, "-a", "-s", "-screen 0 1920x1080x24", *cmd]
