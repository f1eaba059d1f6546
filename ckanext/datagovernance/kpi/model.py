"""KPI tables (migration/datagovernance 005): one snapshot row per day and
scope (the history, small enough to keep for years), OKR objectives and
their key results."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped

from ..model_base import new_id as _uuid
from ..model_base import utcnow as _now


class KpiSnapshot(tk.BaseModel):  # type: ignore[misc,valid-type]
    __table__ = sa.Table(
        "datagovernance_kpi_snapshot",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("scope_type", sa.UnicodeText, nullable=False),
        sa.Column("scope_id", sa.UnicodeText, nullable=False, default=""),
        sa.Column("kpis", JSONB, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    day: Mapped[dt.date]
    scope_type: Mapped[str]
    scope_id: Mapped[str]
    kpis: Mapped[Any]
    created: Mapped[dt.datetime]


class Objective(tk.BaseModel):  # type: ignore[misc,valid-type]
    __table__ = sa.Table(
        "datagovernance_okr_objective",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText),
        sa.Column("owner_id", sa.UnicodeText),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("created_by", sa.UnicodeText),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    title: Mapped[str]
    description: Mapped[str | None]
    owner_id: Mapped[str | None]
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    created_by: Mapped[str | None]
    created: Mapped[dt.datetime]


class KeyResult(tk.BaseModel):  # type: ignore[misc,valid-type]
    __table__ = sa.Table(
        "datagovernance_okr_key_result",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("objective_id", sa.UnicodeText, nullable=False),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("kpi", sa.UnicodeText, nullable=False),
        sa.Column("scope_type", sa.UnicodeText, nullable=False, default="site"),
        sa.Column("scope_id", sa.UnicodeText, nullable=False, default=""),
        sa.Column("baseline", sa.Float),
        sa.Column("target", sa.Float, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    objective_id: Mapped[str]
    title: Mapped[str]
    kpi: Mapped[str]
    scope_type: Mapped[str]
    scope_id: Mapped[str]
    baseline: Mapped[float | None]
    target: Mapped[float]
    created: Mapped[dt.datetime]


def upsert_snapshot(day: dt.date, scope_type: str, scope_id: str, kpis: dict[str, Any]) -> None:
    """One row per day and scope: a second run on the same day replaces it."""
    stmt = pg_insert(KpiSnapshot.__table__).values(
        id=_uuid(), day=day, scope_type=scope_type, scope_id=scope_id, kpis=kpis, created=_now())
    model.Session.execute(stmt.on_conflict_do_update(
        constraint="datagovernance_kpi_snapshot_key", set_={"kpis": stmt.excluded.kpis,
                                                            "created": stmt.excluded.created}))


def series(scope_type: str, scope_id: str, since: dt.date | None = None) -> list[KpiSnapshot]:
    q = sa.select(KpiSnapshot).where(KpiSnapshot.scope_type == scope_type, KpiSnapshot.scope_id == scope_id)
    if since is not None:
        q = q.where(KpiSnapshot.day >= since)
    return list(model.Session.scalars(q.order_by(KpiSnapshot.day)))


def value_on(scope_type: str, scope_id: str, kpi: str, day: dt.date) -> float | None:
    """The KPI of the last snapshot on or before `day` (None: none yet)."""
    row = model.Session.scalars(
        sa.select(KpiSnapshot).where(KpiSnapshot.scope_type == scope_type, KpiSnapshot.scope_id == scope_id,
                                     KpiSnapshot.day <= day).order_by(KpiSnapshot.day.desc()).limit(1)).first()
    value = (row.kpis or {}).get(kpi) if row is not None else None
    return float(value) if isinstance(value, (int, float)) else None
