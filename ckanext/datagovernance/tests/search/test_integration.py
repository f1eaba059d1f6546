"""Everything that builds on search: pages, the DCAT catalog, harvest sources,
the search-index CLI, start-up and the transaction guarantees."""
from __future__ import annotations

import logging

import ckan.lib.search as search
import ckan.lib.search.common as search_common
import ckan.model as model
import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
import pytest
import rdflib
import sqlalchemy as sa
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.datagovernance.search import seam
from ckanext.datagovernance.search.backend import PostgresSolr

from .conftest import SEARCH_PLUGINS

# ckan_config marks: the module's would override a class's (CKAN applies the
# closest mark first), so each test or class names its plugins.
SEARCH_ONLY = pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)

HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")


def index_rows(**where: str) -> int:
    sql = "SELECT count(*) FROM datagovernance_search_index"
    if where:
        sql += " WHERE " + " AND ".join(f"{k} = :{k}" for k in where)
    return model.Session.execute(sa.text(sql), where).scalar_one()


@SEARCH_ONLY
@pytest.mark.usefixtures("with_plugins")
class TestPages:
    @pytest.mark.ckan_config("ckan.datasets_per_page", 2)
    def test_dataset_list_with_facets_and_paging(self, catalog, app):
        page1 = app.get("/dataset/", query_string={"sort": "title_string asc"}).body
        assert "4 datasets found" in page1 or "4 Datensätze gefunden" in page1
        assert "Baumkataster" in page1 and "Haushaltsplan 2024" in page1
        assert "Kita-Plätze" not in page1
        page2 = app.get("/dataset/", query_string={"sort": "title_string asc", "page": 2}).body
        assert "Kita-Plätze" in page2 and "Radwege in Offenbach" in page2
        assert "Interne Radwege-Planung" not in page1 + page2
        # facet links with counts
        assert "Kämmerei" in page1 and 'tags=Verkehr' in page1
        filtered = app.get("/dataset/", query_string={"tags": "Verkehr", "organization": "finanzen"}).body
        assert "1 dataset found" in filtered and "Kita-Plätze" in filtered

    def test_text_search_in_ui(self, catalog, app):
        body = app.get("/dataset/", query_string={"q": "Radweg"}).body
        assert "Radwege in Offenbach" in body and "Interne Radwege-Planung" not in body

    def test_organization_and_group_pages(self, catalog, app):
        body = app.get("/organization/stadtplanung").body
        assert "Radwege in Offenbach" in body and "Baumkataster" in body
        assert "Interne Radwege-Planung" not in body
        token = call_action("api_token_create", {}, user=catalog.editor["name"], name="t")["token"]
        member = app.get("/organization/stadtplanung", headers={"Authorization": token}).body
        assert "Interne Radwege-Planung" in member
        body = app.get("/group/umwelt").body
        assert "Baumkataster" in body and "Radwege in Offenbach" not in body

    def test_home_page(self, catalog, app):
        assert app.get("/").status_code == 200


@pytest.mark.ckan_config("ckan.plugins", "activity datagovernance_search dcat")
@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", 2)
@pytest.mark.usefixtures("with_plugins")
class TestDcatCatalog:
    def _graph(self, app, **params) -> rdflib.Graph:
        res = app.get("/catalog.ttl", query_string=params)
        return rdflib.Graph().parse(data=res.body, format="turtle")

    def test_hydra_paging_walks_all_public_datasets(self, catalog, app):
        g = self._graph(app)
        paging = next(g.subjects(rdflib.RDF.type, HYDRA.PagedCollection))
        assert int(g.value(paging, HYDRA.totalItems)) == 4
        titles = {str(t) for t in g.objects(None, rdflib.DCTERMS.title)}
        page = 1
        while g.value(paging, HYDRA.nextPage):
            page += 1
            g = self._graph(app, page=page)
            paging = next(g.subjects(rdflib.RDF.type, HYDRA.PagedCollection))
            titles |= {str(t) for t in g.objects(None, rdflib.DCTERMS.title)}
        assert page == 2
        assert {"Radwege in Offenbach", "Haushaltsplan 2024", "Baumkataster", "Kita-Plätze je Stadtteil"} <= titles
        assert "Interne Radwege-Planung" not in titles and "Entwurf Parkplätze" not in titles

    def test_modified_since(self, catalog, app):
        g = self._graph(app, modified_since="2000-01-01T00:00:00Z")
        assert len(set(g.subjects(rdflib.RDF.type, DCAT.Dataset))) == 2  # first page
        g = self._graph(app, modified_since="2999-01-01T00:00:00Z")
        assert set(g.subjects(rdflib.RDF.type, DCAT.Dataset)) == set()


@pytest.mark.ckan_config(
    "ckan.plugins", "activity datagovernance_search harvest dcat dcat_rdf_harvester"
)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_harvest_sources_listed_and_cleared_through_search(migrate_db_for, app):
    migrate_db_for("harvest")
    sysadmin = factories.Sysadmin()
    ctx = {"user": sysadmin["name"]}
    source = call_action(
        "harvest_source_create", ctx, name="giessen", title="Open Data Gießen",
        url="http://127.0.0.1:1/catalog.ttl", source_type="dcat_rdf",
    )
    factories.Dataset(name="kein-harvest")
    # what ckanext-harvest's source list page sends
    listed = call_action("package_search", ctx, fq="+dataset_type:harvest", include_private=True)
    assert [s["name"] for s in listed["results"]] == ["giessen"]
    assert "Open Data Gießen" in app.get("/harvest").body
    datasets = call_action("package_search", ctx, q="*:*")
    assert [d["name"] for d in datasets["results"]] == ["kein-harvest"]  # sources are not datasets
    # a harvested dataset, then clearing the source removes it from the index by query
    harvested = factories.Dataset(name="geerntet")
    model.Session.execute(
        sa.text(
            "UPDATE datagovernance_search_index SET fields = fields || "
            "jsonb_build_object('harvest_source_id', jsonb_build_array(CAST(:s AS text))) WHERE id = :id"
        ),
        {"s": source["id"], "id": harvested["id"]},
    )
    model.Session.commit()
    call_action("harvest_source_clear", ctx, id=source["id"])
    assert index_rows(id=harvested["id"]) == 0
    assert index_rows(id=source["id"]) == 1


@SEARCH_ONLY
@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestIndexLifecycle:
    def test_failed_index_write_leaves_no_dataset(self, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.datagovernance.search.text_config", "no_such_config")
        with pytest.raises(search.SearchIndexError):
            call_action("package_create", {}, name="halb-geschrieben")
        model.Session.rollback()
        assert model.Session.query(model.Package).filter_by(name="halb-geschrieben").count() == 0
        assert index_rows() == 0

    def test_rolled_back_dataset_write_leaves_no_index_row(self):
        ds = factories.Dataset(name="bleibt")
        pkg = model.Package.get(ds["id"])
        pkg.title = "Geänderter Titel"
        from ckan import logic

        logic.index_update_package({"ignore_auth": True}, ds["id"], defer_commit=True)
        assert model.Session.execute(
            sa.text("SELECT title FROM datagovernance_search_index WHERE id = :id"), {"id": ds["id"]}
        ).scalar_one() == "Geänderter Titel"
        model.Session.rollback()
        assert model.Session.execute(
            sa.text("SELECT title FROM datagovernance_search_index WHERE id = :id"), {"id": ds["id"]}
        ).scalar_one() == ds["title"]

    def test_update_and_delete_keep_index_in_step(self):
        ctx = {"user": factories.Sysadmin()["name"]}
        ds = factories.Dataset(name="strassenverzeichnis", title="Straßenverzeichnis")
        call_action("package_patch", dict(ctx), id=ds["id"], title="Straßenverzeichnis Offenbach")
        assert call_action("package_search", {}, q="Offenbach")["count"] == 1
        call_action("package_delete", dict(ctx), id=ds["id"])
        assert call_action("package_search", {}, q="Straßenverzeichnis")["count"] == 0
        assert index_rows(id=ds["id"]) == 0  # remove_deleted_packages

    def test_cached_counts_and_facets_follow_every_write(self):
        from ckan.lib.redis import connect_to_redis

        def tags():
            return call_action("package_search", {}, q="*:*", **{"facet.field": ["tags"]})["facets"]["tags"]

        factories.Dataset(name="erster", tags=[{"name": "wahl"}])
        assert tags() == {"wahl": 1}
        assert tags() == {"wahl": 1}  # served from the cache
        assert connect_to_redis().keys("datagovernance:search:test.ckan.net:*")
        factories.Dataset(name="zweiter", tags=[{"name": "wahl"}])
        assert tags() == {"wahl": 2}
        # an uncommitted write in this transaction is seen at once, and its
        # rollback is too
        pkg = model.Package.get("zweiter")
        pkg.state = "deleted"
        from ckan import logic

        logic.index_update_package({"ignore_auth": True}, pkg.id, defer_commit=True)
        assert tags() == {"wahl": 1}
        model.Session.rollback()
        assert tags() == {"wahl": 2}

    @pytest.mark.ckan_config("ckanext.datagovernance.search.analyze_every", 3)
    def test_statistics_refreshed_after_every_n_committed_writes(self, monkeypatch):
        from ckanext.datagovernance.search import stats

        monkeypatch.setattr(stats, "_committed", 0)

        def analyzed() -> int:
            model.Session.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
            return model.Session.execute(sa.text(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'datagovernance_search_index'"
            )).scalar_one()

        before = analyzed()
        factories.Dataset(name="eins")
        factories.Dataset(name="zwei")
        assert analyzed() == before
        factories.Dataset(name="drei")
        assert analyzed() == before + 1

    def test_delete_by_id_and_by_query(self):
        a = factories.Dataset(name="a-daten", tags=[{"name": "weg"}])
        b = factories.Dataset(name="b-daten", tags=[{"name": "weg"}])
        c = factories.Dataset(name="c-daten")
        conn = search_common.make_connection()
        index_id = model.Session.execute(
            sa.text("SELECT index_id FROM datagovernance_search_index WHERE id = :id"), {"id": a["id"]}
        ).scalar_one()
        conn.delete(id=index_id)
        assert index_rows(id=a["id"]) == 0
        conn.delete(q='+tags:"weg" +site_id:"test.ckan.net"')
        conn.commit()
        assert index_rows(id=b["id"]) == 0 and index_rows(id=c["id"]) == 1


# The CLI loads the plugins of test.ini (the whole suite), so this test runs
# with them too.
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_cli_rebuild_check_show_clear(cli):
    ds = factories.Dataset(name="bebauungsplaene", title="Bebauungspläne")
    factories.Dataset(name="wahlergebnisse")
    model.Session.execute(sa.text("TRUNCATE datagovernance_search_index"))
    model.Session.commit()
    result = cli.invoke(ckan_cli, ["search-index", "check"])
    assert "Packages not indexed = 2 out of 2" in result.output
    result = cli.invoke(ckan_cli, ["search-index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert index_rows() == 2
    result = cli.invoke(ckan_cli, ["search-index", "check"])
    assert "Packages not indexed = 0 out of 2" in result.output
    result = cli.invoke(ckan_cli, ["search-index", "show", "bebauungsplaene"])
    assert result.exit_code == 0 and ds["id"] in result.output
    result = cli.invoke(ckan_cli, ["search-index", "clear", "bebauungsplaene"])
    assert result.exit_code == 0
    model.Session.remove()
    assert index_rows() == 1
    result = cli.invoke(ckan_cli, ["search-index", "clear"])
    model.Session.remove()
    assert index_rows() == 0



@SEARCH_ONLY
@pytest.mark.usefixtures("with_plugins")
def test_starts_without_solr_and_without_warning(caplog):
    assert isinstance(search_common.make_connection(), PostgresSolr)
    with caplog.at_level(logging.WARNING):
        assert search.check_solr_schema_version() is True
        assert search_common.is_available()
    assert not [r for r in caplog.records if "SOLR" in r.getMessage().upper()]


def test_backend_solr_setting_restores_ckan_client():
    plugins.load("datagovernance_search")
    try:
        assert seam.installed()
        tk.config["ckanext.datagovernance.search.backend"] = "solr"
        plugins.plugin_loaded("datagovernance_search")
        from ckan.config.environment import update_config

        try:
            update_config()
        except Exception:  # noqa: BLE001 - start-up then talks to a Solr that is absent here
            pass
        assert not seam.installed()
        assert search_common.make_connection().__class__.__name__ == "Solr"
    finally:
        tk.config["ckanext.datagovernance.search.backend"] = "postgres"
        plugins.unload("datagovernance_search")
    assert not seam.installed()
