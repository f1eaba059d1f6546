"""What every benchmark script shares: the percentile, the load average it
reports next to its figures, the timing of in-process renders, and where
results are written. The scripts run
as `python bench/NAME.py`, so this module is importable by its name."""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def time_renders(what: str, get: Callable[[], Any], runs: int, warmup: int,
                 statements: list[int]) -> tuple[list[float], list[float], list[int], Any]:
    """`warmup` + `runs` calls of `get()` (an in-process request for `what`
    that must answer 200): per measured call the wall seconds, the process's CPU
    seconds and the SQL statements counted into `statements[0]` (the
    caller's engine listener); and the last response."""
    times: list[float] = []
    cpu: list[float] = []
    sql: list[int] = []
    res = None
    for k in range(warmup + runs):
        statements[0] = 0
        t0, c0 = time.perf_counter(), time.process_time()
        res = get()
        if res.status_code != 200:
            raise SystemExit(f"{what}: HTTP {res.status_code}")
        if k >= warmup:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            sql.append(statements[0])
    return times, cpu, sql, res
