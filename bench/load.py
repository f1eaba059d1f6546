"""Load test of the production set-up (issue 16). Not a test.

Sets up what `make run` sets up (`make setup` with its own ini and database:
the demo municipality, admin user), adds --n generated datasets, starts the
web app as the README's production deployment does (gunicorn with --workers
processes, deploy/wsgi.py, the same ini) on 127.0.0.1 only, and then, for
--duration seconds or --max-requests requests, whichever comes first (after a
warm-up, not counted, that sends every kind of request to every worker):

- --clients concurrent clients, each picking at random: /dataset with facets,
  a dataset page, a text search, /catalog.ttl pages, the API search (all
  anonymous), and /aufgaben and /dataset logged in (steward, data office,
  staff member, by API token);
- one writer that creates datasets through the API and moves each through
  the workflow (draft -> in_review -> approved -> published, four eyes:
  submitted by the admin, decided by the data office), and after every
  committed write searches for it (API, as the admin; the published dataset
  anonymously): a search that does not show the write is a stale read.
  By default it never pauses (~600 writes a minute); --write-pause S makes
  it pause about S seconds after each write, as a clerk would.

It prints (and writes to bench/results/load.md) requests, throughput,
p50/p95/p99 per kind, errors and stale reads. Targets: 0 errors, 0 stale
reads, p95 <= 250 ms for pages.

    bin/ensure-db.sh datagovernance_bench_load
    .venv/bin/python bench/load.py --n 2000              # setup + 60 s run
    .venv/bin/python bench/load.py --skip-setup          # run again

BENCH_LOAD_DB and BENCH_LOAD_REDIS_DB (default datagovernance_bench_load, 6)
choose the database and the Redis database.

--replica URL sets ckanext.datagovernance.search.replica_url for the run
(e.g. a replica from `bin/replica.sh start DIR PORT`).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
VENV = ROOT / ".venv" / "bin"
# a second checkout benchmarks beside this one with its own database and Redis database
DB = os.environ.get("BENCH_LOAD_DB", "datagovernance_bench_load")
REDIS = f"redis://127.0.0.1:6379/{os.environ.get('BENCH_LOAD_REDIS_DB', '6')}?socket_timeout=3600"
INI = RESULTS / "load.ini"
TOKENS = RESULTS / "load-tokens.json"
ADMIN = "admin"
STEWARD, OFFICE, STAFF = "steward-becker", "dmb-yilmaz", "staff-meyer"
WORDS = ["Radverkehr", "Haushalt", "Baumkataster", "Schulen", "Parken", "Wahlergebnisse", "Bebauungsplan",
         "Luftmessstationen", "Einwohner", "Flurstücke"]
PAGE_KINDS = ("dataset facets", "dataset page", "text search", "catalog.ttl", "aufgaben (logged in)",
              "dataset (logged in)")


# -- setup ------------------------------------------------------------------------
def setup(n: int, port: int) -> None:
    RESULTS.mkdir(exist_ok=True)
    subprocess.run(["bin/ensure-db.sh", DB], cwd=ROOT, check=True)
    # exactly `make run` without starting: same template, migrations, demo, admin
    subprocess.run(["make", "-s", "setup", f"INI={INI}", f"DB={DB}", f"PORT={port}", f"REDIS_URL={REDIS}"],
                   cwd=ROOT, check=True)
    subprocess.run([str(VENV / "python"), __file__, "--populate", str(n)], cwd=ROOT, check=True)


def _boot() -> None:
    sys.path.insert(0, str(HERE))
    import search as sb  # bench/search.py

    sb.boot(INI)


def populate(n: int) -> None:
    """--n datasets more, as copies of the demo's (all access classes and
    states), 5 % of them waiting in review; API tokens for the clients."""
    _boot()
    import ckan.model as model
    import ckan.plugins.toolkit as tk

    from ckanext.datagovernance.catalog import demo

    data = demo.load_data()
    have = model.Session.query(model.Package).filter(model.Package.name.like("load-%")).count()
    t0 = time.perf_counter()
    for i in range(have, n):
        src = dict(data["datasets"][i % len(data["datasets"])])
        src["name"] = f"load-{i:06d}-{src['name'].removeprefix('of-')}"[:100]
        src["title"] = f"{src['title']} ({i})"
        payload = demo.dataset_dict(data, src)
        if i % 20 == 0:
            payload.update(workflow_state="in_review", private=True)
        tk.get_action("package_create")({"user": ADMIN, "datagovernance_workflow_transition": True}, payload)
        if (i + 1) % 100 == 0 or i + 1 == n:
            print(f"\r  package_create {i + 1}/{n} ({(i + 1 - have) / (time.perf_counter() - t0):.1f}/s)",
                  end="", flush=True)
    print()
    tokens: dict[str, Any] = {}
    for user in (ADMIN, STEWARD, OFFICE, STAFF):
        tokens[user] = tk.get_action("api_token_create")({"user": ADMIN, "ignore_auth": True},
                                                         {"user": user, "name": "bench-load"})["token"]
    # the writer's datasets: a public open-data demo dataset's fields, as a draft
    public = next(d for d in data["datasets"] if d.get("access") == "public" and not d.get("personal"))
    template = demo.dataset_dict(data, dict(public))
    for key in ("name", "title", "workflow_state", "private"):
        template.pop(key, None)
    tokens["template"] = template
    TOKENS.write_text(json.dumps(tokens))


# -- the run ------------------------------------------------------------------------
@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    stale: int = 0
    stale_samples: list[str] = field(default_factory=list)
    checks: int = 0
    writes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: {detail}")


def start_server(port: int, workers: int, replica: str) -> subprocess.Popen[bytes]:
    ini = INI
    if replica:  # the same ini plus the replica setting
        ini = RESULTS / "load-replica.ini"
        ini.write_text(f"[DEFAULT]\ndebug = false\n\n[app:main]\nuse = config:{INI.name}\n"
                       f"ckanext.datagovernance.search.replica_url = {replica}\n\n"
                       + INI.read_text().split("[loggers]", 1)[1].join(["[loggers]", ""]))
    env = dict(os.environ, CKAN_INI=str(ini))
    server = subprocess.Popen(
        [str(VENV / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "120",
         "--chdir", str(ROOT / "deploy"), "wsgi:application"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(RESULTS / "load-gunicorn.log", "w"),
        start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/3/action/status_show", timeout=5).ok:
                # every worker loads CKAN on its first request: warm them all
                for _ in range(workers * 3):
                    requests.get(f"http://127.0.0.1:{port}/dataset", timeout=60)
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn exited; see bench/results/load-gunicorn.log")
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer")


def sample_names(base: str) -> list[str]:
    found = requests.get(f"{base}/api/3/action/package_search", params={"rows": 200, "fl": "name"},
                         timeout=60).json()["result"]["results"]
    return [d["name"] for d in found]


KINDS = ("dataset facets", "dataset page", "text search", "catalog.ttl", "API search",
         "aufgaben (logged in)", "dataset (logged in)")


def request_for(kind: str, rng: random.Random, names: list[str],
                tokens: dict[str, str]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The URL, query and headers of one request of `kind`."""
    headers: dict[str, str] = {}
    params: dict[str, Any] = {}
    if kind == "dataset facets":
        url, params = "/dataset", {"page": rng.randint(1, 5)}
    elif kind == "dataset page":
        url = f"/dataset/{rng.choice(names)}"
    elif kind == "text search":
        url, params = "/dataset", {"q": rng.choice(WORDS)}
    elif kind == "catalog.ttl":
        url, params = "/catalog.ttl", {"page": rng.randint(1, 3)}
    elif kind == "API search":
        url, params = "/api/3/action/package_search", {"q": rng.choice(WORDS), "rows": 10}
    elif kind == "aufgaben (logged in)":
        url, headers = "/aufgaben", {"Authorization": tokens[rng.choice((STEWARD, OFFICE))]}
    else:
        url, headers = "/dataset", {"Authorization": tokens[rng.choice((STAFF, STEWARD, OFFICE))]}
    return url, params, headers


def warm_up(base: str, tokens: dict[str, str], names: list[str], workers: int) -> None:
    """Every request kind a few times in every gunicorn worker before the
    clock starts, as in a server that has been running: a worker compiles each
    template and loads each code path on its first use of it (a one-off cost
    of 0.3-0.5 s that would otherwise land in the p95 of a 60 s run).
    Concurrent rounds, so that every worker gets requests."""
    def round_(seed: int) -> None:
        rng, session = random.Random(seed), requests.Session()
        for kind in KINDS:
            url, params, headers = request_for(kind, rng, names, tokens)
            session.get(base + url, params=params, headers=headers, timeout=120)
    for _ in range(3):
        threads = [threading.Thread(target=round_, args=(1000 + k,)) for k in range(workers * 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def client(base: str, tokens: dict[str, str], names: list[str], stats: Stats, stop: threading.Event,
           budget: list[int], seed: int, think: float = 0.0) -> None:
    """One user. `think` > 0: a pause after each page, uniformly 0.5-1.5 x
    `think` seconds, as a person reads it (0: a client that never pauses)."""
    rng = random.Random(seed)
    session = requests.Session()
    while not stop.is_set():
        with stats.lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        kind = rng.choice(KINDS)
        url, params, headers = request_for(kind, rng, names, tokens)
        t0 = time.perf_counter()
        try:
            res = session.get(base + url, params=params, headers=headers, timeout=60)
            stats.record(kind, time.perf_counter() - t0, res.status_code == 200, f"{url} {res.status_code}")
        except requests.RequestException as e:
            stats.record(kind, time.perf_counter() - t0, False, f"{url} {e}")
        if think > 0:
            stop.wait(rng.uniform(0.5, 1.5) * think)


def writer(base: str, tokens: dict[str, Any], stats: Stats, stop: threading.Event,
           pause: float = 0.0) -> None:
    """Create, submit, approve, publish; after each committed write, search.
    `pause` > 0: after each write and its search a pause, uniformly 0.5-1.5 x
    `pause` seconds, as a clerk works (0: a writer that never pauses)."""
    session = requests.Session()
    rng = random.Random(4711)
    admin = {"Authorization": tokens[ADMIN]}
    office = {"Authorization": tokens[OFFICE]}
    i = 0

    def call(action: str, headers: dict[str, str], **data: Any) -> dict[str, Any]:
        t0 = time.perf_counter()
        res = session.post(f"{base}/api/3/action/{action}", json=data, headers=headers, timeout=60)
        ok = res.status_code == 200
        stats.record(f"write {action}", time.perf_counter() - t0, ok, f"{action} {res.status_code} {res.text[:200]}")
        with stats.lock:
            stats.writes += 1
        return res.json().get("result") if ok else {}

    def rest() -> None:
        if pause > 0:
            stop.wait(rng.uniform(0.5, 1.5) * pause)

    def visible(name: str, state: str, headers: dict[str, str]) -> None:
        t0 = time.perf_counter()
        res = session.get(f"{base}/api/3/action/package_search", headers=headers, timeout=60, params={
            "fq": f'name:"{name}" AND workflow_state:{state}', "include_private": "true", "include_drafts": "true"})
        stats.record("API search (after write)", time.perf_counter() - t0, res.status_code == 200)
        count = res.json()["result"]["count"] if res.ok else -1
        with stats.lock:
            stats.checks += 1
            if count != 1:
                stats.stale += 1
                if len(stats.stale_samples) < 10:
                    stats.stale_samples.append(f"{name} {state}: count {count}")

    while not stop.is_set():
        name = f"load-writer-{os.getpid()}-{i}"
        i += 1
        created = call("package_create", admin, **dict(tokens["template"], name=name, title=f"Lasttest {i}"))
        if not created:
            continue
        visible(name, "draft", admin)
        rest()
        for to, who in (("in_review", admin), ("approved", office), ("published", office)):
            if stop.is_set():
                return
            if not call("datagovernance_workflow_transition", who, id=name, to=to):
                break
            visible(name, to, admin if to != "published" else {})
            rest()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def report(stats: Stats, elapsed: float, args: argparse.Namespace, n_catalog: int) -> str:
    lines = [
        f"**Load** (`bench/load.py`: gunicorn {args.workers} workers, {args.clients} clients, "
        f"{elapsed:.0f} s, "
        f"{f'think time {args.think:g} s' if args.think else 'no think time'}, "
        f"{f'writer pausing {args.write_pause:g} s' if args.write_pause else 'writer without pause'}, "
        f"{n_catalog:,} datasets{', search reads on a replica' if args.replica else ''})",
        "",
        "| request | n | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total = 0
    pages: list[float] = []
    for kind in sorted(stats.times):
        t = stats.times[kind]
        total += len(t)
        if kind in PAGE_KINDS:
            pages += t
        lines.append(f"| {kind} | {len(t)} | {len(t) / elapsed:.1f} | {pct(t, 50):.0f} | {pct(t, 95):.0f} | "
                     f"{pct(t, 99):.0f} | {stats.errors.get(kind, 0)} |")
    all_times = [x for t in stats.times.values() for x in t]
    lines.append(f"| **all** | {total} | {total / elapsed:.1f} | {pct(all_times, 50):.0f} | "
                 f"{pct(all_times, 95):.0f} | {pct(all_times, 99):.0f} | {sum(stats.errors.values())} |")
    lines += ["", f"Pages p95: {pct(pages, 95):.0f} ms (target <= 250). Errors: {sum(stats.errors.values())}. "
              f"Writes: {stats.writes}; searches after a committed write: {stats.checks}, stale: {stats.stale}."]
    if stats.error_samples:
        lines += ["", "Error samples: " + "; ".join(stats.error_samples)]
    if stats.stale_samples:
        lines += ["", "Stale samples: " + "; ".join(stats.stale_samples)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="generated datasets besides the demo (default 2000)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a client reads each page before the next (default 0: never pauses)")
    parser.add_argument("--write-pause", type=float, default=0.0,
                        help="mean seconds the writer pauses after each write (default 0: never pauses)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop after this many requests")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--replica", default="", help="search.replica_url for the run")
    parser.add_argument("--skip-setup", action="store_true")
    parser.add_argument("--populate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.populate is not None:
        populate(args.populate)
        return 0
    if not args.skip_setup:
        setup(args.n, args.port)
    tokens = json.loads(TOKENS.read_text())
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(args.port, args.workers, args.replica)
    try:
        names = sample_names(base)
        warm_up(base, tokens, names, args.workers)
        n_catalog = requests.get(f"{base}/api/3/action/package_search", params={
            "rows": 0, "include_private": "true", "include_drafts": "true"}, headers={
            "Authorization": tokens[ADMIN]}, timeout=60).json()["result"]["count"]
        stats, stop, budget = Stats(), threading.Event(), [args.max_requests]
        threads = [threading.Thread(target=client, args=(base, tokens, names, stats, stop, budget, k, args.think))
                   for k in range(args.clients)]
        threads.append(threading.Thread(target=writer, args=(base, tokens, stats, stop, args.write_pause)))
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        while time.perf_counter() - t0 < args.duration and any(t.is_alive() for t in threads[:-1]):
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the gunicorn this script started, with its workers
        server.wait(timeout=60)
    text = report(stats, elapsed, args, n_catalog)
    (RESULTS / "load.md").write_text(text + "\n")
    print(text)
    return 0 if not stats.errors and not stats.stale else 1


if __name__ == "__main__":
    sys.exit(main())
