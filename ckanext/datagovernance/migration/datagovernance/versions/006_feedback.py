"""Feedback, data and access requests, access grants.

Revision ID: 006_feedback
Revises: 005_quality
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "006_feedback"
down_revision = "005_quality"
branch_labels = None
depends_on = None


def upgrade() -> None:
    now = sa.func.now()
    op.create_table(
        "datagovernance_feedback",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("package_id", sa.UnicodeText),
        sa.Column("domain_id", sa.UnicodeText),
        sa.Column("subject", sa.UnicodeText, nullable=False),
        sa.Column("message", sa.UnicodeText, nullable=False),
        sa.Column("justification", sa.UnicodeText),
        sa.Column("requester_id", sa.UnicodeText),
        sa.Column("requester_email", sa.UnicodeText),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="new"),
        sa.Column("assignee_id", sa.UnicodeText),
        sa.Column("answer", sa.UnicodeText),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("first_response", sa.DateTime(timezone=True)),
    )
    op.create_index("datagovernance_feedback_pkg_idx", "datagovernance_feedback", ["package_id"])
    op.create_index("datagovernance_feedback_requester_idx", "datagovernance_feedback", ["requester_id"])
    op.create_index("datagovernance_feedback_status_idx", "datagovernance_feedback", ["status", "created"])
    op.create_table(
        "datagovernance_feedback_event",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("feedback_id", sa.UnicodeText, nullable=False),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("from_status", sa.UnicodeText),
        sa.Column("to_status", sa.UnicodeText),
        sa.Column("text", sa.UnicodeText),
        sa.Column("internal", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, server_default=now),
    )
    op.create_index("datagovernance_feedback_event_item_idx", "datagovernance_feedback_event",
                    ["feedback_id", "created"])
    op.create_table(
        "datagovernance_access_grant",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("feedback_id", sa.UnicodeText),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("granted_by", sa.UnicodeText),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="active"),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_by", sa.UnicodeText),
        sa.Column("end_reason", sa.UnicodeText),
    )
    # read on every permission-label computation of a dataset
    op.create_index("datagovernance_access_grant_active_idx", "datagovernance_access_grant",
                    ["package_id", "expires"], postgresql_where=sa.text("state = 'active'"))
    op.create_index("datagovernance_access_grant_user_idx", "datagovernance_access_grant", ["user_id"])


def downgrade() -> None:
    op.drop_table("datagovernance_access_grant")
    op.drop_table("datagovernance_feedback_event")
    op.drop_table("datagovernance_feedback")
