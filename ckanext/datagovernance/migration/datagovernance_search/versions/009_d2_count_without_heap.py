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
* The kept counts (migration 007) also count datasets per visibility class
  and month of `metadata_modified` (facet `_month`, value `YYYY-MM`, '' for
  none). A search that filters on visibility and `metadata_modified` ranges
  only (the DCAT `modified_since` feed) sums whole months from there and
  counts only the rows of the months its range bounds fall in.
* The short key columns of the index table stay in the row. An index row is
  still over the 2 kB TOAST threshold once its document is out of line, so
  PostgreSQL also moved the small `extended` columns out: reading `index_id`
  (the tie-break of every sort) cost ~4 buffers a row, sorting a text
  search's 370 matches 6,500 buffers. ids, name and the visibility columns are
  now PLAIN (short by CKAN's validation), title and title_string MAIN.
  Existing rows keep their layout until re-indexed: run `ckan search-index
  rebuild` after this upgrade.

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
C = "datagovernance_search_facet_counts"
VISIBILITY = "site_id, state, capacity, entity_type, dataset_type, permission_labels"
FACETS = ("organization", "groups", "tags", "res_format", "license_id")
# the month facet (backend.MONTH_FACET): UTC month of metadata_modified
MONTH = "coalesce(to_char(r.metadata_modified AT TIME ZONE 'UTC', 'YYYY-MM'), '')"


def _values(rows: str, sign: str, month: bool) -> str:
    """(class, facet, value, ±1) of every counted value of `rows`."""
    per_facet = " UNION ALL ".join(f"SELECT '{f}', unnest(r.f_{f})" for f in FACETS)
    if month:
        per_facet += f" UNION ALL SELECT '_month', {MONTH}"
    return (
        f"SELECT {', '.join('r.' + c.strip() for c in VISIBILITY.split(','))}, x.facet, x.value, {sign} AS n "
        f"FROM {rows} AS r CROSS JOIN LATERAL (SELECT '', '' UNION ALL {per_facet}) AS x(facet, value)"
    )


def _apply(source: str) -> str:
    # as in 007: one statement, keys in a fixed order, unchanged values cancel
    return (
        f"INSERT INTO {C} ({VISIBILITY}, facet, value, n) "
        f"SELECT {VISIBILITY}, facet, value, sum(n) FROM ({source}) AS d "
        f"GROUP BY {VISIBILITY}, facet, value HAVING sum(n) <> 0 "
        f"ORDER BY {VISIBILITY}, facet, value "
        f"ON CONFLICT ({VISIBILITY}, facet, value) DO UPDATE SET n = {C}.n + EXCLUDED.n"
    )


def _count_delta(month: bool) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_count_delta() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_apply(_values("new_rows", "1", month))};
            ELSIF TG_OP = 'UPDATE' THEN
                {_apply(_values("new_rows", "1", month) + " UNION ALL " + _values("old_rows", "-1", month))};
            ELSE
                {_apply(_values("old_rows", "-1", month))};
            END IF;
            RETURN NULL;
        END
        $$
    """


PLAIN = ("index_id", "id", "site_id", "name", "state", "capacity", "entity_type", "dataset_type")
MAIN = ("title", "title_string")


def upgrade() -> None:
    op.execute(
        f"ALTER TABLE {T} "
        + ", ".join(
            [f"ALTER COLUMN {c} SET STORAGE PLAIN" for c in PLAIN]
            + [f"ALTER COLUMN {c} SET STORAGE MAIN" for c in MAIN]
        )
    )
    op.execute(f"DROP INDEX IF EXISTS {T}_labels_idx")
    op.execute(f"DROP INDEX IF EXISTS {F}_modified_desc_idx")
    op.execute(
        f"CREATE INDEX {F}_modified_desc_idx ON {F} (metadata_modified DESC NULLS LAST, index_id) "
        f"INCLUDE ({VISIBILITY})"
    )
    op.execute(_count_delta(month=True))
    # month rows (classes x months) may outnumber the facet rows: both
    # readers pick their facets through this index instead of scanning all
    op.execute(f"CREATE INDEX {C}_facet_idx ON {C} (facet, value)")
    op.execute(
        f"INSERT INTO {C} ({VISIBILITY}, facet, value, n) "
        f"SELECT {VISIBILITY}, '_month', {MONTH}, count(*) FROM {T} AS r "
        f"GROUP BY {VISIBILITY}, {MONTH}"
    )


def downgrade() -> None:
    op.execute(f"ALTER TABLE {T} " + ", ".join(f"ALTER COLUMN {c} SET STORAGE EXTENDED" for c in PLAIN + MAIN))
    op.execute(_count_delta(month=False))
    op.execute(f"DROP INDEX IF EXISTS {C}_facet_idx")
    op.execute(f"DELETE FROM {C} WHERE facet = '_month'")
    op.execute(f"DROP INDEX IF EXISTS {F}_modified_desc_idx")
    op.execute(f"CREATE INDEX {F}_modified_desc_idx ON {F} (metadata_modified DESC NULLS LAST, index_id)")
    op.execute(f"CREATE INDEX {T}_labels_idx ON {T} USING gin (permission_labels)")
