"""Fixtures of the DCAT tests: one catalog per module with the dcat plugins."""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
import pytest
from ckan.common import config
from ckan.tests import factories
from ckan.tests.helpers import call_action

PLUGINS = ("activity datagovernance_search datagovernance scheming_datasets scheming_groups "
           "scheming_organizations dcat datagovernance_dcat")
PROFILES = "euro_dcat_ap_3 dcat_ap_de"
BASE_URI = "https://opendata.offenbach.example"

# Module-level marks only (CKAN applies the closest mark first).
MARKS = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", PROFILES),
    pytest.mark.ckan_config("ckanext.dcat.base_uri", BASE_URI),
    pytest.mark.usefixtures("with_plugins"),
]

HVD_CATEGORY = "http://data.europa.eu/bna/c_60182062"
HVD_ELI = "http://data.europa.eu/eli/reg_impl/2023/138/oj"
INTERNAL = {
    "source_system": "SAP-GEHEIM-RE-FX",
    "storage_location": "Laufwerk-S-Geheim",
    "retention_period": "Aufbewahrung-Geheim-10",
    "data_owner_contact": "Tel-Geheim-1234",
}


class _Config:
    """Module-scoped set-up needs the test's plugin list before marks apply."""

    def __init__(self, **values: str) -> None:
        self.values = values
        self.saved: dict[str, Any] = {}

    def __enter__(self) -> None:
        for key, value in self.values.items():
            self.saved[key] = config.get(key)
            config[key] = value
        p.load_all()

    def __exit__(self, *exc: Any) -> None:
        p.unload_all()
        for key, value in self.saved.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value


def loaded() -> _Config:
    return _Config(**{"ckan.plugins": PLUGINS, "ckanext.dcat.rdf.profiles": PROFILES,
                      "ckanext.dcat.base_uri": BASE_URI})


def publish(sysadmin: dict[str, Any], pkg: dict[str, Any], state: str = "published"
            ) -> dict[str, Any]:
    return call_action("package_patch",
                       {"user": sysadmin["name"], "datagovernance_workflow_transition": True},
                       id=pkg["id"], workflow_state=state)


def dataset_fields(org: dict[str, Any], name: str, **fields: Any) -> dict[str, Any]:
    data = {
        "name": name,
        "title": f"Titel {name}",
        "notes": f"Beschreibung von {name}",
        "owner_org": org["id"],
        "access_class": "public",
        "personal_data": "none",
        "license_id": "dl-by-de/2.0",
        "theme": ["GOVE"],
        "language": ["DEU"],
        "frequency": "ANNUAL",
        "contact_name": "Team Open Data",
        "contact_email": "opendata@offenbach.example",
        "tag_string": "Gebäude,Standorte",
        "resources": [{"url": f"https://opendata.offenbach.example/{name}.csv",
                       "name": f"{name} CSV", "format": "CSV"}],
    }
    data.update(fields)
    return data


def hvd_fields(org: dict[str, Any], name: str, **fields: Any) -> dict[str, Any]:
    return dataset_fields(org, name, hvd_category=[HVD_CATEGORY], resources=[
        {"url": f"https://opendata.offenbach.example/{name}.csv", "name": "CSV",
         "format": "CSV", "license": "cc-by/4.0",
         "access_services": [{
             "title": "OGC API Features",
             "endpoint_url": ["https://opendata.offenbach.example/api/gebaeude"],
             "endpoint_description": "https://opendata.offenbach.example/api/gebaeude/openapi.json",
             "documentation": "https://opendata.offenbach.example/doku/gebaeude",
         }]},
        {"url": f"https://opendata.offenbach.example/{name}.geojson", "name": "GeoJSON",
         "format": "geojson"},
    ], **fields)


@pytest.fixture(scope="module")
def dcat_catalog() -> dict[str, Any]:
    """Organisation plus datasets in every access class and workflow state."""
    from ckanext.datagovernance.tests.conftest import reset_and_migrate

    with loaded():
        reset_and_migrate()
        sysadmin = factories.SysadminWithToken()
        ctx = {"user": sysadmin["name"]}
        org = call_action(
            "organization_create", ctx, name="of-amt-stadtplanung",
            title="Amt für Stadtplanung", political_geocoding_uri="064130000000",
            political_geocoding_level="municipality", contributor_id="hessen",
            publisher_type="LocalAuthority", email="stadtplanung@offenbach.example")
        made: dict[str, Any] = {"sysadmin": sysadmin, "org": org}
        made["public"] = publish(sysadmin, call_action(
            "package_create", ctx, **dataset_fields(org, "oeffentlich-publiziert", **INTERNAL)))
        made["hvd"] = publish(sysadmin, call_action(
            "package_create", ctx, **hvd_fields(org, "hvd-gebaeude")))
        made["draft"] = call_action("package_create", ctx,
                                    **dataset_fields(org, "oeffentlich-entwurf"))
        made["approved"] = publish(sysadmin, call_action(
            "package_create", ctx, **dataset_fields(org, "oeffentlich-freigegeben")),
            state="approved")
        made["internal"] = publish(sysadmin, call_action(
            "package_create", ctx, **dataset_fields(org, "intern-publiziert",
                                                    access_class="internal")))
        made["restricted"] = publish(sysadmin, call_action(
            "package_create", ctx, **dataset_fields(org, "eingeschraenkt-publiziert",
                                                    access_class="restricted")))
        yield made
