"""Search index table: CKAN's search documents stored in PostgreSQL.

Revision ID: 001_search_index
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

from alembic import op

revision = "001_search_index"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # pg_trgm is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        """
        CREATE TABLE datagovernance_search_index (
            index_id          text PRIMARY KEY,
            id                text NOT NULL,
            site_id           text NOT NULL,
            name              text,
            title             text,
            title_string      text,
            metadata_modified timestamptz,
            metadata_created  timestamptz,
            -- every indexed field as an array of strings: filters and facets
            fields            jsonb NOT NULL,
            -- the stored document, returned for `fl`
            doc               jsonb NOT NULL,
            -- weighted free text: A name/title, B tags/groups, C notes, D rest
            tsv               tsvector NOT NULL,
            title_tsv         tsvector NOT NULL,
            indexed_at        timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX datagovernance_search_index_site_id_idx ON datagovernance_search_index (site_id, id)")
    op.execute("CREATE INDEX datagovernance_search_index_name_idx ON datagovernance_search_index (name)")
    op.execute(
        "CREATE INDEX datagovernance_search_index_fields_idx ON datagovernance_search_index "
        "USING gin (fields jsonb_path_ops)"
    )
    op.execute("CREATE INDEX datagovernance_search_index_tsv_idx ON datagovernance_search_index USING gin (tsv)")
    op.execute(
        "CREATE INDEX datagovernance_search_index_title_tsv_idx ON datagovernance_search_index USING gin (title_tsv)"
    )
    op.execute(
        "CREATE INDEX datagovernance_search_index_modified_idx ON datagovernance_search_index (metadata_modified)"
    )
    op.execute(
        "CREATE INDEX datagovernance_search_index_title_string_idx ON datagovernance_search_index (title_string)"
    )
    op.execute(
        "CREATE INDEX datagovernance_search_index_name_trgm_idx ON datagovernance_search_index "
        "USING gin (name gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX datagovernance_search_index_title_trgm_idx ON datagovernance_search_index "
        "USING gin (title gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS datagovernance_search_index")
