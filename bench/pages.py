"""What a page costs a logged-in user against an anonymous visitor (issue 16).
Not a test.

Uses the catalog of bench/load.py (demo municipality + generated datasets,
the ini `make run` writes) and renders each page in-process (CKAN's Flask
app, no network) as an anonymous visitor and as users with internal access:
a staff member, a steward (tasks in the header), the data office (the whole
review queue in the header) and the sysadmin. Cold = search cache off
(cache_ttl 0), warm = on. The dataset page's dataset gets its stored quality
score first, as the worker's job gives it after every change. Prints the median ms and the ratio to the
anonymous page (target <= 1.2) and writes bench/results/pages.md. Beside
the wall-clock table (load-bound on a shared machine) it gives two figures
that do not depend on the load: the SQL statements one render sends and the
CPU time of the process (median), per page and user.

    .venv/bin/python bench/load.py --n 2000 --duration 0   # once: the catalog
    .venv/bin/python bench/pages.py [--runs 15]
    .venv/bin/python bench/pages.py --profile /dataset --user staff-meyer   # cProfile of one page
    .venv/bin/python bench/pages.py --sql /dataset --user staff-meyer       # its SQL statements
    .venv/bin/python bench/pages.py --calls      # Python calls per render: steady on a drifting machine
    BENCH_SQL_STACK=1 .venv/bin/python bench/pages.py --sql /dataset ...    # and who sent each
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import benchlib  # noqa: E402
import load  # noqa: E402  (bench/load.py: INI, TOKENS, user names)

USERS = [("anonymous", None), ("staff", load.STAFF), ("steward", load.STEWARD), ("office", load.OFFICE),
         ("sysadmin", load.ADMIN)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=6,
                        help="renders before measuring (PostgreSQL keeps a prepared statement's generic plan from its sixth execution)")
    parser.add_argument("--profile", metavar="PAGE", help="print a cProfile of PAGE (cold) and stop")
    parser.add_argument("--user", default="", help="with --profile/--sql: the user (default anonymous)")
    parser.add_argument("--login", choices=("session", "token"), default="session",
                        help="how logged-in users are known: a session cookie, as in a browser (default), "
                             "or an API token (CKAN then reads and updates the token on every request)")
    parser.add_argument("--sql", metavar="PAGE", help="print every SQL statement one cold render of PAGE sends")
    parser.add_argument("--calls", action="store_true",
                        help="instead of times: Python function calls per cold render (cProfile's count), "
                             "which do not drift with the machine's speed, and their ratio to the anonymous page")
    args = parser.parse_args(argv)
    import sqlalchemy as sa
    from ckan.cli import load_config
    from ckan.common import config
    from ckan.config.middleware import make_app
    from ckan.model import meta

    app = make_app(load_config(str(load.INI)))._wsgi_app  # type: ignore[attr-defined]
    client = app.test_client()
    tokens = json.loads(load.TOKENS.read_text())
    clients = {None: client}

    def login(user: str | None) -> tuple[object, dict[str, str]]:
        """The client and headers of `user`: a session cookie as a browser
        holds after logging in (flask-login's user id), or the API token."""
        if not user:
            return client, {}
        if args.login == "token":
            return client, {"Authorization": tokens[user]}
        if user not in clients:
            from ckan import model

            with app.app_context():
                user_id = model.User.get(user).id
            clients[user] = app.test_client()
            with clients[user].session_transaction() as sess:
                sess["_user_id"], sess["_fresh"] = user_id, True
        return clients[user], {}
    statements = [0]
    logged: list[list[object]] = []

    def count(_conn: object, _cursor: object, statement: str, parameters: object, *_args: object) -> None:
        statements[0] += 1
        if args.sql:
            where = ""
            if os.environ.get("BENCH_SQL_STACK"):  # who sent it: the innermost frames of CKAN, extensions, templates
                import traceback

                frames = [f for f in traceback.extract_stack()[:-1]
                          if ("ckan" in f.filename or f.filename.endswith(".html")) and "sqlalchemy" not in f.filename]
                depth = max(int(os.environ["BENCH_SQL_STACK"]), 4)  # =1: 4 frames, =N: N
                where = " <- ".join(f"{f.filename.split('/')[-1]}:{f.lineno}:{f.name}" for f in reversed(frames[-depth:]))
            from ckanext.datagovernance import prepared

            logged.append([" ".join(prepared.readable(statement).split()), time.perf_counter(), where, statement, parameters])

    def took(*_args: object) -> None:
        if args.sql and logged:
            logged[-1][1] = time.perf_counter() - logged[-1][1]  # type: ignore[operator]

    sa.event.listen(meta.engine, "before_cursor_execute", count)
    sa.event.listen(meta.engine, "after_cursor_execute", took)
    if args.sql:
        config["ckanext.datagovernance.search.cache_ttl"] = 0
        if os.environ.get("BENCH_SQL_EXPLAIN"):  # the statements' text, not EXECUTE of a prepared one
            config["ckanext.datagovernance.sql.prepare"] = False
        user_client, headers = login(args.user)
        for _ in range(args.warmup):
            user_client.get(args.sql, headers=headers)
        logged.clear()
        res = user_client.get(args.sql, headers=headers)
        print(f"{args.sql} as {args.user or 'anonymous'}: HTTP {res.status_code}, {len(logged)} SQL statements")
        shown = list(logged)
        for n, (statement, seconds, where, _raw, _params) in enumerate(shown, 1):
            print(f"{n:3d} {seconds * 1000:6.2f} ms  {statement[:400]}")  # type: ignore[index,operator]
            if where:
                print(f"             {where}")
        if os.environ.get("BENCH_SQL_PLANS"):  # which prepared statements PostgreSQL plans anew each time
            with app.app_context():
                from ckan import model

                rows = model.Session.execute(model.sa.text(
                    "SELECT generic_plans, custom_plans, regexp_replace(statement, '\\s+', ' ', 'g') "
                    "FROM pg_prepared_statements ORDER BY custom_plans DESC")).all()
                for generic, custom, text in rows:
                    print(f"generic {generic:3d} custom {custom:3d}  {text[:110]}")
        explain = os.environ.get("BENCH_SQL_EXPLAIN")  # the plans of the statements containing this text
        if explain:
            with meta.engine.connect() as conn:
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                for n, (statement, _s, _w, raw, params) in enumerate(shown, 1):
                    if explain == "times" and statement.split()[0] in ("SELECT", "WITH"):  # type: ignore[union-attr]
                        cursor.execute("EXPLAIN (ANALYZE, SUMMARY) " + raw, params)  # type: ignore[operator]
                        times = [r[0] for r in cursor.fetchall() if r[0].endswith(" ms")]
                        print(f"{n:3d} " + ", ".join(times) + f"  {statement[:60]}")  # type: ignore[index]
                    elif explain in statement:  # type: ignore[operator]
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + raw, params)  # type: ignore[operator]
                        print(f"-- plan of statement {n}")
                        print("\n".join(r[0] for r in cursor.fetchall()))
        return 0
    if args.profile:
        config["ckanext.datagovernance.search.cache_ttl"] = 0
        user_client, headers = login(args.user)
        for _ in range(args.warmup):
            user_client.get(args.profile, headers=headers)
        statements[0] = 0
        prof = cProfile.Profile()
        for _ in range(int(os.environ.get("BENCH_PROFILE_RUNS", "1"))):  # several renders: less noise
            prof.enable()
            res = user_client.get(args.profile, headers=headers)
            prof.disable()
        print(f"{args.profile} as {args.user or 'anonymous'}: HTTP {res.status_code}, {statements[0]} SQL statements")
        if os.environ.get("BENCH_PROFILE_DUMP"):  # for pstats' callers/callees
            prof.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
        pstats.Stats(prof).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 60)
        return 0
    # a generated dataset, the same one after load.py's writer added newer ones
    anon = json.loads(client.get(
        "/api/3/action/package_search?rows=1&fl=name&fq=name:load-0*&sort=name+desc").data)
    public = anon["result"]["results"][0]["name"]
    # the stored quality score, as the worker's job leaves it after every
    # change (bench/load.py runs no worker): without it the maintainers'
    # quality panel scores the dataset on every view (its DCAT graph and
    # SHACL validation), a cost of the first minutes after a change only
    from ckanext.datagovernance.quality import jobs as quality_jobs

    with app.test_request_context():
        quality_jobs.score_dataset(public)
    pages = ["/", "/dataset", "/dataset?q=Radverkehr", f"/dataset/{public}", "/organization/of-umweltamt",
             "/domain/umwelt-klima"]
    if args.calls:  # a machine whose speed drifts by a third still counts the same calls
        config["ckanext.datagovernance.search.cache_ttl"] = 0
        print("| page (cold) | " + " | ".join(u for u, _ in USERS) + " |\n|---|" + "---:|" * len(USERS))
        for page in pages:
            cells, base = [], 0.0
            for _label, user in USERS:
                user_client, headers = login(user)
                for _ in range(args.warmup):
                    user_client.get(page, headers=headers)
                prof = cProfile.Profile()
                prof.enable()
                for _ in range(5):
                    user_client.get(page, headers=headers)
                prof.disable()
                calls = pstats.Stats(prof).total_calls / 5  # type: ignore[attr-defined]
                if user is None:
                    base = calls
                cells.append(f"{calls:,.0f}" + ("" if user is None else f" ({calls / base:.2f}x)"))
            print(f"| `{page}` | " + " | ".join(cells) + " |", flush=True)
        return 0
    lines = ["| page | cache | " + " | ".join(u for u, _ in USERS) + " |",
             "|---|---|" + "---:|" * len(USERS)]
    sql_lines = list(lines)
    worst = 0.0
    default_ttl = config.get("ckanext.datagovernance.search.cache_ttl")
    for cache, ttl in (("cold", 0), ("warm", default_ttl)):
        config["ckanext.datagovernance.search.cache_ttl"] = ttl
        for page in pages:
            cells, sql_cells, base, cpu_base = [], [], 0.0, 0.0
            # one render per user in turn, run after run: a machine whose speed
            # drifts (shared cores) slows every user's renders alike, and the
            # ratios compare renders of the same moments
            renders = {}
            for label, user in USERS:
                user_client, headers = login(user)
                renders[label] = lambda page=page, c=user_client, h=headers: c.get(page, headers=h)
                benchlib.time_renders(f"{page} as {label}", renders[label], 0, args.warmup, statements)
            measured: dict[str, tuple[list[float], list[float], list[int]]] = {
                label: ([], [], []) for label, _user in USERS}
            for _run in range(args.runs):
                for label, _user in USERS:
                    times, cpu, sql, _res = benchlib.time_renders(
                        f"{page} as {label}", renders[label], 1, 0, statements)
                    measured[label][0].extend(times)
                    measured[label][1].extend(cpu)
                    measured[label][2].extend(sql)
            for label, user in USERS:
                times, cpu, sql = measured[label]
                ms = statistics.median(times) * 1000
                cpu_ms = statistics.median(cpu) * 1000
                n_sql = statistics.median(sql)
                if user is None:
                    cpu_base = cpu_ms
                    sql_cells.append(f"{n_sql:.0f} / {cpu_ms:.0f}")
                else:
                    sql_cells.append(f"{n_sql:.0f} / {cpu_ms:.0f} ({cpu_ms / cpu_base:.2f}x)")
                if user is None:
                    base = ms
                    cells.append(f"{ms:.0f}")
                else:
                    worst = max(worst, ms / base)
                    cells.append(f"{ms:.0f} ({ms / base:.2f}x)")
            lines.append(f"| `{page}` | {cache} | " + " | ".join(cells) + " |")
            sql_lines.append(f"| `{page}` | {cache} | " + " | ".join(sql_cells) + " |")
            print(lines[-1], flush=True)
            print(sql_lines[-1], flush=True)
    text = "\n".join([f"**Pages** (`bench/pages.py`, median ms of {args.runs} in-process renders; "
                      f"ratio to the anonymous page; logged in by {args.login})", "", *lines, "",
                      f"Worst logged-in/anonymous ratio: {worst:.2f}x (target <= 1.2).", "",
                      "SQL statements per render / CPU ms of the process (median; ratio of CPU time "
                      "to the anonymous page)", "", *sql_lines])
    (load.RESULTS / "pages.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
