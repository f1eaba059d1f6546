"""Facet counts maintained on write, per visibility class.

Counting CKAN's default facets over a whole catalog (the landing and /dataset
pages: match-all, filtered only by CKAN's site/state/capacity/type and
permission-label filters) aggregates about ten values per dataset: ~300 ms at
100k. This table holds, per visibility class (site_id, state, capacity,
entity_type, dataset_type, permission_labels: every dataset is in exactly one)
and facet value, the number of datasets; facet '' counts the datasets of the
class. Statement triggers on the index table keep it exact in the writing
transaction, so a reader sees counts and index rows from the same snapshot.
A match-all search sums the rows of the classes its filters admit - the same
SQL condition, evaluated on these columns - so counts respect permission
labels exactly (a hidden dataset never changes an anonymous count).
TRUNCATE fires no row triggers: truncate both tables together. The key index
uses NULLS NOT DISTINCT (PostgreSQL 15+, as the README requires).

Revision ID: 007_d_facet_counts
Revises: 006_d_phrases_compounds
Create Date: 2026-11-29
"""
from __future__ import annotations

from alembic import op

revision = "007_d_facet_counts"
down_revision = "006_d_phrases_compounds"
branch_labels = None
depends_on = None

T = "datagovernance_search_index"
C = "datagovernance_search_facet_counts"
CLASS = "site_id, state, capacity, entity_type, dataset_type, permission_labels"
FACETS = ("organization", "groups", "tags", "res_format", "license_id")


def _values(rows: str, sign: str) -> str:
    """(class, facet, value, ±1) of every counted value of `rows`."""
    per_facet = " UNION ALL ".join(f"SELECT '{f}', unnest(r.f_{f})" for f in FACETS)
    return (
        f"SELECT {', '.join('r.' + c.strip() for c in CLASS.split(','))}, x.facet, x.value, {sign} AS n "
        f"FROM {rows} AS r CROSS JOIN LATERAL (SELECT '', '' UNION ALL {per_facet}) AS x(facet, value)"
    )


def _apply(source: str) -> str:
    # one statement, keys in a fixed order (concurrent writers lock count rows
    # in the same order); unchanged values cancel out and write nothing
    return (
        f"INSERT INTO {C} ({CLASS}, facet, value, n) "
        f"SELECT {CLASS}, facet, value, sum(n) FROM ({source}) AS d "
        f"GROUP BY {CLASS}, facet, value HAVING sum(n) <> 0 "
        f"ORDER BY {CLASS}, facet, value "
        f"ON CONFLICT ({CLASS}, facet, value) DO UPDATE SET n = {C}.n + EXCLUDED.n"
    )


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE {C} (
            site_id text NOT NULL,
            state text,
            capacity text,
            entity_type text,
            dataset_type text,
            permission_labels text[] NOT NULL,
            facet text NOT NULL,
            value text NOT NULL,
            n bigint NOT NULL
        ) WITH (fillfactor = 50)
        """
    )
    op.execute(
        f"CREATE UNIQUE INDEX {C}_key_idx ON {C} ({CLASS}, facet, value) NULLS NOT DISTINCT"
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_count_delta() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_apply(_values("new_rows", "1"))};
            ELSIF TG_OP = 'UPDATE' THEN
                {_apply(_values("new_rows", "1") + " UNION ALL " + _values("old_rows", "-1"))};
            ELSE
                {_apply(_values("old_rows", "-1"))};
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {C}_insert AFTER INSERT ON {T} REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION datagovernance_search_count_delta()"
    )
    op.execute(
        f"CREATE TRIGGER {C}_update AFTER UPDATE ON {T} REFERENCING OLD TABLE AS old_rows "
        "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION datagovernance_search_count_delta()"
    )
    op.execute(
        f"CREATE TRIGGER {C}_delete AFTER DELETE ON {T} REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION datagovernance_search_count_delta()"
    )
    op.execute(_apply(_values(T, "1")).split(" ON CONFLICT")[0])


def downgrade() -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {C}_{event} ON {T}")
    op.execute("DROP FUNCTION IF EXISTS datagovernance_search_count_delta()")
    op.execute(f"DROP TABLE IF EXISTS {C}")
