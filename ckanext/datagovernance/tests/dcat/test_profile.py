"""The dcat_ap_de profile: DCAT-AP.de 3.0 + HVD output and the round trip."""
from __future__ import annotations

import pytest
from ckan.tests.helpers import call_action
from ckanext.dcat.processors import RDFParser, RDFSerializer
from ckanext.dcat.profiles import DCAT, DCATAP, DCT, FOAF, VCARD
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from ckanext.datagovernance.dcat.profile import DCATDE

from .conftest import BASE_URI, HVD_CATEGORY, HVD_ELI, INTERNAL, MARKS

pytestmark = MARKS

EU = "http://publications.europa.eu/resource/authority/"


def _graph(pkg_id: str, fmt: str = "ttl") -> tuple[Graph, URIRef, str]:
    pkg = call_action("package_show", id=pkg_id)
    text = RDFSerializer().serialize_dataset(pkg, _format=fmt)
    graph = Graph().parse(data=text, format={"ttl": "turtle", "rdf": "xml",
                                             "jsonld": "json-ld"}[fmt])
    return graph, URIRef(f"{BASE_URI}/dataset/{pkg['id']}"), text


def test_dataset_iris_and_dcatde_properties(dcat_catalog):
    g, ds, _text = _graph(dcat_catalog["public"]["id"])
    assert (ds, RDF.type, DCAT.Dataset) in g
    assert (ds, DCT.identifier, Literal(str(ds))) in g
    assert (ds, DCT.language, URIRef(EU + "language/DEU")) in g
    assert (ds, DCAT.theme, URIRef(EU + "data-theme/GOVE")) in g
    assert (ds, DCT.accrualPeriodicity, URIRef(EU + "frequency/ANNUAL")) in g
    assert (ds, DCT.accessRights, URIRef(EU + "access-right/PUBLIC")) in g
    assert (ds, DCATDE.contributorID, URIRef("http://dcat-ap.de/def/contributors/hessen")) in g
    key = URIRef("http://dcat-ap.de/def/politicalGeocoding/regionalKey/064130000000")
    assert (ds, DCT.spatial, key) in g
    assert (ds, DCATDE.politicalGeocodingURI, key) in g
    assert (ds, DCATDE.politicalGeocodingLevelURI,
            URIRef("http://dcat-ap.de/def/politicalGeocoding/Level/municipality")) in g
    publisher = g.value(ds, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in g
    assert str(g.value(publisher, FOAF.name)) == "Amt für Stadtplanung"
    assert g.value(publisher, DCT.type) == URIRef(
        "http://purl.org/adms/publishertype/LocalAuthority")
    contact = g.value(ds, DCAT.contactPoint)
    assert g.value(contact, VCARD.hasEmail) == URIRef("mailto:opendata@offenbach.example")
    # no literals where IRIs are required
    for pred in (DCT.language, DCAT.theme, DCT.accrualPeriodicity, DCT.accessRights):
        assert all(isinstance(o, URIRef) for o in g.objects(ds, pred))


def test_distribution_format_media_type_and_one_licence(dcat_catalog):
    g, ds, _text = _graph(dcat_catalog["hvd"]["id"])
    dists = list(g.objects(ds, DCAT.distribution))
    assert len(dists) == 2
    formats = {g.value(d, DCT["format"]) for d in dists}
    assert formats == {URIRef(EU + "file-type/CSV"), URIRef(EU + "file-type/GEOJSON")}
    media = {g.value(d, DCAT.mediaType) for d in dists}
    assert URIRef("https://www.iana.org/assignments/media-types/text/csv") in media
    for dist in dists:
        licences = list(g.objects(dist, DCT.license))
        assert len(licences) == 1 and str(licences[0]).startswith("http://dcat-ap.de/def/licenses/")
        assert g.value(dist, DCATDE.licenseAttributionByText) is not None
        assert (dist, DCATAP.applicableLegislation, URIRef(HVD_ELI)) in g
    # resource licence wins over the dataset licence
    assert URIRef("http://dcat-ap.de/def/licenses/cc-by/4.0") in {
        g.value(d, DCT.license) for d in dists}
    assert not list(g.triples((None, DCT.license, Literal("cc-by/4.0"))))


def test_hvd_dataset_and_data_service(dcat_catalog):
    g, ds, _text = _graph(dcat_catalog["hvd"]["id"])
    assert (ds, DCATAP.hvdCategory, URIRef(HVD_CATEGORY)) in g
    assert (ds, DCATAP.applicableLegislation, URIRef(HVD_ELI)) in g
    services = list(g.subjects(RDF.type, DCAT.DataService))
    assert len(services) == 1
    svc = services[0]
    assert g.value(svc, DCAT.endpointURL) == URIRef("https://opendata.offenbach.example/api/gebaeude")
    assert g.value(svc, DCAT.endpointDescription) is not None
    assert g.value(svc, FOAF.page) == URIRef("https://opendata.offenbach.example/doku/gebaeude")
    assert (svc, DCATAP.hvdCategory, URIRef(HVD_CATEGORY)) in g
    assert (svc, DCATAP.applicableLegislation, URIRef(HVD_ELI)) in g
    assert (svc, DCAT.servesDataset, ds) in g
    assert g.value(svc, DCT.publisher) is not None and g.value(svc, DCAT.contactPoint) is not None
    assert any((d, DCAT.accessService, svc) in g for d in g.objects(ds, DCAT.distribution))


def test_catalog_lists_services_and_publisher(dcat_catalog, app):
    g = Graph().parse(data=app.get("/catalog.ttl").body, format="turtle")
    catalog = URIRef(BASE_URI)
    assert (catalog, RDF.type, DCAT.Catalog) in g
    assert len(list(g.objects(catalog, DCAT.service))) == 1
    assert (catalog, DCT.language, URIRef(EU + "language/DEU")) in g
    publisher = g.value(catalog, DCT.publisher)
    assert g.value(publisher, FOAF.name) is not None and g.value(publisher, DCT.type) is not None


@pytest.mark.parametrize("fmt", ["ttl", "rdf", "jsonld"])
def test_internal_fields_never_in_rdf(dcat_catalog, fmt, app):
    _g, _ds, text = _graph(dcat_catalog["public"]["id"], fmt)
    bodies = [text, app.get(f"/catalog.{fmt}").body, app.get(f"/catalog/hessen.{fmt}").body,
              app.get(f"/dataset/{dcat_catalog['public']['name']}.{fmt}",
                      headers={"Authorization": dcat_catalog["sysadmin"]["token"]}).body]
    for body in bodies:
        for value in INTERNAL.values():
            assert value not in body


def test_contributor_falls_back_to_site_default(dcat_catalog):
    from ckan.common import config

    org = call_action("organization_create", {"user": dcat_catalog["sysadmin"]["name"]},
                      name="ohne-id", title="Amt ohne ID")
    pkg = call_action("package_create", {"user": dcat_catalog["sysadmin"]["name"]},
                      name="ohne-id-ds", title="T", notes="N", owner_org=org["id"],
                      access_class="public", personal_data="none", license_id="cc-zero")
    config["ckanext.datagovernance.dcat.contributor_id"] = "https://example.org/contributors/x"
    try:
        g, ds, _ = _graph(pkg["id"])
    finally:
        config["ckanext.datagovernance.dcat.contributor_id"] = \
            "http://dcat-ap.de/def/contributors/hessen"
    assert g.value(ds, DCATDE.contributorID) == URIRef("https://example.org/contributors/x")


def test_round_trip_parse(dcat_catalog):
    pkg = call_action("package_show", id=dcat_catalog["hvd"]["id"])
    text = RDFSerializer().serialize_dataset(pkg, _format="ttl")
    parser = RDFParser()
    parser.parse(text, _format="ttl")
    [parsed] = list(parser.datasets())
    assert parsed["title"] == pkg["title"]
    assert parsed["notes"] == pkg["notes"]
    assert parsed["theme"] == pkg["theme"]
    assert parsed["language"] == pkg["language"]
    assert parsed["frequency"] == pkg["frequency"]
    assert parsed["hvd_category"] == [HVD_CATEGORY]
    assert HVD_ELI in parsed["applicable_legislation"]
    assert parsed["political_geocoding_uri"] == \
        "http://dcat-ap.de/def/politicalGeocoding/regionalKey/064130000000"
    assert parsed["political_geocoding_level"].endswith("/Level/municipality")
    assert parsed["publisher_name"] == "Amt für Stadtplanung"
    assert parsed["publisher_type"].endswith("/LocalAuthority")
    assert parsed["contact_email"] == "opendata@offenbach.example"
    assert parsed["contact_name"] == "Team Open Data"
    assert parsed["contributor_id"] == "http://dcat-ap.de/def/contributors/hessen"
    by_format = {r["format"]: r for r in parsed["resources"]}
    assert set(by_format) == {"CSV", "GEOJSON"}
    assert by_format["CSV"]["license"] == "cc-by/4.0"
    assert by_format["CSV"]["mimetype"] == "text/csv"
    [service] = by_format["CSV"]["access_services"]
    assert service["endpoint_url"] == ["https://opendata.offenbach.example/api/gebaeude"]
    assert service["documentation"] == "https://opendata.offenbach.example/doku/gebaeude"
    assert parsed["license_id"] in ("cc-by/4.0", "dl-by-de/2.0")


def test_round_trip_creates_dataset_in_our_schema(dcat_catalog):
    """A harvested DCAT-AP.de dataset fits our schema (R7.2)."""
    pkg = call_action("package_show", id=dcat_catalog["public"]["id"])
    parser = RDFParser()
    parser.parse(RDFSerializer().serialize_dataset(pkg, _format="ttl"), _format="ttl")
    [parsed] = list(parser.datasets())
    keep = ("title", "notes", "theme", "language", "frequency", "license_id", "contact_name",
            "contact_email", "publisher_name", "publisher_type", "political_geocoding_uri",
            "political_geocoding_level", "hvd_category", "applicable_legislation")
    data = {k: parsed[k] for k in keep if parsed.get(k)}
    data["resources"] = [{k: r[k] for k in ("url", "name", "format", "mimetype", "license")
                          if r.get(k)} for r in parsed["resources"]]
    created = call_action("package_create", {"user": dcat_catalog["sysadmin"]["name"]},
                          name="geerntet-1", owner_org=dcat_catalog["org"]["id"],
                          access_class="public", personal_data="none", **data)
    assert created["theme"] == pkg["theme"] and created["license_id"] == "dl-by-de/2.0"
    assert created["resources"][0]["format"] == "CSV"


def test_feed_chain_skips_the_parent_pass_and_keeps_the_input(dcat_catalog):
    """Feeds run `dcat_ap_de` alone (it builds on euro_dcat_ap_3 itself): the
    same graph as the configured chain, and the caller's dict unchanged."""
    import copy

    from rdflib.compare import isomorphic

    from ckanext.datagovernance.dcat.feeds import catalog_profiles

    assert catalog_profiles() == ["dcat_ap_de"]
    pkg = call_action("package_show", id=dcat_catalog["hvd"]["id"])
    before = copy.deepcopy(pkg)
    alone = RDFSerializer(profiles=catalog_profiles()).serialize_dataset(pkg, _format="ttl")
    diff = {k: (before.get(k), pkg.get(k)) for k in set(pkg) | set(before) if pkg.get(k) != before.get(k)}
    assert pkg == before, diff
    chain = RDFSerializer(profiles=["euro_dcat_ap_3", "dcat_ap_de"]).serialize_dataset(pkg, _format="ttl")
    assert isomorphic(Graph().parse(data=chain, format="turtle"), Graph().parse(data=alone, format="turtle"))
