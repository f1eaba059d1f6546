"""KPI rollup: the dashboard reads pre-aggregated counts, kept exact on write.

At 100k datasets one pass over ``package`` (jsonb extraction, joins with the
roles, scores and workflow history) took 0.35-1.7 s per query under load; the
dashboard must answer in <= 300 ms. So:

- ``datagovernance_kpi_fact``: one narrow row per active dataset with what
  the KPIs read (classes, owner yes/no, newest score, lead time, review date).
  Defined once, in the function ``datagovernance_kpi_fact_source``; kept current by
  triggers on ``package``, ``datagovernance_role``, ``"user"``,
  ``datagovernance_quality_current`` and ``datagovernance_workflow_event`` in
  the writing transaction, so no write path (actions, imports, SQL, harvest)
  can miss it.
- ``datagovernance_kpi_cell``: counts per combination of the classes. A fact
  change appends a -1 row for the old and a +1 row for the new combination
  (insert-only: concurrent writers never wait on a shared counter row); the
  dashboard sums them, a few hundred rows. ``datagovernance_kpi_compact(day)``
  (the daily snapshot job) recounts them from the fact table.
- "Overdue" depends on the day: the cells count it against the day of the
  last compaction (``datagovernance_kpi_state``); the dashboard corrects by
  the few review dates between that day and today (an index range).
  The median lead time is read from the fact table through a partial index.

Revision ID: 007_f_kpi_rollup
Revises: 006_feedback
Create Date: 2026-11-29
"""
from __future__ import annotations

from alembic import op

revision = "007_f_kpi_rollup"
down_revision = "006_feedback"
branch_labels = None
depends_on = None

# the combination the counts are kept per (NULLs are values here)
CELL_KEYS = ("owner_org", "domain", "access_class", "personal_data", "workflow_state", "hvd",
             "hvd_compliant", "has_owner", "band")
_KEYS = ", ".join(CELL_KEYS)


def _row(prefix: str) -> str:
    return ", ".join(f"{prefix}.{k}" for k in CELL_KEYS)


def _overdue(row: str, day: str) -> str:
    """Re-evaluation due before `day` (ISO text, like the stored date)."""
    return f"({row}.review_date IS NOT NULL AND {row}.workflow_state <> 'archived' AND {row}.review_date < {day})"


# What one dataset contributes: the one definition (the former per-query
# extraction of compute.py). A function, not a view: CKAN's `db clean` drops
# the tables it reflects and a view on them would block that.
_SOURCE_SELECT = r"""
SELECT p.id, p.owner_org,
       p.extras->>'domain',
       coalesce(nullif(p.extras->>'access_class', ''), 'internal'),
       coalesce(nullif(p.extras->>'personal_data', ''), 'none'),
       coalesce(nullif(p.extras->>'workflow_state', ''), 'draft'),
       coalesce(p.extras->>'hvd_category', '') NOT IN ('', '[]'),
       q.hvd_compliant,
       EXISTS (SELECT 1 FROM datagovernance_role r JOIN "user" u ON u.id = r.user_id
               WHERE r.scope_type = 'dataset' AND r.scope_id = p.id AND r.role = 'owner'
                 AND NOT r.deputy AND u.state = 'active'),
       q.band, q.score,
       CASE WHEN p.extras->>'reevaluation_date' ~ '^\d{4}-\d{2}-\d{2}'
            THEN left(p.extras->>'reevaluation_date', 10) END,
       (extract(epoch FROM ((SELECT min(e.created) FROM datagovernance_workflow_event e
                             WHERE e.package_id = p.id AND e.to_state = 'published') AT TIME ZONE 'UTC')
                           - p.metadata_created) / 86400.0)::double precision
FROM package p LEFT JOIN datagovernance_quality_current q ON q.package_id = p.id
WHERE p.state = 'active' AND p.type <> 'harvest'
"""

FACT_SOURCE = f"""
CREATE OR REPLACE FUNCTION datagovernance_kpi_fact_source(pids text[] DEFAULT NULL)
RETURNS TABLE (package_id text, owner_org text, domain text, access_class text, personal_data text,
               workflow_state text, hvd boolean, hvd_compliant boolean, has_owner boolean, band text,
               score integer, review_date text, lead_days double precision)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF pids IS NULL THEN  -- every dataset
        RETURN QUERY {_SOURCE_SELECT};
    ELSE
        RETURN QUERY {_SOURCE_SELECT} AND p.id = ANY(pids);
    END IF;
END $$;
"""

FACT_COLS = (_KEYS + ", score, review_date, lead_days")

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION datagovernance_kpi_fact_refresh(pids text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF pids IS NULL OR cardinality(pids) = 0 THEN
        RETURN;
    END IF;
    -- serialise with other writers of these datasets: each statement below
    -- then sees what they committed (no lost update of the fact row)
    PERFORM 1 FROM package WHERE id = ANY(pids) ORDER BY id FOR NO KEY UPDATE;
    INSERT INTO datagovernance_kpi_fact (package_id, {FACT_COLS})
    SELECT package_id, {FACT_COLS} FROM datagovernance_kpi_fact_source(pids)
    ON CONFLICT (package_id) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in FACT_COLS.split(", "))}
    WHERE ({_row("datagovernance_kpi_fact")}, datagovernance_kpi_fact.score,
           datagovernance_kpi_fact.review_date, datagovernance_kpi_fact.lead_days)
          IS DISTINCT FROM ({_row("EXCLUDED")}, EXCLUDED.score, EXCLUDED.review_date, EXCLUDED.lead_days);
    -- no longer counted (deleted, purged, a harvest source): the source's WHERE
    DELETE FROM datagovernance_kpi_fact f WHERE f.package_id = ANY(pids)
        AND NOT EXISTS (SELECT 1 FROM package p WHERE p.id = f.package_id
                        AND p.state = 'active' AND p.type <> 'harvest');
END $$;

CREATE OR REPLACE FUNCTION datagovernance_kpi_fact_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ref text;
BEGIN
    IF current_setting('datagovernance.kpi_bulk', true) = 'on' THEN
        RETURN NULL;  -- datagovernance_kpi_rebuild() counts in one pass
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF ({_row("OLD")}, OLD.score, OLD.review_date) IS NOT DISTINCT FROM
           ({_row("NEW")}, NEW.score, NEW.review_date) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- the day "overdue" is counted against; a compaction moving it waits for
    -- this transaction, and this one for a compaction under way
    SELECT ref_day INTO ref FROM datagovernance_kpi_state FOR SHARE;
    ref := coalesce(ref, '');  -- no row (tables emptied): nothing counted overdue yet
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO datagovernance_kpi_cell ({_KEYS}, overdue, n, score_sum, score_n)
        VALUES ({_row("OLD")}, {_overdue("OLD", "ref")},
                -1, -coalesce(OLD.score, 0), CASE WHEN OLD.score IS NULL THEN 0 ELSE -1 END);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO datagovernance_kpi_cell ({_KEYS}, overdue, n, score_sum, score_n)
        VALUES ({_row("NEW")}, {_overdue("NEW", "ref")},
                1, coalesce(NEW.score, 0), CASE WHEN NEW.score IS NULL THEN 0 ELSE 1 END);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION datagovernance_kpi_compact(day text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    kept integer;
BEGIN
    -- waits for writers in flight, new writers wait for this (fact_count)
    INSERT INTO datagovernance_kpi_state (id, ref_day) VALUES (1, day)
    ON CONFLICT (id) DO UPDATE SET ref_day = EXCLUDED.ref_day;
    DELETE FROM datagovernance_kpi_cell;
    INSERT INTO datagovernance_kpi_cell ({_KEYS}, overdue, n, score_sum, score_n)
    SELECT {_KEYS}, {_overdue("f", "day")}, count(*), coalesce(sum(score), 0), count(score)
    FROM datagovernance_kpi_fact f GROUP BY {_KEYS}, 10;
    GET DIAGNOSTICS kept = ROW_COUNT;
    RETURN kept;
END $$;

CREATE OR REPLACE FUNCTION datagovernance_kpi_rebuild(day text) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    -- the fact table first: writers take it before the state row
    LOCK TABLE datagovernance_kpi_fact IN EXCLUSIVE MODE;
    PERFORM set_config('datagovernance.kpi_bulk', 'on', true);
    DELETE FROM datagovernance_kpi_fact;
    INSERT INTO datagovernance_kpi_fact (package_id, {FACT_COLS})
    SELECT package_id, {FACT_COLS} FROM datagovernance_kpi_fact_source();
    PERFORM set_config('datagovernance.kpi_bulk', 'off', true);
    RETURN datagovernance_kpi_compact(day);
END $$;

CREATE OR REPLACE FUNCTION datagovernance_kpi_on_package() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('datagovernance.kpi_bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM datagovernance_kpi_fact_refresh(ARRAY[CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END]);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION datagovernance_kpi_on_role() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids text[] := ARRAY[]::text[];
BEGIN
    IF current_setting('datagovernance.kpi_bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF OLD.role = 'owner' AND OLD.scope_type = 'dataset' THEN
            ids := ids || OLD.scope_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.role = 'owner' AND NEW.scope_type = 'dataset' THEN
            ids := ids || NEW.scope_id;
        END IF;
    END IF;
    PERFORM datagovernance_kpi_fact_refresh(ids);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION datagovernance_kpi_on_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('datagovernance.kpi_bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.state IS NOT DISTINCT FROM NEW.state THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM datagovernance_kpi_fact_refresh(ARRAY(
        SELECT DISTINCT scope_id FROM datagovernance_role
        WHERE user_id = OLD.id AND role = 'owner' AND scope_type = 'dataset'));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION datagovernance_kpi_on_package_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids text[] := ARRAY[]::text[];
BEGIN
    IF current_setting('datagovernance.kpi_bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        ids := ARRAY[NEW.package_id];
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY[OLD.package_id];
    ELSE
        ids := ARRAY[OLD.package_id, NEW.package_id];
    END IF;
    PERFORM datagovernance_kpi_fact_refresh(ids);
    RETURN NULL;
END $$;
"""

# (table, trigger function, condition on the row); the workflow history
# only matters for publications
TRIGGERS = (
    ("package", "datagovernance_kpi_on_package", "AFTER INSERT OR DELETE"),
    # CKAN rewrites the row on every edit; only these columns reach the KPIs
    ("package", "datagovernance_kpi_on_package", "AFTER UPDATE",
     "OLD.extras IS DISTINCT FROM NEW.extras OR OLD.state IS DISTINCT FROM NEW.state "
     "OR OLD.type IS DISTINCT FROM NEW.type OR OLD.owner_org IS DISTINCT FROM NEW.owner_org "
     "OR OLD.metadata_created IS DISTINCT FROM NEW.metadata_created"),
    ("datagovernance_role", "datagovernance_kpi_on_role", "AFTER INSERT OR UPDATE OR DELETE"),
    ('"user"', "datagovernance_kpi_on_user", "AFTER UPDATE OF state OR DELETE"),
    ("datagovernance_quality_current", "datagovernance_kpi_on_package_row", "AFTER INSERT OR UPDATE OR DELETE"),
    ("datagovernance_workflow_event", "datagovernance_kpi_on_package_row", "AFTER INSERT OR UPDATE OR DELETE"),
    ("datagovernance_kpi_fact", "datagovernance_kpi_fact_count", "AFTER INSERT OR UPDATE OR DELETE"),
)


def _trigger_name(table: str, when: str) -> str:
    return "datagovernance_kpi_" + table.strip('"') + ("_update" if when == "AFTER UPDATE" else "")


def upgrade() -> None:
    op.execute("""
        CREATE TABLE datagovernance_kpi_fact (
            package_id text PRIMARY KEY,
            owner_org text, domain text,
            access_class text NOT NULL, personal_data text NOT NULL, workflow_state text NOT NULL,
            hvd boolean NOT NULL, hvd_compliant boolean, has_owner boolean NOT NULL,
            band text, score integer, review_date text, lead_days double precision
        )""")
    op.execute("""
        CREATE TABLE datagovernance_kpi_cell (
            owner_org text, domain text,
            access_class text NOT NULL, personal_data text NOT NULL, workflow_state text NOT NULL,
            hvd boolean NOT NULL, hvd_compliant boolean, has_owner boolean NOT NULL, band text,
            overdue boolean NOT NULL,
            n integer NOT NULL, score_sum bigint NOT NULL, score_n integer NOT NULL
        )""")
    # the day the cells' "overdue" refers to (moved by each compaction)
    op.execute("CREATE TABLE datagovernance_kpi_state (id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1), "
               "ref_day text NOT NULL)")
    op.execute("INSERT INTO datagovernance_kpi_state (ref_day) VALUES (current_date::text)")
    # overdue reviews and lead times per scope: index-only scans
    op.execute("""CREATE INDEX datagovernance_kpi_fact_review_idx ON datagovernance_kpi_fact
                  (review_date) INCLUDE (owner_org, domain, access_class, workflow_state)
                  WHERE review_date IS NOT NULL AND workflow_state <> 'archived'""")
    op.execute("""CREATE INDEX datagovernance_kpi_fact_lead_idx ON datagovernance_kpi_fact
                  (lead_days) INCLUDE (owner_org, domain, access_class, workflow_state)
                  WHERE lead_days IS NOT NULL""")
    op.execute("""CREATE INDEX datagovernance_kpi_fact_org_lead_idx ON datagovernance_kpi_fact
                  (owner_org, lead_days) WHERE lead_days IS NOT NULL""")
    op.execute("CREATE INDEX datagovernance_kpi_fact_domain_idx ON datagovernance_kpi_fact (domain)")
    op.execute(FACT_SOURCE)
    op.execute(FUNCTIONS)
    for table, func, when, *condition in TRIGGERS:
        op.execute(f"CREATE TRIGGER {_trigger_name(table, when)} {when} ON {table} FOR EACH ROW "
                   + (f"WHEN ({condition[0]}) " if condition else "") + f"EXECUTE FUNCTION {func}()")
    op.execute("SELECT datagovernance_kpi_rebuild(current_date::text)")


def downgrade() -> None:
    for table, _func, when, *_condition in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table, when)} ON {table}")
    for func in ("datagovernance_kpi_on_package_row()", "datagovernance_kpi_on_user()",
                 "datagovernance_kpi_on_role()", "datagovernance_kpi_on_package()",
                 "datagovernance_kpi_rebuild(text)", "datagovernance_kpi_compact(text)",
                 "datagovernance_kpi_fact_count()", "datagovernance_kpi_fact_refresh(text[])"):
        op.execute(f"DROP FUNCTION IF EXISTS {func}")
    op.execute("DROP FUNCTION IF EXISTS datagovernance_kpi_fact_source(text[])")
    op.execute("DROP TABLE IF EXISTS datagovernance_kpi_cell")
    op.execute("DROP TABLE IF EXISTS datagovernance_kpi_state")
    op.execute("DROP TABLE IF EXISTS datagovernance_kpi_fact")
