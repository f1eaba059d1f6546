"""Text vectors that keep phrases inside one value, and German compounds.

``datagovernance_search_vector(cfg, text)`` builds the vector of one field:
values are joined with a marker word that is deleted afterwards, so it leaves
a gap of one position between values, between fields and between the stemmed
and the exact half (a phrase matches only adjacent words of one value, as
Solr's position increment gap does).

Compounds: ``datagovernance_search_words`` holds every distinct word of the
text vectors (kept by a statement trigger on the index; words are never
removed, a stale word just matches nothing). ``datagovernance_search_compounds
(cfg, word)`` looks up the words that start or end with the query word's stem
(two btree indexes: the word, and the word reversed) and returns them as one
OR tsquery of exact words, so the search itself stays an exact GIN look-up
(a ``stem:*`` prefix query over the whole index costs 50x more).

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

T = "datagovernance_search_index"
W = "datagovernance_search_words"
# the marker must survive both configurations unchanged (no stem, no stop word)
GAP = "qqjqq"
# words shorter than this are no compounds; query stems shorter find none
MIN_PART = 4
# at most this many compounds per query word (the most common first would
# need counts; alphabetical keeps it deterministic)
MAX_EXPANSION = 200


def upgrade() -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_vector(cfg regconfig, body text)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT ts_delete(
                to_tsvector(cfg, '{GAP} ' || body) || to_tsvector('simple', '{GAP} ' || body),
                '{{{GAP}}}'::text[])
        $$
        """
    )
    # byte order ("C"): a prefix is a range, usable with run-time values
    op.execute(f'CREATE TABLE {W} (word text COLLATE "C" PRIMARY KEY)')
    op.execute(f"CREATE INDEX {W}_suffix_idx ON {W} (reverse(word))")
    words = (
        "SELECT DISTINCT w FROM {rows} AS r, "
        "unnest(tsvector_to_array(r.tsv) || tsvector_to_array(r.tsv_internal)) AS w "
        # letters only: compounds, not hyphenated names or numbers
        f"WHERE length(w) >= {MIN_PART} AND w ~ '^[[:alpha:]]+$'"
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_words_sync() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- sorted: concurrent writers insert new words in the same order
            INSERT INTO {W} (word) {words.format(rows="new_rows")} ORDER BY 1 ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$
        """
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER {W}_{event.lower()} AFTER {event} ON {T} REFERENCING NEW TABLE AS new_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION datagovernance_search_words_sync()"
        )
    op.execute(f"INSERT INTO {W} (word) {words.format(rows=T)}")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION datagovernance_search_compounds(cfg regconfig, word text)
        RETURNS tsquery LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT coalesce(
                (SELECT CAST(string_agg('''' || c.word || '''', ' | ') AS tsquery) FROM (
                    (SELECT w.word FROM {W} AS w WHERE w.word >= s.stem AND w.word <= s.stem || chr(1114111)
                     ORDER BY 1 LIMIT {MAX_EXPANSION})
                    UNION
                    (SELECT w.word FROM {W} AS w
                     WHERE reverse(w.word) >= reverse(s.stem) AND reverse(w.word) <= reverse(s.stem) || chr(1114111)
                     ORDER BY reverse(w.word) LIMIT {MAX_EXPANSION})
                 ) AS c WHERE length(s.stem) >= {MIN_PART}),
                to_tsquery(cfg, quote_literal(word)))
            FROM (SELECT coalesce((tsvector_to_array(to_tsvector(cfg, word)))[1], '') COLLATE "C" AS stem) AS s
        $$
        """
    )
    log.warning("search index: run `ckan search-index rebuild` for phrase gaps and compound words")


def downgrade() -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {W}_{event} ON {T}")
    op.execute("DROP FUNCTION IF EXISTS datagovernance_search_words_sync()")
    op.execute(f"DROP TABLE IF EXISTS {W}")
    op.execute("DROP FUNCTION IF EXISTS datagovernance_search_vector(regconfig, text)")
    op.execute("DROP FUNCTION IF EXISTS datagovernance_search_compounds(regconfig, text)")
