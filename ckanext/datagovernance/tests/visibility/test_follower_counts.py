"""The follower numbers of a dataset's and an organisation's page, which every
visitor sees: the suite counts them for the page's own object in one
statement; the number is CKAN's (followers that are not deleted), and a
dataset the visitor may not read still answers 404."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db")]


def _followers(app, url: str) -> int:
    page = BeautifulSoup(app.get(url).body, "html.parser")
    for dl in page.select(".nums dl"):
        if dl.dt and dl.dt.get_text(strip=True) in ("Followers", "Follower"):
            return int(re.sub(r"\D", "", dl.dd.get_text()))
    raise AssertionError(f"no follower number on {url}")


def test_page_follower_numbers_are_ckans(app):
    admin = {"user": factories.Sysadmin()["name"]}
    org = call_action("organization_create", dict(admin), name="stadtplanung", title="Stadtplanungsamt")
    pkg = call_action("package_create", dict(admin), name="bebauungsplaene", title="Bebauungspläne",
                      owner_org=org["id"], access_class="public", personal_data="none")
    call_action("package_patch", dict(admin, datagovernance_workflow_transition=True), id=pkg["id"],
                workflow_state="published")
    internal = call_action("package_create", dict(admin), name="bauakten", title="Bauakten", owner_org=org["id"],
                           access_class="internal", personal_data="none")
    users = [factories.User()["name"] for _ in range(4)]
    for name in users:
        call_action("follow_dataset", {"user": name}, id=pkg["id"])
    for name in users[:2]:
        call_action("follow_group", {"user": name}, id=org["id"])
    call_action("user_delete", dict(admin), id=users[0])  # a deleted follower no longer counts

    assert call_action("dataset_follower_count", id=pkg["id"]) == 3  # CKAN's own count
    assert call_action("group_follower_count", id=org["id"]) == 1
    assert _followers(app, "/dataset/bebauungsplaene") == 3
    assert _followers(app, f"/dataset/{pkg['id']}") == 3
    assert _followers(app, "/organization/stadtplanung") == 1
    assert call_action("organization_show", id="stadtplanung")["num_followers"] == 1
    assert call_action("organization_show", id="stadtplanung", include_followers=False)["num_followers"] == 0
    call_action("follow_group", {"user": users[2]}, id=org["id"])
    assert _followers(app, "/organization/stadtplanung") == 2
    # nobody follows yet, and an anonymous visitor gets no page of the internal dataset
    app.get("/dataset/bauakten", status=404)
    assert call_action("dataset_follower_count", id=internal["id"]) == 0
