"""Metadata quality scores, link checks, KPI snapshots and OKR targets.

Revision ID: 005_quality
Revises: 002_workflow
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "005_quality"
down_revision = "002_workflow"
branch_labels = None
depends_on = None


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "datagovernance_quality_score",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("band", sa.UnicodeText, nullable=False),
        sa.Column("dimensions", JSONB, nullable=False),
        sa.Column("indicators", JSONB, nullable=False),
        sa.Column("shacl_conforms", sa.Boolean),
        # None: not a high-value dataset; else the HVD gate and shapes pass
        sa.Column("hvd_compliant", sa.Boolean),
        _ts("computed_at"), _ts("checked_at"),
    )
    op.create_index("datagovernance_quality_score_pkg_idx", "datagovernance_quality_score",
                    ["package_id", sa.text("computed_at DESC")])
    # the newest score per dataset (what search, dashboard and HVD read)
    op.create_table(
        "datagovernance_quality_current",
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("band", sa.UnicodeText, nullable=False),
        sa.Column("hvd_compliant", sa.Boolean),
        _ts("computed_at"),
    )
    op.create_table(
        "datagovernance_link_check",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("url", sa.UnicodeText, nullable=False),
        sa.Column("ok", sa.Boolean),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.UnicodeText),
        sa.Column("elapsed_ms", sa.Integer),
        _ts("checked_at"),
    )
    op.create_index("datagovernance_link_check_pkg_idx", "datagovernance_link_check",
                    ["package_id", "url", sa.text("checked_at DESC")])
    # one row per day and scope: the KPI history, kept for years
    op.create_table(
        "datagovernance_kpi_snapshot",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("scope_type", sa.UnicodeText, nullable=False),
        sa.Column("scope_id", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("kpis", JSONB, nullable=False),
        _ts("created"),
        sa.UniqueConstraint("day", "scope_type", "scope_id", name="datagovernance_kpi_snapshot_key"),
    )
    op.create_table(
        "datagovernance_okr_objective",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText),
        sa.Column("owner_id", sa.UnicodeText),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("created_by", sa.UnicodeText),
        _ts("created"),
    )
    op.create_table(
        "datagovernance_okr_key_result",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("objective_id", sa.UnicodeText, nullable=False),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("kpi", sa.UnicodeText, nullable=False),
        sa.Column("scope_type", sa.UnicodeText, nullable=False, server_default="site"),
        sa.Column("scope_id", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("baseline", sa.Float),
        sa.Column("target", sa.Float, nullable=False),
        _ts("created"),
    )
    op.create_index("datagovernance_okr_key_result_obj_idx", "datagovernance_okr_key_result",
                    ["objective_id"])


def downgrade() -> None:
    for table in ("datagovernance_okr_key_result", "datagovernance_okr_objective",
                  "datagovernance_kpi_snapshot", "datagovernance_link_check", "datagovernance_quality_current",
                  "datagovernance_quality_score"):
        op.drop_table(table)
