"""Bulk work from a search result (issue 11): one change for many datasets,
the same rules per dataset, one report."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from bs4 import BeautifulSoup
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins")


def _act(user, action, **data):
    return call_action(action, {"user": user, "ignore_auth": False}, **data)


def _headers(user: str) -> dict[str, str]:
    return {"Authorization": call_action("api_token_create", {}, user=user, name="bulk")["token"]}


def test_bulk_assign_and_submit(city, app):
    ds = city.datasets
    road = call_action("package_create", {"user": "dg_sysadmin"}, name="ampeln-bulk", title="Ampeln",
                       owner_org=city.hochbau["id"] if isinstance(city.hochbau, dict) else "hochbau",
                       domain="verkehr", access_class="internal", personal_data="none")
    ids = [ds["internal"]["id"], road["id"]]
    # a steward of "Gebäudedaten" classifies in her domain only: one done, one refused, one report
    report = _act("dg_steward", "datagovernance_bulk_update", ids=ids, access_class="restricted")
    assert report["counts"] == {"ok": 1, "error": 1}
    assert [r["ok"] for r in report["results"]] == [True, False] and report["results"][1]["message"]
    assert call_action("package_show", id=ds["internal"]["id"])["access_class"] == "restricted"
    assert call_action("package_show", id=road["id"])["access_class"] == "internal"
    # the office: owner for several datasets and submit them for review
    report = _act("dg_office", "datagovernance_bulk_update", ids=[ds["confidential"]["name"], road["name"]],
                  data_owner="dg_owner", submit=True)
    assert report["counts"] == {"ok": 2, "error": 0}, report
    for ref in (ds["confidential"]["id"], road["id"]):
        shown = call_action("package_show", id=ref)
        assert (shown["data_owner"], shown["workflow_state"]) == ("dg_owner", "in_review")
    # bad input names the field and the allowed values; others may not
    with pytest.raises(tk.ValidationError) as err:
        _act("dg_office", "datagovernance_bulk_update", ids=ids, access_class="geheim")
    assert "access_class" in err.value.error_dict and "confidential" in str(err.value.error_dict)
    with pytest.raises(tk.NotAuthorized):
        _act("dg_plain", "datagovernance_bulk_update", ids=ids, access_class="internal")

    # the page: linked from the search, lists the result, applies one change, reports
    office = _headers("dg_office")
    search = BeautifulSoup(app.get("/dataset/?q=Ampeln", headers=office).body, "html.parser")
    link = search.select_one("a.datagovernance-bulk-link")["href"]
    assert link == "/inventur/sammelbearbeitung?q=Ampeln"
    page = BeautifulSoup(app.get(link, headers=office).body, "html.parser")
    assert [i["value"] for i in page.select("input[name=ids]")] == [road["id"]]
    res = app.post(link, headers=office, data={"ids": [road["id"]], "domain": "gebaeude"})
    page = BeautifulSoup(res.body, "html.parser")
    assert len(page.select("tr.datagovernance-bulk-ok")) == 1
    assert call_action("package_show", id=road["id"])["domain"] == "gebaeude"
    assert not BeautifulSoup(app.get("/dataset/", headers=_headers("dg_plain")).body,
                             "html.parser").select_one("a.datagovernance-bulk-link")


def test_bulk_patch_and_submit_are_one_transaction_per_dataset(city):
    """A submit the workflow refuses leaves that dataset's patch unwritten;
    the other datasets of the same call are patched and submitted."""
    org = "hochbau"
    mk = lambda name: call_action("package_create", {"user": "dg_sysadmin"}, name=name, title=name,  # noqa: E731
                                  owner_org=org, domain="verkehr", access_class="internal", personal_data="none")
    fresh, waiting = mk("bulk-atomic-draft"), mk("bulk-atomic-review")
    _act("dg_office", "datagovernance_workflow_transition", id=waiting["id"], to="in_review")
    before = call_action("package_show", id=waiting["id"])
    report = _act("dg_office", "datagovernance_bulk_update", ids=[fresh["id"], waiting["id"]],
                  data_owner="dg_owner", domain="gebaeude", submit=True)
    assert report["counts"] == {"ok": 1, "error": 1}, report
    done, refused = report["results"]
    assert (done["ok"], done["done"]) == (True, ["changed", "submitted"])
    assert (refused["ok"], refused["done"]) == (False, [])
    assert any(state in refused["message"] for state in ("„In Prüfung“", '"In review"')), refused  # no codes
    shown = call_action("package_show", id=fresh["id"])
    assert (shown["data_owner"], shown["domain"], shown["workflow_state"]) == ("dg_owner", "gebaeude", "in_review")
    # nothing of the refused dataset was written: neither the patch nor the owner role
    after = call_action("package_show", id=waiting["id"])
    assert (after["data_owner"], after["domain"], after["metadata_modified"]) == \
        (before["data_owner"], before["domain"], before["metadata_modified"])
    assert after["workflow_state"] == "in_review"
    from ckanext.datagovernance.roles import service as roles

    owner_id = call_action("user_show", id="dg_owner")["id"]
    assert owner_id not in {a.user_id for a in roles.assignments(role="owner", scope_ids=[waiting["id"]])}
    # the index follows the database: the search finds the patched one in its new domain only
    found = call_action("package_search", {"user": "dg_sysadmin"}, q="name:bulk-atomic-*", fq="domain:gebaeude",
                        include_drafts=True, include_private=True)
    assert [r["name"] for r in found["results"]] == ["bulk-atomic-draft"]
