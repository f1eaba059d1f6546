"""Governance roles and their audit history.

Revision ID: 001_roles
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "001_roles"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ids of CKAN users, groups and datasets are stored as text without
    # foreign keys into core tables (CKAN's extension rule).
    op.create_table(
        "datagovernance_role",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("role", sa.UnicodeText, nullable=False),
        sa.Column("scope_type", sa.UnicodeText, nullable=False),
        sa.Column("scope_id", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("deputy", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("contact", sa.UnicodeText),
        sa.Column("granted_by", sa.UnicodeText),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("user_id", "role", "scope_type", "scope_id", "deputy",
                            name="datagovernance_role_unique"),
    )
    op.create_index("datagovernance_role_scope_idx", "datagovernance_role", ["scope_type", "scope_id", "role"])
    op.create_index("datagovernance_role_user_idx", "datagovernance_role", ["user_id"])
    op.create_table(
        "datagovernance_role_event",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("role", sa.UnicodeText, nullable=False),
        sa.Column("scope_type", sa.UnicodeText, nullable=False),
        sa.Column("scope_id", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("deputy", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("datagovernance_role_event_user_idx", "datagovernance_role_event", ["user_id"])
    op.create_index("datagovernance_role_event_scope_idx", "datagovernance_role_event", ["scope_type", "scope_id"])


def downgrade() -> None:
    op.drop_table("datagovernance_role_event")
    op.drop_table("datagovernance_role")
