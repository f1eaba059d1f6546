"""Proof end to end: a second, stock CKAN site harvests our GovData feed.

The source site is this suite (test database, served by ``ckan run`` on
127.0.0.1, GovData feed in delivery mode ``direct``, two datasets per Hydra
page). The harvest site is another CKAN with its own database, Redis database
and site id, running stock ckanext-harvest and ckanext-dcat's ``dcat_rdf``
harvester with the stock ``euro_dcat_ap_3`` profile; our search plugin is only
its search backend (there is no Solr here). It harvests over HTTP with
``ckan harvester run-test`` (gather, fetch and import in one process, following
``hydra:next`` through every page) and is read through its own API server.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ckan.common import config
from ckan.tests import factories
from ckan.tests.helpers import call_action
from rdflib import Graph, URIRef

from ckanext.datagovernance.catalog import vocab as v

from ..background import in_background
from ..servers import CKAN, ROOT, ckan_run, free_port, suite_server, wait_ready
from .conftest import (
    HVD_CATEGORY,
    HVD_ELI,
    INTERNAL,
    MARKS,
    PLUGINS,
    PROFILES,
    dataset_fields,
    hvd_fields,
    publish,
)

pytestmark = MARKS

PAGE_SIZE = 2
SOURCE = "offenbach-govdata"
HARVEST_PLUGINS = "activity datagovernance_search harvest dcat dcat_rdf_harvester"
HYDRA = "http://www.w3.org/ns/hydra/core#"
KEY_BASE = "http://dcat-ap.de/def/politicalGeocoding/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
LICENSE_BASE = "http://dcat-ap.de/def/licenses/"
IANA = "https://www.iana.org/assignments/media-types/"
LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"


# ------------------------------------------------------------------ helpers
def _get(url: str, timeout: float = 30) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _api(base: str, action: str, **params: Any) -> Any:
    query = urllib.parse.urlencode(params)
    body = json.loads(_get(f"{base}/api/3/action/{action}?{query}"))
    assert body["success"], body
    return body["result"]


def feed_settings(url: str) -> dict[str, Any]:
    """The source site's GovData feed as the harvest tests read it: page URLs
    absolute from base_uri (the harvester must reach them), delivered
    directly, PAGE_SIZE datasets per Hydra page."""
    return {"ckanext.dcat.base_uri": url, "ckanext.datagovernance.dcat.delivery_mode": "direct",
            "ckanext.datagovernance.dcat.feed_page_size": PAGE_SIZE}


def serve_source(stack: contextlib.ExitStack, work: Path, port: int, **settings: Any) -> tuple[str, Path]:
    """This suite's test database served by ``ckan run`` on 127.0.0.1:`port`
    (the source catalog, city A) with the suite's DCAT plugins; `settings` are
    further ini lines (dotted names). Stops with `stack`; returns its URL and
    log (ask ``wait_ready`` before the first request)."""
    log = work / "source.log"
    url = stack.enter_context(suite_server(
        {"ckan.plugins": PLUGINS, "ckanext.dcat.rdf.profiles": PROFILES, **settings}, port=port, log=log, wait=False))
    return url, log


def _extras(pkg: dict[str, Any]) -> dict[str, Any]:
    return {e["key"]: e["value"] for e in pkg.get("extras") or []}


def _json_list(value: Any) -> list[str]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


# ------------------------------------------------------------ harvest site
class HarvestSite:
    """A stock CKAN consumer: own database, Redis database and site id."""

    # the harvester its source uses (GovData's site overrides it)
    SOURCE_TYPE = "dcat_rdf"

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port
        source_db = sa.engine.make_url(config["sqlalchemy.url"])
        # derived from the test database, so parallel test runs do not collide
        self.db_name = "datagovernance_harvest_" + (source_db.database or "test").removeprefix(
            "datagovernance_")
        self.db_url = source_db.set(database=self.db_name)
        redis_url = urllib.parse.urlsplit(config.get("ckan.redis.url")
                                          or "redis://127.0.0.1:6379/1")
        own_db = (int((redis_url.path or "/1").strip("/") or 1) + 8) % 16
        self.redis_url = f"redis://{redis_url.netloc}/{own_db}?socket_timeout=3600"
        self.ini = workdir / "harvest.ini"
        self.ini.write_text(
            "[app:main]\n"
            f"use = config:{ROOT / 'test-core.ini'}\n"
            "ckan.site_id = datagovernance-harvest-e2e\n"
            f"ckan.site_url = http://127.0.0.1:{port}\n"
            f"sqlalchemy.url = {self.db_url.render_as_string(hide_password=False)}\n"
            f"ckan.redis.url = {self.redis_url}\n"
            f"ckan.storage_path = {workdir / 'harvest-storage'}\n"
            f"ckan.plugins = {HARVEST_PLUGINS}\n"
            "ckanext.datagovernance.search.backend = postgres\n"
            "ckan.harvest.mq.type = redis\n"
            "ckanext.dcat.rdf.profiles = euro_dcat_ap_3\n"
            # the dcat-ap.de licence list, as GovData's CKAN configures it: a
            # stock register cannot map dcat-ap.de licence IRIs to a licence id
            f"licenses_group_url = {v.licenses_url()}\n",
            encoding="utf-8")
        # no CKAN_* variables of the test run: they would override this ini
        self.env = {k: val for k, val in os.environ.items() if not k.startswith("CKAN_")}

    def reset(self) -> None:
        """Create the database when missing and empty it; clear its Redis database."""
        made = subprocess.run([str(ROOT / "bin" / "ensure-db.sh"), self.db_name],
                              capture_output=True, text=True, timeout=60)
        if made.returncode:
            pytest.skip(f"cannot create the harvest site's database: {made.stderr.strip()}")
        engine = sa.create_engine(self.db_url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        self.flush_redis()

    def flush_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()
        finally:
            client.close()

    def cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        cmd = [CKAN, "-c", str(self.ini), *args]
        done = subprocess.run(cmd, env=self.env, capture_output=True, text=True,
                              input="n\n", timeout=timeout)
        assert done.returncode == 0, (
            f"ckan {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def prepare(self, feed: str) -> threading.Thread:
        """In the background: migrations (core, activity, harvest, search
        index) and the harvest source for ``feed``; ``join`` re-raises."""
        def run() -> None:
            self.cli("db", "init")
            # (`ckan harvester source create` of ckanext-harvest 1.6.3 creates
            # the source, then crashes printing it on CKAN 2.12: the returned
            # dict lacks "status". ckanapi's `ckan api` calls the same action.)
            self.cli("api", "action", "harvest_source_create", f"name={SOURCE}",
                     f"url={feed}", f"source_type={self.SOURCE_TYPE}",
                     "title=Offenbach am Main (GovData)")

        return in_background(run)

    def harvest(self) -> None:
        """gather (every feed page), fetch and import in one process"""
        self.cli("harvester", "run-test", SOURCE)

    def query(self, sql: str, **params: Any) -> list[Any]:
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params))
        finally:
            engine.dispose()

    def errors(self) -> list[str]:
        gather = self.query("SELECT message FROM harvest_gather_error")
        objects = self.query("SELECT message FROM harvest_object_error")
        return [r[0] for r in gather] + [r[0] for r in objects]

    def last_job(self) -> dict[str, Any]:
        rows = self.query("SELECT status FROM harvest_job ORDER BY created DESC LIMIT 1")
        return {"status": rows[0][0] if rows else None}


# ----------------------------------------------------------- source catalog
def _build_catalog() -> dict[str, Any]:
    """Published public datasets (seven, one HVD) plus every kind that must
    stay out of the feed; committed, so the source server sees it."""
    from ckanext.datagovernance.tests.conftest import reset_and_migrate

    reset_and_migrate()
    sysadmin = factories.Sysadmin()
    ctx = {"user": sysadmin["name"]}
    planung = call_action(
        "organization_create", dict(ctx), name="of-amt-stadtplanung",
        title="Amt für Stadtplanung", political_geocoding_uri="064130000000",
        political_geocoding_level="municipality", contributor_id="hessen",
        publisher_type="LocalAuthority", email="stadtplanung@offenbach.example")
    umwelt = call_action(
        "organization_create", dict(ctx), name="of-umweltamt", title="Umweltamt",
        political_geocoding_uri="064130000000", political_geocoding_level="municipality",
        email="umweltamt@offenbach.example")

    def create(org: dict[str, Any], name: str, hvd: bool = False, **fields: Any) -> dict[str, Any]:
        data = (hvd_fields if hvd else dataset_fields)(org, name, **fields)
        return call_action("package_create", dict(ctx), **data)

    published = {
        "radwege": create(planung, "e2e-radwege", title="Radverkehrsnetz",
                          notes="Radwege und Fahrradstraßen der Stadt.", **INTERNAL),
        "gebaeude": create(planung, "e2e-hvd-gebaeude", hvd=True, title="Gebäude (HVD)",
                           notes="Gebäudeumringe mit API nach der HVD-Verordnung."),
        "baeume": create(umwelt, "e2e-baumkataster", title="Baumkataster",
                         notes="Straßen- und Parkbäume.", license_id="dl-zero-de/2.0",
                         contact_name="Grünflächenteam", contact_email="baeume@offenbach.example",
                         publisher_name="Stadt Offenbach am Main",
                         publisher_uri="https://www.offenbach.de"),
        "haushalt": create(planung, "e2e-haushalt", title="Haushaltsplan",
                           notes="Ergebnis- und Finanzhaushalt.", license_id="cc-by/4.0",
                           resources=[
                               {"url": "https://opendata.offenbach.example/haushalt.csv",
                                "name": "Haushalt CSV", "format": "CSV"},
                               {"url": "https://opendata.offenbach.example/haushalt.pdf",
                                "name": "Haushalt PDF", "format": "PDF",
                                "license": "dl-by-de/2.0"}]),
        "schulen": create(umwelt, "e2e-schulen", title="Schulstandorte",
                          notes="Schulen mit Adresse und Schulform.",
                          political_geocoding_uri="06", political_geocoding_level="state"),
        "wahlen": create(planung, "e2e-wahlergebnisse", title="Wahlergebnisse",
                         notes="Ergebnisse je Wahlbezirk."),
        "parken": create(umwelt, "e2e-parkhaeuser", title="Parkhausbelegung",
                         notes="Freie Stellplätze der Parkhäuser.", license_id="dl-zero-de/2.0",
                         resources=[{"url": "https://opendata.offenbach.example/parken.json",
                                     "name": "Belegung JSON", "format": "JSON"}]),
    }
    for key, pkg in published.items():
        published[key] = publish(sysadmin, pkg)
    hidden = {
        "draft": create(planung, "e2e-entwurf", title="Entwurf Lärmkarte"),
        "approved": publish(sysadmin, create(planung, "e2e-freigegeben",
                                             title="Freigegeben nicht veröffentlicht"),
                            state="approved"),
        "internal": publish(sysadmin, create(planung, "e2e-intern", title="Interne Kennzahlen",
                                             access_class="internal")),
        "restricted": publish(sysadmin, create(umwelt, "e2e-eingeschraenkt",
                                               title="Eingeschränkte Messreihe",
                                               access_class="restricted")),
    }
    from ckan import model

    model.Session.commit()
    return {"sysadmin": sysadmin, "orgs": {o["id"]: o for o in (planung, umwelt)},
            "published": published, "hidden": hidden}


# ----------------------------------------------------------- expectations
def _check_dataset(src: dict[str, Any], got: dict[str, Any], orgs: dict[str, Any],
                   uri: str) -> None:
    """One harvested dataset against its source (stock euro_dcat_ap_3 shape)."""
    name = src["name"]
    ex = _extras(got)
    org = orgs[src["owner_org"]]
    assert got["title"] == src["title"], name
    assert got["notes"] == src["notes"], name
    assert ex.get("uri") == uri and ex.get("identifier") == uri, (name, ex)
    # contact and publisher (dataset values, else the organisation's)
    assert ex.get("contact_email") == (src.get("contact_email") or org["email"]), (name, ex)
    assert ex.get("contact_name") == src.get("contact_name"), (name, ex)
    assert ex.get("publisher_name") == (src.get("publisher_name") or org["title"]), (name, ex)
    assert ex.get("publisher_type") == LOCAL_AUTHORITY, (name, ex)
    if src.get("publisher_uri"):
        assert ex.get("publisher_uri") == src["publisher_uri"], (name, ex)
    # spatial: the political geocoding key IRI (dataset, else organisation)
    key = src.get("political_geocoding_uri") or org["political_geocoding_uri"]
    assert ex.get("spatial_uri") == (key if key.startswith(KEY_BASE) else
                                     KEY_BASE + "regionalKey/" + key), (name, ex)
    # themes and keywords
    assert sorted(_json_list(ex.get("theme"))) == sorted(src["theme"]), (name, ex)
    assert {t["name"] for t in got["tags"]} == {t["name"] for t in src["tags"]}, name
    # distributions: format (EU file type), media type, one licence each
    licences = set()
    by_url = {r["url"]: r for r in got["resources"]}
    assert set(by_url) == {r["url"] for r in src["resources"]}, name
    for res in src["resources"]:
        hres = by_url[res["url"]]
        assert hres["format"] == FILE_TYPE + res["format"], (name, hres)
        # media type: an IANA IRI (type/subtype), when the source has one
        # (otherwise the harvest site guesses one from the URL)
        media = (res.get("mimetype") or "").split(";")[0]
        if media:
            assert hres.get("mimetype") == IANA + media, (name, hres)
        licence = res.get("license") or src["license_id"]
        assert hres.get("license") == LICENSE_BASE + licence, (name, hres)
        licences.add(licence)
    # the dataset licence: a distribution's licence, mapped by the licence register
    assert got["license_id"] in licences, (name, got["license_id"], licences)
    assert got["license_id"] == src["license_id"] or len(licences) > 1, name
    # HVD: category and legislation on the dataset, legislation and API on the distribution
    if src.get("hvd_category"):
        assert _json_list(ex.get("hvd_category")) == src["hvd_category"] == [HVD_CATEGORY]
        assert _json_list(ex.get("applicable_legislation")) == [HVD_ELI], (name, ex)
        for res in src["resources"]:
            hres = by_url[res["url"]]
            assert _json_list(hres.get("applicable_legislation")) == [HVD_ELI], hres
            services = _json_list(hres.get("access_services"))
            expected = res.get("access_services") or []
            assert len(services) == len(expected), hres
            for want, have in zip(expected, services, strict=True):
                assert have["title"] == want["title"]
                assert have["endpoint_url"] == want["endpoint_url"]
                assert have["endpoint_description"] == want["endpoint_description"]
    else:
        assert "hvd_category" not in ex and "applicable_legislation" not in ex, (name, ex)


def _feed_pages(feed: str) -> tuple[int, int]:
    """(totalItems, number of pages) as the feed's Hydra paging says."""
    g = Graph().parse(data=_get(feed), format="xml")
    [page] = list(g.subjects(URIRef(HYDRA + "totalItems"), None))
    total = int(g.value(page, URIRef(HYDRA + "totalItems")))
    last = str(g.value(page, URIRef(HYDRA + "lastPage")))
    return total, int(urllib.parse.parse_qs(urllib.parse.urlsplit(last).query)["page"][0])


# --------------------------------------------------------------------- test
def test_stock_ckan_harvests_the_govdata_feed(mail_server):
    with tempfile.TemporaryDirectory(prefix="dg-harvest-e2e-") as tmp, \
            contextlib.ExitStack() as stack:
        work = Path(tmp)
        source_port, harvest_port = free_port(), free_port()
        site = HarvestSite(work, harvest_port)
        site.reset()
        stack.callback(site.flush_redis)
        source_url = f"http://127.0.0.1:{source_port}"
        feed = f"{source_url}/catalog/govdata.rdf"
        # the harvest site is set up while the source catalog is built
        preparing = site.prepare(feed)
        stack.callback(threading.Thread.join, preparing, 300)  # no stray CLI on failure
        made = _build_catalog()

        _, source_log = serve_source(stack, work, source_port, **feed_settings(source_url),
                     **{"ckanext.dcat.datasets_per_page": PAGE_SIZE})

        preparing.join(timeout=300)
        harvest_log = work / "harvest-site.log"
        harvest_url = stack.enter_context(
            ckan_run(site.ini, harvest_port, site.env, harvest_log))
        wait_ready(source_url, source_log)
        wait_ready(harvest_url, harvest_log)

        published = made["published"]
        uris = {key: f"{source_url}/dataset/{pkg['id']}" for key, pkg in published.items()}
        total, pages = _feed_pages(feed)
        assert (total, pages) == (7, 4)

        # ---- first harvest: every published dataset, nothing else
        site.harvest()
        assert site.errors() == []
        assert site.last_job()["status"] == "Finished"

        def harvested() -> dict[str, dict[str, Any]]:
            found = _api(harvest_url, "package_search", q="*:*", rows=100,
                         fq="dataset_type:dataset")
            return {_extras(p)["identifier"]: p for p in found["results"]}

        first = harvested()
        assert set(first) == set(uris.values()), sorted(first)
        for key, pkg in published.items():
            src = call_action("package_show", id=pkg["id"])
            _check_dataset(src, first[uris[key]], made["orgs"], uris[key])
        dumped = json.dumps(list(first.values()), ensure_ascii=False)
        for value in INTERNAL.values():
            assert value not in dumped
        for pkg in made["hidden"].values():
            assert pkg["id"] not in dumped and pkg["title"] not in dumped
        titles = {p["title"] for p in _api(harvest_url, "package_search", q="*:*",
                                           rows=100)["results"]}
        assert not titles & {p["title"] for p in made["hidden"].values()}
        # the harvested datasets are searchable on the harvest site
        assert _api(harvest_url, "package_search", q="Baumkataster")["count"] == 1

        # ---- withdraw one dataset on the source, harvest again: it is gone
        withdrawn = published["wahlen"]
        call_action("datagovernance_workflow_transition", {"user": made["sysadmin"]["name"]},
                    id=withdrawn["id"], to="withdrawn", comment="Fehler in den Daten")
        assert _feed_pages(feed) == (6, 3)
        site.harvest()
        assert site.errors() == []
        assert site.last_job()["status"] == "Finished"
        second = harvested()
        gone = uris.pop("wahlen")
        assert set(second) == set(uris.values())
        assert site.query("SELECT state FROM package WHERE id = :id",
                          id=first[gone]["id"]) == [("deleted",)]
        with pytest.raises(urllib.error.HTTPError) as err:
            _api(harvest_url, "package_show", id=first[gone]["id"])
        assert err.value.code in (403, 404)
        # the others stay, updated in place
        assert {u: p["id"] for u, p in second.items()} == {
            u: first[u]["id"] for u in uris.values()}
        for key, pkg in published.items():
            if key != "wahlen":
                _check_dataset(call_action("package_show", id=pkg["id"]), second[uris[key]],
                               made["orgs"], uris[key])
