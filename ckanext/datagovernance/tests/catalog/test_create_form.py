"""The dataset form as a municipal employee uses it (issue 11, "The web
form"): the creator becomes the data owner, the empty form flags the title,
"Meine Datensätze", the form in sections with usable multi-value widgets,
the data office creates in any organisation, the resource form's defects."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .conftest import base_dataset, unique

pytestmark = [pytest.mark.usefixtures("with_plugins"), pytest.mark.ckan_config("ckan.locale_default", "de")]


@pytest.fixture(scope="module")
def people(catalog):
    import ckan.plugins as p

    p.load_all()
    try:
        office = factories.UserWithToken(name="office-form", fullname="Datenbüro")
        call_action("datagovernance_role_grant", {"user": catalog["sysadmin"]["name"]},
                    user=office["name"], role="data_office")
        other = factories.UserWithToken(name="other-form", fullname="Otto Other")
        yield {"office": office, "other": other}
    finally:
        p.unload_all()


def _as(user, action, **data):
    return call_action(action, {"user": user["name"], "ignore_auth": False}, **data)


def _auth(user):
    return {"Authorization": user["token"]}


def test_creator_owner_office_and_my_datasets(app, catalog, people):
    owner, office, other = catalog["owner"], people["office"], people["other"]
    # the creator becomes the data owner unless someone else is named; naming oneself is the same
    plain = _as(owner, "package_create", **base_dataset(catalog, title="Parkplätze"))
    named = _as(owner, "package_create", **base_dataset(catalog, title="Radwege", data_owner=owner["name"]))
    for ds in (plain, named):
        assert _as(owner, "package_show", id=ds["id"])["data_owner"] == owner["name"]
    # the data office creates in an organisation it is not a member of; it is nobody's owner by default
    by_office = _as(office, "package_create", **base_dataset(catalog, title="Friedhöfe"))
    assert _as(office, "package_show", id=by_office["id"])["data_owner"] == ""
    # ... but an ordinary user outside the organisation may not
    with pytest.raises(tk.NotAuthorized):
        _as(other, "package_create", **base_dataset(catalog, title="Fremd"))
    # the office's form offers every organisation
    form = BeautifulSoup(app.get("/dataset/new", headers=_auth(office)).body, "html.parser")
    assert [o.text for o in form.select("#field-organizations option")] == ["Testamt"]

    # "Meine Datensätze": linked in the account bar, lists the owner's datasets only
    page = BeautifulSoup(app.get("/meine-datensaetze", headers=_auth(owner)).body, "html.parser")
    assert page.select_one("a[href='/meine-datensaetze']").text.strip() == "Meine Datensätze"
    titles = [a.text for a in page.select("table.datagovernance-my-datasets td:first-child a")]
    assert titles == ["Parkplätze", "Radwege"]
    assert "Entwurf" in page.select_one("table.datagovernance-my-datasets").text
    page = BeautifulSoup(app.get("/meine-datensaetze", headers=_auth(other)).body, "html.parser")
    assert not page.select("table.datagovernance-my-datasets") and "noch für keinen" in page.text
    assert app.get("/meine-datensaetze", status=403)


def test_form_sections_widgets_and_empty_submit(app, catalog):
    owner = catalog["owner"]
    page = BeautifulSoup(app.get("/dataset/new", headers=_auth(owner)).body, "html.parser")
    legends = [legend.text.strip() for legend in page.select("fieldset.datagovernance-form-section legend")]
    assert legends == ["Was ist es?", "Wer ist zuständig?", "Zugriff und Schutz", "Veröffentlichung", "Geodaten"]
    who = page.select_one(".datagovernance-form-section-who")
    # required fields first in a section; the owner field is a people picker
    assert who.select("select, input")[0]["name"] == "owner_org"
    assert "autocomplete" in who.select_one("#field-data_owner")["data-module-source"]
    themes = page.select_one("select#field-theme")
    assert themes.has_attr("multiple") and themes["data-module"] == "autocomplete"
    assert page.select_one(".datagovernance-form-section-access").select("select")[0]["name"] == "access_class"
    # English too
    en = BeautifulSoup(app.get("/en/dataset/new", headers=_auth(owner)).body, "html.parser")
    assert "Who is responsible?" in [x.text.strip() for x in en.select("legend")]

    # the empty form flags the missing title, not only the URL
    res = app.post("/dataset/new", headers=_auth(owner), data={"title": "", "name": "", "save": "continue"})
    errors = BeautifulSoup(res.body, "html.parser").select_one(".error-explanation").text
    assert "Titel" in errors and "URL" in errors


def test_resource_form_defects(app, catalog):
    owner = catalog["owner"]
    ds = _as(owner, "package_create", **base_dataset(catalog, name=unique()))
    # an empty size and an empty API entry, as the form sends them
    res = app.post(f"/dataset/{ds['name']}/resource/new", headers=_auth(owner), data={
        "id": "", "url": "https://x.example/a.csv", "name": "Daten", "size": "", "format": "CSV",
        "access_services__0__title": "", "access_services__0__endpoint_url": "",
        "access_services__0__endpoint_description": "", "access_services__0__documentation": "",
        "access_services__0__description": "", "save": "go-metadata"})
    assert res.status_code in (200, 302)
    resource = _as(owner, "package_show", id=ds["id"])["resources"][0]
    assert resource.get("size") in (None, "") and not resource.get("access_services")
