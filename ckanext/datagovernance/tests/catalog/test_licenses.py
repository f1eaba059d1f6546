"""CKAN's licence list is the dcat-ap.de licence list shipped in vocab/."""
from __future__ import annotations

import pytest
from ckan import model
from ckan.tests.helpers import call_action

from ckanext.datagovernance.catalog import vocab as v


def test_shipped_list_has_iris_status_and_german_titles():
    licenses = v.get_licenses()
    assert len(licenses) == 34
    for lic in licenses:
        assert lic["url"] == "http://dcat-ap.de/def/licenses/" + lic["id"]
        assert lic["title"] and lic["title_en"]
        assert lic["od_conformance"] in ("approved", "not reviewed")
    by_id = {lic["id"]: lic for lic in licenses}
    assert by_id["dl-by-de/2.0"]["title"] == "Datenlizenz Deutschland Namensnennung 2.0"
    assert by_id["dl-zero-de/2.0"]["is_open"] and not by_id["other-closed"]["is_open"]
    assert [lic["id"] for lic in licenses[:3]] == ["dl-zero-de/2.0", "dl-by-de/2.0", "cc-by/4.0"]


@pytest.mark.usefixtures("with_plugins")
def test_ckan_license_register_uses_the_list():
    result = {lic["id"]: lic for lic in call_action("license_list")}
    assert len(result) == 34
    assert result["cc-by/4.0"]["url"] == "http://dcat-ap.de/def/licenses/cc-by/4.0"
    assert model.Package.get_license_register()["cc-by/4.0"].isopen()
    assert not model.Package.get_license_register()["other-closed"].isopen()


@pytest.mark.usefixtures("with_plugins")
def test_vocabulary_actions_for_api_clients(app):
    listing = app.get("/api/3/action/datagovernance_vocabulary_list").json["result"]
    names = {vocab["name"] for vocab in listing}
    assert {"data-theme", "frequency", "file-type", "access-right", "language", "hvd-category",
            "political-geocoding-level", "political-geocoding-key"} <= names
    assert all(vocab["source"] and vocab["version"] for vocab in listing)
    themes = app.get("/api/3/action/datagovernance_vocabulary_show",
                     query_string={"id": "data-theme"}).json["result"]
    assert len(themes["concepts"]) == 14
