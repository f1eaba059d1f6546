"""Turtle catalog pages from per-dataset fragments (dcat/page.py, turtle.py):
the same graph as ckanext-dcat's serialiser, and a fragment cache that is
never stale and never shows what the search did not return (issue 16)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from ckan.common import config
from ckan.lib.redis import connect_to_redis
from ckan.tests.helpers import call_action
from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.profiles import DCAT
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF, XSD

from ckanext.datagovernance.dcat import feeds, page, turtle
from ckanext.datagovernance.dcat.profile import DCATDE

from .conftest import BASE_URI, MARKS, dataset_fields, publish

pytestmark = MARKS
TTL = "ckanext.datagovernance.dcat.cache_ttl"


def _uri(pkg: dict[str, Any]) -> str:
    return f"{BASE_URI}/dataset/{pkg['id']}"


def _graph(body: str | bytes, fmt: str = "turtle") -> Graph:
    return Graph().parse(data=body, format=fmt)


def _fragment_keys() -> list[bytes]:
    return list(connect_to_redis().scan_iter("datagovernance:dcat:fragment:*"))


@pytest.fixture
def cache_on() -> Any:
    """The fragment cache on and empty (the tests' Redis database)."""
    saved = config.get(TTL)
    config[TTL] = 3600
    redis = connect_to_redis()
    for key in _fragment_keys():
        redis.delete(key)
    yield redis
    config[TTL] = saved


# ------------------------------------------------------------------ writer
def test_writer_output_parses_back_to_the_same_graph():
    ex = "https://opendata.offenbach.example/"
    g = Graph()
    s = URIRef(ex + "dataset/1")
    g.add((s, RDF.type, DCAT.Dataset))
    for text in ('Anführungszeichen " und \\ Backslash', "zwei\nZeilen", 'drei """ Anführung',
                 "Ümlaute ß €", "endet mit Punkt.", ""):
        g.add((s, URIRef(ex + "text"), Literal(text, lang="de")))
        g.add((s, URIRef(ex + "plain"), Literal(text)))
    g.add((s, DCAT.spatialResolutionInMeters, Literal("10", datatype=XSD.decimal)))
    g.add((s, URIRef(ex + "n"), Literal(5)))
    g.add((s, URIRef(ex + "when"), Literal("2026-01-31T10:00:00", datatype=XSD.dateTime)))
    g.add((s, URIRef(ex + "odd"), Literal("x", datatype=URIRef(ex + "Typ"))))
    # IRIs whose local part is no prefixed name: written in full
    for iri in ("http://www.w3.org/ns/dcat#a.b", "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/1x",
                "http://purl.org/dc/terms/(x)", "http://purl.org/dc/terms/x.", ex + "ns/%20"):
        g.add((s, URIRef(ex + "iri"), URIRef(iri)))
    g.add((s, URIRef("http://purl.org/dc/terms/type.x"), Literal("Prädikat ohne Präfixnamen")))
    nested, shared, empty = BNode(), BNode(), BNode()
    g.add((s, DCAT.contactPoint, nested))
    g.add((nested, URIRef(ex + "inner"), BNode()))
    g.add((s, URIRef(ex + "a"), shared))
    g.add((URIRef(ex + "other"), URIRef(ex + "a"), shared))
    g.add((shared, URIRef(ex + "label"), Literal("zweimal referenziert")))
    g.add((s, URIRef(ex + "empty"), empty))
    one, two = BNode(), BNode()  # a cycle nothing else reaches
    g.add((one, URIRef(ex + "next"), two))
    g.add((two, URIRef(ex + "next"), one))
    body = turtle.header() + turtle.serialize(g, first=[s])
    assert isomorphic(_graph(body), g), body


# --------------------------------------------------- the same graph as before
def _reference(results: list[dict[str, Any]], info: dict[str, Any], target_contributor: Any) -> Graph:
    """ckanext-dcat's serialize_catalog of the same datasets (N-Triples keeps
    every literal as the profile wrote it)."""
    from ckanext.datagovernance.dcat import profile

    token = profile.target_contributor.set(target_contributor)
    try:
        return _graph(RDFSerializer(profiles=feeds.catalog_profiles()).serialize_catalog(
            {}, results, _format="nt", pagination_info=info), "nt")
    finally:
        profile.target_contributor.reset(token)


@pytest.mark.parametrize("target", ["govdata", "hessen", "hvd"])
@pytest.mark.usefixtures("with_request_context")
def test_page_is_the_graph_ckanext_dcat_serialises(dcat_catalog, cache_on, target):
    query = feeds.search_feed(target, 1)
    info = feeds.pagination(target, "ttl", 1, query["count"], len(query["results"]), None)
    expected = _reference(query["results"], info, feeds.target_settings(target)["contributor"])
    for run in ("cold", "warm"):
        got = _graph(feeds.serialize_feed(target, "ttl", 1))
        same = isomorphic(got, expected)
        if not same:
            _both, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
            pytest.fail(f"{target} ({run}): only in the page {sorted(only_got)[:5]}, "
                        f"only in ckanext-dcat's {sorted(only_expected)[:5]}")
    assert len(_fragment_keys()) == len(query["results"]) > 0


@pytest.mark.usefixtures("with_request_context")
def test_catalog_ttl_is_the_graph_ckanext_dcat_serialises(dcat_catalog, cache_on, app):
    """ckanext-dcat's endpoint action: Turtle from page.py, N-Triples (the
    reference, same search and paging) from ckanext-dcat's serialiser."""
    reference = _graph(call_action("dcat_catalog_show", {}, format="nt"), "nt")
    for run in ("cold", "warm"):
        assert isomorphic(_graph(call_action("dcat_catalog_show", {}, format="ttl")), reference), run
    body = app.get("/catalog.ttl").body
    assert {str(s) for s in _graph(body).subjects(RDF.type, DCAT.Dataset)} == {
        _uri(dcat_catalog["public"]), _uri(dcat_catalog["hvd"])}


# --------------------------------------------------------- the cache's keys
def _contributors(body: str, pkg: dict[str, Any]) -> set[str]:
    return {str(o) for o in _graph(body).objects(URIRef(_uri(pkg)), DCATDE.contributorID)}


def test_each_input_of_a_fragment_shows_in_the_next_fetch(dcat_catalog, cache_on, app):
    admin = {"user": dcat_catalog["sysadmin"]["name"]}
    org = call_action("organization_create", admin, name="of-amt-cache", title="Amt Cache",
                      contributor_id="hessen", email="cache@offenbach.example")
    pkg = publish(dcat_catalog["sysadmin"], call_action(
        "package_create", admin, **dataset_fields(org, "cache-datensatz")))
    ref = URIRef(_uri(pkg))

    def fetch(url: str = "/catalog.ttl") -> str:
        return app.get(url).body

    body = fetch()
    assert fetch() == body  # warm: the same text
    assert len(_fragment_keys()) == 3
    # the dataset (its dict as the search returns it)
    call_action("package_patch", admin, id=pkg["id"], title="Neuer Titel")
    assert Literal("Neuer Titel", lang="de") in set(_graph(fetch()).objects(ref, URIRef(
        "http://purl.org/dc/terms/title")))
    # its organisation's fields, read from the database (the dataset is not re-indexed)
    call_action("organization_patch", admin, id=org["id"], contributor_id="berlinOpenData")
    assert _contributors(fetch(), pkg) == {"http://dcat-ap.de/def/contributors/berlinOpenData"}
    # the feed's contributor ID (the same fragment in another feed)
    assert _contributors(fetch("/catalog/hessen.ttl"), pkg) == {"http://dcat-ap.de/def/contributors/hessen"}
    # a setting the profile reads
    assert list(_graph(fetch()).objects(ref, DCATDE.maintainer))
    config["ckanext.datagovernance.dcat.deprecated_properties"] = False
    try:
        assert not list(_graph(fetch()).objects(ref, DCATDE.maintainer))
    finally:
        config["ckanext.datagovernance.dcat.deprecated_properties"] = True
    assert list(_graph(fetch()).objects(ref, DCATDE.maintainer))


def test_cache_off_writes_nothing(dcat_catalog, cache_on, app):
    config[TTL] = 0
    app.get("/catalog.ttl")
    assert _fragment_keys() == []


def test_a_cached_fragment_is_served_only_for_a_dataset_the_search_returned(dcat_catalog, cache_on, app):
    """Turned internal, withdrawn or excluded: gone from the next fetch,
    though its fragment is still in the cache."""
    sysadmin = dcat_catalog["sysadmin"]
    admin = {"user": sysadmin["name"]}
    made = {name: publish(sysadmin, call_action(
        "package_create", admin, **dataset_fields(dcat_catalog["org"], f"leck-{name}")))
        for name in ("intern", "zurueckgezogen", "ausgeschlossen")}

    def found(url: str) -> set[str]:
        return {str(s) for s in _graph(app.get(url).body).subjects(RDF.type, DCAT.Dataset)}

    for url in ("/catalog.ttl", "/catalog/govdata.ttl"):
        assert {_uri(p) for p in made.values()} <= found(url)
    cached = len(_fragment_keys())
    call_action("package_patch", {**admin, "datagovernance_workflow_transition": True},
                id=made["intern"]["id"], access_class="internal")
    publish(sysadmin, made["zurueckgezogen"], state="withdrawn")
    call_action("datagovernance_dataset_publication_update", admin, id=made["ausgeschlossen"]["id"],
                target="govdata", reason="Test")
    assert len(_fragment_keys()) == cached  # nothing was removed from the cache
    for url, gone in (("/catalog.ttl", ("intern", "zurueckgezogen")),
                      ("/catalog/govdata.ttl", ("intern", "zurueckgezogen", "ausgeschlossen"))):
        body = app.get(url).body
        for name in gone:
            assert made[name]["id"] not in body, (url, name)
    assert _uri(made["ausgeschlossen"]) in found("/catalog.ttl")


def test_decimals_keep_the_profiles_lexical_form():
    g = Graph()
    g.add((URIRef("https://x.example/d"), DCAT.spatialResolutionInMeters,
           Literal(str(Decimal("0.1")), datatype=XSD.decimal)))
    assert '"0.1"^^xsd:decimal' in turtle.serialize(g)


def test_context_digest_names_code_settings_and_target():
    from ckanext.datagovernance.dcat import profile

    base = page._context_digest(["dcat_ap_de"])
    assert page._context_digest(["euro_dcat_ap_3", "dcat_ap_de"]) != base
    token = profile.target_contributor.set("http://dcat-ap.de/def/contributors/hessen")
    try:
        assert page._context_digest(["dcat_ap_de"]) != base
    finally:
        profile.target_contributor.reset(token)
    saved = config.get("ckan.site_url")
    config["ckan.site_url"] = "https://anders.example"
    try:
        assert page._context_digest(["dcat_ap_de"]) != base
    finally:
        config["ckan.site_url"] = saved
    assert page._context_digest(["dcat_ap_de"]) == base
    assert len(page.code_digest()) == 40


@pytest.mark.parametrize("url", ["/catalog.ttl", "/catalog/govdata.ttl", "/catalog/hvd.ttl"])
def test_conditional_get_answers_304_until_the_page_changes(dcat_catalog, cache_on, app, url):
    first = app.get(url)
    etag = first.headers["ETag"]
    again = app.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.body
    admin = {"user": dcat_catalog["sysadmin"]["name"]}
    call_action("package_patch", admin, id=dcat_catalog["hvd"]["id"], notes=f"Geändert für {url}")
    changed = app.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert f"Geändert für {url}" in changed.body
    assert "ETag" not in app.get(url.replace(".ttl", ".rdf")).headers
