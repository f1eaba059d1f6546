"""Workflow history and data-protection sign-offs.

Revision ID: 002_workflow
Revises: 001_roles
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "002_workflow"
down_revision = "001_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datagovernance_workflow_event",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("from_state", sa.UnicodeText, nullable=False),
        sa.Column("to_state", sa.UnicodeText, nullable=False),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("comment", sa.UnicodeText),
        sa.Column("gate_results", JSONB),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("datagovernance_workflow_event_pkg_idx", "datagovernance_workflow_event", ["package_id", "created"])
    op.create_table(
        "datagovernance_signoff",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("decision", sa.UnicodeText, nullable=False),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("legal_basis", sa.UnicodeText),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("datagovernance_signoff_pkg_idx", "datagovernance_signoff", ["package_id", "created"])


def downgrade() -> None:
    op.drop_table("datagovernance_signoff")
    op.drop_table("datagovernance_workflow_event")
