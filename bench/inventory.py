"""Throughput of the data-inventory import/export (issue 11). Not a test.

    bin/ensure-db.sh datagovernance_bench_inv
    .venv/bin/python bench/inventory.py --sizes 1000 10000 [--profile]

Resets the bench database, creates a city (organisations, domains, people,
a data-office user who is editor of every organisation) and for each size:

- dry run of N realistic rows of which 2 % are bad (unknown domain, value
  outside a vocabulary, missing title, unknown person);
- import of the N good rows (new datasets, as the data office);
- re-import of the same file (every row unchanged), twice (cold, warm);
- export of the whole inventory (XLSX), twice.

Prints rows/s and writes bench/results/inventory.md. `--profile` prints the
top of a cProfile of a 300-row import (where the time goes); `--split N`
the CPU milliseconds and SQL statements per new row of each phase of an
N-row import (no profiler overhead).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import search as sb  # noqa: E402  (bench/search.py: boot)

RESULTS = HERE / "results"
OFFICE = "benchinv-office"
ORGS = [("ordnungsamt", "Ordnungsamt"), ("tiefbau", "Amt für Tiefbau"), ("umwelt", "Umweltamt"),
        ("kaemmerei", "Kämmerei"), ("schulamt", "Schulamt")]
DOMAINS = [("geodaten", "Geodaten"), ("verkehr", "Verkehr"), ("umweltdaten", "Umweltdaten"),
           ("finanzen", "Finanzen"), ("bildung", "Bildung"), ("gebaeude", "Gebäudedaten")]
PEOPLE = [f"benchinv-owner-{k}" for k in range(20)]
SUBJECTS = ["Straßenbeleuchtung", "Parkplätze", "Baumkataster", "Haushaltsplan", "Schulstandorte",
            "Lärmkartierung", "Radwege", "Gewerbeanmeldungen", "Friedhöfe", "Spielplätze", "Wahlergebnisse",
            "Luftmessstationen", "Bebauungspläne", "Müllabfuhrtermine", "Hundesteuer"]
HEADERS = ["Inventarnummer", "Titel", "Beschreibung", "Schlagworte", "Datenthemen (EU)",
           "Organisation (Fachbereich/Amt)", "Datendomäne", "Data Owner", "Kontaktstelle", "Kontakt-E-Mail",
           "Aktualisierungsfrequenz", "Sprache", "Rechtsgrundlage", "Quellsystem (intern)", "Zugriffsklasse",
           "Personenbezug", "Aufbewahrungsfrist (intern)", "Stammdaten", "Qualitätsstandard", "Lizenz", "Zeitraum von"]


def setup() -> None:
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckan.cli.db import _run_migrations

    model.repo.clean_db()
    model.repo.init_db()
    for plugin in ("activity", "datagovernance_search", "datagovernance"):
        _run_migrations(plugin)
    admin = {"ignore_auth": True, "user": ""}
    tk.get_action("user_create")(admin, {"name": "benchinv-admin", "email": "admin@bench.example",
                                         "password": "Bench-Passwort-2025"})
    model.User.get("benchinv-admin").sysadmin = True
    model.repo.commit()
    sys_ctx = {"user": "benchinv-admin"}
    for name in [OFFICE, *PEOPLE]:
        k = name.rsplit("-", 1)[-1]
        tk.get_action("user_create")(dict(admin), {
            "name": name, "email": f"{name}@stadt.example", "password": "Bench-Passwort-2025",
            "fullname": "Datenbüro" if name == OFFICE else f"Person {k} Muster"})
    for name, title in ORGS:
        tk.get_action("organization_create")(dict(sys_ctx), {
            "name": name, "title": title, "users": [{"name": OFFICE, "capacity": "editor"}]})
    for name, title in DOMAINS:
        tk.get_action("group_create")(dict(sys_ctx), {"type": "domain", "name": name, "title": title})
    tk.get_action("datagovernance_role_grant")(dict(sys_ctx), {"user": OFFICE, "role": "data_office"})
    model.repo.commit()


def make_rows(n: int, offset: int, bad_share: float = 0.0, seed: int = 11) -> list[list[Any]]:
    rnd = random.Random(seed + offset)
    rows = []
    for i in range(offset, offset + n):
        subject = SUBJECTS[i % len(SUBJECTS)]
        org = ORGS[i % len(ORGS)][1]
        row = {
            "Inventarnummer": f"INV-{i:06d}", "Titel": f"{subject} {i}",
            "Beschreibung": f"{subject} der Stadt, Bestand {i}, gepflegt im Fachverfahren.",
            "Schlagworte": ", ".join(rnd.sample(["Verkehr", "Umwelt", "Geodaten", "Haushalt", "Bildung",
                                                  "Stadtplanung", "Sicherheit"], 2)),
            "Datenthemen (EU)": rnd.choice(["Regierung und öffentlicher Sektor", "Verkehr", "Umwelt",
                                            "Regierung und öffentlicher Sektor; Umwelt"]),
            "Organisation (Fachbereich/Amt)": org, "Datendomäne": rnd.choice(DOMAINS)[1],
            "Data Owner": f"Person {rnd.randrange(len(PEOPLE))} Muster",
            "Kontaktstelle": "Team Open Data", "Kontakt-E-Mail": "opendata@stadt.example",
            "Aktualisierungsfrequenz": rnd.choice(["jährlich", "monatlich", "täglich", "unregelmäßig"]),
            "Sprache": "Deutsch", "Rechtsgrundlage": "§ 12 HBO", "Quellsystem (intern)": rnd.choice(["SAP", "ALKIS"]),
            "Zugriffsklasse": rnd.choice(["Intern", "Öffentlich", "Eingeschränkt"]),
            "Personenbezug": "Kein Personenbezug", "Aufbewahrungsfrist (intern)": "10 Jahre",
            "Stammdaten": rnd.choice(["Ja", "Nein"]), "Qualitätsstandard": "ALKIS GeoInfoDok", "Lizenz": "Datenlizenz Deutschland Namensnennung 2.0",
            "Zeitraum von": f"01.01.{2000 + i % 25}",
        }
        if bad_share and rnd.random() < bad_share:
            broken = rnd.choice(["Datendomäne", "Zugriffsklasse", "Titel", "Data Owner"])
            row[broken] = {"Datendomäne": "Gibt es nicht", "Zugriffsklasse": "geheim", "Titel": "",
                           "Data Owner": "Niemand Unbekannt"}[broken]
            if broken == "Titel":
                row["Inventarnummer"] = f"NEU-{i:06d}"
        rows.append([row[h] for h in HEADERS])
    return rows


STATEMENTS = [0]


def count_statements() -> None:
    """SQL statements per row: a figure the machine's load does not change."""
    import ckan.model as model
    from sqlalchemy import event

    event.listen(model.meta.engine, "before_cursor_execute", lambda *a, **k: STATEMENTS.__setitem__(0, STATEMENTS[0] + 1))


def run(rows: list[list[Any]], **kw: Any) -> tuple[float, dict[str, Any]]:
    import ckan.model as model

    from ckanext.datagovernance.inventory import service

    user = model.User.get(OFFICE)
    t, cpu, sql = time.perf_counter(), time.process_time(), STATEMENTS[0]
    report = service.run_import({"user": OFFICE, "auth_user_obj": user}, HEADERS, rows, **kw)
    counts: dict[str, Any] = dict(report.counts())
    counts["cpu s"] = round(time.process_time() - cpu, 1)
    counts["SQL/row"] = round((STATEMENTS[0] - sql) / max(1, len(rows)), 1)
    return time.perf_counter() - t, counts


def export() -> tuple[float, int]:
    import ckan.model as model

    from ckanext.datagovernance.inventory import files, service

    t, cpu = time.perf_counter(), time.process_time()
    headers, rows = service.export_table({"user": OFFICE, "auth_user_obj": model.User.get(OFFICE)})
    files.write_xlsx(headers, rows)
    print(f"  export: {time.process_time() - cpu:.1f} s CPU", flush=True)
    return time.perf_counter() - t, len(rows)


def clone_index(total: int) -> int:
    """Copies the search-index documents of the imported datasets until there
    are `total` (new index ids, ids and names): the export reads only the
    index and the directories, so this measures a 10k export without
    importing 10k datasets first (hours on a loaded machine)."""
    import ckan.model as model
    import sqlalchemy as sa

    table = "datagovernance_search_index"
    cols = [r[0] for r in model.Session.execute(sa.text(
        "select column_name from information_schema.columns where table_name = :t order by ordinal_position"),
        {"t": table})]
    have = model.Session.execute(sa.text(f"select count(*) from {table} where dataset_type = 'dataset'")).scalar()
    copies = max(0, -(-total // max(1, have)) - 1)
    changed = {"index_id": "index_id || '-c' || g", "id": "id || '-c' || g", "name": "name || '-c' || g"}
    select = ", ".join(changed.get(c, c) for c in cols)
    model.Session.execute(sa.text(
        f"insert into {table} ({', '.join(cols)}) select {select} from {table}, generate_series(1, :n) g "
        f"where dataset_type = 'dataset'"), {"n": copies})
    model.repo.commit()
    return model.Session.execute(sa.text(f"select count(*) from {table} where dataset_type = 'dataset'")).scalar()


def split(n: int) -> None:
    """CPU ms and SQL statements per new row, by phase of the import."""
    import functools
    from collections import defaultdict

    import ckan.logic as logic
    import ckan.plugins as plugins
    from ckan.lib.dictization import model_save

    from ckanext.datagovernance.inventory import newrows, service
    from ckanext.datagovernance.search import backend

    spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])

    def measure(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def measured(*a: Any, **k: Any) -> Any:
            cpu, sql = time.process_time(), STATEMENTS[0]
            try:
                return original(*a, **k)
            finally:
                spent[label][0] += time.process_time() - cpu
                spent[label][1] += STATEMENTS[0] - sql

        setattr(owner, name, measured)

    measure(service, "_write", "write phase")
    measure(service, "_validate", "  validation (create schema, once)")
    measure(service, "_create", "  dataset write (model save, membership, create hooks)")
    measure(service, "_write_new", "  new rows written together (newrows.write)")
    measure(newrows, "show_dicts", "  show schemas + after_dataset_show (new rows)")
    measure(model_save, "package_dict_save", "    model save")
    for plugin in plugins.PluginImplementations(plugins.IPackageController):
        measure(plugin, "after_dataset_create", f"    {type(plugin).__name__}.after_dataset_create")
    measure(service, "_index", "index phase")
    measure(logic, "package_show_default_and_custom_schemas", "  dictization + default and scheming show schemas")
    measure(logic, "index_update_package_dicts", "  index document (hooks, document)")
    measure(backend, "_write", "  index rows written (batched)")
    measure(service, "_write_activities", "  activities written (batched)")
    run(make_rows(20, 800_000))  # warm
    spent.clear()
    secs, counts = run(make_rows(n, 900_000))
    print(f"{n} new rows: {secs:.1f} s wall, {counts}")
    for label, (cpu, sql) in spent.items():
        print(f"{label:58s} {cpu / n * 1000:6.1f} ms CPU/row {sql / n:5.1f} SQL/row")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ini", default=str(HERE / "inventory.ini"))
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--profile-rows", type=int, default=300)
    ap.add_argument("--split", type=int, metavar="N", help="CPU and SQL per new row by phase of an N-row import")
    ap.add_argument("--export-only", type=int, metavar="N",
                    help="import 100 rows, clone their index documents to N, time the export only")
    args = ap.parse_args(argv)
    sb.boot(Path(args.ini))
    setup()
    count_statements()
    lines = ["| rows | step | seconds | rows/s | result |", "|---:|---|---:|---:|---|"]

    def out(n: int, step: str, secs: float, counts: Any) -> None:
        lines.append(f"| {n} | {step} | {secs:.2f} | {n / secs:,.0f} | {counts} |")
        print(lines[-1], flush=True)

    if args.split:
        split(args.split)
        return 0
    if args.export_only:
        secs, counts = run(make_rows(100, 0))
        out(100, "import (new datasets)", secs, counts)
        clone_index(args.export_only)
        for label in ("cold", "warm"):
            secs, count = export()
            out(count, f"export XLSX ({count} index documents, cloned), {label}", secs, "")
        print("\n".join(lines))
        return 0
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        print(run(make_rows(args.profile_rows, 900_000)))
        prof.disable()
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(60)
        print(s.getvalue())
    offset = 0
    for n in args.sizes:
        good = make_rows(n, offset)
        mixed = make_rows(n, offset, bad_share=0.02)
        secs, counts = run(mixed, dry_run=True)
        out(n, "dry run (2 % bad), cold", secs, counts)
        secs, counts = run(mixed, dry_run=True)
        out(n, "dry run (2 % bad), warm", secs, counts)
        secs, counts = run(good)
        out(n, "import (new datasets)", secs, counts)
        secs, counts = run(good)
        out(n, "re-import unchanged, cold", secs, counts)
        secs, counts = run(good)
        out(n, "re-import unchanged, warm", secs, counts)
        for label in ("cold", "warm"):
            secs, count = export()
            out(count, f"export XLSX ({count} datasets), {label}", secs, "")
        offset += n
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "inventory.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
