"""The domain page's staff figures: every dataset of the domain and its
sub-domains that the user may read, with those that have no data owner (a
deputy alone is no owner), counted over all pages of the search."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db", "with_plugins")


@pytest.mark.ckan_config("ckanext.datagovernance.search.page_size", 1)  # every page read, no cap
def test_the_domain_page_counts_the_datasets_without_owner(app):
    factories.Sysadmin(name="dg_df_admin")
    for name in ("dg_df_owner", "dg_df_deputy", "dg_df_staff"):
        factories.User(name=name)
    admin = {"user": "dg_df_admin"}
    org = factories.Organization(name="df-amt")
    call_action("group_create", dict(admin), type="domain", name="df-top", title="Oben")
    call_action("group_create", dict(admin), type="domain", name="df-sub", title="Unten", parent_domain="df-top")

    def dataset(name: str, domain: str, **extra) -> dict:
        return call_action("package_create", dict(admin), name=name, title=name, notes="x", owner_org=org["id"],
                           domain=domain, access_class="internal", personal_data="none", **extra)

    dataset("df-owned", "df-top", data_owner="dg_df_owner")
    deputy_only = dataset("df-deputy-only", "df-sub")
    call_action("datagovernance_role_grant", dict(admin), user="dg_df_deputy", role="owner",
                dataset=deputy_only["id"], deputy=True)
    dataset("df-nobody", "df-sub")

    token = call_action("api_token_create", {}, user="dg_df_staff", name="t")["token"]
    page = BeautifulSoup(app.get("/domain/df-top", headers={"Authorization": token}).body, "html.parser")
    badges = [b.get_text(" ", strip=True) for b in page.select(".datagovernance-domain-overview .badge")]
    assert badges[0].endswith(": 3"), badges  # datasets of the domain and its sub-domain
    assert badges[1].endswith(": 2"), badges  # the deputy alone and the one without anybody
