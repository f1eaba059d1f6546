"""What every benchmark script shares: the percentile, the load average it
reports next to its figures, and where results are written. The scripts run
as `python bench/NAME.py`, so this module is importable by its name."""
from __future__ import annotations

import math
import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1): a value that was measured."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def p95(values: list[float]) -> float:
    return percentile(values, 0.95)


def load_average() -> float:
    """The 1-minute load average: on a shared 2-core machine every wall-clock
    figure is read against it."""
    return os.getloadavg()[0]


def write_result(name: str, text: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(text + "\n", encoding="utf-8")
    return path
