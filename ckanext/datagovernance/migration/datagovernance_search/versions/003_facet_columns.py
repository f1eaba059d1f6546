"""Native columns for CKAN's standard facets (organization, groups, tags,
res_format, license_id): real statistics for the planner and array unnesting
instead of jsonb extraction when counting facets.

Revision ID: 003_facet_columns
Revises: 002_filter_columns
Create Date: 2026-11-24
"""
from __future__ import annotations

from alembic import op

revision = "003_facet_columns"
down_revision = "002_filter_columns"
branch_labels = None
depends_on = None

T = "datagovernance_search_index"
ARRAYS = ("organization", "groups", "tags", "res_format", "license_id")


def upgrade() -> None:
    op.execute(f"ALTER TABLE {T} " + ", ".join(f"ADD COLUMN f_{c} text[] NOT NULL DEFAULT '{{}}'" for c in ARRAYS))
    op.execute(
        f"UPDATE {T} SET "
        + ", ".join(
            f"f_{c} = ARRAY(SELECT jsonb_array_elements_text(coalesce(fields -> '{c}', '[]')))" for c in ARRAYS
        )
    )
    for c in ARRAYS:
        op.execute(f"CREATE INDEX {T}_f_{c}_idx ON {T} USING gin (f_{c})")
    # CKAN's always-present filters answered by an index-only scan
    op.execute(
        f"CREATE INDEX {T}_visible_idx ON {T} (site_id, state, capacity, metadata_modified) "
        "INCLUDE (dataset_type, permission_labels)"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {T}_visible_idx")
    op.execute(f"ALTER TABLE {T} " + ", ".join(f"DROP COLUMN f_{c}" for c in ARRAYS))
