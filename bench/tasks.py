"""The header's task badge and the task list: what their one SQL statement
costs per user (issue 16). Not a test.

Uses the catalog of bench/load.py (same ini, BENCH_LOAD_DB and
BENCH_LOAD_REDIS_DB). For each user: the badge statement's median time over
--runs executions (after --warmup), the task list's, the badge count, and
with --explain the badge's EXPLAIN (ANALYZE, BUFFERS).

    .venv/bin/python bench/tasks.py [--user dmb-yilmaz] [--runs 50] [--explain]
    .venv/bin/python bench/tasks.py --events 20   # first: 20 more events per candidate

--events N adds N workflow events per review candidate (submissions and
decisions, older than the real ones, so no dataset's state or latest
submission changes) and ANALYZEs: a real catalog has a history per dataset,
and the per-candidate look-ups (latest submission, sign-off) must stay index
look-ups. They stay in the database (rebuild it to drop them).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import load  # noqa: E402  (bench/load.py: INI, user names)


def add_events(n: int) -> int:
    """N old events per candidate (in review or approved): alternating
    submissions and decisions, a day apart, before the dataset's first one."""
    import ckan.model as model
    import sqlalchemy as sa

    added = model.Session.execute(sa.text("""
        INSERT INTO datagovernance_workflow_event (id, package_id, from_state, to_state, actor_id, created)
        SELECT md5(random()::text || c.id || g), c.id,
               CASE WHEN g % 2 = 0 THEN 'draft' ELSE 'in_review' END,
               CASE WHEN g % 2 = 0 THEN 'in_review' ELSE 'draft' END,
               (SELECT id FROM "user" WHERE name = :actor),
               coalesce((SELECT min(created) FROM datagovernance_workflow_event e WHERE e.package_id = c.id),
                        now()) - make_interval(days => g)
        FROM (SELECT id FROM datagovernance_search_index
              WHERE fields -> 'workflow_state' ->> 0 IN ('in_review', 'approved')) c,
             generate_series(1, :n) g
    """), {"n": n, "actor": load.STAFF}).rowcount
    model.Session.commit()
    model.Session.execute(sa.text("ANALYZE datagovernance_workflow_event"))
    model.Session.commit()
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user", action="append", help="user name (repeatable; default steward and office)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the badge statement's EXPLAIN ANALYZE")
    parser.add_argument("--events", type=int, default=0, help="first add N old events per review candidate")
    args = parser.parse_args(argv)
    import ckan.model as model
    import sqlalchemy as sa
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(load.INI)))._wsgi_app  # type: ignore[attr-defined]
    from ckanext.datagovernance.workflow import policy, service

    with app.test_request_context():
        if args.events:
            print(f"added {add_events(args.events)} events")
        events = model.Session.execute(sa.text("SELECT count(*) FROM datagovernance_workflow_event")).scalar_one()
        print(f"workflow events in the catalog: {events}")
        for name in args.user or [load.STEWARD, load.OFFICE]:
            user = model.User.get(name)
            query = policy.task_query(user)
            if query is None:
                print(f"{name}: no task query")
                continue
            sql, params = query
            badge = f"SELECT coalesce(sum(cardinality(kinds)), 0) FROM ({sql}) q"
            listing = f"{sql} ORDER BY title_string NULLS LAST, index_id"

            def timed(statement: str, params: dict = params) -> float:
                t = time.perf_counter()
                model.Session.execute(sa.text(statement), params).all()
                return (time.perf_counter() - t) * 1000

            for _ in range(args.warmup):
                timed(badge)
                timed(listing)
            badge_ms = statistics.median(timed(badge) for _ in range(args.runs))
            list_ms = statistics.median(timed(listing) for _ in range(args.runs))
            count = service.task_kind_count(query)
            rows = len(service.task_rows(query))
            print(f"{name}: badge {count} tasks ({rows} datasets); badge statement {badge_ms:.2f} ms, "
                  f"task list statement {list_ms:.2f} ms (median of {args.runs})")
            if args.explain:
                plan = model.Session.execute(
                    sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {badge}"), params).scalars().all()
                print("\n".join(plan))
            model.Session.rollback()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
