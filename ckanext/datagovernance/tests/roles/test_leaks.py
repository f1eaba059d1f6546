"""A non-public dataset leaks nowhere: anonymous users (and, for restricted
and confidential datasets, an unrelated logged-in user) probe every endpoint
and find nothing, not even counts."""
from __future__ import annotations

import pytest
from ckan.tests.helpers import call_action

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    pytest.mark.ckan_config(
        "ckan.plugins",
        "activity datagovernance_search datagovernance scheming_datasets scheming_groups "
        "scheming_organizations dcat",
    ),
]

PROBES = [
    ("internal", "anonymous"),
    ("restricted", "anonymous"),
    ("restricted", "plain"),
    ("confidential", "anonymous"),
    ("confidential", "plain"),
]


def _headers(city, persona: str) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    token = call_action("api_token_create", {}, user=f"dg_{persona}", name="probe")["token"]
    return {"Authorization": token}


def _markers(ds) -> list[str]:
    return [ds["id"], ds["name"], ds["title"]]


def _assert_absent(body: str, ds, where: str) -> None:
    for marker in _markers(ds):
        assert marker not in body, f"{ds['name']} leaks through {where}"


@pytest.mark.parametrize("access_class, persona", PROBES)
def test_api_leaks_nothing(city, app, access_class, persona):
    ds = city.datasets[access_class]
    headers = _headers(city, persona)

    def api(action: str, status=200, **params):
        res = app.get(f"/api/3/action/{action}", query_string=params, headers=headers, status=status)
        return res.body

    # direct access answers exactly like a dataset that does not exist
    unknown = app.get("/api/3/action/package_show", query_string={"id": "gibt-es-nicht"}, headers=headers, status=404)
    for ref in (ds["id"], ds["name"]):
        hidden = app.get("/api/3/action/package_show", query_string={"id": ref}, headers=headers, status=404)
        assert hidden.json["error"] == unknown.json["error"]
    app.get("/api/3/action/resource_show", query_string={"id": ds["resources"][0]["id"]}, headers=headers, status=404)
    # searches, lists and counts
    search = app.get(
        "/api/3/action/package_search",
        query_string={"q": "Mietobjekte", "include_private": "true", "facet.field": '["tags","organization"]'},
        headers=headers,
    ).json["result"]
    # anonymous users see the public dataset, logged-in staff also the internal one
    visible = 1 if persona == "anonymous" else 2
    assert search["count"] == visible
    assert search["facets"]["tags"] == {"Mietobjekte": visible}
    _assert_absent(str(search), ds, "package_search")
    for action, params in [
        ("package_autocomplete", {"q": "Mietvertr"}),
        ("package_list", {}),
        ("current_package_list_with_resources", {}),
        ("organization_show", {"id": "hochbau", "include_datasets": "true"}),
        ("group_show", {"id": "mietobjekte", "include_datasets": "true"}),
        ("recently_changed_packages_activity_list", {}),
        ("organization_activity_list", {"id": "hochbau"}),
        ("user_activity_list", {"id": "dg_sysadmin"}),
    ]:
        _assert_absent(api(action, **params), ds, action)
    app.get("/api/3/action/package_activity_list", query_string={"id": ds["id"]}, headers=headers, status=404)
    org = app.get("/api/3/action/organization_show", query_string={"id": "hochbau"}, headers=headers).json
    assert org["result"]["package_count"] == visible


@pytest.mark.parametrize("access_class, persona", PROBES)
def test_pages_and_feeds_leak_nothing(city, app, access_class, persona):
    ds = city.datasets[access_class]
    headers = _headers(city, persona)
    res_id = ds["resources"][0]["id"]
    for url in [
        f"/dataset/{ds['name']}",
        f"/dataset/{ds['id']}",
        f"/dataset/{ds['name']}/resource/{res_id}",
        f"/dataset/{ds['name']}/resource/{res_id}/download",
        f"/dataset/activity/{ds['name']}",
        f"/dataset/{ds['name']}.rdf",
        f"/dataset/{ds['name']}.ttl",
    ]:
        res = app.get(url, headers=headers, status=None, follow_redirects=False)
        assert res.status_code in (403, 404), (url, res.status_code)
        # the error page echoes the URL the prober typed; nothing else may show
        assert ds["title"] not in res.body and ds["notes"] not in res.body, url
    for url in [
        "/dataset/?q=Mietobjekte",
        "/dataset/?q=Mietverträge&tags=Mietobjekte",
        "/organization/hochbau",
        "/organization/activity/hochbau",
        "/domain/mietobjekte",
        "/domain/gebaeude",
        "/catalog.ttl",
        "/catalog.rdf",
        "/catalog.jsonld",
        "/catalog.ttl?q=name:" + ds["name"],
        "/catalog.ttl?fq=capacity:private",
        "/dashboard/datasets",
        "/",
    ]:
        res = app.get(url, headers=headers, status=None)
        if url.startswith("/dashboard") and persona == "anonymous":
            continue
        assert res.status_code == 200, (url, res.status_code)
        _assert_absent(res.body, ds, url)
