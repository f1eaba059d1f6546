"""Search benchmark for the PostgreSQL search backend (datagovernance_search).

Not a test: loads N synthetic German municipal datasets into the search index
and prints median/p95 latency of package_search/package_autocomplete plus the
throughput of `search-index rebuild`.

    bin/ensure-db.sh datagovernance_bench
    .venv/bin/python bench/search.py --n 10000 --n 100000

How the data gets there: `--rebuild-sample` real datasets (organisations,
groups, tags, licences, extras, resources) are created with package_create;
the rest of the N index documents are built by CKAN's own
``PackageSearchIndex.index_package`` from synthetic package_show dicts and
written with ``PostgresSolr.add`` in batches. Each query runs with the
backend's Redis count/facet cache off (every call computed) and, if the config
enables it, on (the repeated query served from the cache). Those documents have no
``package`` row, so package_search (which only reads the index) sees N
datasets. Do not run `ckan -c bench/bench.ini search-index rebuild` on this
database: its orphan cleanup deletes the synthetic documents.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import re
import statistics
import sys
import time
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TABLE = "datagovernance_search_index"
NS = uuid.UUID("5d1c1e0e-6a4b-4c1e-9a57-0b3e1d2c9f10")  # synthetic ids: uuid5(NS, i)
ADMIN = "benchadmin"
# logged-in staff: editor in every organisation, so it reads the private
# (internal) datasets too, through CKAN's permission labels
STAFF = "benchstaff"
# the same staff member with the labels computed as the suite's own label
# plugin computes CKAN's part (roles/labels.ckan_user_labels: the same
# labels from ids, 2 queries) instead of CKAN's DefaultPermissionLabels
# (organization_list_for_user: 4 user look-ups, 2 queries, 20 dictized
# organisations); --suite-labels
SUITE_STAFF = STAFF + " (suite labels)"
FACETS = ["organization", "groups", "tags", "res_format", "license_id"]
CACHE_TTL = "ckanext.datagovernance.search.cache_ttl"  # the backend's Redis count/facet cache
END = dt.datetime(2025, 10, 31, 12, 0, 0)  # newest synthetic metadata_modified
START = dt.datetime(2016, 1, 1)

# -- vocabulary -------------------------------------------------------------
# (slug, title) of the organisations (Ämter/Fachbereiche).
ORGS = [
    ("stadtkaemmerei", "Stadtkämmerei"),
    ("amt-fuer-statistik-und-wahlen", "Amt für Statistik und Wahlen"),
    ("stadtplanungsamt", "Stadtplanungsamt"),
    ("amt-fuer-umwelt-und-gruenflaechen", "Amt für Umwelt und Grünflächen"),
    ("strassenverkehrsamt", "Straßenverkehrsamt"),
    ("jugendamt", "Jugendamt"),
    ("staatliches-schulamt", "Schulamt"),
    ("ordnungsamt", "Ordnungsamt"),
    ("bauaufsicht", "Bauaufsicht"),
    ("vermessungs-und-katasteramt", "Vermessungs- und Katasteramt"),
    ("feuerwehr", "Feuerwehr"),
    ("kulturamt", "Kulturamt"),
    ("sozialamt", "Sozialamt"),
    ("wirtschaftsfoerderung", "Wirtschaftsförderung"),
    ("tiefbauamt", "Tiefbauamt"),
    ("gesundheitsamt", "Gesundheitsamt"),
    ("personal-und-organisationsamt", "Personal- und Organisationsamt"),
    ("hauptamt", "Hauptamt"),
    ("sportamt", "Sportamt"),
    ("energiereferat", "Energiereferat"),
]
# DCAT-AP.de themes as groups.
GROUPS = [
    ("wirtschaft-und-finanzen", "Wirtschaft und Finanzen"),
    ("bevoelkerung-und-gesellschaft", "Bevölkerung und Gesellschaft"),
    ("bildung-kultur-und-sport", "Bildung, Kultur und Sport"),
    ("umwelt", "Umwelt"),
    ("verkehr", "Verkehr"),
    ("regierung-und-oeffentlicher-sektor", "Regierung und öffentlicher Sektor"),
    ("gesundheit", "Gesundheit"),
    ("regionen-und-staedte", "Regionen und Städte"),
    ("energie", "Energie"),
    ("justiz-und-oeffentliche-sicherheit", "Justiz, Rechtssystem und öffentliche Sicherheit"),
]
# topic title, org index, group index, topic tags
TOPICS: list[tuple[str, int, int, list[str]]] = [
    ("Haushaltsplan", 0, 0, ["haushalt", "finanzen", "produkthaushalt"]),
    ("Jahresabschluss", 0, 0, ["haushalt", "bilanz", "finanzen"]),
    ("Steuereinnahmen", 0, 0, ["steuern", "gewerbesteuer", "finanzen"]),
    ("Hundesteuer", 0, 0, ["steuern", "hunde"]),
    ("Bevölkerungsstand", 1, 1, ["bevölkerung", "einwohner", "statistik"]),
    ("Einwohner nach Altersgruppen", 1, 1, ["bevölkerung", "altersstruktur", "statistik"]),
    ("Geburten und Sterbefälle", 1, 1, ["bevölkerung", "geburten", "sterbefälle"]),
    ("Wanderungsstatistik", 1, 1, ["bevölkerung", "zuzüge", "wegzüge"]),
    ("Wahlergebnisse Kommunalwahl", 1, 5, ["wahlen", "kommunalwahl", "wahlergebnisse"]),
    ("Wahlergebnisse Bundestagswahl", 1, 5, ["wahlen", "bundestagswahl", "wahlergebnisse"]),
    ("Wahlbezirke", 1, 5, ["wahlen", "wahlbezirke", "geodaten"]),
    ("Bebauungspläne", 2, 7, ["bebauungsplan", "bauleitplanung", "geodaten"]),
    ("Flächennutzungsplan", 2, 7, ["flächennutzungsplan", "bauleitplanung", "geodaten"]),
    ("Bodenrichtwerte", 9, 7, ["bodenrichtwerte", "immobilien", "geodaten"]),
    ("Mietspiegel", 2, 1, ["mietspiegel", "wohnen", "mieten"]),
    ("Baumkataster", 3, 3, ["bäume", "baumkataster", "stadtgrün"]),
    ("Grünflächen und Parks", 3, 3, ["grünflächen", "parks", "stadtgrün"]),
    ("Luftqualität Messstationen", 3, 3, ["luftqualität", "stickstoffdioxid", "feinstaub"]),
    ("Lärmkartierung", 3, 3, ["lärm", "umgebungslärm", "geodaten"]),
    ("Hochwassergefahrenkarte", 3, 9, ["hochwasser", "gefahrenkarte", "geodaten"]),
    ("Abfallkalender", 3, 3, ["abfall", "müllabfuhr", "termine"]),
    ("Radwege", 4, 4, ["radverkehr", "radwege", "mobilität"]),
    ("Parkplätze und Parkhäuser", 4, 4, ["parken", "parkplätze", "mobilität"]),
    ("Verkehrszählung", 4, 4, ["verkehr", "verkehrszählung", "kfz"]),
    ("Haltestellen ÖPNV", 4, 4, ["öpnv", "haltestellen", "mobilität"]),
    ("Ladesäulen E-Mobilität", 19, 8, ["elektromobilität", "ladesäulen", "mobilität"]),
    ("Unfallstatistik", 4, 9, ["verkehrsunfälle", "verkehr", "statistik"]),
    ("Baustellen", 14, 4, ["baustellen", "verkehr", "straßen"]),
    ("Straßenverzeichnis", 9, 7, ["straßen", "adressen", "geodaten"]),
    ("Kita-Standorte", 5, 2, ["kita", "kinderbetreuung", "standorte"]),
    ("Spielplätze", 5, 2, ["spielplätze", "kinder", "standorte"]),
    ("Schulen", 6, 2, ["schulen", "bildung", "standorte"]),
    ("Gewerbeanmeldungen", 7, 0, ["gewerbe", "gewerbeanmeldungen", "wirtschaft"]),
    ("Baugenehmigungen", 8, 7, ["baugenehmigungen", "bauen", "statistik"]),
    ("Denkmalliste", 8, 2, ["denkmalschutz", "kulturdenkmäler"]),
    ("Feuerwehreinsätze", 10, 9, ["feuerwehr", "einsätze", "sicherheit"]),
    ("Museumsbesuche", 11, 2, ["museen", "kultur", "besucherzahlen"]),
    ("Veranstaltungskalender", 11, 2, ["veranstaltungen", "kultur", "termine"]),
    ("Sozialleistungen", 12, 1, ["sozialleistungen", "grundsicherung", "soziales"]),
    ("Wohngeld", 12, 1, ["wohngeld", "wohnen", "soziales"]),
    ("Wochenmärkte", 13, 0, ["märkte", "wirtschaft", "termine"]),
    ("Tourismus Übernachtungen", 13, 0, ["tourismus", "übernachtungen", "wirtschaft"]),
    ("Straßenbeleuchtung", 14, 8, ["straßenbeleuchtung", "energie", "straßen"]),
    ("Trinkwasserqualität", 15, 6, ["trinkwasser", "wasserqualität", "gesundheit"]),
    ("Impfstellen", 15, 6, ["impfungen", "gesundheit", "standorte"]),
    ("Personalstatistik Verwaltung", 16, 5, ["personal", "verwaltung", "statistik"]),
    ("Ratsinformationen Sitzungen", 17, 5, ["stadtverordnetenversammlung", "sitzungen", "politik"]),
    ("Öffentliche Toiletten", 17, 7, ["toiletten", "barrierefreiheit", "standorte"]),
    ("WLAN-Hotspots", 17, 7, ["wlan", "digitalisierung", "standorte"]),
    ("Sportstätten", 18, 2, ["sport", "sportstätten", "standorte"]),
    ("Solarpotenzialkataster", 19, 8, ["solar", "photovoltaik", "klimaschutz"]),
    ("Energieverbrauch städtischer Gebäude", 19, 8, ["energieverbrauch", "klimaschutz", "gebäude"]),
]
PLACES = [
    "Offenbach", "Darmstadt", "Kassel", "Wiesbaden", "Gießen", "Marburg", "Fulda", "Hanau",
    "Frankfurt", "Rüsselsheim", "Bad Homburg", "Wetzlar", "Oberursel", "Rodgau", "Dreieich",
    "Bensheim", "Hofheim", "Maintal", "Neu-Isenburg", "Langen", "Limburg", "Dietzenbach",
    "Mörfelden-Walldorf", "Bad Vilbel", "Viernheim",
]
GENERIC_TAGS = [
    "open-data", "statistik", "geodaten", "karte", "zeitreihe", "verwaltung", "stadt", "inspire",
    "hessen", "kommune", "infrastruktur", "standorte", "jahresbericht", "monatswerte", "tabelle",
    "ortsteile", "stadtteile", "bürgerservice", "digitalisierung", "smart-city", "klimaschutz",
    "nachhaltigkeit", "barrierefreiheit", "api", "echtzeit", "historisch", "planung", "umwelt",
]
FORMATS = [("CSV", 35), ("JSON", 14), ("XML", 8), ("PDF", 15), ("WMS", 8), ("WFS", 4),
           ("GeoJSON", 8), ("XLSX", 6), ("SHP", 2)]
LICENSES = [("dl-by-de/2.0", 45), ("dl-zero-de/2.0", 20), ("cc-by", 15), ("cc-zero", 10),
            ("odc-odbl", 5), ("other-closed", 5)]
FREQUENCIES = ["jährlich", "halbjährlich", "monatlich", "wöchentlich", "täglich", "unregelmäßig"]
SYSTEMS = ["ArcGIS", "OK.VOTE", "SAP", "Excel", "PostGIS", "Fachverfahren", "QGIS"]
SENTENCES = [
    "Die Daten werden {freq} vom {org} aktualisiert.",
    "Enthalten sind alle Einträge aus dem Stadtgebiet {place} einschließlich der Stadtteile.",
    "Grundlage ist das Fachverfahren {sys}; die Angaben sind ohne Gewähr.",
    "Die Geometrien liegen im Koordinatensystem ETRS89 / UTM Zone 32N vor.",
    "Der Datensatz wird im Rahmen der Open-Data-Strategie der Stadt {place} veröffentlicht.",
    "Personenbezogene Angaben wurden vor der Veröffentlichung entfernt.",
    "Historische Werte ab {year0} sind in separaten Dateien verfügbar.",
    "Für Rückfragen wenden Sie sich bitte an das {org}.",
]
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.translate(UMLAUTS).lower()).strip("-")


def _zipf(n: int, s: float = 1.1) -> list[float]:
    return [1.0 / (r + 1) ** s for r in range(n)]


# ~200 tags, Zipf-distributed in a fixed (shuffled) popularity order
TAGS = sorted({t for _, _, _, ts in TOPICS for t in ts} | set(GENERIC_TAGS)
              | {slug(p) for p in PLACES} | {str(y) for y in range(2010, 2026)})
random.Random(7).shuffle(TAGS)
TAG_WEIGHTS = _zipf(len(TAGS))
TOPIC_WEIGHTS = _zipf(len(TOPICS), 0.6)
PLACE_WEIGHTS = _zipf(len(PLACES), 0.8)


@dataclass
class Spec:
    """What package_create would receive for dataset number i (deterministic)."""

    i: int
    name: str
    title: str
    notes: str
    org: str
    groups: list[str]
    tags: list[str]
    license_id: str
    private: bool
    extras: list[dict[str, str]]
    resources: list[dict[str, Any]]
    created: dt.datetime
    modified: dt.datetime

    def create_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "notes": self.notes, "owner_org": self.org,
            "groups": [{"name": g} for g in self.groups], "tags": [{"name": t} for t in self.tags],
            "license_id": self.license_id, "private": self.private, "extras": self.extras,
            "resources": [{k: v for k, v in r.items()} for r in self.resources],
        }


def make_spec(i: int) -> Spec:
    rng = random.Random(i * 7919 + 13)
    topic, org_i, group_i, topic_tags = rng.choices(TOPICS, TOPIC_WEIGHTS)[0]
    place = rng.choices(PLACES, PLACE_WEIGHTS)[0]
    year = rng.randint(2012, 2025)
    variant = rng.random()
    if variant < 0.5:
        title = f"{topic} {place} {year}"
    elif variant < 0.8:
        title = f"{topic} {place}"
    else:
        title = f"{topic} {year} – Stadt {place}"
    org_slug = ORGS[org_i][0] if rng.random() < 0.8 else rng.choices(ORGS, _zipf(len(ORGS)))[0][0]
    org_title = dict(ORGS)[org_slug]
    groups = [GROUPS[group_i][0]] if rng.random() > 0.05 else []
    if rng.random() < 0.2:
        groups.append(rng.choice(GROUPS)[0])
    tags = list(dict.fromkeys(
        rng.sample(topic_tags, rng.randint(1, len(topic_tags))) + [slug(place), str(year)]
        + rng.choices(TAGS, TAG_WEIGHTS, k=rng.randint(0, 4))
    ))
    fmt = dict(freq=rng.choice(FREQUENCIES), org=org_title, place=place, sys=rng.choice(SYSTEMS),
               year0=year - rng.randint(3, 10))
    notes = f"{topic} für {place} ({year}). " + " ".join(
        s.format(**fmt) for s in rng.sample(SENTENCES, rng.randint(1, 4)))
    created = START + (END - START) * rng.random()
    modified = created + (END - created) * (rng.random() ** 0.5)
    extras = [{"key": "spatial_text", "value": place},
              {"key": "temporal_start", "value": f"{year}-01-01"},
              {"key": "temporal_end", "value": f"{year}-12-31"}]
    if rng.random() < 0.6:
        extras.append({"key": "update_frequency", "value": fmt["freq"]})
    if rng.random() < 0.4:
        extras.append({"key": "source_system", "value": fmt["sys"]})
    city = slug(place)
    name = f"{slug(title)[:80]}-{i}"
    resources = []
    for pos in range(rng.choices([1, 2, 3, 4], [40, 30, 20, 10])[0]):
        f = rng.choices([f for f, _ in FORMATS], [w for _, w in FORMATS])[0]
        resources.append({
            "name": f"{topic} {year} ({f})" if pos == 0 else f"{topic} {place} Teil {pos + 1} ({f})",
            "url": f"https://opendata.{city}.de/dataset/{name}/resource/{pos}.{f.lower()}",
            "format": f,
            "description": rng.choice(["", f"Export aus {fmt['sys']}.", f"Stand {year}-12-31."]),
        })
    return Spec(i, name, title, notes, org_slug, groups, tags,
                rng.choices([lic for lic, _ in LICENSES], [w for _, w in LICENSES])[0],
                rng.random() < 0.1, extras, resources, created, modified)


# -- CKAN -------------------------------------------------------------------
def boot(ini: Path) -> Any:
    """Loads CKAN in-process and enters a request context (as CKAN's pytest plugin does)."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(ini)))
    ctx = app._wsgi_app.test_request_context()
    ctx.push()
    logging.getLogger().setLevel(logging.ERROR)
    return ctx


def reset_db() -> None:
    import ckan.model as model

    model.repo.clean_db()  # drops every table, the search index included
    model.repo.init_db()
    migrate()


def migrate() -> None:
    from ckan.cli.db import _run_migrations

    for plugin in ("activity", "datagovernance_search"):
        _run_migrations(plugin)  # to head; a no-op when current


def sql(statement: str, **params: Any) -> Any:
    import ckan.model as model
    import sqlalchemy as sa

    return model.Session.execute(sa.text(statement), params)


def ensure_site(real: int) -> None:
    """Sysadmin, organisations, groups and `real` datasets through CKAN actions."""
    import ckan.model as model
    import ckan.plugins.toolkit as tk

    if model.User.get(ADMIN) is None:
        tk.get_action("user_create")({"ignore_auth": True}, {
            "name": ADMIN, "email": "bench@example.org", "password": "Bench-Passwort-2025"})
        model.User.get(ADMIN).sysadmin = True
        model.Session.commit()

    def ctx() -> dict[str, Any]:
        return {"user": ADMIN}

    if model.User.get(STAFF) is None:
        tk.get_action("user_create")({"ignore_auth": True}, {
            "name": STAFF, "email": "staff@example.org", "password": "Bench-Passwort-2025"})
        model.Session.commit()
    for kind, items in (("organization", ORGS), ("group", GROUPS)):
        existing = set(tk.get_action(f"{kind}_list")(ctx(), {"all_fields": False}))
        for name, title in items:
            if name not in existing:
                tk.get_action(f"{kind}_create")(ctx(), {
                    "name": name, "title": title, "description": f"{title} (Benchmark)"})
    for name, _title in ORGS:
        tk.get_action("organization_member_create")(ctx(), {"id": name, "username": STAFF, "role": "editor"})
    have = {n for (n,) in sql("SELECT name FROM package WHERE state = 'active'")}
    todo = [i for i in range(real) if make_spec(i).name not in have]
    t0 = time.perf_counter()
    for k, i in enumerate(todo, 1):
        tk.get_action("package_create")(ctx(), make_spec(i).create_dict())
        if k % 100 == 0 or k == len(todo):
            rate = k / (time.perf_counter() - t0)
            print(f"\r  package_create {k}/{len(todo)} ({rate:.0f}/s)", end="", flush=True)
    if todo:
        print()


class _Collector:
    """Stands in for the Solr client while CKAN builds index documents."""

    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []

    def add(self, docs: list[dict[str, Any]], **kwargs: Any) -> None:
        self.docs.extend(docs)


class SyntheticBuilder:
    """Synthetic package_show dicts -> CKAN's own index documents."""

    def __init__(self) -> None:
        import ckan.model as model
        from ckan.lib.plugins import get_permission_labels

        self.labels = get_permission_labels()
        self.creator = model.User.get(ADMIN).id
        self.orgs = {g.name: g for g in model.Session.query(model.Group).filter_by(is_organization=True)}
        self.groups = {g.name: g for g in model.Session.query(model.Group).filter_by(is_organization=False)}
        self.licenses = {lic.id: lic for lic in model.Package.get_license_register().licenses}

    def package_dict(self, s: Spec) -> dict[str, Any]:
        pid = str(uuid.uuid5(NS, str(s.i)))
        org = self.orgs[s.org]
        lic = self.licenses.get(s.license_id)
        created, modified = s.created.isoformat(), s.modified.isoformat()
        resources = [{
            "cache_last_updated": None, "cache_url": None, "created": created,
            "description": r["description"], "format": r["format"], "hash": "",
            "id": str(uuid.uuid5(NS, f"{s.i}/{pos}")), "last_modified": None,
            "metadata_modified": modified, "mimetype": None, "mimetype_inner": None,
            "name": r["name"], "package_id": pid, "position": pos, "resource_type": None,
            "size": None, "state": "active", "url": r["url"], "url_type": None,
        } for pos, r in enumerate(s.resources)]
        return {
            "author": None, "author_email": None, "creator_user_id": self.creator, "id": pid,
            "isopen": bool(lic and lic.isopen()), "license_id": s.license_id,
            "license_title": lic.title if lic else s.license_id,
            **({"license_url": lic.url} if lic and lic.url else {}),
            "maintainer": None, "maintainer_email": None,
            "metadata_created": created, "metadata_modified": modified, "name": s.name,
            "notes": s.notes, "num_resources": len(resources), "num_tags": len(s.tags),
            "organization": {
                "id": org.id, "name": org.name, "title": org.title, "type": "organization",
                "description": org.description, "image_url": org.image_url or "",
                "created": org.created.isoformat(), "is_organization": True,
                "approval_status": "approved", "state": "active"},
            "owner_org": org.id, "private": s.private, "state": "active", "title": s.title,
            "type": "dataset", "url": None, "version": None, "extras": s.extras,
            "groups": [{
                "description": g.description, "display_name": g.title, "id": g.id,
                "image_display_url": "", "name": g.name, "title": g.title,
            } for g in (self.groups[n] for n in s.groups)],
            "resources": resources,
            "tags": [{"display_name": t, "id": str(uuid.uuid5(NS, "tag:" + t)), "name": t,
                      "state": "active", "vocabulary_id": None} for t in s.tags],
            "relationships_as_subject": [], "relationships_as_object": [],
        }

    def docs(self, specs: list[Spec]) -> list[dict[str, Any]]:
        import ckan.lib.search.index as index

        collector = _Collector()
        original = index.make_connection
        index.make_connection = lambda *a, **k: collector  # type: ignore[assignment]
        try:
            package_index = index.PackageSearchIndex()
            for s in specs:
                pkg = self.package_dict(s)
                package_index.index_package(dict(pkg, with_custom_schema=pkg))
        finally:
            index.make_connection = original  # type: ignore[assignment]
        # No package row exists, so CKAN found no labels: apply its own rule.
        for s, doc in zip(specs, collector.docs, strict=False):
            stand_in = types.SimpleNamespace(state="active", private=s.private, id=doc["id"],
                                             owner_org=doc["owner_org"], creator_user_id=self.creator)
            doc["permission_labels"] = self.labels.get_dataset_labels(stand_in)
        return collector.docs


def load_index(n: int, real: int, batch: int = 500, unique: int = 0) -> None:
    """Tops the index up (or trims it) to n documents: `real` real + synthetic.

    With `unique`, only that many documents are built through CKAN; the rest
    are copies of them made in SQL (new ids and names, same values), which
    loads 100k in minutes instead of an hour on a busy machine."""
    import ckan.model as model

    from ckanext.datagovernance.search.backend import PostgresSolr

    have = sql(f"SELECT count(*) FROM {TABLE}").scalar_one()
    if have > n:  # shrink: synthetic documents beyond n go
        ids = [str(uuid.uuid5(NS, str(i))) for i in range(max(n, real), have)]
        sql(f"DELETE FROM {TABLE} WHERE id = ANY(:ids)", ids=ids)
        model.Session.commit()
        vacuum_analyze()  # dead rows would slow every scan
        have = sql(f"SELECT count(*) FROM {TABLE}").scalar_one()
    if have >= n:
        print(f"  index holds {have} documents")
        vacuum_analyze()  # cheap when nothing changed; needed after a migration
        return
    target, n = n, min(n, unique) if unique else n
    if unique and have >= n:
        clone_rows(target)
        vacuum_analyze()
        return
    builder, solr = SyntheticBuilder(), PostgresSolr()
    real_keys = {k for (k,) in sql(f"SELECT DISTINCT jsonb_object_keys(doc) FROM {TABLE}")}
    t0, done = time.perf_counter(), 0
    for lo in range(have, n, batch):
        docs = builder.docs([make_spec(i) for i in range(lo, min(lo + batch, n))])
        if lo == have and (odd := {k for d in docs for k in d} ^ real_keys):
            print(f"  WARNING: synthetic document keys differ from CKAN's: {sorted(odd)}")
        solr.add(docs)
        model.Session.commit()  # progress survives an interrupted load
        done += len(docs)
        rate = done / (time.perf_counter() - t0)
        print(f"\r  bulk load {lo + len(docs)}/{n} ({rate:.0f} docs/s)", end="", flush=True)
    if have < n:
        print()
    if target > n:
        clone_rows(target)
    vacuum_analyze()


def clone_rows(n: int) -> None:
    """Copies index rows in SQL until there are n: new index_id, id and name."""
    import ckan.model as model

    cols = [c for (c,) in sql("SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                              "ORDER BY ordinal_position", t=TABLE)]
    new = {
        "index_id": "md5(index_id || :k)", "id": "md5(id || :k)", "name": "name || '-k' || :k",
        "doc": "jsonb_set(jsonb_set(doc, '{id}', to_jsonb(md5(id || :k))), '{name}', to_jsonb(name || '-k' || :k))",
    }
    select = ", ".join(new.get(c, c) for c in cols)
    have = sql(f"SELECT count(*) FROM {TABLE}").scalar_one()
    originals = sql(f"SELECT count(*) FROM {TABLE} WHERE name !~ '-k[0-9]+$'").scalar_one()
    k = 1 + sql(f"SELECT coalesce(max(substring(name from '-k([0-9]+)$')::int), 0) FROM {TABLE}").scalar_one()
    while have < n:
        take = min(originals, n - have)
        sql(f"INSERT INTO {TABLE} ({', '.join(cols)}) SELECT {select} FROM {TABLE} "
            f"WHERE name !~ '-k[0-9]+$' ORDER BY index_id LIMIT :take", k=str(k), take=take)
        model.Session.commit()
        have += take
        k += 1
        print(f"\r  copies {have}/{n}", end="", flush=True)
    print()


def vacuum_analyze() -> None:
    """What autovacuum would have done on a settled site (stats + visibility map)."""
    import ckan.model as model

    model.Session.commit()
    with model.meta.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # the filter and counts tables are kept by triggers on the index
        for table in (TABLE, "datagovernance_search_filter", "datagovernance_search_facet_counts"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


# -- measuring ----------------------------------------------------------------
@contextmanager
def sql_log(into: list[tuple[str, Any, float]]) -> Iterator[None]:
    """Records (statement, parameters, seconds) of every SQL statement."""
    import ckan.model as model
    import sqlalchemy as sa

    engine = model.meta.engine

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info.setdefault("_bench_t", []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        into.append((statement, params, time.perf_counter() - conn.info["_bench_t"].pop()))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)


@dataclass
class Case:
    label: str
    action: str
    data: Callable[[int], dict[str, Any]]
    target_ms: float | None = None  # p95 target (at 100k)
    settings: dict[str, Any] | None = None  # config set while it runs


@dataclass
class Result:
    case: Case
    user: str
    cache: str  # "off": every call computed; "on": repeated query served from the cache
    found: int
    median: float
    p95: float
    sql_share: float  # share of the call's time spent in SQL statements


@contextmanager
def suite_labels() -> Iterator[None]:
    """CKAN's default user labels computed as the suite computes them (the
    same list: checked for the staff user before the first use)."""
    import ckan.model as model
    from ckan.lib.plugins import DefaultPermissionLabels

    from ckanext.datagovernance.roles.labels import ckan_user_labels

    original = DefaultPermissionLabels.get_user_dataset_labels
    if not getattr(suite_labels, "checked", False):
        # the suite reads CKAN's labels and its roles in one statement: the
        # role table must exist (empty) in this search-only database; without
        # it every call failed and left the following cases slow
        from ckanext.datagovernance.roles.model import RoleAssignment

        RoleAssignment.__table__.create(model.meta.engine, checkfirst=True)
        staff = model.User.get(STAFF)
        assert sorted(ckan_user_labels(staff)) == sorted(original(DefaultPermissionLabels(), staff))
        suite_labels.checked = True  # type: ignore[attr-defined]

    def labels(self: Any, user_obj: Any) -> list[str]:
        if not user_obj or user_obj.is_anonymous:
            return original(self, user_obj)
        return ckan_user_labels(user_obj)

    DefaultPermissionLabels.get_user_dataset_labels = labels  # type: ignore[method-assign]
    try:
        yield
    finally:
        DefaultPermissionLabels.get_user_dataset_labels = original  # type: ignore[method-assign]


@contextmanager
def logged_in(user: str) -> Iterator[dict[str, Any]]:
    """The action context of a request by `user`, as CKAN builds it: a
    logged-in request has loaded its user (Flask-Login's user loader, one
    query) and CKAN's views and API pass it as `auth_user_obj`; CKAN's auth
    helpers take the user from `current_user` instead of querying it again.
    (Before 30 Nov 2026 the bench passed the name only: every staff call paid
    ~7 user queries no request pays.)"""
    import ckan.model as model
    import flask_login

    if not user:
        yield {"user": ""}
        return
    if user == SUITE_STAFF:
        with suite_labels():
            with logged_in(STAFF) as context:
                yield context
        return
    user_obj = model.User.get(user)
    flask_login.login_user(user_obj)
    try:
        yield {"user": user, "auth_user_obj": user_obj}
    finally:
        flask_login.logout_user()


def run_case(case: Case, user: str, cache: str, runs: int, warmup: int
             ) -> tuple[Result, list[tuple[str, Any, float]]]:
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckan.common import config

    action = tk.get_action(case.action)
    saved = {k: config.get(k) for k in (case.settings or {})}
    config.update(case.settings or {})

    def call(k: int) -> Any:
        data = case.data(k)
        if case.action == "package_search":
            data["include_private"] = True  # as CKAN's /dataset page asks
        try:
            with logged_in(user) as context:
                return action(context, data)
        finally:
            model.Session.remove()  # as at the end of a request

    for k in range(warmup):
        call(k)
    times, statements = [], []
    found = 0
    for k in range(runs):
        log: list[tuple[str, Any, float]] = []
        with sql_log(log):
            t0 = time.perf_counter()
            out = call(k)
            elapsed = time.perf_counter() - t0
        times.append(elapsed)
        statements.append(sum(t for _, _, t in log) / elapsed)
        found = out["count"] if isinstance(out, dict) else len(out)
        last = log
    config.update(saved)
    times.sort()
    p95 = times[min(len(times) - 1, max(0, int(round(0.95 * len(times))) - 1))]
    return Result(case, user or "anonymous", cache, found, statistics.median(times) * 1000, p95 * 1000,
                  statistics.median(statements)), last


def explain(statements: list[tuple[str, Any, float]], out: list[str], title: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the search statements one call issued."""
    import ckan.model as model

    out.append(f"## {title}\n")
    with model.meta.engine.connect() as conn:
        for statement, params, seconds in statements:
            if "datagovernance_search_" not in statement or not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).fetchall()
            out.append(f"-- {seconds * 1000:.1f} ms in the run\n{statement.strip()}\n-- params: {params}")
            out.extend(r[0] for r in plan)
            out.append("")


def cases(top_org: str) -> list[Case]:
    prefixes = ["baum", "rad", "kita", "haus"]
    dcat = ["-dataset_type:harvest", "-dataset_type:showcase",
            "metadata_modified:[2024-01-01T00:00:00Z TO NOW]"]
    return [
        Case("match-all, 5 facets", "package_search",
             lambda k: {"q": "*:*", "facet.field": list(FACETS), "rows": 20}, 50),
        Case("match-all, 5 facets, rows counted (facet_counts off: before)", "package_search",
             lambda k: {"q": "*:*", "facet.field": list(FACETS), "rows": 20},
             settings={"ckanext.datagovernance.search.facet_counts": False}),
        Case('text "Baumkataster Offenbach", 5 facets', "package_search",
             lambda k: {"q": "Baumkataster Offenbach", "facet.field": list(FACETS), "rows": 20}, 20),
        Case(f'fq organization:"{top_org}" +res_format:"CSV"', "package_search",
             lambda k: {"fq": f'organization:"{top_org}" +res_format:"CSV"', "rows": 20}, 20),
        Case("dcat modified_since (rows=100)", "package_search",
             lambda k: {"q": "*:*", "fq_list": list(dcat), "sort": "metadata_modified desc", "rows": 100}, 20),
        Case("autocomplete " + "/".join(prefixes), "package_autocomplete",
             lambda k: {"q": prefixes[k % len(prefixes)], "limit": 10}, 20),
    ]


def measure_rebuild() -> dict[str, float]:
    """`ckan search-index rebuild` (its rebuild() + commit(), not the orphan
    cleanup, which would delete the synthetic documents) over the real datasets."""
    import click
    from ckan.lib import search

    from ckanext.datagovernance.search import backend

    spent = {"add": 0.0}
    original_add, original_flush = backend.PostgresSolr.add, backend.flush_pending
    inside = [False]

    def timed_add(self: Any, docs: Any, commit: bool = True, **kwargs: Any) -> str:
        t0 = time.perf_counter()
        inside[0] = True
        try:
            return original_add(self, docs, commit=commit, **kwargs)
        finally:
            inside[0] = False
            spent["add"] += time.perf_counter() - t0

    def timed_flush() -> None:
        # the batched writes outside add() (before the commit) count too
        t0 = time.perf_counter()
        try:
            original_flush()
        finally:
            if not inside[0]:
                spent["add"] += time.perf_counter() - t0

    count = sql("SELECT count(*) FROM package WHERE state = 'active'").scalar_one()
    backend.PostgresSolr.add = timed_add  # type: ignore[method-assign]
    backend.flush_pending = timed_flush  # type: ignore[assignment]
    try:
        # as `ckan search-index rebuild` runs it (the backend batches the
        # index writes inside that command)
        from ckan.cli.search_index import rebuild as rebuild_command
        from ckan.cli.search_index import search_index

        t0 = time.perf_counter()
        with click.Context(search_index, info_name="search-index") as parent, \
                click.Context(rebuild_command, info_name="rebuild", parent=parent):
            search.rebuild(defer_commit=True, quiet=True)
            search.commit()
        total = time.perf_counter() - t0
    finally:
        backend.PostgresSolr.add = original_add  # type: ignore[method-assign]
        backend.flush_pending = original_flush  # type: ignore[assignment]
    return {"datasets": count, "seconds": total, "rate": count / total, "add_share": spent["add"] / total}


def verdict(value: float, target: float | None, higher_is_better: bool = False) -> str:
    if target is None:
        return "–"
    ok = value >= target if higher_is_better else value <= target
    return "PASS" if ok else "FAIL"


def report(n: int, results: list[Result], rebuild: dict[str, float], load_note: str) -> tuple[str, bool]:
    lines = [
        f"### package_search at N = {n:,} datasets\n",
        f"{load_note}\n",
        "| query | user | cache | found | median ms | p95 ms | in SQL | p95 target | |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    ok = True
    for r in results:
        # the targets hold cold (cache off), for anonymous and staff alike
        v = verdict(r.p95, r.case.target_ms) if r.cache == "off" else "–"
        ok &= v != "FAIL"
        target = f"≤ {r.case.target_ms:.0f}" if r.case.target_ms and r.cache == "off" else ""
        lines.append(f"| {r.case.label} | {r.user} | {r.cache} | {r.found:,} | {r.median:.1f} | {r.p95:.1f} | "
                     f"{r.sql_share:.0%} | {target} | {v} |")
    rv, sv = verdict(rebuild["rate"], 150, True), verdict(rebuild["add_share"], 0.2)
    ok &= "FAIL" not in (rv, sv)
    lines += [
        "",
        "| rebuild (real datasets) | seconds | datasets/s | index write (PostgresSolr.add) share | |",
        "|---|---:|---:|---:|---|",
        f"| {rebuild['datasets']:,} | {rebuild['seconds']:.1f} | {rebuild['rate']:.0f} (≥ 150: {rv}) | "
        f"{rebuild['add_share']:.1%} (< 20%: {sv}) | |",
        "",
    ]
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, action="append", help="datasets in the index (repeatable; default 10000)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per query (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs per query first (default 5)")
    parser.add_argument("--rebuild-sample", type=int, default=1000,
                        help="real datasets made with package_create; timed rebuild set (default 1000)")
    parser.add_argument("--unique", type=int, default=0,
                        help="build only this many documents through CKAN, copy the rest in SQL (fast load)")
    parser.add_argument("--only", default="", help="run only the queries whose label contains this text")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the rebuild measurement")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the database as it is (no reset; top up or trim to N)")
    parser.add_argument("--explain", action="store_true",
                        help="write EXPLAIN (ANALYZE, BUFFERS) of each query's SQL to bench/results/")
    parser.add_argument("--suite-labels", action="store_true",
                        help="also run the staff calls with the user labels computed as the suite does (cache off)")
    parser.add_argument("--ini", type=Path, default=HERE / "bench.ini")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.n or [10000]))

    t0 = time.perf_counter()
    boot(args.ini)
    from ckan.common import config

    cache_ttl = int(config.get(CACHE_TTL) or 0)
    if not args.keep:
        print("resetting database ...")
        reset_db()
    else:
        migrate()
    print(f"real datasets (package_create): {args.rebuild_sample}")
    ensure_site(args.rebuild_sample)
    print(f"set-up {time.perf_counter() - t0:.0f} s")

    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    all_ok = True
    for n in sizes:
        print(f"\nN = {n:,}")
        t1 = time.perf_counter()
        load_index(n, args.rebuild_sample, unique=args.unique)
        load_note = (f"Index: {sql(f'SELECT count(*) FROM {TABLE}').scalar_one():,} documents "
                     f"({args.rebuild_sample:,} via package_create), {os.cpu_count()} cores, "
                     f"{args.runs} runs after {args.warmup} warm-up, load {time.perf_counter() - t1:.0f} s, "
                     f"load average at start {os.getloadavg()[0]:.1f}; search cache_ttl {cache_ttl}.")
        top_org = sql(f"SELECT v, count(*) FROM {TABLE}, jsonb_array_elements_text(fields -> 'organization') v "
                      "GROUP BY v ORDER BY 2 DESC LIMIT 1").first()[0]
        results: list[Result] = []
        plans: list[str] = []
        for case in [c for c in cases(top_org) if args.only in c.label]:
            # computed on every call (cache off) for both users, then the
            # configured cache serving the repeated anonymous query
            readers = ("", STAFF, SUITE_STAFF) if args.suite_labels else ("", STAFF)
            for cache, ttl, users in (("off", 0, readers), ("on", cache_ttl, ("", STAFF))):
                if cache == "on" and ttl <= 0:
                    continue
                config[CACHE_TTL] = ttl
                for user in users:
                    try:
                        res, statements = run_case(case, user, cache, args.runs, args.warmup)
                    except Exception as e:  # e.g. the statement timeout: report, go on
                        print(f"  {case.label} ({user or 'anonymous'}, cache {cache}): {e!r}")
                        all_ok = False
                        continue
                    results.append(res)
                    print(f"  {case.label:<52} {res.user:<10} cache {cache:<3} found {res.found:>7,}  "
                          f"median {res.median:7.1f} ms  p95 {res.p95:7.1f} ms")
                    if args.explain and cache == "off":
                        explain(statements, plans, f"{case.label} ({res.user})")
            config[CACHE_TTL] = cache_ttl
        print("  rebuild ...", flush=True)
        rebuild = {"datasets": 0, "seconds": 0.0, "rate": 0.0, "add_share": 0.0}
        if not args.no_rebuild:
            rebuild = measure_rebuild()
        table, ok = report(n, results, rebuild, load_note)
        all_ok &= ok
        print("\n" + table)
        # bench.ini -> search-<N>.md; another config -> search-<N>-<its name>.md
        stem = f"search-{n}" + ("" if args.ini.resolve() == HERE / "bench.ini" else f"-{args.ini.stem}")
        (results_dir / f"{stem}.md").write_text(table, encoding="utf-8")
        if plans:
            (results_dir / f"{stem}-explain.txt").write_text("\n".join(plans), encoding="utf-8")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
