"""Publication record per portal (issue 12): exclusion with a reason, the
feeds honour it, harvester fetches recorded per page, the dataset page and
the office's withdrawals list."""
from __future__ import annotations

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from rdflib import Graph, URIRef

from .conftest import BASE_URI, MARKS

pytestmark = MARKS + [
    pytest.mark.ckan_config("ckanext.datagovernance.dcat.govdata.harvester_token", "gd-secret"),
    pytest.mark.ckan_config("ckanext.datagovernance.dcat.hessen.harvester_user_agent",
                            "HessenHarvester"),
    pytest.mark.ckan_config("ckanext.datagovernance.dcat.feed_page_size", "1"),
]
HYDRA_NEXT = URIRef("http://www.w3.org/ns/hydra/core#next")


def _ids(body: str) -> set[str]:
    g = Graph().parse(data=body, format="turtle")
    return {str(s).rsplit("/", 1)[-1] for s in g.subjects(
        URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        URIRef("http://www.w3.org/ns/dcat#Dataset"))}


def _all_pages(app, url: str, **kw) -> tuple[set[str], list[str]]:
    found, urls = set(), []
    while url:
        body = app.get(url, **kw).body
        found |= _ids(body)
        urls.append(url)
        nxt = next(Graph().parse(data=body, format="turtle").objects(None, HYDRA_NEXT), None)
        url = str(nxt).replace(BASE_URI, "") if nxt else None
    return found, urls


def test_exclusion_feeds_fetches_and_withdrawals(dcat_catalog, app):
    admin = dcat_catalog["sysadmin"]
    public, hvd = dcat_catalog["public"], dcat_catalog["hvd"]
    stranger = factories.UserWithToken()

    # ---- rules and input errors
    with pytest.raises(Exception) as refused:
        call_action("datagovernance_dataset_publication_update", {"user": stranger["name"], "ignore_auth": False},
                    id=public["id"], target="govdata", reason="Test")
    assert type(refused.value).__name__ == "NotAuthorized"
    for bad, field in (({"target": "europa", "reason": "x"}, "target"),
                       ({"target": "govdata"}, "reason"),
                       ({"target": "govdata", "reason": "x", "excluded": "vielleicht"}, "excluded")):
        with pytest.raises(Exception) as err:
            call_action("datagovernance_dataset_publication_update", {"user": admin["name"]},
                        id=public["id"], **bad)
        assert field in err.value.error_dict, bad
    [message] = err.value.error_dict["excluded"]
    assert "Erlaubt: true, false" in message and "allowed: true, false" in message

    # ---- GovData's harvester reads every page (token), Hessen's by user agent
    ids, urls = _all_pages(app, "/catalog/govdata.ttl?harvester=gd-secret")
    assert ids == {public["id"], hvd["id"]} and len(urls) == 2
    assert "harvester=gd-secret" in urls[1]  # the Hydra link carries the token
    _all_pages(app, "/catalog/hessen.ttl", headers={"User-Agent": "HessenHarvester/1.0"})
    _all_pages(app, "/catalog/govdata.ttl")  # someone else: not recorded
    shown = call_action("datagovernance_dataset_publication_show", {"user": admin["name"]},
                        id=public["id"])["targets"]
    by_target = {t["target"]: t for t in shown}
    assert by_target["govdata"]["in_feed"] and by_target["govdata"]["since"]
    assert by_target["govdata"]["last_fetched"] and by_target["hessen"]["last_fetched"]

    # ---- the office excludes a dataset from GovData only
    call_action("datagovernance_dataset_publication_update", {"user": admin["name"]}, id=public["id"],
                target="govdata", reason="Daten werden überarbeitet")
    assert _all_pages(app, "/catalog/govdata.ttl")[0] == {hvd["id"]}
    assert _all_pages(app, "/catalog/hessen.ttl")[0] == {public["id"], hvd["id"]}
    shown = {t["target"]: t for t in call_action(
        "datagovernance_dataset_publication_show", {"user": admin["name"]}, id=public["id"])["targets"]}
    assert not shown["govdata"]["in_feed"] and shown["govdata"]["excluded"]
    assert shown["govdata"]["reason"] == "Daten werden überarbeitet"
    assert shown["hessen"]["in_feed"]

    # ---- the withdrawal is listed for GovData until the portal fetched again
    [row] = call_action("datagovernance_publication_withdrawals", {"user": admin["name"]},
                        target="govdata")
    assert row["id"] == public["id"] and not row["fetched_since"]
    assert call_action("datagovernance_publication_withdrawals", {"user": admin["name"]},
                       target="hessen") == []
    _all_pages(app, "/catalog/govdata.ttl?harvester=gd-secret")
    [row] = call_action("datagovernance_publication_withdrawals", {"user": admin["name"]},
                        target="govdata")
    assert row["fetched_since"]
    with pytest.raises(Exception) as refused:
        call_action("datagovernance_publication_withdrawals", {"user": stranger["name"], "ignore_auth": False},
                    target="govdata")
    assert type(refused.value).__name__ == "NotAuthorized"

    # ---- pages: the dataset panel and the office list, in German
    auth = {"Authorization": admin["token"]}
    page = app.get(f"/de/dataset/{public['name']}", headers=auth).body
    assert "Portale" in page and "ausgeschlossen am" in page and "Daten werden überarbeitet" in page
    assert "im Feed seit" in page and "Wieder aufnehmen" in page
    assert "Portale" not in app.get(f"/de/dataset/{public['name']}",
                                    headers={"Authorization": stranger["token"]}).body
    listing = app.get("/de/publication", headers=auth).body
    assert "Rückzüge je Portal" in listing and public["title"] in listing
    app.get("/publication", headers={"Authorization": stranger["token"]}, status=403)

    # ---- included again: back in the GovData feed
    app.post(f"/dataset/{public['name']}/publication", headers=auth,
             data={"target": "govdata", "excluded": "false"})
    assert _all_pages(app, "/catalog/govdata.ttl")[0] == {public["id"], hvd["id"]}


def test_menu_entry_to_withdrawals_only_for_the_office(dcat_catalog, app):
    """The data office reaches /publication from the main menu (German
    label); anyone else sees no entry and the page refuses them."""
    office = factories.UserWithToken()
    call_action("datagovernance_role_grant", {"user": dcat_catalog["sysadmin"]["name"]},
                user=office["name"], role="data_office")
    staff = factories.UserWithToken()

    def menu(lang: str, token: str | None) -> list[str]:
        from bs4 import BeautifulSoup

        page = app.get(f"/{lang}/dataset/", headers={"Authorization": token} if token else {})
        nav = BeautifulSoup(page.body, "html.parser").select("header nav a")
        return [a.get_text(strip=True) for a in nav
                if a.get("href", "").endswith("/publication")]

    assert menu("de", office["token"]) == ["Portale"]
    assert menu("en", office["token"]) == ["Portals"]
    listing = app.get("/de/publication", headers={"Authorization": office["token"]}).body
    assert "Rückzüge je Portal" in listing
    assert menu("de", staff["token"]) == [] and menu("de", None) == []
    app.get("/publication", headers={"Authorization": staff["token"]}, status=403)
