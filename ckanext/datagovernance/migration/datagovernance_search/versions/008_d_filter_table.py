"""A narrow copy of the index rows for searches without free text.

An index row is ~4 kB (document, text vectors, fields). Searches that filter
only on names, titles, facet values, dates and visibility (autocomplete, `fq`
pages, the DCAT `modified_since` feed) count and page thousands of matches,
and each match visited a wide row. This table holds just those columns (a few
hundred bytes a row); such a search counts, facets and picks its page here
and reads only the page's documents from the index table. Statement triggers
on the index table keep it in step in the writing transaction.
TRUNCATE fires no row triggers: truncate both tables together.

Revision ID: 008_d_filter_table
Revises: 007_d_facet_counts
Create Date: 2026-11-29
"""
from __future__ import annotations

from alembic import op

revision = "008_d_filter_table"
down_revision = "007_d_facet_counts"
branch_labels = None
depends_on = None

T = "datagovernance_search_index"
F = "datagovernance_search_filter"
FACETS = ("organization", "groups", "tags", "res_format", "license_id")
COLUMNS = (
    "index_id", "id", "site_id", "state", "capacity", "entity_type", "dataset_type", "permission_labels",
    *(f"f_{f}" for f in FACETS),
    "name", "title", "title_string", "title_tsv", "metadata_modified", "metadata_created",
)


def _upsert(rows: str) -> str:
    cols = ", ".join(COLUMNS)
    update = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c != "index_id")
    return (
        f"INSERT INTO {F} ({cols}) SELECT {cols} FROM {rows} ORDER BY index_id "
        f"ON CONFLICT (index_id) DO UPDATE SET {update}"
    )


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE {F} (
            index_id text PRIMARY KEY,
            id text NOT NULL,
            site_id text NOT NULL,
            state text,
            capacity text,
            entity_type text,
            dataset_type text,
            permission_labels text[] NOT NULL,
            {" ".join(f"f_{f} text[] NOT NULL," for f in FACETS)}
            name text,
            title text,
            title_string text,
            title_tsv tsvector NOT NULL,
            metadata_modified timestamptz,
            metadata_created timestamptz
        )
        """
    )
    op.execute(_upsert(T))
    op.execute(f"CREATE INDEX {F}_site_id_idx ON {F} (site_id, id)")
    op.execute(f"CREATE INDEX {F}_name_idx ON {F} (name)")
    for f in FACETS:
        op.execute(f"CREATE INDEX {F}_f_{f}_idx ON {F} USING gin (f_{f})")
    op.execute(f"CREATE INDEX {F}_name_trgm_idx ON {F} USING gin (name gin_trgm_ops)")
    op.execute(f"CREATE INDEX {F}_title_trgm_idx ON {F} USING gin (title gin_trgm_ops)")
    op.execute(f"CREATE INDEX {F}_title_tsv_idx ON {F} USING gin (title_tsv)")
    op.execute(f"CREATE INDEX {F}_modified_desc_idx ON {F} (metadata_modified DESC NULLS LAST, index_id)")
    op.execute(f"CREATE INDEX {F}_title_string_id_idx ON {F} (title_string, index_id)")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_filter_sync() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM {F} WHERE index_id IN (SELECT index_id FROM old_rows);
            ELSE
                {_upsert("new_rows")};
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {F}_insert AFTER INSERT ON {T} REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION datagovernance_search_filter_sync()"
    )
    op.execute(
        f"CREATE TRIGGER {F}_update AFTER UPDATE ON {T} REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION datagovernance_search_filter_sync()"
    )
    op.execute(
        f"CREATE TRIGGER {F}_delete AFTER DELETE ON {T} REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION datagovernance_search_filter_sync()"
    )


def downgrade() -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {F}_{event} ON {T}")
    op.execute("DROP FUNCTION IF EXISTS datagovernance_search_filter_sync()")
    op.execute(f"DROP TABLE IF EXISTS {F}")
