"""Internal values get a text vector of their own.

Free text of anonymous users matches `tsv` only, so a value of an internal
field (source system, storage location, ...) must not be in it. The index
document names its internal keys (``datagovernance_internal_fields``); their
text goes to `tsv_internal`, which only logged-in users' free text searches
(``text_with_internal``: `tsv @@ q OR tsv_internal @@ q`, two GIN indexes).
The column is small (a few short values) and stays in the row (MAIN).

Existing rows still carry internal text in `tsv` until they are re-indexed:
run ``ckan search-index rebuild`` after this upgrade.

Revision ID: 005_internal_text
Revises: 004_storage_layout
Create Date: 2026-11-29
"""
from __future__ import annotations

import logging

from alembic import op

revision = "005_internal_text"
down_revision = "004_storage_layout"
branch_labels = None
depends_on = None

T = "datagovernance_search_index"
log = logging.getLogger(__name__)


def upgrade() -> None:
    op.execute(f"ALTER TABLE {T} ADD COLUMN tsv_internal tsvector NOT NULL DEFAULT ''::tsvector")
    op.execute(f"ALTER TABLE {T} ALTER COLUMN tsv_internal SET STORAGE MAIN")
    op.execute(f"CREATE INDEX {T}_tsv_internal_idx ON {T} USING gin (tsv_internal)")
    log.warning("search index: run `ckan search-index rebuild` to move internal values out of the public text")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {T}_tsv_internal_idx")
    op.execute(f"ALTER TABLE {T} DROP COLUMN tsv_internal")
