"""The pages a data office works with: Rollen, domain overview, roles on user
and dataset pages, the workflow panel and "Meine Aufgaben" (read-only)."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins")


def get(app, url: str, user: str | None = None, status: int = 200) -> BeautifulSoup:
    headers = {}
    if user:
        headers["Authorization"] = call_action("api_token_create", {}, user=user, name="page")["token"]
    res = app.get(url, headers=headers, status=status)
    return BeautifulSoup(res.body, "html.parser")


def test_roles_page_for_the_office(city, app):
    page = get(app, "/rollen/", "dg_office")
    rows = page.select("table.datagovernance-roles tbody tr")
    text = " ".join(r.get_text(" ", strip=True) for r in rows)
    assert "Steward" in text and "Gebäudedaten" in text and "Tel. 069 8065-0" in text
    assert page.select_one("form.datagovernance-grant")
    assert "History" in page.get_text() or "Verlauf" in page.get_text()
    filtered = get(app, "/rollen/?role=dpo", "dg_office")
    assert len(filtered.select("table.datagovernance-roles tbody tr")) == 1


def test_roles_page_needs_login(city, app):
    app.get("/rollen/", status=403)


@pytest.mark.ckan_config("ckanext.datagovernance.search.page_size", 1)  # pages, no cap
def test_domain_page_overview(city, app):
    page = get(app, "/domain/gebaeude", "dg_steward")
    overview = page.select_one(".datagovernance-domain-overview").get_text(" ", strip=True)
    assert "Steward" in overview and "Mietobjekte" in page.select_one(".datagovernance-sub-domains").get_text()
    assert "4" in overview  # the four datasets of the sub-domain


def test_roles_on_user_and_dataset_pages(city, app):
    user_page = get(app, "/user/dg_steward", "dg_office")
    assert "Gebäudedaten" in user_page.select_one(".datagovernance-user-roles").get_text()
    ds = city.datasets["restricted"]
    ds_page = get(app, f"/dataset/{ds['name']}", "dg_office")
    responsible = ds_page.select_one(".datagovernance-dataset-roles").get_text(" ", strip=True)
    assert "Data owner: Owner" in responsible and "Steward" in responsible


def test_workflow_panel_offers_exactly_the_allowed_transitions(city, app):
    ds = city.datasets["internal"]
    owner = get(app, f"/dataset/{ds['name']}", "dg_owner")
    assert [b["name"] for b in owner.select(".datagovernance-workflow button")] == ["transition-in_review"]
    plain = get(app, f"/dataset/{ds['name']}", "dg_plain")
    assert plain.select(".datagovernance-workflow button") == []
    office = get(app, f"/dataset/{ds['name']}", "dg_office")
    assert {b["name"] for b in office.select(".datagovernance-workflow button")} == {
        "transition-in_review", "transition-archived"}


def test_tasks_page(city, app):
    page = get(app, "/aufgaben", "dg_steward")
    assert page.select_one(".datagovernance-tasks-none")  # nothing waits: one line, no empty lists
    assert page.select_one(".datagovernance-tasks-review") is None
    app.get("/aufgaben", status=403)
