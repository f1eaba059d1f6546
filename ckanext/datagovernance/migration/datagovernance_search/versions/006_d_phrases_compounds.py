"""Text vectors that keep phrases inside one value, and German compounds.

``datagovernance_search_vector(cfg, text)`` builds the vector of one field:
values are joined with a marker word that is deleted afterwards, so it leaves
a gap of one position between values, between fields and between the stemmed
and the exact half (a phrase matches only adjacent words of one value, as
Solr's position increment gap does). It also stores each long stemmed word
reversed, prefixed with ``~`` and without position, so a query word finds the
compounds that end with it (``Baum`` -> ``Straßenbäume``: ``'~muab':*``);
compounds that start with it are a prefix query on the normal words.
``datagovernance_search_compounds(cfg, word)`` is that query for one word.

Existing rows keep their old vectors until re-indexed: run
``ckan search-index rebuild`` after this upgrade.

Revision ID: 006_d_phrases_compounds
Revises: 005_internal_text
Create Date: 2026-11-29
"""
from __future__ import annotations

import logging

from alembic import op

revision = "006_d_phrases_compounds"
down_revision = "005_internal_text"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

# the marker must survive both configurations unchanged (no stem, no stop word)
GAP = "qqjqq"
# stemmed words at least this long are stored reversed (shorter ones are no compounds)
MIN_COMPOUND = 6
# query words whose stem is at least this long find compounds
MIN_PART = 4


def upgrade() -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_vector(cfg regconfig, body text)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT ts_delete(s || to_tsvector('simple', '{GAP} ' || body), '{{{GAP}}}'::text[])
                || array_to_tsvector(ARRAY(
                    SELECT '~' || reverse(w) FROM unnest(tsvector_to_array(s)) AS w
                    WHERE length(w) >= {MIN_COMPOUND} AND w <> '{GAP}'))
            FROM (SELECT to_tsvector(cfg, '{GAP} ' || body) AS s) AS stemmed
        $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_compounds(cfg regconfig, word text)
        RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN length(stem) >= {MIN_PART}
                THEN CAST(format('%L:*', stem) AS tsquery)
                     || CAST(format('%L:*', '~' || reverse(stem)) AS tsquery)
                ELSE to_tsquery(cfg, quote_literal(word)) END
            FROM (SELECT coalesce((tsvector_to_array(to_tsvector(cfg, word)))[1], '') AS stem) AS s
        $$
        """
    )
    log.warning("search index: run `ckan search-index rebuild` for phrase gaps and compound words")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS datagovernance_search_vector(regconfig, text)")
    op.execute("DROP FUNCTION IF EXISTS datagovernance_search_compounds(regconfig, text)")
