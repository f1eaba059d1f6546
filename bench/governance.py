"""Overhead benchmark of the governance suite (issue 4). Not a test.

package_show and package_search with the suite enabled must stay within 15 %
of plain CKAN with the search plugin alone, on the same catalog and index.

    bin/ensure-db.sh datagovernance_bench_gov
    .venv/bin/python bench/governance.py --n 10000

`--mode all` (default) runs three child processes, because CKAN plugins are
process-global: `setup` (reset the database, create the catalog with the full
suite through package_create / package_patch / datagovernance_role_grant),
`suite` (measure with `activity datagovernance_search datagovernance
scheming_datasets scheming_groups scheming_organizations`) and `plain`
(measure with `activity datagovernance_search` only; same database, same
index documents, no rebuild). Each measuring child writes its figures to
bench/results/governance-<N>-<mode>.json; the parent prints the Markdown
table and writes it to bench/results/governance-<N>.md.

Users: anonymous, a plain logged-in user (member of two organisations), a
data steward (steward of two domains, editor of three organisations) and a
sysadmin. package_show cycles through a handful of datasets of different
access classes that the user may read in both modes; package_search runs
q="*:*" with CKAN's default facets and a text query (include_private for
logged-in users, as the web UI does).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import search as sb  # noqa: E402  (bench/search.py: boot, vocabulary, make_spec)
from benchlib import p95  # noqa: E402

RESULTS = HERE / "results"
SUITE_PLUGINS = ("activity datagovernance_search datagovernance scheming_datasets "
                 "scheming_groups scheming_organizations")
PLAIN_PLUGINS = "activity datagovernance_search"
ADMIN = "benchgov-admin"
MEMBER = "benchgov-user"
STEWARD = "benchgov-steward"
OFFICE = "benchgov-office"
OWNERS = [f"benchgov-owner-{k}" for k in range(8)]
PASSWORD = "Bench-Passwort-2025"
FACETS = ["organization", "groups", "tags", "res_format", "license_id"]  # CKAN's default facets
TEXT_QUERY = "Baumkataster Offenbach"
THRESHOLD = 15.0  # % overhead allowed
ORGS = sb.ORGS[:12]
# (name, title, parent) of the data domains (groups of type "domain")
DOMAINS: list[tuple[str, str, str | None]] = [
    ("finanzen", "Finanzen und Haushalt", None),
    ("bevoelkerung-statistik", "Bevölkerung und Statistik", None),
    ("bevoelkerung-wahlen", "Wahlen", "bevoelkerung-statistik"),
    ("geodaten", "Geodaten und Vermessung", None),
    ("geodaten-bauleitplanung", "Bauleitplanung", "geodaten"),
    ("umwelt-klima", "Umwelt und Klima", None),
    ("mobilitaet", "Mobilität und Verkehr", None),
    ("bildung-soziales", "Bildung und Soziales", None),
    ("sicherheit-ordnung", "Sicherheit und Ordnung", None),
]
# search.py group index -> (domain, EU data themes)
GROUP_DOMAIN = {0: ("finanzen", ["ECON"]), 1: ("bevoelkerung-statistik", ["SOCI"]),
                2: ("bildung-soziales", ["EDUC"]), 3: ("umwelt-klima", ["ENVI"]),
                4: ("mobilitaet", ["TRAN"]), 5: ("bevoelkerung-wahlen", ["GOVE"]),
                6: ("bildung-soziales", ["HEAL"]), 7: ("geodaten-bauleitplanung", ["REGI", "GOVE"]),
                8: ("umwelt-klima", ["ENER"]), 9: ("sicherheit-ordnung", ["JUST"])}
STEWARD_DOMAINS = ["umwelt-klima", "geodaten"]
ACCESS = [("public", 40), ("internal", 35), ("restricted", 15), ("confidential", 10)]
PERSONAL = [("none", 70), ("anonymised", 15), ("pseudonymised", 10), ("personal", 5)]
OPEN_LICENCES = [("dl-by-de/2.0", 45), ("dl-zero-de/2.0", 30), ("cc-by/4.0", 15), ("cc-zero", 10)]
FORMAT_CODES = {"CSV": "CSV", "JSON": "JSON", "XML": "XML", "PDF": "PDF", "WMS": "WMS_SRVC",
                "WFS": "WFS_SRVC", "GeoJSON": "GEOJSON", "XLSX": "XLSX", "SHP": "SHP"}
FREQUENCIES = ["ANNUAL", "ANNUAL_2", "MONTHLY", "WEEKLY", "DAILY", "IRREG"]
PUBLISH_SHARE = 0.7  # of the public datasets


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


# -- catalog -----------------------------------------------------------------
@dataclass
class Planned:
    payload: dict[str, Any]
    access: str
    publish: bool


def plan(i: int) -> Planned:
    """package_create payload of dataset i for the suite's schema (deterministic)."""
    s = sb.make_spec(i)
    rng = random.Random(i * 104729 + 7)
    topic_group = next(g for t, _, g, _ in sb.TOPICS if s.title.startswith(t))
    domain, themes = GROUP_DOMAIN[topic_group]
    org = ORGS[sb.ORGS.index(next(o for o in sb.ORGS if o[0] == s.org)) % len(ORGS)]
    access = pick(rng, ACCESS)
    personal = pick(rng, PERSONAL[:2] if access == "public" else PERSONAL)
    extras = {e["key"]: e["value"] for e in s.extras}
    payload: dict[str, Any] = {
        "name": f"gov-{s.name}"[:100], "title": s.title, "notes": s.notes, "owner_org": org[0],
        "tags": [{"name": t} for t in s.tags], "theme": themes, "domain": domain,
        "data_owner": OWNERS[rng.randrange(len(OWNERS))],
        "contact_name": org[1], "contact_email": f"{org[0]}@offenbach.example",
        "publisher_name": "Stadt Offenbach am Main", "language": ["DEU"],
        "spatial_text": extras["spatial_text"], "temporal_start": extras["temporal_start"],
        "temporal_end": extras["temporal_end"], "frequency": rng.choice(FREQUENCIES),
        "access_class": access, "personal_data": personal,
        "license_id": pick(rng, OPEN_LICENCES) if access == "public" else "other-closed",
        "resources": [{"name": r["name"], "url": r["url"], "description": r["description"],
                       "format": FORMAT_CODES[r["format"]]} for r in s.resources],
    }
    if access != "public":
        payload["source_system"] = extras.get("source_system") or rng.choice(sb.SYSTEMS)
        payload["storage_location"] = rng.choice(["Laufwerk G:", "Datenbankschema fach", "SharePoint"])
        payload["reason_not_open"] = rng.choice(["personal_data", "trade_secret", "third_party_rights"]) \
            if rng.random() < 0.5 else None
    if personal in ("pseudonymised", "personal"):
        payload["personal_data_legal_basis"] = "Art. 6 Abs. 1 lit. e DSGVO i. V. m. § 3 HDSIG"
        payload["retention_period"] = f"{rng.choice([5, 10, 30])} Jahre"
    payload = {k: v for k, v in payload.items() if v is not None}
    return Planned(payload, access, access == "public" and rng.random() < PUBLISH_SHARE)


def act(name: str, context: dict[str, Any], data: dict[str, Any]) -> Any:
    import ckan.plugins.toolkit as tk

    return tk.get_action(name)(context, data)


def setup_catalog(n: int) -> dict[str, Any]:
    import ckan.model as model

    print("resetting database ...", flush=True)
    model.repo.clean_db()
    model.repo.init_db()
    from ckan.cli.db import _run_migrations

    for plugin in ("activity", "datagovernance_search", "datagovernance"):
        try:
            _run_migrations(plugin)
        except Exception as e:  # plugin without migrations
            print(f"  migrations {plugin}: {e!r}")
    sys_ctx = {"ignore_auth": True}
    for name in [ADMIN, MEMBER, STEWARD, OFFICE, *OWNERS]:
        act("user_create", dict(sys_ctx), {"name": name, "email": f"{name}@offenbach.example",
                                           "password": PASSWORD, "fullname": name})
    model.User.get(ADMIN).sysadmin = True
    model.Session.commit()
    admin = lambda: {"user": ADMIN}  # noqa: E731
    for name, title in ORGS:
        act("organization_create", admin(), {"name": name, "title": title, "description": f"{title} (Benchmark)"})
    for name, title, parent in DOMAINS:
        data = {"name": name, "title": title, "type": "domain", "description": f"Datendomäne {title}"}
        if parent:
            data["parent_domain"] = parent
        act("group_create", admin(), data)
    for org in ORGS[:2]:
        act("organization_member_create", admin(), {"id": org[0], "username": MEMBER, "role": "member"})
    for org in ORGS[:3]:
        act("organization_member_create", admin(), {"id": org[0], "username": STEWARD, "role": "editor"})
    for k, owner in enumerate(OWNERS):
        for org in (ORGS[k % len(ORGS)], ORGS[(k + 5) % len(ORGS)]):
            act("organization_member_create", admin(), {"id": org[0], "username": owner, "role": "editor"})
    for d in STEWARD_DOMAINS:
        act("datagovernance_role_grant", admin(), {"user": STEWARD, "role": "steward", "domain": d,
                                                   "reason": "Benchmark"})
    act("datagovernance_role_grant", admin(), {"user": OWNERS[0], "role": "steward", "domain": "finanzen",
                                               "reason": "Benchmark"})
    act("datagovernance_role_grant", admin(), {"user": OFFICE, "role": "data_office", "reason": "Benchmark"})

    t0 = time.perf_counter()
    created: list[tuple[str, str, str, str, bool]] = []  # id, access, org, domain, published
    publish: list[str] = []
    for i in range(n):
        p = plan(i)
        pkg = act("package_create", admin(), p.payload)
        created.append((pkg["id"], p.access, p.payload["owner_org"], p.payload["domain"], p.publish))
        if p.publish:
            publish.append(pkg["id"])
        if (i + 1) % 100 == 0 or i + 1 == n:
            rate = (i + 1) / (time.perf_counter() - t0)
            print(f"\r  package_create {i + 1}/{n} ({rate:.1f}/s)", end="", flush=True)
    create_s = time.perf_counter() - t0
    print()
    t1 = time.perf_counter()
    for k, pid in enumerate(publish, 1):
        act("package_patch", {"user": ADMIN, "datagovernance_workflow_transition": True},
            {"id": pid, "workflow_state": "published"})
        if k % 100 == 0 or k == len(publish):
            print(f"\r  package_patch (publish) {k}/{len(publish)} "
                  f"({k / (time.perf_counter() - t1):.1f}/s)", end="", flush=True)
    print()
    # a few deputy owners through the role action (reindexes the dataset)
    for pid, *_ in created[:20]:
        act("datagovernance_role_grant", admin(), {"user": OWNERS[-1], "role": "owner", "dataset": pid,
                                                   "deputy": True, "reason": "Benchmark"})
    sb.vacuum_analyze()
    return {"create_rate": n / create_s, "published": len(publish), "created": created}


def choose_show_targets(created: list[list[Any]]) -> dict[str, list[str]]:
    """Datasets per user of different access classes, readable in both modes."""
    pub = [pid for pid, a, _o, _d, p in created if a == "public" and p]
    m_orgs, s_orgs = [o for o, _ in ORGS[:2]], [o for o, _ in ORGS[:3]]

    def find(access: str, published: bool, orgs: list[str], domains: list[str] | None = None) -> str | None:
        for pid, a, o, d, p in created:
            if a == access and p == published and o in orgs and (domains is None or d in domains):
                return pid
        return None

    stew = STEWARD_DOMAINS + ["geodaten-bauleitplanung"]
    targets = {
        "anonymous": pub[:4],
        MEMBER: [find("public", True, m_orgs), find("public", False, m_orgs), find("internal", False, m_orgs),
                 find("restricted", False, m_orgs)],
        STEWARD: [find("public", True, s_orgs, stew), find("internal", False, s_orgs, stew),
                  find("restricted", False, s_orgs, stew), find("confidential", False, s_orgs, stew)],
        ADMIN: [pub[0], find("internal", False, [o for o, _ in ORGS]),
                find("restricted", False, [o for o, _ in ORGS]), find("confidential", False, [o for o, _ in ORGS])],
    }
    return {u: [p for p in ids if p] for u, ids in targets.items()}


# -- measuring -----------------------------------------------------------------
@dataclass
class Cell:
    action: str
    case: str
    user: str
    found: int
    median: float
    p95: float
    runs: int
    errors: int


def timed(call: Callable[[int], Any], runs: int, warmup: int) -> tuple[list[float], Any, int]:
    import ckan.model as model

    errors = 0
    out: Any = None
    for k in range(warmup):
        try:
            call(k)
        except Exception:
            errors += 1
        finally:
            model.Session.remove()
    times = []
    for k in range(runs):
        t0 = time.perf_counter()
        try:
            out = call(k)
        except Exception as e:
            errors += 1
            out = e
        finally:
            model.Session.remove()  # as at the end of a request
        times.append(time.perf_counter() - t0)
    return times, out, errors


def cases(targets: dict[str, list[str]]) -> list[tuple[str, str, str, Callable[[int], dict[str, Any]]]]:
    out = []
    for user, ids in targets.items():
        uname = "" if user == "anonymous" else user
        out.append(("package_show", f"by id ({len(ids)} datasets)", uname,
                    lambda k, ids=ids: {"id": ids[k % len(ids)]}))
        for label, q in (('q="*:*", default facets', "*:*"), (f'q="{TEXT_QUERY}", default facets', TEXT_QUERY)):
            out.append(("package_search", label, uname,
                        lambda k, q=q, u=uname: {"q": q, "facet.field": list(FACETS), "rows": 20,
                                                 **({"include_private": True} if u else {})}))
    return out


def measure(mode: str, n: int, runs: int, warmup: int, profile: bool) -> dict[str, Any]:
    import ckan.plugins.toolkit as tk

    setup = json.loads((RESULTS / f"governance-{n}-setup.json").read_text())
    targets = setup["targets"]
    cells: list[Cell] = []
    profiles: dict[str, str] = {}
    import ckan.model as model
    from ckan.common import login_user, logout_user

    for action, case, user, data in cases(targets):
        fn = tk.get_action(action)
        # as in a web request of this user (the suite asks tk.current_user)
        logout_user()
        if user:
            login_user(model.User.get(user))

        def call(k: int, fn: Any = fn, user: str = user, data: Any = data) -> Any:
            return fn({"user": user}, data(k))

        times, out, errors = timed(call, runs, warmup)
        if errors:
            print(f"  {action} {case} {user or 'anonymous'}: {errors} errors, last {out!r}"[:300])
        found = out.get("count", 1) if isinstance(out, dict) and action == "package_search" else int(
            isinstance(out, dict))
        cell = Cell(action, case, user or "anonymous", found, statistics.median(times) * 1000,
                    p95(times) * 1000, runs, errors)
        cells.append(cell)
        print(f"  [{mode}] {action:<14} {case:<42} {cell.user:<17} found {found:>6}  "
              f"median {cell.median:7.2f} ms  p95 {cell.p95:7.2f} ms", flush=True)
        if profile:
            prof = cProfile.Profile()
            prof.enable()
            for k in range(max(20, runs // 2)):
                try:
                    call(k)
                finally:
                    import ckan.model as model
                    model.Session.remove()
            prof.disable()
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(45)
            profiles[f"{action} | {case} | {cell.user}"] = buf.getvalue()
    return {"mode": mode, "cells": [asdict(c) for c in cells], "profiles": profiles,
            "loadavg": os.getloadavg()[0]}


# -- report ----------------------------------------------------------------------
def report(n: int, setup: dict[str, Any], suite: dict[str, Any], plain: dict[str, Any],
           runs: int, warmup: int) -> tuple[str, int]:
    key = lambda c: (c["action"], c["case"], c["user"])  # noqa: E731
    plain_cells = {key(c): c for c in plain["cells"]}
    lines = [
        f"### Governance suite overhead at N = {n:,} datasets\n",
        f"Catalog: {n:,} datasets via package_create with the full suite ({setup['create_rate']:.1f}/s), "
        f"{setup['published']:,} public ones published; {os.cpu_count()} cores; {runs} timed runs after "
        f"{warmup} warm-up per cell in each of {suite['rounds']} alternating suite/plain rounds (figures: the "
        f"median over the rounds); load average suite {suite['loadavg']:.1f}, plain {plain['loadavg']:.1f} "
        f"(other processes share the machine: differences of a few % are noise). Search cache_ttl "
        f"{setup.get('cache_ttl')}. `found` differs between modes for logged-in users: plain CKAN "
        f"does not know the suite's permission labels.\n",
        "| action | case | user | found suite/plain | suite median ms | plain median ms | overhead median "
        "| suite p95 ms | plain p95 ms | overhead p95 | ≤ 15 % |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    fails = 0
    for c in suite["cells"]:
        p = plain_cells.get(key(c))
        if p is None:
            continue
        om = (c["median"] / p["median"] - 1) * 100
        op = (c["p95"] / p["p95"] - 1) * 100
        ok = om <= THRESHOLD and not c["errors"] and not p["errors"]
        fails += not ok
        err = f" ({c['errors']}/{p['errors']} errors)" if c["errors"] or p["errors"] else ""
        lines.append(f"| {c['action']} | {c['case']} | {c['user']} | {c['found']:,}/{p['found']:,} | "
                     f"{c['median']:.2f} | {p['median']:.2f} | {om:+.1f} % | {c['p95']:.2f} | {p['p95']:.2f} | "
                     f"{op:+.1f} % | {'PASS' if ok else 'FAIL'}{err} |")
    lines.append("\nPASS/FAIL is judged on the median overhead; p95 is shown for information.\n")
    return "\n".join(lines), fails


def combine(n: int, mode: str) -> dict[str, Any]:
    """One result per mode: every cell's median (and p95) is the median over the rounds."""
    rounds = [json.loads(f.read_text()) for f in sorted(RESULTS.glob(f"governance-{n}-{mode}-*.json"))]
    if not rounds:
        raise SystemExit(f"no {mode} results for N = {n}: run --mode {mode} first")
    cells = []
    for i, cell in enumerate(rounds[0]["cells"]):
        same = [r["cells"][i] for r in rounds]
        cells.append(dict(cell, median=statistics.median(c["median"] for c in same),
                          p95=statistics.median(c["p95"] for c in same),
                          errors=sum(c["errors"] for c in same), runs=sum(c["runs"] for c in same)))
    return {"mode": mode, "cells": cells, "rounds": len(rounds),
            "loadavg": statistics.mean(r["loadavg"] for r in rounds)}


def child(mode: str, args: argparse.Namespace) -> None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--mode", mode, "--n", str(args.n),
           "--runs", str(args.runs), "--warmup", str(args.warmup), "--ini", str(args.ini),
           "--round", str(args.round)]
    if args.profile:
        cmd.append("--profile")
    print(f"\n$ {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10000, help="datasets in the catalog (default 10000)")
    parser.add_argument("--mode", choices=["all", "setup", "suite", "plain", "report"], default="all",
                        help="all = setup + suite + plain (child processes) + report (default)")
    parser.add_argument("--keep", action="store_true",
                        help="with --mode all: reuse the catalog of an earlier setup for the same N")
    parser.add_argument("--runs", type=int, default=100, help="timed runs per cell (default 100)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed runs per cell first (default 20)")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile every cell; top functions go to governance-<N>-<mode>-profile.txt")
    parser.add_argument("--rounds", type=int, default=3,
                        help="with --mode all: alternate suite and plain this often; the report takes "
                             "each cell's median over the rounds (the machine is shared: one round is noisy)")
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--ini", type=Path, default=HERE / "governance.ini")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    n = args.n

    if args.mode == "all":
        if not (args.keep and (RESULTS / f"governance-{n}-setup.json").exists()):
            child("setup", args)
        for stale in RESULTS.glob(f"governance-{n}-*-[0-9]*.json"):
            stale.unlink()
        for k in range(args.rounds):
            args.round = k
            child("suite", args)
            child("plain", args)
        args.mode = "report"
    if args.mode == "report":
        load = lambda m: json.loads((RESULTS / f"governance-{n}-{m}.json").read_text())  # noqa: E731
        table, fails = report(n, load("setup"), combine(n, "suite"), combine(n, "plain"), args.runs, args.warmup)
        print("\n" + table)
        (RESULTS / f"governance-{n}.md").write_text(table, encoding="utf-8")
        print(f"written to {RESULTS / f'governance-{n}.md'}")
        return 1 if fails else 0

    # one process, one plugin set
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    conf = load_config(str(args.ini))
    conf["ckan.plugins"] = PLAIN_PLUGINS if args.mode == "plain" else SUITE_PLUGINS
    app = make_app(conf)
    app._wsgi_app.test_request_context().push()
    import logging

    logging.getLogger().setLevel(logging.ERROR)
    from ckan.common import config

    print(f"[{args.mode}] plugins: {config.get('ckan.plugins')}", flush=True)
    if args.mode == "setup":
        t0 = time.perf_counter()
        info = setup_catalog(n)
        info["targets"] = choose_show_targets(info["created"])
        info["cache_ttl"] = config.get("ckanext.datagovernance.search.cache_ttl")
        info["setup_seconds"] = time.perf_counter() - t0
        (RESULTS / f"governance-{n}-setup.json").write_text(json.dumps(info), encoding="utf-8")
        print(f"  set-up {info['setup_seconds']:.0f} s; show targets: "
              f"{ {u: len(ids) for u, ids in info['targets'].items()} }")
        return 0
    result = measure(args.mode, n, args.runs, args.warmup, args.profile)
    profiles = result.pop("profiles")
    (RESULTS / f"governance-{n}-{args.mode}-{args.round}.json").write_text(json.dumps(result), encoding="utf-8")
    if profiles:
        (RESULTS / f"governance-{n}-{args.mode}-profile.txt").write_text(
            "\n\n".join(f"## {k}\n{v}" for k, v in profiles.items()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
