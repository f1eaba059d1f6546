"""Tables of the role model (created by migration/datagovernance)."""
from __future__ import annotations

import datetime as dt

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from ..model_base import new_id as _uuid
from ..model_base import utcnow as _now


class RoleAssignment(tk.BaseModel):  # type: ignore[misc,valid-type]
    """One person holding one governance role in one scope."""

    __table__ = sa.Table(
        "datagovernance_role",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("role", sa.UnicodeText, nullable=False),
        sa.Column("scope_type", sa.UnicodeText, nullable=False),
        sa.Column("scope_id", sa.UnicodeText, nullable=False, default=""),
        sa.Column("deputy", sa.Boolean, nullable=False, default=False),
        sa.Column("contact", sa.UnicodeText),
        sa.Column("granted_by", sa.UnicodeText),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    user_id: Mapped[str]
    role: Mapped[str]
    scope_type: Mapped[str]
    scope_id: Mapped[str]
    deputy: Mapped[bool]
    contact: Mapped[str | None]
    granted_by: Mapped[str | None]
    granted_at: Mapped[dt.datetime]


class RoleEvent(tk.BaseModel):  # type: ignore[misc,valid-type]
    """Audit trail: every grant, revoke and hand-over of a role."""

    __table__ = sa.Table(
        "datagovernance_role_event",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("role", sa.UnicodeText, nullable=False),
        sa.Column("scope_type", sa.UnicodeText, nullable=False),
        sa.Column("scope_id", sa.UnicodeText, nullable=False, default=""),
        sa.Column("deputy", sa.Boolean, nullable=False, default=False),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    action: Mapped[str]
    user_id: Mapped[str]
    role: Mapped[str]
    scope_type: Mapped[str]
    scope_id: Mapped[str]
    deputy: Mapped[bool]
    actor_id: Mapped[str | None]
    reason: Mapped[str | None]
    created: Mapped[dt.datetime]
