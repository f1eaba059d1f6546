"""Internal fields never reach anonymous API callers."""
from __future__ import annotations

import pytest
from ckan.tests.helpers import call_action

from ckanext.datagovernance.catalog import access

from .conftest import create

pytestmark = pytest.mark.usefixtures("with_plugins")

INTERNAL = {
    "source_system": "SAP RE-FX",
    "storage_location": "Laufwerk S:/Liegenschaften",
    "personal_data_legal_basis": "Art. 6 Abs. 1 lit. e DSGVO",
    "retention_period": "10 Jahre",
    "deletion_date": "2035-12-31",
    "data_owner_contact": "Tel. 069 8065-1234",
}


@pytest.fixture(scope="module")
def public_dataset(catalog):
    import ckan.plugins as p

    p.load_all()
    try:
        dataset = create(catalog, name="oeffentlich-mit-intern", access_class="public",
                         personal_data="pseudonymised", data_owner=catalog["owner"]["name"],
                         **INTERNAL)
        # only published public datasets are open (set directly here; the
        # workflow's gates are tested in tests/workflow)
        from ckan.tests.helpers import call_action

        yield call_action("package_patch", {"user": catalog["sysadmin"]["name"], "datagovernance_workflow_transition": True},
                          id=dataset["id"], workflow_state="published")
    finally:
        p.unload_all()


def test_internal_fields_are_declared_in_the_schema():
    assert set(INTERNAL) | {"data_owner"} <= access.internal_fields()


def test_package_show_anonymous(app, public_dataset, catalog):
    anon = app.get("/api/3/action/package_show", query_string={"id": public_dataset["id"]})
    result = anon.json["result"]
    assert result["title"] and result["access_class"] == "public"
    assert not (set(INTERNAL) | {"data_owner"}) & set(result)
    assert "SAP" not in anon.body

    staff = app.get("/api/3/action/package_show", query_string={"id": public_dataset["id"]},
                    headers={"Authorization": catalog["owner"]["token"]})
    assert staff.json["result"]["source_system"] == "SAP RE-FX"
    assert staff.json["result"]["data_owner"] == catalog["owner"]["name"]


def test_package_search_anonymous(app, public_dataset, catalog):
    anon = app.get("/api/3/action/package_search", query_string={"q": "name:oeffentlich-mit-intern"})
    results = anon.json["result"]["results"]
    assert [r["name"] for r in results] == ["oeffentlich-mit-intern"]
    assert not set(INTERNAL) & set(results[0]) and "SAP" not in anon.body

    fl = app.get("/api/3/action/package_search",
                 query_string={"q": "name:oeffentlich-mit-intern",
                               "fl": "name,source_system,extras_source_system"})
    assert "SAP" not in fl.body

    probe = app.get("/api/3/action/package_search", query_string={"q": "source_system:SAP*"},
                    status=409)
    assert "Internal fields" in probe.body

    staff = app.get("/api/3/action/package_search",
                    query_string={"q": "name:oeffentlich-mit-intern"},
                    headers={"Authorization": catalog["owner"]["token"]})
    assert staff.json["result"]["results"][0]["source_system"] == "SAP RE-FX"


def test_dataset_page_anonymous(app, public_dataset):
    page = app.get(f"/dataset/{public_dataset['name']}")
    assert public_dataset["title"] in page.body
    assert "SAP RE-FX" not in page.body and "Laufwerk S:" not in page.body


def test_internal_calls_keep_internal_fields(public_dataset):
    # ignore_auth calls outside a web request (indexing, CLI) see everything
    assert call_action("package_show", id=public_dataset["id"])["source_system"] == "SAP RE-FX"
