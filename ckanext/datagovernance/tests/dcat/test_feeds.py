"""Feeds list only public, published datasets; Hydra paging; targets."""
from __future__ import annotations

import pytest
from ckanext.dcat.profiles import DCAT
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ckanext.datagovernance.dcat.profile import DCATDE

from .conftest import BASE_URI, MARKS

pytestmark = MARKS

HYDRA = "http://www.w3.org/ns/hydra/core#"
HIDDEN = ("draft", "approved", "internal", "restricted")


def _datasets(body: str, fmt: str = "turtle") -> set[str]:
    g = Graph().parse(data=body, format=fmt)
    return {str(s) for s in g.subjects(RDF.type, DCAT.Dataset)}


def _uri(pkg: dict) -> str:
    return f"{BASE_URI}/dataset/{pkg['id']}"


@pytest.mark.parametrize("query", [
    {}, {"q": "*:*"}, {"fq": "access_class:internal"}, {"fq": "workflow_state:draft"},
    {"q": "name:intern-publiziert"}, {"fq": "-workflow_state:published"},
    {"q": "access_class:internal", "fq": "access_class:restricted"},
    # (a space in q/fq breaks ckanext-dcat's own page URLs: its bug, not filtered here)
])
def test_catalog_endpoint_public_published_only(dcat_catalog, app, query):
    expected = {_uri(dcat_catalog["public"]), _uri(dcat_catalog["hvd"])}
    for headers in ({}, {"Authorization": dcat_catalog["sysadmin"]["token"]}):
        body = app.get("/catalog.ttl", query_string=query, headers=headers).body
        found = _datasets(body)
        assert found <= expected
        for key in HIDDEN:
            assert _uri(dcat_catalog[key]) not in found
            assert dcat_catalog[key]["id"] not in body
    assert _datasets(app.get("/catalog.ttl").body) == expected


@pytest.mark.parametrize("target", ["hessen", "hvd"])
def test_own_feeds_public_published_only(dcat_catalog, app, target):
    body = app.get(f"/catalog/{target}.ttl",
                   query_string={"fq": "access_class:internal", "q": "*:*"},
                   headers={"Authorization": dcat_catalog["sysadmin"]["token"]}).body
    found = _datasets(body)
    expected = {_uri(dcat_catalog["hvd"])} if target == "hvd" else {
        _uri(dcat_catalog["public"]), _uri(dcat_catalog["hvd"])}
    assert found == expected
    for key in HIDDEN:
        assert dcat_catalog[key]["id"] not in body


def test_hessen_and_govdata_feeds_served_together(dcat_catalog, app):
    g = Graph().parse(data=app.get("/catalog/hessen.rdf").body, format="xml")
    assert set(g.objects(None, DCATDE.contributorID)) == {
        URIRef("http://dcat-ap.de/def/contributors/hessen")}
    # default delivery mode (state portal): the GovData feed is served as
    # well, under the state portal's contributor ID
    body = app.get("/catalog/govdata.ttl").body
    assert _datasets(body) == {_uri(dcat_catalog["public"]), _uri(dcat_catalog["hvd"])}
    assert set(Graph().parse(data=body, format="turtle").objects(None, DCATDE.contributorID)) == {
        URIRef("http://dcat-ap.de/def/contributors/hessen")}


@pytest.mark.ckan_config("ckanext.datagovernance.dcat.delivery_mode", "direct")
def test_govdata_feed_in_direct_mode(dcat_catalog, app):
    body = app.get("/catalog/govdata.jsonld").body
    assert _datasets(body, "json-ld") == {_uri(dcat_catalog["public"]), _uri(dcat_catalog["hvd"])}


def _hydra(body: str) -> dict[str, str]:
    g = Graph().parse(data=body, format="turtle")
    [page] = list(g.subjects(RDF.type, URIRef(HYDRA + "PagedCollection")))
    out = {"@id": str(page)}
    for pred, obj in g.predicate_objects(page):
        if str(pred).startswith(HYDRA):
            out[str(pred)[len(HYDRA):]] = str(obj)
    return out


@pytest.mark.ckan_config("ckanext.datagovernance.dcat.feed_page_size", "1")
def test_hydra_paging_absolute_and_last_page_has_no_next(dcat_catalog, app):
    first = _hydra(app.get("/catalog/hessen.ttl").body)
    assert first["totalItems"] == "2"
    assert first["next"] == first["nextPage"] == f"{BASE_URI}/catalog/hessen.ttl?page=2"
    assert first["first"] == f"{BASE_URI}/catalog/hessen.ttl?page=1"
    assert first["last"] == f"{BASE_URI}/catalog/hessen.ttl?page=2"
    seen = set()
    url, pages = first["first"], 0
    while url and pages < 5:
        body = app.get(url.replace(BASE_URI, "")).body
        found = _datasets(body)
        assert len(found) == 1 and not found & seen
        seen |= found
        url = _hydra(body).get("next")
        pages += 1
    assert pages == 2 and len(seen) == 2
    last = _hydra(app.get("/catalog/hessen.ttl?page=2").body)
    assert "next" not in last and "nextPage" not in last
    assert last["previous"] == f"{BASE_URI}/catalog/hessen.ttl?page=1"


def test_modified_since(dcat_catalog, app):
    assert len(_datasets(app.get("/catalog/hessen.ttl?modified_since=2000-01-01").body)) == 2
    assert _datasets(app.get("/catalog/hessen.ttl?modified_since=2999-01-01").body) == set()
    paged = _hydra(app.get("/catalog/hessen.ttl?modified_since=2000-01-01").body)
    assert paged["first"] == f"{BASE_URI}/catalog/hessen.ttl?modified_since=2000-01-01&page=1"
    assert "Wrong date" in app.get("/catalog/hessen.ttl?modified_since=gestern",
                                   status=409).body


def test_bad_feed_requests(dcat_catalog, app):
    app.get("/catalog/hessen.ttl?page=0", status=409)
    app.get("/catalog/hessen.ttl?page=x", status=409)
    app.get("/catalog/hessen.pdf", status=409)
    app.get("/catalog/bayern.ttl", status=404)
