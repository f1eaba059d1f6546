"""A few keyword fields in the narrow filter table (`f_keywords`).

The header's task badge and the task list (workflow.policy.task_query) pick
the datasets in review, approved or back with their owner by keyword fields
(workflow_state, access_class, personal_data, dpo_review). Those lived only
in the wide index row's `fields` (~4 kB a row with document and vectors): on
a 2,048-dataset catalog with 759 review candidates the badge read 759 heap
pages of the index table on every logged-in page of a reviewer.

`f_keywords` holds the keys named by the setting
`ckanext.datagovernance.search.narrow_fields` (same shape as `fields`:
{key: [str, ...]}), filled by the backend when it builds an index row and
copied to the filter table by its trigger, with a GIN index there. The
backfill below uses the setting's default keys (workflow_state,
access_class, personal_data, dpo_review, domain, quality_band); a site that
configures another key set must run `ckan search-index rebuild` afterwards.
Run `VACUUM ANALYZE datagovernance_search_index, datagovernance_search_filter`
after upgrading a large index (the backfill writes a new version of every
row that holds one of the keys).

Revision ID: 011_e_narrow_keywords
Revises: 010_d3_org_covering_index
Create Date: 2026-11-30
"""
from __future__ import annotations

from alembic import op

revision = "011_e_narrow_keywords"
down_revision = "010_d3_org_covering_index"
branch_labels = None
depends_on = None

T = "datagovernance_search_index"
F = "datagovernance_search_filter"
FACETS = ("organization", "groups", "tags", "res_format", "license_id")
# the default of ckanext.datagovernance.search.narrow_fields (a migration
# runs without the site's settings)
DEFAULT_KEYS = ("workflow_state", "access_class", "personal_data", "dpo_review", "domain", "quality_band")
COLUMNS_010 = (
    "index_id", "id", "site_id", "state", "capacity", "entity_type", "dataset_type", "permission_labels",
    *(f"f_{f}" for f in FACETS),
    "name", "title", "title_string", "title_tsv", "metadata_modified", "metadata_created",
)


def _filter_sync(columns: tuple[str, ...]) -> str:
    """010's trigger function over `columns`: an unchanged row is not
    rewritten, so `f_keywords` must be one of the compared columns (a
    transition changes nothing else the filter table holds)."""
    cols = ", ".join(columns)
    update = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "index_id")
    where = (
        f"({', '.join(f'{F}.{c}' for c in columns)}) "
        f"IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in columns)})"
    )
    return f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_filter_sync() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM {F} WHERE index_id IN (SELECT index_id FROM old_rows);
            ELSE
                INSERT INTO {F} ({cols}) SELECT {cols} FROM new_rows ORDER BY index_id
                ON CONFLICT (index_id) DO UPDATE SET {update} WHERE {where};
            END IF;
            RETURN NULL;
        END
        $$
    """


def upgrade() -> None:
    for table in (T, F):
        # a constant default: no table rewrite here
        op.execute(f"ALTER TABLE {table} ADD COLUMN f_keywords jsonb NOT NULL DEFAULT '{{}}'")
    keys = "ARRAY[" + ", ".join(f"'{k}'" for k in DEFAULT_KEYS) + "]"
    # the backfill changes nothing the other triggers read (kept counts,
    # words): they stay off for it; the filter rows are copied below
    op.execute(f"ALTER TABLE {T} DISABLE TRIGGER USER")
    op.execute(
        f"UPDATE {T} SET f_keywords = (SELECT jsonb_object_agg(key, value) FROM jsonb_each(fields) "
        f"WHERE key = ANY({keys})) WHERE fields ?| {keys}"
    )
    op.execute(f"ALTER TABLE {T} ENABLE TRIGGER USER")
    op.execute(
        f"UPDATE {F} AS f SET f_keywords = t.f_keywords FROM {T} AS t "
        f"WHERE t.index_id = f.index_id AND t.f_keywords <> '{{}}'"
    )
    op.execute(_filter_sync((*COLUMNS_010, "f_keywords")))
    op.execute(f"CREATE INDEX {F}_f_keywords_idx ON {F} USING gin (f_keywords jsonb_path_ops)")
    op.execute(f"ANALYZE {F}")


def downgrade() -> None:
    op.execute(_filter_sync(COLUMNS_010))
    op.execute(f"DROP INDEX IF EXISTS {F}_f_keywords_idx")
    for table in (F, T):
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS f_keywords")
