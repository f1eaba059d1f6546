"""City to city with ckanext-harvest's CKAN harvester (source type ``ckan``,
plugin ``ckan_harvester``): site B reads site A's action API and applies the
same governance rules as for the DCAT harvester (R4.6, R7.1).

Site A is the test database served by ``ckan run``; site B has its own
database (see test_city_to_city.py). One harvest, a local edit at B, a
change at A, a re-harvest: defaults on create, initial workflow state on
record, descriptive metadata updated, local owner/domain/access class kept.
"""
from __future__ import annotations

import contextlib
import tempfile
import threading
from pathlib import Path

from ckan.tests.helpers import call_action

from ..dcat.conftest import MARKS
from ..dcat.test_harvest_e2e import _build_catalog, serve_source
from ..servers import free_port, wait_ready
from . import test_city_to_city as city

pytestmark = MARKS


class CkanCityB(city.CityB):
    def __init__(self, workdir: Path, port: int) -> None:
        super().__init__(workdir, port)
        self.ini.write_text(self.ini.read_text(encoding="utf-8").replace(
            f"ckan.plugins = {city.B_PLUGINS}", f"ckan.plugins = {city.B_PLUGINS} ckan_harvester"),
            encoding="utf-8")


def test_ckan_harvester_applies_governance_defaults_and_keeps_local_fields():
    with tempfile.TemporaryDirectory(prefix="dg-ckan-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        a_port = free_port()
        b = CkanCityB(work, free_port())
        b.reset()
        stack.callback(b.flush_redis)
        a_url = f"http://127.0.0.1:{a_port}"
        preparing = b.setup(a_url, source_type="ckan")
        stack.callback(threading.Thread.join, preparing, 600)
        made = _build_catalog()
        a_url, a_log = serve_source(stack, work, a_port)
        preparing.join(timeout=600)
        wait_ready(a_url, a_log)
        published = made["published"]

        # ---- first harvest: A's public, published datasets with B's defaults
        b.harvest()
        assert b.errors() == []
        first = {p["id"]: p for p in b.datasets().values()}
        # the CKAN harvester keeps A's dataset ids
        assert set(first) == {p["id"] for p in published.values()}
        for key, src in published.items():
            got = first[src["id"]]
            assert got["title"] == src["title"], key
            assert got["organization"]["name"] == "b-nachbarn", key
            assert got["domain"] == "b-offene-daten" and got["data_owner"] == "b-owner", key
            assert got["access_class"] == "public" and got["workflow_state"] == "approved", key
        # ---- B works locally (the initial state is on record in B's history)
        baeume, radwege = published["baeume"]["id"], published["radwege"]["id"]
        history, local = b.actions(
            ("datagovernance_workflow_history", {}, {"id": baeume}),
            ("package_patch", {}, {"id": radwege, "data_owner": "b-owner2",
                                   "domain": "b-geodaten", "access_class": "internal"}))
        assert [h["to_state"] for h in history] == ["approved"], history
        assert "error" not in local, local
        # ---- A changes a title
        call_action("package_patch", {"user": made["sysadmin"]["name"]}, id=radwege,
                    title="Radverkehrsnetz 2027")
        from ckan import model

        model.Session.commit()

        # ---- re-harvest: descriptive metadata from A, governance fields from B
        b.harvest()
        assert b.errors() == []
        got = {p["id"]: p for p in b.datasets().values()}[radwege]
        assert got["title"] == "Radverkehrsnetz 2027"
        assert (got["data_owner"], got["domain"], got["access_class"], got["workflow_state"]) == (
            "b-owner2", "b-geodaten", "internal", "approved")
