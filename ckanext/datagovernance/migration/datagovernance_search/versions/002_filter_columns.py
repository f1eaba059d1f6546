"""Narrow columns for the filters every CKAN query carries, and a sort index.

CKAN adds +site_id, +state, +capacity and +permission_labels to every search;
answering them from plain columns keeps the wide jsonb/tsvector data (often
TOASTed) out of match-all queries. `fields` only keeps short keyword values.

Revision ID: 002_filter_columns
Revises: 001_search_index
Create Date: 2026-11-24
"""
from __future__ import annotations

from alembic import op

revision = "002_filter_columns"
down_revision = "001_search_index"
branch_labels = None
depends_on = None

T = "datagovernance_search_index"


def upgrade() -> None:
    op.execute(
        f"""
        ALTER TABLE {T}
            ADD COLUMN state text,
            ADD COLUMN capacity text,
            ADD COLUMN entity_type text,
            ADD COLUMN dataset_type text,
            ADD COLUMN permission_labels text[] NOT NULL DEFAULT '{{}}'
        """
    )
    op.execute(
        f"""
        UPDATE {T} SET
            state = fields -> 'state' ->> 0,
            capacity = fields -> 'capacity' ->> 0,
            entity_type = fields -> 'entity_type' ->> 0,
            dataset_type = fields -> 'dataset_type' ->> 0,
            permission_labels = ARRAY(SELECT jsonb_array_elements_text(coalesce(fields -> 'permission_labels', '[]')))
        """
    )
    op.execute(f"CREATE INDEX {T}_filter_idx ON {T} (site_id, state, capacity, dataset_type)")
    op.execute(f"CREATE INDEX {T}_labels_idx ON {T} USING gin (permission_labels)")
    op.execute(f"CREATE INDEX {T}_modified_desc_idx ON {T} (metadata_modified DESC NULLS LAST, index_id)")
    op.execute(f"CREATE INDEX {T}_title_string_id_idx ON {T} (title_string, index_id)")
    op.execute(f"DROP INDEX IF EXISTS {T}_modified_idx")
    op.execute(f"DROP INDEX IF EXISTS {T}_title_string_idx")
    # keep `fields` compressed in the row rather than out of line
    op.execute(f"ALTER TABLE {T} ALTER COLUMN fields SET STORAGE MAIN")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {T}_filter_idx")
    op.execute(f"DROP INDEX IF EXISTS {T}_labels_idx")
    op.execute(f"DROP INDEX IF EXISTS {T}_modified_desc_idx")
    op.execute(f"DROP INDEX IF EXISTS {T}_title_string_id_idx")
    op.execute(f"CREATE INDEX {T}_modified_idx ON {T} (metadata_modified)")
    op.execute(f"CREATE INDEX {T}_title_string_idx ON {T} (title_string)")
    op.execute(
        f"ALTER TABLE {T} DROP COLUMN state, DROP COLUMN capacity, DROP COLUMN entity_type, "
        "DROP COLUMN dataset_type, DROP COLUMN permission_labels"
    )
