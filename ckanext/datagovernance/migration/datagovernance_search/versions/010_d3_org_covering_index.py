"""`fq` on an organisation and one facet value counts without heap visits.

An organisation filter (the organisation page, `fq=organization:x` with or
without a format, tag, group or licence) counted its matches through the GIN
indexes and then visited one heap page per match for the visibility and the
other facet columns: 27.6k rows of one office touched ~8k of the filter
table's pages (13.7k matches with a format), ~90 ms under load.

* Kept counts per organisation (facets `_org:` and `_org:<facet>`, value the
  JSON text `[<facet value>, <organisation or null>]`, '' as the value of the
  `_org:` total): a search that filters on visibility and organisation only
  (the organisation page) sums them like the match-all counts of migration
  007; one that also requires one value of one other facet (`+res_format:CSV`)
  counts that value's rows. The organisation is single-valued, so a row's
  condition on it is evaluated exactly, as the month of migration 009.
* CKAN's Solr schema declares `organization` single-valued (Solr rejects a
  document with two), so `organization:x` is the array equality
  `f_organization = ARRAY[x]` (CHECK constraint below; the backend raises
  SearchIndexError for a document with two, as Solr does), and a btree on
  it carries every other column such a search reads: any other
  organisation filter (two facet values, a date range) and the date-sorted
  page are index-only scans of the organisation's entries once autovacuum
  has set the visibility map.

* A re-index that changes nothing the filter table or the counts hold (most
  of `search-index rebuild`) rewrites no filter row and computes no count
  delta: the index-side cost of 2,000 unchanged re-indexes fell from 0.71 s
  (009) to 0.45 s, with the organisation counts and index included.

After upgrading: `VACUUM ANALYZE datagovernance_search_filter` (or wait for
autovacuum): until the visibility map is set, the scan still visits the heap.

Revision ID: 010_d3_org_covering_index
Revises: 009_d2_count_without_heap
Create Date: 2026-11-30
"""
from __future__ import annotations

from alembic import op

revision = "010_d3_org_covering_index"
down_revision = "009_d2_count_without_heap"
branch_labels = None
depends_on = None

T = "datagovernance_search_index"
F = "datagovernance_search_filter"
C = "datagovernance_search_facet_counts"
VISIBILITY = "site_id, state, capacity, entity_type, dataset_type, permission_labels"
FACETS = ("organization", "groups", "tags", "res_format", "license_id")
# visibility first, tags (the widest) last: a filter on an INCLUDE column
# deforms every column before it (12 instead of 23 ms for 27k entries)
INCLUDE = f"{VISIBILITY}, f_res_format, f_license_id, f_groups, f_tags"
MONTH = "coalesce(to_char(r.metadata_modified AT TIME ZONE 'UTC', 'YYYY-MM'), '')"
# the organisation-scoped value (backend.ORG_SCOPE): facet value first, so a
# search for one value reads the rows that start with it
ORG_VALUE = "CAST(jsonb_build_array({v}, r.f_organization[1]) AS text)"


# what the kept counts read of a row (the month comes from metadata_modified)
COUNTED = (*(c.strip() for c in VISIBILITY.split(",")), *(f"f_{f}" for f in FACETS), "metadata_modified")
FILTER_COLUMNS = (
    "index_id", "id", "site_id", "state", "capacity", "entity_type", "dataset_type", "permission_labels",
    *(f"f_{f}" for f in FACETS),
    "name", "title", "title_string", "title_tsv", "metadata_modified", "metadata_created",
)


def _changed(rows: str, other: str) -> str:
    """The rows of one transition table that the other does not hold with
    the same counted values: a re-index that changes nothing counted (most
    of `search-index rebuild`) adds and subtracts nothing."""
    same = " AND ".join(f"o.{c} IS NOT DISTINCT FROM r.{c}" for c in COUNTED)
    return f"(SELECT * FROM {rows} AS r WHERE NOT EXISTS (SELECT 1 FROM {other} AS o WHERE o.index_id = r.index_id AND {same}))"


def _filter_sync(skip_unchanged: bool) -> str:
    cols = ", ".join(FILTER_COLUMNS)
    update = ", ".join(f"{c} = EXCLUDED.{c}" for c in FILTER_COLUMNS if c != "index_id")
    # an unchanged row is not rewritten: no new row version, no index entries
    # in the filter table's 13 indexes
    where = (
        f" WHERE ({', '.join(f'{F}.{c}' for c in FILTER_COLUMNS)}) "
        f"IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in FILTER_COLUMNS)})"
    ) if skip_unchanged else ""
    return f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_filter_sync() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM {F} WHERE index_id IN (SELECT index_id FROM old_rows);
            ELSE
                INSERT INTO {F} ({cols}) SELECT {cols} FROM new_rows ORDER BY index_id
                ON CONFLICT (index_id) DO UPDATE SET {update}{where};
            END IF;
            RETURN NULL;
        END
        $$
    """


def _values(rows: str, sign: str, org_scope: bool) -> str:
    """(class, facet, value, ±1) of every counted value of `rows` (as 009,
    plus the organisation-scoped rows)."""
    per_facet = " UNION ALL ".join(f"SELECT '{f}', unnest(r.f_{f})" for f in FACETS)
    per_facet += f" UNION ALL SELECT '_month', {MONTH}"
    if org_scope:
        per_facet += f" UNION ALL SELECT '_org:', {ORG_VALUE.format(v=repr(''))}"
        per_facet += "".join(
            f" UNION ALL SELECT '_org:{f}', {ORG_VALUE.format(v='v')} FROM unnest(r.f_{f}) AS v" for f in FACETS
        )
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


def _count_delta(org_scope: bool) -> str:
    # 009's function when downgrading; 010's skips unchanged rows
    new, old = ("new_rows", "old_rows") if not org_scope else (
        _changed("new_rows", "old_rows"), _changed("old_rows", "new_rows"))
    return f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_count_delta() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_apply(_values("new_rows", "1", org_scope))};
            ELSIF TG_OP = 'UPDATE' THEN
                {_apply(_values(new, "1", org_scope) + " UNION ALL " + _values(old, "-1", org_scope))};
            ELSE
                {_apply(_values("old_rows", "-1", org_scope))};
            END IF;
            RETURN NULL;
        END
        $$
    """


def upgrade() -> None:
    op.execute(
        f"ALTER TABLE {T} ADD CONSTRAINT {T}_one_organization CHECK (cardinality(f_organization) <= 1)"
    )
    op.execute(
        f"CREATE INDEX {F}_org_modified_idx ON {F} "
        f"(f_organization, metadata_modified DESC NULLS LAST, index_id) INCLUDE ({INCLUDE})"
    )
    op.execute(_count_delta(org_scope=True))
    op.execute(_filter_sync(skip_unchanged=True))
    scoped = " UNION ALL ".join(
        [f"SELECT {VISIBILITY}, '_org:' AS facet, {ORG_VALUE.format(v=repr(''))} AS value FROM {T} AS r"]
        + [f"SELECT {VISIBILITY}, '_org:{f}', {ORG_VALUE.format(v='v')} FROM {T} AS r, unnest(r.f_{f}) AS v"
           for f in FACETS]
    )
    op.execute(
        f"INSERT INTO {C} ({VISIBILITY}, facet, value, n) "
        f"SELECT {VISIBILITY}, facet, value, count(*) FROM ({scoped}) AS s GROUP BY {VISIBILITY}, facet, value"
    )
    op.execute(f"ANALYZE {F}")
    op.execute(f"ANALYZE {C}")


def downgrade() -> None:
    op.execute(_count_delta(org_scope=False))
    op.execute(_filter_sync(skip_unchanged=True))
    op.execute(f"DELETE FROM {C} WHERE left(facet, 5) = '_org:'")
    op.execute(f"DROP INDEX IF EXISTS {F}_org_modified_idx")
    op.execute(f"ALTER TABLE {T} DROP CONSTRAINT IF EXISTS {T}_one_organization")
