"""Counts without heap visits; no index on the permission labels.

* The `modified_since` feed and every date-sorted page count the matches of
  a date range plus CKAN's visibility filters. The date index of the filter
  table now carries the visibility columns (INCLUDE), so that count is an
  index-only scan (once autovacuum has marked the pages all-visible) instead
  of one heap visit per match.
* Every reader's label filter admits at least the public datasets (~90 % of
  a catalog), so the GIN index on the index table's permission labels never
  narrows a search; the planner still ANDed its 90k-entry bitmap into every
  text search (~20-30 ms of a 35 ms count). The labels are checked per
  matching row instead.

Revision ID: 009_d2_count_without_heap
Revises: 008_d_filter_table
Create Date: 2026-11-29
"""
from __future__ import annotations

from alembic import op

revision = "009_d2_count_without_heap"
down_revision = "008_d_filter_table"
branch_labels = None
depends_on = None

T = "datagovernance_search_index"
F = "datagovernance_search_filter"
VISIBILITY = "site_id, state, capacity, entity_type, dataset_type, permission_labels"


def upgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {T}_labels_idx")
    op.execute(f"DROP INDEX IF EXISTS {F}_modified_desc_idx")
    op.execute(
        f"CREATE INDEX {F}_modified_desc_idx ON {F} (metadata_modified DESC NULLS LAST, index_id) "
        f"INCLUDE ({VISIBILITY})"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {F}_modified_desc_idx")
    op.execute(f"CREATE INDEX {F}_modified_desc_idx ON {F} (metadata_modified DESC NULLS LAST, index_id)")
    op.execute(f"CREATE INDEX {T}_labels_idx ON {T} USING gin (permission_labels)")
