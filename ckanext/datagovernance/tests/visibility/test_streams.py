"""Activity streams, tags, members and counts follow the dataset's current
visibility (targeted checks; test_leak_matrix.py probes every endpoint)."""
from __future__ import annotations

import pytest
from ckan.tests.helpers import call_action

from .conftest import markers

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    pytest.mark.ckan_config(
        "ckan.plugins",
        "activity datagovernance_search datagovernance scheming_datasets scheming_groups scheming_organizations",
    ),
]


def _token(persona: str) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    return {"Authorization": call_action("api_token_create", {}, user=f"vis_{persona}", name="probe")["token"]}


def _api(app, action: str, persona: str = "anonymous", status: int | None = 200, **params):
    res = app.get(f"/api/3/action/{action}", query_string=params, headers=_token(persona), status=status)
    return res


@pytest.mark.parametrize("key", ["public/withdrawn", "public/archived", "reclassified", "deleted"])
def test_once_public_datasets_leave_every_stream(app, probe_catalog, key):
    ds = probe_catalog.datasets[key]
    # the sysadmin sees the history, anonymous and unrelated users nothing of it
    staff = _api(app, "package_activity_list", "sysadmin", id=ds["id"]).json["result"]
    assert staff, "the dataset has activities"
    for persona in ("anonymous", "plain"):
        for action, params in [
            ("user_activity_list", {"id": "vis_sysadmin"}),
            ("organization_activity_list", {"id": "vis-hochbau"}),
            ("group_activity_list", {"id": "vis-mietobjekte"}),
            ("recently_changed_packages_activity_list", {}),
        ]:
            body = _api(app, action, persona, **params).body
            for what, marker in markers(ds).items():
                assert marker not in body, f"{what} of {key} in {action} for {persona}"
        for activity in staff:
            for action in ("activity_show", "activity_data_show"):
                res = _api(app, action, persona, status=404, id=activity["id"])
                assert res.json["error"]["message"] == "Not found"
            _api(app, "activity_diff", persona, status=404, id=activity["id"], object_type="package")
        _api(app, "package_activity_list", persona, status=404, id=ds["id"])


def test_published_dataset_activity_has_no_internal_values_for_anonymous(app, probe_catalog):
    ds = probe_catalog.datasets["public/published"]
    anon = _api(app, "package_activity_list", id=ds["id"]).json["result"]
    assert anon and all("source_system" not in a["data"]["package"] for a in anon)
    assert ds["source_system"] not in _api(app, "user_activity_list", id="vis_sysadmin").body
    shown = _api(app, "activity_show", id=anon[0]["id"]).json["result"]
    assert shown["object_id"] == ds["id"] and ds["source_system"] not in str(shown)
    # the data itself: CKAN asks for edit rights (ckan.auth.public_activity_stream_detail)
    # or, with that option on, gets it without internal values
    for action, params in [("activity_data_show", {"object_type": "package"}),
                           ("activity_diff", {"object_type": "package"})]:
        res = _api(app, action, status=None, id=anon[0]["id"], **params)
        assert res.status_code in (200, 403) and ds["source_system"] not in res.body, action
    # logged-in staff keep the internal values
    staff = _api(app, "package_activity_list", "plain", id=ds["id"]).json["result"]
    assert staff[0]["data"]["package"]["source_system"] == ds["source_system"]


def test_ckan_draft_is_never_public(app, probe_catalog):
    ds = probe_catalog.datasets["ckan-draft"]
    _api(app, "package_show", status=404, id=ds["id"])
    _api(app, "resource_show", status=404, id=ds["resources"][0]["id"])
    search = _api(app, "package_search", q=f"name:{ds['name']}", include_drafts="true", include_private="true")
    assert search.json["result"]["count"] == 0
    for url in (f"/dataset/{ds['name']}", f"/dataset/{ds['name']}.ttl", f"/dataset/activity/{ds['name']}"):
        res = app.get(url, status=None)
        assert res.status_code in (403, 404) and ds["title"] not in res.body, url


def test_tags_only_of_readable_datasets(app, probe_catalog):
    public_tag = probe_catalog.datasets["public/published"]["tags"][0]["name"]
    internal_tag = probe_catalog.datasets["internal/draft"]["tags"][0]["name"]
    confidential_tag = probe_catalog.datasets["confidential/published"]["tags"][0]["name"]
    anon = _api(app, "tag_list").json["result"]
    assert public_tag in anon and internal_tag not in anon and confidential_tag not in anon
    plain = _api(app, "tag_list", "plain").json["result"]
    assert public_tag in plain and internal_tag in plain and confidential_tag not in plain
    found = _api(app, "tag_search", query="probe").json["result"]
    assert found["count"] == 1 and found["results"][0]["name"] == public_tag
    assert _api(app, "tag_autocomplete", q="probe").json["result"] == [public_tag]
    assert app.get("/api/2/util/tag/autocomplete", query_string={"incomplete": "probe"}).json == {
        "ResultSet": {"Result": [{"Name": public_tag}]}
    }
    _api(app, "tag_show", status=404, id=confidential_tag)
    assert sorted(_api(app, "tag_list", "steward").json["result"]) != sorted(plain)


def test_formats_only_of_readable_datasets(app, probe_catalog):
    assert _api(app, "format_autocomplete", q="gp").json["result"] == []
    assert _api(app, "format_autocomplete", "plain", q="gp").json["result"] == []
    assert _api(app, "format_autocomplete", "owner", q="gp").json["result"] == ["gpkg"]
    assert _api(app, "format_autocomplete", "sysadmin", q="gp").json["result"] == ["gpkg"]
    assert _api(app, "format_autocomplete", q="cs").json["result"] == ["csv"]
    assert app.get("/api/2/util/resource/format_autocomplete",
                   query_string={"incomplete": "gp"}).json == {"ResultSet": {"Result": []}}


def test_members_and_counts_follow_the_caller(app, probe_catalog):
    public = probe_catalog.datasets["public/published"]
    for group in ("vis-hochbau", "vis-themen"):
        members = _api(app, "member_list", id=group, object_type="package").json["result"]
        assert [m[0] for m in members] == [public["id"]]
    assert _api(app, "organization_show", id="vis-hochbau").json["result"]["package_count"] == 1
    assert _api(app, "group_show", id="vis-themen").json["result"]["package_count"] == 1
    orgs = _api(app, "organization_list", all_fields="true").json["result"]
    assert {o["name"]: o["package_count"] for o in orgs}["vis-hochbau"] == 1
    # the plain user reads the internal datasets too (6 workflow states)
    assert _api(app, "organization_show", "plain", id="vis-hochbau").json["result"]["package_count"] == 7
    assert _api(app, "group_show", "plain", id="vis-themen").json["result"]["package_count"] == 7
    groups = _api(app, "group_list", "plain", all_fields="true").json["result"]
    assert {g["name"]: g["package_count"] for g in groups}["vis-themen"] == 7
    groups = _api(app, "group_list", all_fields="true").json["result"]
    assert {g["name"]: g["package_count"] for g in groups}["vis-themen"] == 1


def test_internal_values_are_not_public_text(app, probe_catalog):
    ds = probe_catalog.datasets["public/published"]
    assert _api(app, "package_search", q=ds["source_system"]).json["result"]["count"] == 0
    assert _api(app, "package_search", "plain", q=ds["source_system"]).json["result"]["count"] == 1
    facets = _api(app, "package_search", **{"facet.field": '["source_system","extras_storage_location"]'})
    assert ds["source_system"] not in facets.body and ds["storage_location"] not in facets.body
    _api(app, "package_search", status=409, sort="source_system asc")
    for fl in ("data_dict", "validated_data_dict", "*"):
        body = _api(app, "package_search", q=f"name:{ds['name']}", fl=fl).body
        assert ds["source_system"] not in body, fl


def test_search_index_rebuild_fills_the_internal_vector(app, probe_catalog, cli):
    import ckan.model as model
    import sqlalchemy as sa
    from ckan.cli.cli import ckan

    ds = probe_catalog.datasets["public/published"]
    row = sa.text("SELECT tsv::text, tsv_internal::text FROM datagovernance_search_index WHERE id = :id")
    model.Session.execute(sa.text("UPDATE datagovernance_search_index SET tsv_internal = ''::tsvector, "
                                  "tsv = tsv || to_tsvector('simple', :v) WHERE id = :id"),
                          {"id": ds["id"], "v": ds["source_system"]})
    model.Session.commit()
    assert ds["source_system"] in model.Session.execute(row, {"id": ds["id"]}).one()[0]
    result = cli.invoke(ckan, ["search-index", "rebuild", ds["id"]])
    assert result.exit_code == 0, result.output
    model.Session.remove()
    public_text, internal_text = model.Session.execute(row, {"id": ds["id"]}).one()
    assert ds["source_system"] not in public_text and ds["storage_location"] not in public_text
    assert ds["source_system"] in internal_text and ds["storage_location"] in internal_text
    assert "Beschreibung" in public_text or "beschreib" in public_text
