"""Progress of a key result (pure): how far the KPI moved from its baseline
towards the target, and whether that keeps pace with the time elapsed."""
from __future__ import annotations

import datetime as dt
from typing import Any

# behind the time elapsed by more than this: "at risk"
TOLERANCE = 0.1


def progress(baseline: float | None, current: float | None, target: float) -> float | None:
    """0..1; works for falling targets too (fewer orphaned datasets)."""
    if current is None:
        return None
    start = 0.0 if baseline is None else baseline
    if target == start:
        return 1.0 if current == target else 0.0
    return max(0.0, min(1.0, (current - start) / (target - start)))


def elapsed(start: dt.date, end: dt.date, today: dt.date) -> float:
    if today <= start:
        return 0.0
    if today >= end or end <= start:
        return 1.0
    return (today - start).days / (end - start).days


def status(share: float | None, start: dt.date, end: dt.date, today: dt.date) -> str:
    if share is not None and share >= 1.0:
        return "achieved"
    if today < start:
        return "not_started"
    if today > end:
        return "missed"
    if share is not None and share >= elapsed(start, end, today) - TOLERANCE:
        return "on_track"
    return "at_risk"


def key_result_dict(kr: Any, start: dt.date, end: dt.date, current: float | None,
                    baseline: float | None, today: dt.date) -> dict[str, Any]:
    share = progress(baseline, current, kr.target)
    return {
        "id": kr.id, "title": kr.title, "kpi": kr.kpi, "scope_type": kr.scope_type,
        "scope_id": kr.scope_id, "baseline": baseline, "target": kr.target, "current": current,
        "progress": None if share is None else round(100 * share, 1),
        "expected": round(100 * elapsed(start, end, today), 1),
        "status": status(share, start, end, today),
    }
