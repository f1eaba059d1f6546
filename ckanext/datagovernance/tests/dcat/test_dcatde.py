"""GovData's own DCAT-AP.de profile (ckanext-dcatde's ``dcatap_de``, the one
its ``dcatde_rdf`` harvester parses with) reads our GovData feed page by page
as the harvester does, and loses no field we publish.

ckanext-dcatde is not on PyPI: ``make dcatde DCATDE_SRC=<checkout>`` installs
it into the venv (docs/dcat.md); without it this module is skipped."""
from __future__ import annotations

import json
from typing import Any

import pytest
from ckan.tests.helpers import call_action
from rdflib import Graph, URIRef

from ckanext.datagovernance.catalog import demo
from ckanext.datagovernance.dcat import profile

from .conftest import BASE_URI, MARKS, dataset_fields, loaded

pytest.importorskip("ckanext.dcatde.profiles",
                    reason="ckanext-dcatde is not installed (make dcatde DCATDE_SRC=…)")

pytestmark = MARKS + [
    pytest.mark.ckan_config("ckanext.datagovernance.dcat.feed_page_size", "7"),
    pytest.mark.ckan_config("ckanext.datagovernance.dcat.delivery_mode", "direct"),
]
HYDRA_NEXT = URIRef("http://www.w3.org/ns/hydra/core#next")
IANA = "https://www.iana.org/assignments/media-types/"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"


@pytest.fixture(scope="module")
def demo_catalog() -> None:
    """The demo city plus one dataset with the fields the demo leaves empty
    (time coverage, contact web page)."""
    from ckanext.datagovernance.tests.conftest import reset_and_migrate

    with loaded():
        reset_and_migrate()
        demo.seed("Demo-Passwort-1")
        admin = call_action("get_site_user")["name"]
        org = call_action("organization_show", id="of-stadtkaemmerei")
        call_action("package_create", {"user": admin, "datagovernance_workflow_transition": True},
                    **dataset_fields(org, "zeitreihe-steuern", workflow_state="published",
                                     temporal_start="2015-01-01", temporal_end="2024-12-31",
                                     contact_url="https://www.offenbach.de/steuern"))


def _harvest(app: Any) -> list[dict[str, Any]]:
    """Every page of /catalog/govdata.rdf (RDF/XML, GovData's usual format)
    through GovData's parser, following hydra:next like the harvester."""
    from ckanext.dcat.processors import RDFParser

    found, url, pages = [], "/catalog/govdata.rdf", 0
    while url and pages < 20:
        body = app.get(url).body
        parser = RDFParser(profiles=["dcatap_de"])
        parser.parse(body, _format="xml")
        found += list(parser.datasets())
        pages += 1
        nxt = next(Graph().parse(data=body, format="xml").objects(None, HYDRA_NEXT), None)
        url = "/" + str(nxt).split("://", 1)[1].split("/", 1)[1] if nxt else None
    assert pages >= 2
    return found


def _extras(pkg: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for e in pkg.get("extras", []):
        value = e["value"]
        if isinstance(value, str) and value.startswith("["):
            value = json.loads(value)
        out[e["key"]] = value
    return out


def test_govdata_profile_loses_no_field(demo_catalog, app):
    ours = call_action("package_search", q="*:*", rows=1000,
                       fq="+access_class:public +workflow_state:published")["results"]
    theirs = {d["url"].rsplit("/dataset/", 1)[-1]: d for d in _harvest(app)}
    assert set(theirs) == {p["name"] for p in ours} and len(ours) > 20

    seen: set[str] = set()
    for pkg in ours:
        got, ex = theirs[pkg["name"]], _extras(theirs[pkg["name"]])
        org = profile.organization_fields(pkg)
        uri = f"{BASE_URI}/dataset/{pkg['id']}"
        where = pkg["name"]
        # identity and text
        assert ex["uri"] == ex["identifier"] == uri and ex["modified"], where
        assert (got["title"], got["notes"]) == (pkg["title"], pkg["notes"]), where
        assert {t["name"] for t in got["tags"]} == {t["name"] for t in pkg["tags"]}, where
        assert got["url"] == ex["metadata_original_html"] == profile.dataset_page(pkg["name"])
        # classification
        assert ex["theme"] == pkg["theme"], where
        assert {g["name"] for g in got["groups"]} == {
            t.removeprefix(THEME).lower() for t in pkg["theme"]}, where
        assert ex["language"] == pkg["language"] and ex["frequency"] == pkg["frequency"]
        assert ex["access_rights"] == pkg["access_rights"], where
        # who: contributor, publisher, contact, maintainer
        assert ex["contributorID"] == [profile.contributor_id(pkg, org)], where
        assert ex["publisher_name"] == (pkg.get("publisher_name") or org.get("title")), where
        assert ex["publisher_type"] == (pkg.get("publisher_type") or org.get("publisher_type")
                                        or profile.LOCAL_AUTHORITY), where
        assert ex["contact_name"] == got["maintainer"] == pkg["contact_name"], where
        assert ex["contact_email"] == got["maintainer_email"] == pkg["contact_email"], where
        if pkg.get("contact_url"):
            assert ex["contact_url"] == ex["maintainer_url"] == pkg["contact_url"], where
            seen.add("contact_url")
        # where and when
        key = pkg.get("political_geocoding_uri") or org.get("political_geocoding_uri")
        assert ex["politicalGeocodingURI"] == [key] and ex["spatial_uri"] == key, where
        assert ex["politicalGeocodingLevelURI"] == (pkg.get("political_geocoding_level")
                                                    or org.get("political_geocoding_level"))
        for end in ("temporal_start", "temporal_end"):
            if pkg.get(end):
                assert ex[end].startswith(pkg[end]), where
                seen.add(end)
        if pkg.get("legal_basis"):
            assert ex["legalbasisText"] == [pkg["legal_basis"]], where
            seen.add("legal_basis")
        if pkg.get("reference_system"):
            assert pkg["reference_system"] in ex["conforms_to"], where
            seen.add("reference_system")
        if pkg.get("spatial_resolution_in_meters"):
            assert float(ex["spatial_resolution_in_meters"]) == float(
                pkg["spatial_resolution_in_meters"]), where
            seen.add("spatial_resolution_in_meters")
        # HVD
        if pkg.get("hvd_category"):
            assert ex["hvd_category"] == pkg["hvd_category"], where
            assert ex["applicable_legislation"] == pkg["applicable_legislation"], where
            seen.add("hvd")
        # distributions and licences
        if pkg["resources"]:
            assert got["license_id"] == pkg["license_id"], where
        by_uri = {r["uri"].rsplit("/", 1)[-1]: r for r in got["resources"]}
        assert set(by_uri) == {r["id"] for r in pkg["resources"]}, where
        for res in pkg["resources"]:
            their = by_uri[res["id"]]
            lic = profile.license_info(res.get("license") or pkg["license_id"])
            assert their["license"] == lic["url"], where
            assert their["url"] == their["access_url"] == res["url"], where
            assert their["format"].rsplit("/", 1)[-1] == res["format"].upper(), where
            if res["format"].upper().endswith("_SRVC"):
                assert not their.get("download_url"), where
                continue
            assert their["mimetype"].startswith(IANA), where
            if res.get("mimetype"):
                assert their["mimetype"] == IANA + res["mimetype"], where
            if profile.needs_attribution(lic["id"]):
                assert their["licenseAttributionByText"], where
            if res.get("access_services"):
                services = json.loads(their["access_services"])
                assert [s["endpoint_url"] for s in services] == [
                    s["endpoint_url"] for s in res["access_services"]], where
                seen.add("access_services")
            if their.get("download_url"):
                assert their["download_url"] == res["url"], where
                seen.add("download_url")
    # the demo plus the extra dataset cover every optional field above
    assert seen >= {"contact_url", "temporal_start", "temporal_end", "legal_basis",
                    "reference_system", "spatial_resolution_in_meters", "hvd",
                    "access_services", "download_url"}
