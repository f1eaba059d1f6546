"""KPI dashboard benchmark (issue 13). Not a test.

The dashboard must render in <= 300 ms at 100k datasets. The catalog is
written straight into the tables the figures read (package with its scheming
extras, owner roles, workflow history, quality scores): creating 100k datasets
through package_create would take hours and measures nothing the dashboard does.
The bulk load runs with the KPI triggers off and then rebuilds the rollup in
one pass (``datagovernance_kpi_rebuild(current_date::text)``), as after a migration.

    bin/ensure-db.sh datagovernance_bench_kpi
    nice -n 10 .venv/bin/python bench/kpi.py --n 100000

Measures datagovernance_kpi_show and the full page /steuerung through the
Flask app for the public (anonymous), a member of staff without roles, the
data office (with trend and an OKR objective) and a steward of 15 domains
(whose page header also counts their workflow tasks). "cold" is the first call of each in a fresh
process (there is no application cache for these figures); median and p95
over --runs after --warmup. Also the write cost of the triggers: single
dataset updates, each its own transaction, with and without them. Writes
bench/results/kpi-<N>.md.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

from benchlib import load_average, p95, write_result  # noqa: E402  (bench/benchlib.py)


def setup(n: int) -> None:
    import ckan.model as model
    import sqlalchemy as sa
    from ckan.cli.db import _run_migrations

    print("resetting database ...", flush=True)
    model.repo.clean_db()
    model.repo.init_db()
    for plugin in ("activity", "datagovernance_search", "datagovernance"):
        _run_migrations(plugin)
    s = model.Session
    # bulk load: the KPI triggers stand aside, the rollup is rebuilt at the end
    s.execute(sa.text("SELECT set_config('datagovernance.kpi_bulk', 'on', false)"))
    s.execute(sa.text("""INSERT INTO "user" (id, name, email, password, state, sysadmin, created)
        VALUES ('u-staff', 'staff', 'staff@example.org', 'x', 'active', false, now()),
               ('u-office', 'office', 'office@example.org', 'x', 'active', false, now()),
               ('u-steward', 'steward', 'steward@example.org', 'x', 'active', false, now()),
               ('u-owner', 'owner', 'owner@example.org', 'x', 'active', false, now())"""))
    s.execute(sa.text("""INSERT INTO datagovernance_role (id, user_id, role, scope_type, scope_id, deputy, granted_at)
        VALUES ('r-office', 'u-office', 'data_office', 'site', '', false, now())"""))
    s.execute(sa.text("""INSERT INTO "group" (id, name, title, type, is_organization, state, approval_status, extras)
        SELECT 'org-' || i, 'amt-' || i, 'Amt ' || i, 'organization', true, 'active', 'approved', '{}'
        FROM generate_series(1, 30) i"""))
    s.execute(sa.text("""INSERT INTO "group" (id, name, title, type, is_organization, state, approval_status, extras)
        SELECT 'dom-' || i, 'domaene-' || i, 'Domäne ' || i, 'domain', false, 'active', 'approved', '{}'
        FROM generate_series(1, 20) i"""))
    s.execute(sa.text(f"""INSERT INTO package (id, name, title, state, type, owner_org, private,
            metadata_created, metadata_modified, extras)
        SELECT 'p-' || i, 'datensatz-' || i, 'Datensatz ' || i, 'active', 'dataset', 'org-' || (i % 30 + 1),
               true, now() - (i % 700) * interval '1 day', now(),
               jsonb_build_object(
                 'access_class', (ARRAY['public','internal','restricted','confidential'])[i % 4 + 1],
                 'personal_data', (ARRAY['none','none','anonymised','personal'])[i % 4 + 1],
                 'workflow_state', (ARRAY['draft','in_review','approved','published','published'])[i % 5 + 1],
                 'domain', 'domaene-' || (i % 20 + 1),
                 'hvd_category', CASE WHEN i % 50 = 0 THEN '["c_60182062"]' ELSE '[]' END,
                 'reevaluation_date', to_char(now() + ((i % 400) - 200) * interval '1 day', 'YYYY-MM-DD'))
        FROM generate_series(1, {n}) i"""))
    s.execute(sa.text(f"""INSERT INTO datagovernance_role (id, user_id, role, scope_type, scope_id, deputy, granted_at)
        SELECT 'r-' || i, 'u-owner', 'owner', 'dataset', 'p-' || i, false, now()
        FROM generate_series(1, {n}) i WHERE i % 10 <> 0"""))
    s.execute(sa.text("""INSERT INTO datagovernance_role (id, user_id, role, scope_type, scope_id, deputy, granted_at)
        SELECT 's-' || i, 'u-steward', 'steward', 'domain', 'dom-' || i, false, now()
        FROM generate_series(1, 15) i"""))
    s.execute(sa.text(f"""INSERT INTO datagovernance_workflow_event (id, package_id, from_state, to_state, created)
        SELECT 'e-' || i, 'p-' || i, 'approved', 'published', now() - (i % 300) * interval '1 day'
        FROM generate_series(1, {n}) i WHERE i % 5 >= 3"""))
    # two score rows per dataset: the history the newest row is picked from
    s.execute(sa.text(f"""INSERT INTO datagovernance_quality_score (id, package_id, score, band, dimensions,
            indicators, hvd_compliant, computed_at, checked_at)
        SELECT 'q-' || i || '-' || k, 'p-' || i, (i * 7 + k * 13) % 405,
               CASE WHEN (i * 7 + k * 13) % 405 > 350 THEN 'excellent' WHEN (i * 7 + k * 13) % 405 > 220 THEN 'good'
                    WHEN (i * 7 + k * 13) % 405 > 120 THEN 'sufficient' ELSE 'bad' END,
               '{{}}', '[]', CASE WHEN i % 50 = 0 THEN i % 100 = 0 END,
               now() - k * interval '7 days', now()
        FROM generate_series(1, {n}) i, generate_series(0, 1) k"""))
    s.execute(sa.text("""INSERT INTO datagovernance_quality_current (package_id, score, band, hvd_compliant, computed_at)
        SELECT DISTINCT ON (package_id) package_id, score, band, hvd_compliant, computed_at
        FROM datagovernance_quality_score ORDER BY package_id, computed_at DESC"""))
    s.commit()
    s.execute(sa.text("SELECT set_config('datagovernance.kpi_bulk', 'off', false)"))
    t0 = time.perf_counter()
    cells = s.execute(sa.text("SELECT datagovernance_kpi_rebuild(current_date::text)")).scalar()
    s.commit()
    print(f"rollup rebuilt: {cells} cells in {time.perf_counter() - t0:.1f} s", flush=True)
    s.execute(sa.text("ANALYZE"))
    s.commit()
    _vacuum()
    from ckanext.datagovernance.kpi import jobs

    for d in (3, 2, 1):  # three snapshot days are enough for the trend
        import datetime as dt

        jobs.take_snapshot(dt.date.today() - dt.timedelta(days=d))
    import ckan.plugins.toolkit as tk

    tk.get_action("datagovernance_okr_objective_create")({"user": "office"}, {
        "title": "Verantwortung klären", "owner": "office", "start_date": "2026-01-01", "end_date": "2026-12-31",
        "key_results": [{"title": "Jeder Datensatz hat Verantwortliche", "kpi": "share_owner", "target": 100},
                        {"title": "Amt 1 veröffentlicht", "kpi": "share_published_open", "target": 80,
                         "organization": "amt-1"}]})
    print(f"catalog of {n} datasets written", flush=True)


def write_cost(n: int = 300) -> dict[str, float]:
    """Median ms of one dataset update (own transaction), with and without the
    KPI triggers: the price of exact figures on write."""
    import ckan.model as model
    import sqlalchemy as sa

    s = model.Session
    out = {}
    for label, bulk in (("with triggers", "off"), ("without", "on")):
        times = []
        for i in range(1, n + 1):
            t0 = time.perf_counter()
            s.execute(sa.text("SELECT set_config('datagovernance.kpi_bulk', :b, true)"), {"b": bulk})
            # flips the access class: the dataset moves to another cell
            s.execute(sa.text("""UPDATE package SET extras = extras || jsonb_build_object('access_class',
                CASE WHEN extras->>'access_class' = 'public' THEN 'internal' ELSE 'public' END),
                metadata_modified = now() WHERE id = :id"""), {"id": f"p-{i * 7}"})
            s.commit()
            times.append((time.perf_counter() - t0) * 1000)
        out[label] = statistics.median(times)
    # the "without" run left the rollup behind the catalog: bring it back
    s.execute(sa.text("SELECT datagovernance_kpi_rebuild(current_date::text)"))
    s.commit()
    _vacuum()
    return out


def _vacuum() -> None:
    """What autovacuum does in production: statistics and the visibility map
    (index-only scans) of the rebuilt fact table."""
    import ckan.model as model
    import sqlalchemy as sa

    with model.meta.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE datagovernance_kpi_fact"))
        conn.execute(sa.text("VACUUM ANALYZE datagovernance_kpi_cell"))


def timed(fn, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the catalog of an earlier run")
    parser.add_argument("--ini", type=Path, default=HERE / "kpi.ini")
    args = parser.parse_args()
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(args.ini)))
    flask_app = app._wsgi_app
    with flask_app.test_request_context():
        if not args.keep:
            setup(args.n)
        import ckan.plugins.toolkit as tk

        tokens = {u: tk.get_action("api_token_create")({"user": u, "ignore_auth": True},
                                                       {"user": u, "name": "bench"})["token"]
                  for u in ("staff", "office", "steward")}
        fig = tk.get_action("datagovernance_kpi_show")({"user": "staff"}, {})["figures"]
        print(f"inventory {fig['inventory']}, overdue {fig['overdue_reviews']}, "
              f"lead time {fig['lead_time_median_days']} d", flush=True)
        writes = write_cost() if not args.keep else {}
    client = flask_app.test_client()

    def show(user: str | None):  # noqa: ANN202
        def call() -> None:
            with flask_app.test_request_context():
                tk.get_action("datagovernance_kpi_show")({"user": user} if user else {}, {})
        return call

    def page(user: str | None):  # noqa: ANN202
        def call() -> None:
            res = client.get("/steuerung", headers={"Authorization": tokens[user]} if user else {})
            assert res.status_code == 200, res.status_code
        return call

    cells: dict[str, tuple[float, list[float]]] = {}
    for who, user in (("public", None), ("staff", "staff"), ("office", "office"), ("steward", "steward")):
        for what, fn in (("datagovernance_kpi_show", show(user)), ("GET /steuerung", page(user))):
            t0 = time.perf_counter()
            fn()  # cold: the first call of this kind in this process
            cold = (time.perf_counter() - t0) * 1000
            cells[f"{what} ({who})"] = (cold, timed(fn, args.runs, args.warmup))
    load = f"{load_average():.1f}"
    lines = [f"KPI dashboard at {args.n} datasets ({args.runs} runs after {args.warmup} warm-up, "
             f"load average {load})", "",
             "| what | cold ms | median ms | p95 ms |", "|---|---|---|---|"]
    for name, (cold, times) in cells.items():
        lines.append(f"| {name} | {cold:.0f} | {statistics.median(times):.0f} | {p95(times):.0f} |")
    for label, ms in writes.items():
        lines.append(f"| one dataset update, {label} | | {ms:.1f} | |")
    text = "\n".join(lines)
    print(text)
    write_result(f"kpi-{args.n}.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
