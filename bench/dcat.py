"""DCAT feed benchmark (issue 6). Not a test.

Targets: serialising a catalog page of 100 datasets in Turtle takes at most
1.3x the time of stock ``euro_dcat_ap_3`` on the same datasets (since issue
16 the feeds' Turtle pages are built by dcat/page.py: variant "page", measured
with its fragment cache off); the full
GovData feed of 10k datasets is harvestable (all pages) in under 5 minutes.

    bin/ensure-db.sh datagovernance_bench_dcat
    .venv/bin/python bench/dcat.py --n 10000            # or: make bench-dcat
    .venv/bin/python bench/dcat.py --n 10000 --reuse    # keep the catalog of an earlier run

`--mode all` (default) runs child processes (CKAN plugins are process-global):

* ``setup``: N datasets through ``package_create`` with the full suite
  (``bench/dcat.ini``: search, governance, scheming, dcat, datagovernance_dcat),
  all public and published, with DCAT-AP.de fields: EU themes, frequency,
  language, contact, publisher, political geocoding of the organisation,
  contributor ID, open dcat-ap.de licences, EU file types; ~10 % HVD datasets
  (HVD category, applicable legislation, licence CC BY 4.0/CC0/dl-de, API as
  data service); internal fields on half of them (stripped from RDF). The
  datasets are created directly in state ``published`` with the workflow's
  context flag, as the demo seeding does (one write per dataset instead of
  create + three workflow transitions with SHACL gates each); a sample is run
  through the real publication gate to show the data would pass it.
  ``--reuse`` keeps the database and only creates missing datasets.
* ``serialise``: package dicts of feed pages exactly as ``/catalog/govdata.ttl``
  gets them (``feeds.search_feed``), serialised to Turtle with ckanext-dcat's
  ``RDFSerializer`` (graph + ``serialize``), profiles ``euro_dcat_ap_3``
  (stock) vs. the configured chain ``euro_dcat_ap_3 dcat_ap_de`` (what the
  feeds use), alternating, several pages, many repetitions.
* ``harvest``: starts ``ckan run`` on 127.0.0.1 for the bench database and
  harvests ``/catalog/govdata.ttl`` through all pages as ckanext-dcat's
  ``dcat_rdf`` harvester's gather stage does: its own download function
  (HEAD + GET per page), ``RDFParser`` (configured profiles) parse,
  ``datasets()`` (every dataset parsed back), guid, ``next_page()``. Also
  compares HTTP page times of ``/catalog/govdata.ttl`` with stock
  ``/catalog.ttl`` on a second server configured with ``euro_dcat_ap_3`` only.

Figures go to bench/results/dcat-<N>-<mode>.json; the parent prints the
Markdown table and writes it to bench/results/dcat-<N>.md.
"""
from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import io
import json
import os
import pstats
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import governance as gb  # noqa: E402  (bench/governance.py: plan(), users, domains)
import search as sb  # noqa: E402  (bench/search.py: vocabulary, vacuum_analyze)

RESULTS = HERE / "results"
ADMIN = "benchdcat-admin"
PASSWORD = "Bench-Passwort-2025"
OWNERS = [f"benchdcat-owner-{k}" for k in range(8)]
RATIO_TARGET = 1.3
HARVEST_TARGET_S = 300.0
STOCK = ["euro_dcat_ap_3"]
SUITE = ["euro_dcat_ap_3", "dcat_ap_de"]
PAGE = "page"  # the feeds' Turtle pages (dcat/page.py), not a profile list
TARGET = "govdata"
CITY_KEY = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/064130000000"
MUNICIPALITY = "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
CONTRIBUTOR = "http://dcat-ap.de/def/contributors/hessen"
LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"
BASE = "https://opendata.offenbach.example"
HVD_SHARE = 0.1
HVD_CATEGORIES = ["c_60182062", "c_6a3f6896", "c_c3de25e4", "c_9427236f", "c_6c2bb82d",
                  "c_ad9ae929", "c_91185a85", "c_4b74ea13"]  # as in the demo city
HVD_LICENCES = [("cc-by/4.0", 50), ("dl-zero-de/2.0", 30), ("dl-by-de/2.0", 20)]
INSPIRE_ELI = "http://data.europa.eu/eli/dir/2007/2/oj"
MACHINE_READABLE = ("CSV", "JSON", "GEOJSON", "XML", "XLSX")
NAME_PREFIX = "dcat-"


# -- catalog ---------------------------------------------------------------------
def payload(i: int) -> dict[str, Any]:
    """package_create payload of feed dataset i: governance.plan(i) made public,
    published and DCAT-AP.de complete (deterministic)."""
    p = gb.plan(i).payload
    rng = random.Random(i * 7507 + 3)
    p["name"] = (NAME_PREFIX + p["name"].removeprefix("gov-"))[:100]
    p["data_owner"] = OWNERS[rng.randrange(len(OWNERS))]
    p["access_class"] = "public"
    p["personal_data"] = "none"
    p["workflow_state"] = "published"
    for key in ("reason_not_open", "personal_data_legal_basis", "retention_period"):
        p.pop(key, None)
    if p.get("license_id") in (None, "other-closed"):
        p["license_id"] = gb.pick(rng, gb.OPEN_LICENCES)
    if rng.random() < 0.5:  # internal fields: must never reach the RDF
        p["source_system"] = rng.choice(sb.SYSTEMS)
        p["storage_location"] = rng.choice(["Laufwerk G:", "Datenbankschema fach", "SharePoint"])
    if rng.random() < 0.3:
        p["legal_basis"] = rng.choice(["§ 10 BauGB", "§ 4 HStatG", "§ 47d BImSchG"])
    if rng.random() < 0.2:  # own geocoding (else the organisation's)
        p["political_geocoding_uri"] = CITY_KEY
        p["political_geocoding_level"] = MUNICIPALITY
    if rng.random() < HVD_SHARE:
        p["hvd_category"] = ["http://data.europa.eu/bna/" + rng.choice(HVD_CATEGORIES)]
        p["license_id"] = gb.pick(rng, HVD_LICENCES)
        if rng.random() < 0.3:
            p["applicable_legislation"] = [INSPIRE_ELI]
        res = p["resources"]
        if res[0]["format"] not in MACHINE_READABLE:
            res[0]["format"] = "CSV"
            res[0]["url"] = res[0]["url"].rsplit(".", 1)[0] + ".csv"
        api = f"{BASE}/api/{p['name']}"
        res[0]["access_services"] = [{
            "title": f"API {p['title']}", "endpoint_url": [api],
            "endpoint_description": f"{api}/openapi.json",
            "documentation": f"{BASE}/doku/{p['name']}",
            "description": "Programmierschnittstelle (REST, JSON) zu diesem Datensatz.",
        }]
    elif rng.random() < 0.05:
        p["applicable_legislation"] = [INSPIRE_ELI]
    return p


def act(name: str, context: dict[str, Any], data: dict[str, Any]) -> Any:
    import ckan.plugins.toolkit as tk

    return tk.get_action(name)(context, data)


def feed_count() -> int:
    from ckanext.datagovernance.dcat import feeds

    return int(feeds.search_feed(TARGET, 1, rows=1)["count"])


def reset_database() -> None:
    import ckan.model as model
    from ckan.cli.db import _run_migrations

    print("resetting database ...", flush=True)
    model.repo.clean_db()
    model.repo.init_db()
    for plugin in ("activity", "datagovernance_search", "datagovernance"):
        try:
            _run_migrations(plugin)
        except Exception as e:  # plugin without migrations
            print(f"  migrations {plugin}: {e!r}")


def ensure_site() -> None:
    """Users, organisations with DCAT fields, data domains (idempotent)."""
    import ckan.model as model

    sys_ctx = {"ignore_auth": True}
    for name in [ADMIN, *OWNERS]:
        if model.User.get(name) is None:
            act("user_create", dict(sys_ctx), {"name": name, "email": f"{name}@offenbach.example",
                                               "password": PASSWORD, "fullname": name})
    model.User.get(ADMIN).sysadmin = True
    model.Session.commit()
    admin = {"user": ADMIN}
    have = {g.name for g in model.Session.query(model.Group).filter(model.Group.state == "active")}
    for name, title in gb.ORGS:
        if name not in have:
            act("organization_create", dict(admin), {
                "name": name, "title": title, "description": f"{title} (Benchmark)",
                "contributor_id": CONTRIBUTOR, "political_geocoding_uri": CITY_KEY,
                "political_geocoding_level": MUNICIPALITY, "publisher_type": LOCAL_AUTHORITY,
                "email": f"{name}@offenbach.example"})
    for name, title, parent in gb.DOMAINS:
        if name not in have:
            data = {"name": name, "title": title, "type": "domain", "description": f"Datendomäne {title}"}
            if parent:
                data["parent_domain"] = parent
            act("group_create", dict(admin), data)
    for k, owner in enumerate(OWNERS):
        for org in {gb.ORGS[k % len(gb.ORGS)][0], gb.ORGS[(k + 5) % len(gb.ORGS)][0]}:
            act("organization_member_create", dict(admin), {"id": org, "username": owner, "role": "editor"})


def setup_catalog(n: int, reuse: bool, gate_sample: int) -> dict[str, Any]:
    import ckan.model as model
    import sqlalchemy as sa

    if not reuse:
        reset_database()
    ensure_site()
    names = {row[0] for row in model.Session.execute(sa.text(
        "SELECT name FROM package WHERE state = 'active' AND name LIKE :p"), {"p": NAME_PREFIX + "%"})}
    todo = [i for i in range(n) if payload(i)["name"] not in names]
    print(f"  {n - len(todo)} of {n} datasets exist, creating {len(todo)}", flush=True)
    # the workflow's flag: created directly as published, as the demo seeding does
    ctx = lambda: {"user": ADMIN, "datagovernance_workflow_transition": True}  # noqa: E731
    t0 = time.perf_counter()
    for k, i in enumerate(todo, 1):
        act("package_create", ctx(), payload(i))
        model.Session.remove()
        if k % 100 == 0 or k == len(todo):
            el = time.perf_counter() - t0
            print(f"\r  package_create {k}/{len(todo)} ({k / el:.1f}/s, {el / 60:.1f} min, "
                  f"eta {(len(todo) - k) * el / k / 60:.1f} min)", end="", flush=True)
    create_s = time.perf_counter() - t0
    if todo:
        print()
    sb.vacuum_analyze()
    count = feed_count()
    # the data would pass the publication gate (DCAT-AP.de + HVD SHACL)
    from ckanext.datagovernance.dcat import validation

    sample = random.Random(1).sample(range(n), min(gate_sample, n))
    failing: dict[str, list[str]] = {}
    for i in sample:
        pkg = act("package_show", {"user": ADMIN}, {"id": payload(i)["name"]})
        unmet = validation.publication_gate(pkg)
        if unmet:
            failing[pkg["name"]] = unmet
        model.Session.remove()
    print(f"  feed holds {count} datasets; publication gate on {len(sample)} samples: "
          f"{len(failing)} failing", flush=True)
    for name, unmet in list(failing.items())[:3]:
        print(f"    {name}: {unmet[:3]}")
    hvd = sum(1 for i in range(n) if payload(i).get("hvd_category"))
    return {"n": n, "created": len(todo), "create_seconds": create_s,
            "create_rate": len(todo) / create_s if todo and create_s else None,
            "feed_count": count, "hvd": hvd, "gate_sample": len(sample), "gate_failing": len(failing),
            "gate_examples": dict(list(failing.items())[:5])}


# -- serialisation -----------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s))) - 1))]


def serialise_page(profiles: list[str] | str | None, results: list[dict[str, Any]], info: dict[str, Any],
                   fmt: str = "ttl") -> str:
    """What feeds.serialize_feed does after its search, with the given profiles
    (PAGE: the feeds' own path, dcat/page.py, with the fragment cache off)."""
    from ckanext.dcat.processors import RDFSerializer

    from ckanext.datagovernance.dcat import feeds, profile
    from ckanext.datagovernance.dcat import page as feed_page

    settings = feeds.target_settings(TARGET)
    token = profile.target_contributor.set(settings["contributor"])
    hvd_token = profile.hvd_feed.set(TARGET == "hvd")
    try:
        if profiles == PAGE:
            return feed_page.serialize(results, fmt, info, feeds.catalog_profiles())
        return RDFSerializer(profiles=profiles).serialize_catalog(
            {}, results, _format=fmt, pagination_info=info)
    finally:
        profile.hvd_feed.reset(hvd_token)
        profile.target_contributor.reset(token)


def graph_difference(feed_ttl: str, chain_ttl: str) -> dict[str, Any]:
    """Triples only in one of the two outputs (blank nodes canonicalised)."""
    import rdflib
    from rdflib.compare import graph_diff, to_isomorphic

    a = to_isomorphic(rdflib.Graph().parse(data=feed_ttl, format="turtle"))
    b = to_isomorphic(rdflib.Graph().parse(data=chain_ttl, format="turtle"))
    _both, only_feed, only_chain = graph_diff(a, b)
    rdf_type = rdflib.RDF.type
    return {"only_feed": len(only_feed), "only_chain": len(only_chain),
            "only_chain_not_type": sum(1 for t in only_chain if t[1] != rdf_type),
            "examples": sorted(f"{s} {p} {o}" for s, p, o in only_chain)[:3] + sorted(
                f"{s} {p} {o}" for s, p, o in only_feed)[:3]}


def timed_serialise(profiles: list[str] | str | None, results: list[dict[str, Any]],
                    info: dict[str, Any]) -> tuple[float, float]:
    import ckan.model as model

    data = copy.deepcopy(results)
    gc.collect()  # a full collection lands in whichever run crosses the threshold: not in a timed one
    w0, c0 = time.perf_counter(), time.process_time()
    serialise_page(profiles, data, info)
    out = time.perf_counter() - w0, time.process_time() - c0
    model.Session.remove()
    return out


def measure_serialise(n: int, pages: int, runs: int, warmup: int, do_profile: bool) -> dict[str, Any]:
    import ckan.model as model
    import rdflib

    from ckanext.datagovernance.dcat import feeds

    count = feed_count()
    last = max(1, -(-count // feeds.page_size()))
    numbers = sorted({1 + round(k * (last - 1) / max(1, pages - 1)) for k in range(pages)})
    # stock: ckanext-dcat's euro_dcat_ap_3 alone; feed: what /catalog/<target>.* and
    # /catalog.* use (feeds.catalog_profiles()); chain: the configured chain as such
    from ckan.common import config

    config["ckanext.datagovernance.dcat.cache_ttl"] = 0  # "page" is measured cold
    variants: dict[str, list[str] | str | None] = {
        "stock": STOCK, "feed": feeds.catalog_profiles(), "chain": SUITE, "page": PAGE}
    print(f"  profiles: {variants}", flush=True)
    wall: dict[str, list[float]] = {v: [] for v in variants}
    cpu: dict[str, list[float]] = {v: [] for v in variants}
    per_page: list[dict[str, Any]] = []
    profiles_txt: dict[str, str] = {}
    diffs = []
    for page in numbers:
        query = feeds.search_feed(TARGET, page)
        results = query["results"]
        info = feeds.pagination(TARGET, "ttl", page, query["count"], len(results), None)
        model.Session.remove()
        sizes, outputs = {}, {}
        for v, prof in variants.items():
            outputs[v] = serialise_page(prof, copy.deepcopy(results), info)
            g = rdflib.Graph().parse(data=outputs[v], format="turtle")
            sizes[v] = {"bytes": len(outputs[v].encode()), "triples": len(g)}
        diffs.append(graph_difference(outputs["feed"], outputs["chain"]))
        pw: dict[str, list[float]] = {v: [] for v in variants}
        pc: dict[str, list[float]] = {v: [] for v in variants}
        for k in range(warmup + runs):
            order = list(variants) if k % 2 == 0 else list(reversed(variants))
            for v in order:
                w, c = timed_serialise(variants[v], results, info)
                if k >= warmup:
                    pw[v].append(w)
                    pc[v].append(c)
        for v in variants:
            wall[v].extend(pw[v])
            cpu[v].extend(pc[v])
        row = {"page": page, "datasets": len(results), "sizes": sizes, "diff": diffs[-1],
               "hvd": sum(1 for r in results if r.get("hvd_category")),
               **{f"{v}_median": statistics.median(pw[v]) * 1000 for v in variants},
               **{f"{v}_p95": pct(pw[v], 0.95) * 1000 for v in variants},
               **{f"{v}_cpu": statistics.median(pc[v]) * 1000 for v in variants}}
        row["ratio_median"] = row["feed_median"] / row["stock_median"]
        row["ratio_cpu"] = row["feed_cpu"] / row["stock_cpu"]
        per_page.append(row)
        print(f"  page {page:>4}: {len(results)} datasets ({row['hvd']} HVD); median ms stock "
              f"{row['stock_median']:.0f} feed {row['feed_median']:.0f} chain {row['chain_median']:.0f}; "
              f"feed/stock {row['ratio_median']:.2f} (CPU {row['ratio_cpu']:.2f}); triples "
              f"{sizes['stock']['triples']}/{sizes['feed']['triples']}/{sizes['chain']['triples']}; "
              f"feed vs chain: {diffs[-1]['only_feed']} only in feed, {diffs[-1]['only_chain']} only in "
              f"chain ({diffs[-1]['only_chain_not_type']} not rdf:type)", flush=True)
        if do_profile and page == numbers[0]:
            for v in variants:
                prof = cProfile.Profile()
                prof.enable()
                for _ in range(5):
                    serialise_page(variants[v], copy.deepcopy(results), info)
                prof.disable()
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(60)
                buf.write("\n--- by own time\n")
                pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(40)
                profiles_txt[v] = buf.getvalue()
    summary: dict[str, Any] = {
        v: {"median": statistics.median(wall[v]) * 1000, "p95": pct(wall[v], 0.95) * 1000,
            "cpu_median": statistics.median(cpu[v]) * 1000, "runs": len(wall[v])} for v in variants}
    for v in ("feed", "chain", "page"):
        summary[f"{v}_ratio_median"] = summary[v]["median"] / summary["stock"]["median"]
        summary[f"{v}_ratio_p95"] = summary[v]["p95"] / summary["stock"]["p95"]
        summary[f"{v}_ratio_cpu"] = summary[v]["cpu_median"] / summary["stock"]["cpu_median"]
    return {"pages": per_page, "summary": summary, "feed_count": count, "runs": runs,
            "warmup": warmup, "variants": variants, "loadavg": os.getloadavg()[0],
            "profiles": profiles_txt}


# -- HTTP: server + harvest ------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`ckan run` on 127.0.0.1 for the bench database (as the browser test does)."""

    def __init__(self, ini: Path, profiles: list[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ini = ini
        self.profiles = profiles
        self.proc: subprocess.Popen[bytes] | None = None
        self.tmp = ""

    def __enter__(self) -> Server:
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
            f.write(f"[app:main]\nuse = config:{self.ini.resolve()}\nckan.site_url = {self.url}\n"
                    f"ckanext.dcat.base_uri = {self.url}\n"
                    f"ckanext.dcat.rdf.profiles = {' '.join(self.profiles)}\n")
            self.tmp = f.name
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "ckan"), "-c", self.tmp, "run", "-H", "127.0.0.1",
             "-p", str(self.port), "--disable-reloader"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(240):
            try:
                urllib.request.urlopen(self.url + "/api/3/action/status_show", timeout=2)
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"CKAN server on {self.url} did not start")

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.tmp:
            os.unlink(self.tmp)


def get_timed(url: str) -> tuple[float, int]:
    import requests

    t0 = time.perf_counter()
    r = requests.get(url, timeout=300)
    r.raise_for_status()
    return time.perf_counter() - t0, len(r.content)


def http_pages(url_of: Any, numbers: list[int], reps: int) -> dict[str, Any]:
    times: list[float] = []
    for _ in range(reps):
        for page in numbers:
            el, _size = get_timed(url_of(page))
            times.append(el)
    return {"median": statistics.median(times) * 1000, "p95": pct(times, 0.95) * 1000, "requests": len(times)}


def harvest(feed_url: str) -> dict[str, Any]:
    """The dcat_rdf harvester's gather stage without writing harvest objects:
    its download (HEAD + GET), RDFParser parse, datasets(), guid, next_page()."""
    from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
    from ckanext.dcat.processors import RDFParser

    harvester = DCATRDFHarvester()
    url: str | None = feed_url
    pages: list[dict[str, float]] = []
    guids: set[str] = set()
    names: list[str] = []
    t_start = time.perf_counter()
    last_hash = None
    while url:
        t0 = time.perf_counter()
        content, rdf_format = harvester._get_content_and_type(url, None, 1, content_type=None)
        t1 = time.perf_counter()
        if not content:
            raise RuntimeError(f"no content from {url}")
        digest = hash(content)
        if digest == last_hash:
            raise RuntimeError(f"same content twice at {url}")
        last_hash = digest
        parser = RDFParser()
        parser.parse(content, _format=rdf_format)
        t2 = time.perf_counter()
        found = 0
        for dataset in parser.datasets():
            guid = harvester._get_guid(dataset, source_url=feed_url)
            if not guid:
                raise RuntimeError(f"no guid for {dataset.get('title')}")
            guids.add(guid)
            names.append(dataset.get("name") or "")
            found += 1
        url = parser.next_page()
        t3 = time.perf_counter()
        pages.append({"download": t1 - t0, "parse": t2 - t1, "datasets": t3 - t2, "total": t3 - t0,
                      "found": found, "bytes": len(content.encode())})
        if len(pages) % 10 == 0 or not url:
            el = time.perf_counter() - t_start
            print(f"\r  harvest: {len(pages)} pages, {len(guids)} datasets, {el:.0f} s", end="", flush=True)
    print()
    wall = time.perf_counter() - t_start
    tot = [p["total"] for p in pages]
    return {
        "wall": wall, "pages": len(pages), "datasets": len(guids), "dataset_entries": len(names),
        "page_p50": statistics.median(tot) * 1000, "page_p95": pct(tot, 0.95) * 1000,
        "download_s": sum(p["download"] for p in pages), "parse_s": sum(p["parse"] for p in pages),
        "datasets_s": sum(p["datasets"] for p in pages),
        "download_p50": statistics.median(p["download"] for p in pages) * 1000,
        "download_p95": pct([p["download"] for p in pages], 0.95) * 1000,
        "mbytes": sum(p["bytes"] for p in pages) / 1e6,
    }


def measure_http(ini: Path, pages: int, reps: int) -> dict[str, Any]:
    from ckanext.datagovernance.dcat import feeds

    count = feed_count()
    last = max(1, -(-count // feeds.page_size()))
    numbers = sorted({1 + round(k * (last - 1) / max(1, pages - 1)) for k in range(pages)})
    out: dict[str, Any] = {"feed_count": count, "sample_pages": numbers, "reps": reps}
    print("  server with profiles euro_dcat_ap_3 (stock) ...", flush=True)
    with Server(ini, STOCK) as srv:
        get_timed(f"{srv.url}/catalog.ttl?page=1")  # warm-up
        out["stock_catalog"] = http_pages(lambda p: f"{srv.url}/catalog.ttl?page={p}", numbers, reps)
    print(f"    /catalog.ttl (stock profile): median {out['stock_catalog']['median']:.0f} ms "
          f"p95 {out['stock_catalog']['p95']:.0f} ms", flush=True)
    print("  server with profiles euro_dcat_ap_3 dcat_ap_de (suite) ...", flush=True)
    with Server(ini, SUITE) as srv:
        get_timed(f"{srv.url}/catalog/{TARGET}.ttl?page=1")
        get_timed(f"{srv.url}/catalog.ttl?page=1")
        out["suite_catalog"] = http_pages(lambda p: f"{srv.url}/catalog.ttl?page={p}", numbers, reps)
        out["suite_feed"] = http_pages(lambda p: f"{srv.url}/catalog/{TARGET}.ttl?page={p}", numbers, reps)
        print(f"    /catalog.ttl (suite profiles): median {out['suite_catalog']['median']:.0f} ms, "
              f"/catalog/{TARGET}.ttl: median {out['suite_feed']['median']:.0f} ms "
              f"p95 {out['suite_feed']['p95']:.0f} ms", flush=True)
        print(f"  harvesting {srv.url}/catalog/{TARGET}.ttl (all pages) ...", flush=True)
        out["harvest"] = harvest(f"{srv.url}/catalog/{TARGET}.ttl")
    h = out["harvest"]
    print(f"    {h['pages']} pages, {h['datasets']} datasets in {h['wall']:.1f} s "
          f"(download {h['download_s']:.0f} s, parse {h['parse_s']:.0f} s, datasets() {h['datasets_s']:.0f} s)")
    out["loadavg"] = os.getloadavg()[0]
    return out


# -- report ----------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(n: int, setup: dict[str, Any] | None, ser: dict[str, Any] | None,
           http: dict[str, Any] | None) -> tuple[str, int]:
    lines = [f"### DCAT feed at N = {n:,} public, published datasets\n"]
    fails = 0
    if setup:
        made = setup.get("made") or setup
        rate = f", {made['create_rate']:.1f}/s" if made.get("create_rate") else ""
        when = "an earlier run" if setup.get("made") else "this run"
        lines.append(
            f"Catalog: {setup['feed_count']:,} datasets in the GovData feed ({setup['hvd']:,} HVD), "
            f"created through `package_create` with the full suite ({made['created']:,} in {when}, "
            f"{made['create_seconds'] / 60:.1f} min{rate}); publication gate (DCAT-AP.de + HVD SHACL) on "
            f"{setup['gate_sample']} random datasets: {setup['gate_failing']} failing. "
            f"{os.cpu_count()} cores, shared machine.\n")
    if ser:
        s = ser["summary"]
        # the feeds' Turtle pages go through dcat/page.py since issue 16
        ok = s["page_ratio_median"] <= RATIO_TARGET
        fails += not ok
        feed = " ".join(ser["variants"]["feed"] or ["(ckanext-dcat default)"])
        lines += [
            f"**Serialising one page of 100 datasets to Turtle** (`RDFSerializer.serialize_catalog`: "
            f"graph + Turtle, package dicts from the feed's search; {len(ser['pages'])} pages, "
            f"{ser['runs']} runs each per variant, interleaved, after {ser['warmup']} warm-up, "
            f"`gc.collect()` before each; "
            f"load average {ser['loadavg']:.1f}):\n",
            "| profiles | median ms | p95 ms | CPU median ms | ratio (median / p95 / CPU) | triples/page "
            "| Turtle KiB/page |",
            "|---|---:|---:|---:|---|---:|---:|",
        ]
        for v, label in (("stock", "`euro_dcat_ap_3` (stock)"),
                         ("feed", f"`{feed}` with rdflib's serialiser (our feeds' RDF/XML and JSON-LD; "
                                  "Turtle before issue 16)"),
                         ("chain", "`euro_dcat_ap_3 dcat_ap_de` as a chain (the feeds before this benchmark)"),
                         ("page", "`dcat_ap_de` through `dcat/page.py`: Turtle pages since issue 16, "
                          "fragment cache off")):
            tr = statistics.mean(p["sizes"][v]["triples"] for p in ser["pages"])
            kb = statistics.mean(p["sizes"][v]["bytes"] for p in ser["pages"]) / 1024
            ratio = "1" if v == "stock" else (
                f"{s[f'{v}_ratio_median']:.2f}× / {s[f'{v}_ratio_p95']:.2f}× / {s[f'{v}_ratio_cpu']:.2f}×")
            if v == "page":
                ratio = f"**{ratio}**"
            lines.append(f"| {label} | {s[v]['median']:.0f} | {s[v]['p95']:.0f} | {s[v]['cpu_median']:.0f} "
                         f"| {ratio} | {tr:,.0f} | {kb:,.0f} |")
        only_chain = sum(p["diff"]["only_chain"] for p in ser["pages"])
        not_type = sum(p["diff"]["only_chain_not_type"] for p in ser["pages"])
        only_feed = sum(p["diff"]["only_feed"] for p in ser["pages"])
        lines.append(
            f"\nTarget ≤ {RATIO_TARGET}× (median, Turtle pages): {verdict(ok)}. `dcat_ap_de` with "
            f"rdflib's serialiser per page (median, CPU): " + ", ".join(
                f"p.{p['page']} {p['ratio_median']:.2f}×/{p['ratio_cpu']:.2f}×" for p in ser["pages"])
            + f". Output of the feed vs. the chain over these pages: {only_feed} triples only in the feed, "
            f"{only_chain} only in the chain ({not_type} of them not `rdf:type`).\n")
    if http:
        h = http["harvest"]
        ok = h["wall"] < HARVEST_TARGET_S and h["datasets"] == http["feed_count"]
        fails += not ok
        lines += [
            f"**HTTP** (`ckan run`, single process, 127.0.0.1; pages {', '.join(map(str, http['sample_pages']))}, "
            f"{http['reps']}× each; load average {http['loadavg']:.1f}):\n",
            "| request | median ms | p95 ms |",
            "|---|---:|---:|",
            f"| `/catalog.ttl?page=N`, profiles `euro_dcat_ap_3` (stock) | {http['stock_catalog']['median']:.0f} "
            f"| {http['stock_catalog']['p95']:.0f} |",
            f"| `/catalog.ttl?page=N`, profiles `euro_dcat_ap_3 dcat_ap_de` | {http['suite_catalog']['median']:.0f} "
            f"| {http['suite_catalog']['p95']:.0f} |",
            f"| `/catalog/{TARGET}.ttl?page=N` | {http['suite_feed']['median']:.0f} | {http['suite_feed']['p95']:.0f} |",
            "",
            f"**Harvest of `/catalog/{TARGET}.ttl`, all pages**, as the `dcat_rdf` harvester's gather stage "
            f"(HEAD + GET per page, RDFParser with `euro_dcat_ap_3 dcat_ap_de`, every dataset parsed, "
            f"`hydra:next`): {h['pages']} pages, {h['datasets']:,} datasets, {h['mbytes']:.0f} MB Turtle in "
            f"**{h['wall']:.0f} s** ({h['wall'] / 60:.1f} min; target < {HARVEST_TARGET_S / 60:.0f} min: "
            f"{verdict(ok)}). Per page p50 {h['page_p50']:.0f} ms, p95 {h['page_p95']:.0f} ms; of the "
            f"total, server (HEAD + GET) {h['download_s']:.0f} s, parsing {h['parse_s']:.0f} s, "
            f"`datasets()` {h['datasets_s']:.0f} s.\n",
        ]
    return "\n".join(lines), fails


# -- driver ----------------------------------------------------------------------------
def child(mode: str, args: argparse.Namespace) -> None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--mode", mode, "--n", str(args.n),
           "--runs", str(args.runs), "--warmup", str(args.warmup), "--pages", str(args.pages),
           "--http-reps", str(args.http_reps), "--gate-sample", str(args.gate_sample),
           "--ini", str(args.ini)]
    if args.reuse:
        cmd.append("--reuse")
    if args.profile:
        cmd.append("--profile")
    print(f"\n$ {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10000, help="datasets in the feed (default 10000)")
    parser.add_argument("--mode", choices=["all", "setup", "serialise", "harvest", "report"], default="all")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database; create only missing datasets (resumes an interrupted set-up)")
    parser.add_argument("--runs", type=int, default=20, help="timed serialisations per page and profile")
    parser.add_argument("--warmup", type=int, default=3, help="untimed serialisations per page first")
    parser.add_argument("--pages", type=int, default=5, help="feed pages sampled (serialise, HTTP)")
    parser.add_argument("--http-reps", type=int, default=6, help="HTTP requests per sampled page")
    parser.add_argument("--gate-sample", type=int, default=30, help="datasets run through the publication gate")
    parser.add_argument("--profile", action="store_true", help="cProfile the serialisation of the first page")
    parser.add_argument("--ini", type=Path, default=HERE / "dcat.ini")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    n = args.n
    path = lambda m: RESULTS / f"dcat-{n}-{m}.json"  # noqa: E731

    if args.mode == "all":
        for mode in ("setup", "serialise", "harvest"):
            child(mode, args)
        args.mode = "report"
    if args.mode == "report":
        load = lambda m: json.loads(path(m).read_text()) if path(m).exists() else None  # noqa: E731
        table, fails = report(n, load("setup"), load("serialise"), load("harvest"))
        print("\n" + table)
        (RESULTS / f"dcat-{n}.md").write_text(table, encoding="utf-8")
        print(f"written to {RESULTS / f'dcat-{n}.md'}")
        return 1 if fails else 0

    sb.boot(args.ini)
    import logging

    logging.getLogger().setLevel(logging.ERROR)
    from ckan.common import config

    print(f"[{args.mode}] plugins: {config.get('ckan.plugins')}; profiles: "
          f"{config.get('ckanext.dcat.rdf.profiles')}", flush=True)
    if args.mode == "setup":
        t0 = time.perf_counter()
        info = setup_catalog(n, args.reuse, args.gate_sample)
        info["setup_seconds"] = time.perf_counter() - t0
        if not info["created"] and path("setup").exists():  # --reuse: keep how the catalog was made
            prev = json.loads(path("setup").read_text())
            prev_made = prev.get("made") or {k: prev.get(k) for k in ("created", "create_seconds", "create_rate")}
            if prev_made.get("created"):
                info["made"] = prev_made
        path("setup").write_text(json.dumps(info), encoding="utf-8")
        print(f"  set-up {info['setup_seconds'] / 60:.1f} min")
        if info["feed_count"] != n:
            print(f"  WARNING: the feed holds {info['feed_count']} datasets, not {n} "
                  "(run without --reuse to start from an empty database)")
        return 0
    if args.mode == "serialise":
        result = measure_serialise(n, args.pages, args.runs, args.warmup, args.profile)
        profiles = result.pop("profiles")
        if profiles:
            (RESULTS / f"dcat-{n}-serialise-profile.txt").write_text(
                "\n\n".join(f"## {k}\n{v}" for k, v in profiles.items()), encoding="utf-8")
    else:
        result = measure_http(args.ini, args.pages, args.http_reps)
    path(args.mode).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
