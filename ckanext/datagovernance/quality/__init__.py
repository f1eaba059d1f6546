"""Metadata quality after the data.europa.eu MQA methodology (issue 13).

Public facade for other sub-packages: ``score_of(package_id)`` is the newest
stored score (None when never scored)."""
from __future__ import annotations


def score_of(package_id: str) -> int | None:
    from .model import latest_score

    row = latest_score(package_id)
    return row.score if row is not None else None
