"""Feedback tables (created by migration/datagovernance 006_feedback).

No foreign keys into CKAN core: items outlive deleted users and datasets, and
CKAN's own tables stay untouched by our migrations."""
from __future__ import annotations

import datetime as dt

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from ..model_base import new_id as _uuid
from ..model_base import utcnow as _now


class FeedbackItem(tk.BaseModel):  # type: ignore[misc,valid-type]
    """One error report, wish/question, access request or data request."""

    __table__ = sa.Table(
        "datagovernance_feedback",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("package_id", sa.UnicodeText),
        sa.Column("domain_id", sa.UnicodeText),
        sa.Column("subject", sa.UnicodeText, nullable=False),
        sa.Column("message", sa.UnicodeText, nullable=False),
        sa.Column("justification", sa.UnicodeText),
        sa.Column("requester_id", sa.UnicodeText),
        sa.Column("requester_email", sa.UnicodeText),
        sa.Column("status", sa.UnicodeText, nullable=False, default="new"),
        sa.Column("assignee_id", sa.UnicodeText),
        sa.Column("answer", sa.UnicodeText),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("published", sa.Boolean, nullable=False, default=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, default=_now),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False, default=_now),
        sa.Column("first_response", sa.DateTime(timezone=True)),
        extend_existing=True,
    )
    id: Mapped[str]
    kind: Mapped[str]
    package_id: Mapped[str | None]
    domain_id: Mapped[str | None]
    subject: Mapped[str]
    message: Mapped[str]
    justification: Mapped[str | None]
    requester_id: Mapped[str | None]
    requester_email: Mapped[str | None]
    status: Mapped[str]
    assignee_id: Mapped[str | None]
    answer: Mapped[str | None]
    reason: Mapped[str | None]
    published: Mapped[bool]
    created: Mapped[dt.datetime]
    modified: Mapped[dt.datetime]
    first_response: Mapped[dt.datetime | None]


class FeedbackEvent(tk.BaseModel):  # type: ignore[misc,valid-type]
    """History of an item: creation, status changes, assignment, comments,
    grants. `internal` notes are for the handlers only."""

    __table__ = sa.Table(
        "datagovernance_feedback_event",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("feedback_id", sa.UnicodeText, nullable=False),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("from_status", sa.UnicodeText),
        sa.Column("to_status", sa.UnicodeText),
        sa.Column("text", sa.UnicodeText),
        sa.Column("internal", sa.Boolean, nullable=False, default=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    feedback_id: Mapped[str]
    action: Mapped[str]
    actor_id: Mapped[str | None]
    from_status: Mapped[str | None]
    to_status: Mapped[str | None]
    text: Mapped[str | None]
    internal: Mapped[bool]
    created: Mapped[dt.datetime]


class AccessGrant(tk.BaseModel):  # type: ignore[misc,valid-type]
    """Read access for one user to one dataset until `expires`; the dataset's
    permission labels carry the user while the grant is active."""

    __table__ = sa.Table(
        "datagovernance_access_grant",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("feedback_id", sa.UnicodeText),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("granted_by", sa.UnicodeText),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False, default=_now),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False, default="active"),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_by", sa.UnicodeText),
        sa.Column("end_reason", sa.UnicodeText),
        extend_existing=True,
    )
    id: Mapped[str]
    feedback_id: Mapped[str | None]
    package_id: Mapped[str]
    user_id: Mapped[str]
    granted_by: Mapped[str | None]
    granted_at: Mapped[dt.datetime]
    expires: Mapped[dt.datetime]
    state: Mapped[str]
    ended_at: Mapped[dt.datetime | None]
    ended_by: Mapped[str | None]
    end_reason: Mapped[str | None]
