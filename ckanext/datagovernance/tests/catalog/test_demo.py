"""`ckan datagovernance demo` seeds Offenbach am Main idempotently."""
from __future__ import annotations

import pytest
from ckan import model
from ckan.tests.helpers import call_action

from ckanext.datagovernance.catalog import demo
from ckanext.datagovernance.catalog.cli import datagovernance

pytestmark = pytest.mark.usefixtures("catalog_db", "with_plugins")


def _counts() -> dict[str, int]:
    q = model.Session.query
    return {
        "datasets": q(model.Package).filter(model.Package.state == "active").count(),
        "organizations": q(model.Group).filter(model.Group.is_organization.is_(True)).count(),
        "domains": q(model.Group).filter(model.Group.type == "domain").count(),
        "users": q(model.User).count(),
    }


def test_demo_twice_creates_everything_once(cli):
    data = demo.load_data()
    first = cli.invoke(datagovernance, ["demo"])
    assert first.exit_code == 0, first.output
    after_first = _counts()
    second = cli.invoke(datagovernance, ["demo"])
    assert second.exit_code == 0, second.output
    assert _counts() == after_first
    assert "datasets: 0 created" in second.output

    assert after_first["datasets"] == len(data["datasets"]) >= 40
    assert after_first["organizations"] == len(data["organizations"])
    domains = data["domains"]
    assert 6 <= len(domains) <= 8
    assert after_first["domains"] == len(domains) + sum(len(d["children"]) for d in domains)

    # coverage of the classifications the issue asks for
    datasets = call_action("package_search", rows=1000, include_private=True)["results"]
    assert {d["access_class"] for d in datasets} == {"public", "internal", "restricted",
                                                      "confidential"}
    assert {d["personal_data"] for d in datasets} == {"none", "anonymised", "pseudonymised",
                                                       "personal"}
    from ckanext.datagovernance.catalog import vocab as v
    hvd = v.get_vocabulary("hvd-category")
    tops = {hvd.top_concept(c)["value"] for d in datasets for c in d.get("hvd_category", [])}
    assert len(tops) == 6
    assert any(d["type"] == "geodataset" for d in datasets)
    assert any(not d["resources"] for d in datasets) and any(d["resources"] for d in datasets)
    standorte = call_action("group_show", id="gebaeudedaten-standorte")
    assert standorte["parent_domain"] == "gebaeudedaten"
    offenbach = call_action("organization_show", id="of-umweltamt")
    assert offenbach["political_geocoding_uri"].endswith("regionalKey/064130000000")
    # the public, published ones are visible to everybody; the rest stays private
    public = [d for d in datasets if not d["private"]]
    assert public and all(d["access_class"] == "public" for d in public)
    # the strategy's role model as real roles, granted once even on a re-run
    roles = call_action("datagovernance_role_list", {"user": "dgo-schaefer"})
    held = {(r["user_name"], r["role"], r["scope_name"]) for r in roles}
    assert ("dgo-schaefer", "governance_officer", None) in held
    assert ("dsb-richter", "dpo", None) in held
    assert ("steward-becker", "steward", "gebaeudedaten") in held
    assert any(r["role"] == "owner" for r in roles)
    assert len(roles) == len(held)
