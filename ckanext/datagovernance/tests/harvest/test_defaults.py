"""Governance defaults of a harvest source: validated, office only; the
office's overview lists sources with counts (German)."""
from __future__ import annotations

import json

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

PLUGINS = ("activity datagovernance_search datagovernance scheming_datasets scheming_groups "
           "scheming_organizations dcat harvest dcat_rdf_harvester datagovernance_harvest")

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.usefixtures("with_plugins")]


@pytest.fixture
def site(clean_db):
    from ckan import model
    from ckan.cli.db import _run_migrations

    _run_migrations("harvest", "head", True)
    office = factories.SysadminWithToken()
    admin = factories.UserWithToken()
    org = factories.Organization(name="nachbarn", title="Nachbarkommunen",
                                 users=[{"name": admin["name"], "capacity": "admin"}])
    model.Session.commit()
    return {"office": office, "admin": admin, "org": org}


def _source(user: dict, org: dict, defaults: dict) -> dict:
    return call_action("harvest_source_create", {"user": user["name"], "ignore_auth": False}, name="stadt-a",
                       title="Stadt A", url="https://stadt-a.example/catalog.rdf",
                       source_type="dcat_rdf", owner_org=org["id"],
                       config=json.dumps({"datagovernance": defaults}))


def test_bad_defaults_name_the_field_and_the_allowed_values(site):
    import ckan.plugins.toolkit as tk

    with pytest.raises(tk.ValidationError) as err:
        _source(site["office"], site["org"], {"access_class": "geheim",
                                              "workflow_state": "published", "farbe": "rot",
                                              "domain": "gibt-es-nicht"})
    messages = " ".join(err.value.error_dict["config"])
    assert 'datagovernance.access_class: value "geheim" is not allowed' in messages
    assert "public" in messages and "confidential" in messages
    assert 'datagovernance.workflow_state: value "published" is not allowed. ' \
           "Allowed values: draft, in_review, approved" in messages
    assert "unknown key(s) farbe" in messages
    assert 'data domain "gibt-es-nicht" does not exist' in messages
    assert call_action("harvest_source_list", {"ignore_auth": True}) == []


def test_only_the_office_sets_defaults_and_sees_the_overview(site, app):
    import ckan.plugins.toolkit as tk

    with pytest.raises(tk.NotAuthorized):
        _source(site["admin"], site["org"], {"access_class": "public"})
    _source(site["office"], site["org"], {"access_class": "public", "workflow_state": "approved"})

    page = app.get("/de/harvesting", headers={"Authorization": site["office"]["token"]})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Stadt A" in text and "Governance-Vorgaben" in text and "Noch nie gelaufen" in text
    assert "Freigegeben" in text  # the state's German label, not its code
    # the menu entry, on any page (the harvest page's breadcrumb has the link too)
    office_menu = app.get("/de/dataset/", headers={"Authorization": site["office"]["token"]})
    assert '<a href="/de/harvesting">Harvesting</a>' in office_menu.get_data(as_text=True)
    denied = app.get("/harvesting", headers={"Authorization": site["admin"]["token"]})
    assert denied.status_code == 403
    menu = app.get("/dataset", headers={"Authorization": site["admin"]["token"]})
    assert 'href="/harvesting"' not in menu.get_data(as_text=True)
