"""City to city (R7.2, R4.6): site B, with the suite and datagovernance_harvest,
harvests site A's public DCAT-AP.de feed (GovData feed, two datasets per Hydra
page), parsed back by our ``dcat_ap_de`` profile into our schema.

Site A is the test database served by ``ckan run``; site B has its own
database, Redis database and site id. B harvests with ``ckan harvester
run-test`` (gather, fetch and import in one process; the consumers are proven
in tests/processes). Checked: every published dataset of A arrives with B's
governance defaults; a re-harvest updates descriptive metadata and keeps B's
local owner, domain and access class; a licence change at A sends a dataset
B published back to review; a dataset withdrawn at A is withdrawn at B (not
deleted) and a mail job for its owner is queued.
"""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from ckan.tests.helpers import call_action

from ..background import in_background
from ..dcat.conftest import MARKS, PLUGINS, PROFILES
from ..dcat.test_harvest_e2e import (
    PAGE_SIZE,
    ROOT,
    HarvestSite,
    _build_catalog,
    _feed_pages,
    feed_settings,
    serve_source,
)
from ..servers import free_port, wait_ready

pytestmark = MARKS

SOURCE = "stadt-a"
B_PLUGINS = (PLUGINS + " harvest dcat_rdf_harvester datagovernance_harvest")
SITE_SCRIPT = str(Path(__file__).with_name("site.py"))
DEFAULTS = {"organization": "b-nachbarn", "domain": "b-offene-daten", "data_owner": "b-owner",
            "steward": "b-steward", "access_class": "public", "workflow_state": "approved"}


class CityB(HarvestSite):
    """Our suite as the harvesting city: own database, Redis database, site id."""

    def __init__(self, workdir: Path, port: int) -> None:
        super().__init__(workdir, port)
        self.db_name = self.db_name.replace("datagovernance_harvest_", "datagovernance_cityb_")
        self.db_url = self.db_url.set(database=self.db_name)
        self.ini.write_text(
            "[app:main]\n"
            f"use = config:{ROOT / 'test.ini'}\n"
            "ckan.site_id = datagovernance-city-b\n"
            f"ckan.site_url = http://127.0.0.1:{port}\n"
            f"sqlalchemy.url = {self.db_url.render_as_string(hide_password=False)}\n"
            f"ckan.redis.url = {self.redis_url}\n"
            f"ckan.storage_path = {workdir / 'city-b-storage'}\n"
            f"ckan.plugins = {B_PLUGINS}\n"
            f"ckanext.dcat.rdf.profiles = {PROFILES}\n"
            "ckan.harvest.mq.type = redis\n", encoding="utf-8")

    def actions(self, *calls: tuple[str, dict[str, Any], dict[str, Any]]) -> list[Any]:
        done = subprocess.run([sys.executable, SITE_SCRIPT, str(self.ini), json.dumps(calls)],
                              env=self.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "@@RESULT@@" in done.stdout, done.stderr[-3000:]
        return json.loads(done.stdout.rsplit("@@RESULT@@", 1)[1])

    def setup(self, feed: str, source_type: str = "dcat_rdf") -> threading.Thread:
        def run() -> None:
            self.cli("db", "init")
            self.cli("db", "pending-migrations", "--apply")
            users = [("user_create", {}, {"name": n, "email": f"{n}@stadt-b.example",
                                          "password": "Harvest-Stadt-B-1", "fullname": f}) for n, f in
                     (("b-owner", "Olga Owner"), ("b-owner2", "Otto Owner"),
                      ("b-steward", "Stefan Steward"))]
            results = self.actions(
                *users,
                ("organization_create", {}, {"name": "b-nachbarn", "title": "Nachbarkommunen"}),
                ("group_create", {}, {"name": "b-offene-daten", "title": "Offene Daten",
                                      "type": "domain"}),
                ("group_create", {}, {"name": "b-geodaten", "title": "Geodaten",
                                      "type": "domain"}),
                ("datagovernance_role_grant", {}, {"user": "b-steward", "role": "steward",
                                                   "domain": "b-offene-daten"}),
                ("harvest_source_create", {}, {
                    "name": SOURCE, "title": "Stadt A", "url": feed,
                    "source_type": source_type, "owner_org": "b-nachbarn",
                    "config": json.dumps({"datagovernance": DEFAULTS})}),
            )
            errors = [r for r in results if isinstance(r, dict) and "error" in r]
            assert not errors, errors

        return in_background(run)

    def harvest(self) -> None:
        self.cli("datagovernance", "harvest", "run-test", SOURCE, timeout=600)

    def datasets(self) -> dict[str, dict[str, Any]]:
        """B's harvested datasets by their identifier (A's dataset URI)."""
        [found] = self.actions(("package_search", {}, {
            "q": "*:*", "fq": "dataset_type:dataset", "rows": 100, "include_private": True,
            "include_drafts": True}))
        guids = dict(self.query("SELECT package_id, guid FROM harvest_object "
                                "WHERE package_id IS NOT NULL AND guid IS NOT NULL"))
        # package_show: the owner comes from the role table, not the index
        ids = [p["id"] for p in found["results"]]
        shown = self.actions(*[("package_show", {"use_cache": False}, {"id": i}) for i in ids],
                             *[("_owner", {}, {"id": i}) for i in ids])
        pkgs, owners = shown[:len(ids)], shown[len(ids):]
        for pkg, owner in zip(pkgs, owners, strict=True):
            pkg["data_owner"] = owner
        return {guids.get(p["id"]): p for p in pkgs}

    def show(self, pkg_id: str) -> dict[str, Any]:
        [pkg] = self.actions(("package_show", {"use_cache": False}, {"id": pkg_id}))
        return pkg


def test_city_b_harvests_city_a_under_governance(mail_server):
    with tempfile.TemporaryDirectory(prefix="dg-city-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        a_port = free_port()
        b = CityB(work, free_port())
        b.reset()
        stack.callback(b.flush_redis)
        a_url = f"http://127.0.0.1:{a_port}"
        feed = f"{a_url}/catalog/govdata.rdf"
        preparing = b.setup(feed)
        stack.callback(threading.Thread.join, preparing, 600)
        made = _build_catalog()

        a_url, a_log = serve_source(stack, work, a_port, **feed_settings(a_url),
                                    **{"ckanext.dcat.datasets_per_page": PAGE_SIZE})
        preparing.join(timeout=600)
        wait_ready(a_url, a_log)
        published = made["published"]
        uris = {key: f"{a_url}/dataset/{pkg['id']}" for key, pkg in published.items()}
        assert _feed_pages(feed) == (7, 4)

        # ---- first harvest: every page, our schema, B's governance defaults
        b.harvest()
        assert b.errors() == []
        first = b.datasets()
        assert set(first) == set(uris.values()), sorted(first)
        for key, src in published.items():
            got = first[uris[key]]
            src = call_action("package_show", id=src["id"])
            assert got["title"] == src["title"] and got["notes"] == src["notes"], key
            assert got["theme"] == src["theme"], key
            # the dataset licence: one of its distributions' licences
            assert got["license_id"] in {r.get("license") or src["license_id"]
                                         for r in src["resources"]}, key
            assert got["organization"]["name"] == "b-nachbarn", key
            assert got["domain"] == "b-offene-daten" and got["data_owner"] == "b-owner", key
            assert got["access_class"] == "public" and got["workflow_state"] == "approved", key
            assert got.get("hvd_category") == src.get("hvd_category"), key
        # the initial state is on record in B's workflow history
        history = b.actions(("datagovernance_workflow_history", {}, {"id": first[uris["baeume"]]["id"]}))
        assert [h["to_state"] for h in history[0]] == ["approved"], history

        # ---- B's office works locally: owner, domain, access class, publication
        radwege, haushalt = first[uris["radwege"]], first[uris["haushalt"]]
        local = b.actions(
            ("package_patch", {}, {"id": radwege["id"], "data_owner": "b-owner2",
                                   "domain": "b-geodaten", "access_class": "internal"}),
            ("package_patch", {"workflow_flag": True}, {"id": haushalt["id"],
                                                        "workflow_state": "published"}),
        )
        assert not [r for r in local if "error" in r], local

        # ---- A changes: a title, a licence; one dataset withdrawn
        sysadmin = made["sysadmin"]["name"]
        call_action("package_patch", {"user": sysadmin}, id=published["radwege"]["id"],
                    title="Radverkehrsnetz 2027")
        call_action("package_patch", {"user": sysadmin}, id=published["haushalt"]["id"],
                    license_id="dl-zero-de/2.0",
                    resources=[{"url": "https://opendata.offenbach.example/haushalt.csv",
                                "name": "Haushalt CSV", "format": "CSV"}])
        # (a licence change sends A's dataset back to review too: publish it again)
        from ..dcat.conftest import publish

        publish(made["sysadmin"], call_action("package_show", id=published["haushalt"]["id"]))
        call_action("datagovernance_workflow_transition", {"user": sysadmin},
                    id=published["wahlen"]["id"], to="withdrawn", comment="Fehler in den Daten")
        from ckan import model

        model.Session.commit()
        assert _feed_pages(feed) == (6, 3)

        # ---- re-harvest
        b.harvest()
        assert b.errors() == []
        second = b.datasets()
        assert set(second) == set(uris.values())  # nothing deleted
        got = second[uris["radwege"]]
        assert got["title"] == "Radverkehrsnetz 2027"  # descriptive: from the source
        assert (got["data_owner"], got["domain"], got["access_class"]) == (
            "b-owner2", "b-geodaten", "internal")  # local: kept
        assert got["workflow_state"] == "approved"
        got = second[uris["haushalt"]]
        assert got["license_id"] == "dl-zero-de/2.0"
        assert got["workflow_state"] == "in_review"  # published at B, licence changed at A
        # unchanged governance-relevant fields: a published dataset stays published
        assert second[uris["baeume"]]["workflow_state"] == "approved"
        gone = second[uris["wahlen"]]
        assert gone["state"] == "active" and gone["workflow_state"] == "withdrawn"
        assert gone["data_owner"] == "b-owner"
        [history] = b.actions(("datagovernance_workflow_history", {}, {"id": gone["id"]}))
        assert history[-1]["to_state"] == "withdrawn" and history[-1]["comment"], history
        [queued] = b.actions(("_jobs", {}, {}))
        # the workflow's mail job for the withdrawal event (owner and deputies)
        assert any(t and history[-1]["id"] in t for t in queued), queued
