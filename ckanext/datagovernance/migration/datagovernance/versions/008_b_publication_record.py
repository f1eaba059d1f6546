"""Publication record per target (GovData, Hessen): exclusions with their
reason and history, and the feed pages each target's harvester fetched.

Revision ID: 008_b_publication_record
Revises: 007_f_kpi_rollup
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "008_b_publication_record"
down_revision = "007_f_kpi_rollup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    now = sa.func.now()
    # one row per exclusion or re-inclusion; the newest row per dataset and
    # target is the current state
    op.create_table(
        "datagovernance_feed_exclusion",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("target", sa.UnicodeText, nullable=False),
        sa.Column("excluded", sa.Boolean, nullable=False),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("user_id", sa.UnicodeText),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, server_default=now),
    )
    op.create_index("datagovernance_feed_exclusion_pkg_idx", "datagovernance_feed_exclusion",
                    ["package_id", "target", "created"])
    # one row per feed page URL and target, overwritten on each fetch: one
    # upsert per page, not per dataset
    op.create_table(
        "datagovernance_feed_fetch",
        sa.Column("target", sa.UnicodeText, primary_key=True),
        sa.Column("page_url", sa.UnicodeText, primary_key=True),
        sa.Column("dataset_ids", ARRAY(sa.UnicodeText), nullable=False),
        sa.Column("fetched", sa.DateTime(timezone=True), nullable=False, server_default=now),
    )
    op.create_index("datagovernance_feed_fetch_ids_idx", "datagovernance_feed_fetch",
                    ["dataset_ids"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_table("datagovernance_feed_fetch")
    op.drop_table("datagovernance_feed_exclusion")
