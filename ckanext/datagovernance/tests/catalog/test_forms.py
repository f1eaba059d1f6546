"""The scheming forms and pages of the catalog render (German first)."""
from __future__ import annotations

import pytest

from .conftest import create

pytestmark = pytest.mark.usefixtures("with_plugins")


@pytest.mark.parametrize("url,expected", [
    ("/dataset/new", "Zugriffsklasse"),
    ("/geodataset/new", "Koordinatenreferenzsystem"),
    ("/organization/new", "contributorID"),
    ("/domain/new", "Übergeordnete Domäne"),
])
@pytest.mark.ckan_config("ckan.locale_default", "de")
def test_forms_render_in_german(app, catalog, url, expected):
    page = app.get(url, headers={"Authorization": catalog["sysadmin"]["token"]})
    assert expected in page.body


@pytest.mark.ckan_config("ckan.locale_default", "de")
def test_dataset_page_shows_labels_to_staff(app, catalog):
    import ckan.plugins as p

    dataset = create(catalog, name="seite-intern", frequency="MONTHLY", source_system="ALKIS",
                     data_owner=catalog["owner"]["name"], domain="gebaeudedaten")
    page = app.get(f"/dataset/{dataset['name']}",
                   headers={"Authorization": catalog["owner"]["token"]})
    assert "monatlich" in page.body and "ALKIS" in page.body
    assert "Olga Owner" in page.body and "Gebäudedaten" in page.body
    assert p.plugin_loaded("datagovernance")
