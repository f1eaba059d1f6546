"""Integrity of the role model: hidden datasets stay hidden in role lists and
errors, purges leave no rows behind, concurrent grants end in one clean
answer, a moved domain re-indexes its datasets. These tests write."""
from __future__ import annotations

import concurrent.futures

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests.helpers import call_action

from ..conftest import post_json
from .conftest import build_city

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


@pytest.fixture
def city():
    return build_city()


def _token(user: str) -> str:
    return call_action("api_token_create", {"user": user}, user=user, name="t")["token"]


def _search_names(user: str) -> set[str]:
    ctx = {"user": user, "ignore_auth": False}
    found = call_action("package_search", ctx, q="*:*", include_private=True, rows=100)
    return {r["name"] for r in found["results"]}


def _readable(user: str, name: str) -> bool:
    try:
        call_action("package_show", {"user": user, "ignore_auth": False}, id=name)
        return True
    except tk.ObjectNotFound:
        return False


class TestHiddenDatasetsInRoleLists:
    def test_role_list_by_user_leaves_out_what_the_caller_cannot_read(self, city):
        def scopes(caller: str) -> set[str]:
            rows = call_action("datagovernance_role_list", {"user": caller, "ignore_auth": False}, user="dg_owner")
            return {r["scope_name"] for r in rows}

        every = {f"mietvertraege-{c}" for c in ("public", "internal", "restricted", "confidential")}
        assert scopes("dg_office") == every
        # an unrelated member of staff sees the owner's open and internal duties only
        assert scopes("dg_plain") == {"mietvertraege-public", "mietvertraege-internal"}
        # and no id of the others anywhere in the answer
        body = str(call_action("datagovernance_role_list", {"user": "dg_plain", "ignore_auth": False}))
        for cls in ("restricted", "confidential"):
            assert city.datasets[cls]["id"] not in body

    def test_role_list_by_hidden_dataset_answers_like_an_unknown_one(self, city):
        ctx = {"user": "dg_plain", "ignore_auth": False}
        with pytest.raises(tk.ValidationError) as unknown:
            call_action("datagovernance_role_list", dict(ctx), dataset="gibt-es-nicht")
        with pytest.raises(tk.ValidationError) as hidden:
            call_action("datagovernance_role_list", dict(ctx), dataset=city.datasets["confidential"]["name"])
        assert hidden.value.error_dict == {"dataset": [unknown.value.error_dict["dataset"][0].replace(
            "gibt-es-nicht", city.datasets["confidential"]["name"])]}

    def test_user_page_shows_only_readable_duties(self, city, app):
        headers = {"Authorization": _token("dg_plain")}
        page = app.get("/user/dg_owner", headers=headers).body
        assert "Mietverträge internal" in page or "mietvertraege-internal" in page
        for cls in ("restricted", "confidential"):
            assert city.datasets[cls]["name"] not in page and city.datasets[cls]["title"] not in page

    def test_grant_on_a_hidden_dataset_is_an_unknown_dataset(self, city):
        # the org editor may not read the confidential dataset: it does not exist for them
        with pytest.raises(tk.ValidationError) as err:
            call_action("datagovernance_role_grant", {"user": "dg_org_editor", "ignore_auth": False},
                        user="dg_plain", role="owner", dataset=city.datasets["confidential"]["id"])
        assert "dataset" in err.value.error_dict

    def test_package_show_by_name_id_and_resource_answer_404(self, city, app):
        headers = {"Authorization": _token("dg_plain")}
        ds = city.datasets["confidential"]
        missing = app.get("/api/3/action/package_show?id=gibt-es-nicht", headers=headers, status=404).json
        for ref in (ds["name"], ds["id"]):
            res = app.get(f"/api/3/action/package_show?id={ref}", headers=headers, status=404)
            assert res.json["error"] == missing["error"] and ds["id"] not in res.body
        res = app.get(f"/dataset/{ds['name']}", headers=headers, status=404)
        assert ds["id"] not in res.body and ds["title"] not in res.body


def _rows_referring(pkg_id: str) -> int:
    tables = model.Session.execute(sa.text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name LIKE 'datagovernance%' AND column_name = 'package_id'")).scalars().all()
    return sum(model.Session.execute(sa.text(f'SELECT count(*) FROM "{t}" WHERE package_id = :id'),
                                     {"id": pkg_id}).scalar() for t in tables)


class TestCleanUp:
    def test_purge_removes_role_rows_and_the_roles_page_still_works(self, city, app):
        ds = city.datasets["restricted"]
        call_action("datagovernance_workflow_transition", {"user": "dg_owner"}, id=ds["id"], to="in_review")
        assert _rows_referring(ds["id"]) > 0
        call_action("dataset_purge", {"user": "dg_sysadmin"}, id=ds["id"])
        left = model.Session.execute(
            sa.text("SELECT count(*) FROM datagovernance_role WHERE scope_id = :id"), {"id": ds["id"]}).scalar()
        assert left == 0
        assert _rows_referring(ds["id"]) == 0  # workflow events, scores, grants, ...
        for user in ("dg_sysadmin", "dg_office", "dg_plain"):
            page = app.get("/rollen/", headers={"Authorization": _token(user)})
            assert page.status_code == 200 and ds["name"] not in page.body
        assert ds["id"] not in str(call_action("datagovernance_role_list", {"user": "dg_office"}))


class TestConcurrency:
    def test_two_concurrent_grants_give_one_grant_and_one_clean_answer(self, city, live_server):
        token = _token("dg_office")
        url = f"{live_server}/api/3/action/datagovernance_role_grant"
        payload = {"user": "dg_plain", "role": "steward", "domain": "verkehr"}
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: post_json(url, payload, token), range(4)))
        statuses = sorted(status for status, _body in results)
        assert statuses == [200, 409, 409, 409], results
        for status, body in results:
            if status == 409:
                assert "user" in body["error"]  # "… already holds this role"
        rows = call_action("datagovernance_role_list", {"user": "dg_office"}, user="dg_plain", role="steward")
        assert len(rows) == 1

    def test_a_grant_racing_a_revoke_ends_consistent(self, city, live_server):
        token = _token("dg_office")
        ds = city.datasets["internal"]
        payload = {"user": "dg_plain", "role": "owner", "dataset": ds["id"], "deputy": True}
        call_action("datagovernance_role_grant", {"user": "dg_office"}, **payload)
        calls = [("datagovernance_role_revoke", payload), ("datagovernance_role_grant", payload)] * 3
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda c: post_json(f"{live_server}/api/3/action/{c[0]}", c[1], token), calls))
        assert all(status in (200, 409) for status, _ in results), results
        # whatever the order, the role table and the search labels agree
        held = bool(call_action("datagovernance_role_list", {"user": "dg_office"}, user="dg_plain",
                                role="owner", dataset=ds["id"]))
        model.Session.remove()
        restricted = city.datasets["restricted"]
        call_action("datagovernance_role_grant", {"user": "dg_office"}, **dict(payload, dataset=restricted["id"]))
        assert _readable("dg_plain", restricted["name"])
        assert ("mietvertraege-internal" in _search_names("dg_plain"))  # internal: readable anyway
        events = call_action("datagovernance_role_history", {"user": "dg_office"}, user="dg_plain", limit=50)
        grants = sum(e["action"] == "grant" for e in events if e["scope_id"] == ds["id"])
        revokes = sum(e["action"] == "revoke" for e in events if e["scope_id"] == ds["id"])
        assert grants - revokes == (1 if held else 0)


class TestDomainMove:
    def test_moving_a_domain_reindexes_its_datasets(self, city):
        ds = city.datasets["confidential"]  # domain mietobjekte, below gebaeude
        assert ds["name"] in _search_names("dg_steward") and _readable("dg_steward", ds["name"])
        assert ds["name"] not in _search_names("dg_other_steward")
        # mietobjekte moves from gebaeude to verkehr
        call_action("group_patch", {"user": "dg_sysadmin"}, id="mietobjekte", parent_domain="verkehr")
        for steward, sees in (("dg_steward", False), ("dg_other_steward", True)):
            assert (ds["name"] in _search_names(steward)) is sees
            assert _readable(steward, ds["name"]) is sees
        # and back to the top level: only the domain's own stewards (none) and the office
        call_action("group_patch", {"user": "dg_sysadmin"}, id="mietobjekte", parent_domain="")
        assert ds["name"] not in _search_names("dg_other_steward")
        assert not _readable("dg_other_steward", ds["name"])
        assert ds["name"] in _search_names("dg_office")

    def test_renaming_a_domain_keeps_its_datasets_and_subdomains(self, city):
        ds = city.datasets["confidential"]  # domain "mietobjekte" by name, below "gebaeude"
        call_action("group_patch", {"user": "dg_sysadmin"}, id="gebaeude", name="liegenschaften")
        # the sub-domain still hangs below it, so the steward still reads the dataset
        sub = call_action("group_show", {"user": "dg_sysadmin"}, id="mietobjekte")
        assert sub["parent_domain"] in ("liegenschaften", call_action(
            "group_show", {"user": "dg_sysadmin"}, id="liegenschaften")["id"])
        assert ds["name"] in _search_names("dg_steward") and _readable("dg_steward", ds["name"])
        call_action("group_patch", {"user": "dg_sysadmin"}, id="mietobjekte", name="mietobjekte-neu")
        shown = call_action("package_show", {"user": "dg_sysadmin"}, id=ds["id"])
        assert shown["domain"] == "mietobjekte-neu"
        found = call_action("package_search", {"user": "dg_sysadmin"}, fq='domain:"mietobjekte-neu"',
                            include_private=True)
        assert ds["name"] in [r["name"] for r in found["results"]]
        assert _readable("dg_steward", ds["name"])
