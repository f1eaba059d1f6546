"""Workflow tables (created by migration/datagovernance 002)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

from ..model_base import new_id as _uuid
from ..model_base import utcnow as _now


class WorkflowEvent(tk.BaseModel):  # type: ignore[misc,valid-type]
    """One transition: dataset, from, to, actor, time, comment, gate results."""

    __table__ = sa.Table(
        "datagovernance_workflow_event",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("from_state", sa.UnicodeText, nullable=False),
        sa.Column("to_state", sa.UnicodeText, nullable=False),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("comment", sa.UnicodeText),
        sa.Column("gate_results", JSONB),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    package_id: Mapped[str]
    from_state: Mapped[str]
    to_state: Mapped[str]
    actor_id: Mapped[str | None]
    comment: Mapped[str | None]
    gate_results: Mapped[Any]
    created: Mapped[dt.datetime]


class Signoff(tk.BaseModel):  # type: ignore[misc,valid-type]
    """A data-protection officer's decision on publishing a dataset."""

    __table__ = sa.Table(
        "datagovernance_signoff",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("decision", sa.UnicodeText, nullable=False),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("legal_basis", sa.UnicodeText),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    package_id: Mapped[str]
    user_id: Mapped[str]
    decision: Mapped[str]
    reason: Mapped[str | None]
    legal_basis: Mapped[str | None]
    created: Mapped[dt.datetime]
