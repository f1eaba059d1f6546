"""The header's task badge (issue 16) is one query, and it must stay the task
list's count after every kind of change that moves someone's tasks:
transitions, sign-offs, role grants and revokes, access class and personal
data edits, deletion. The list itself is checked against what the dataset
page offers each user (workflow options), so the one query that builds both
cannot drift from the transition rules. These tests write."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from ckan.tests.helpers import call_action

from ...roles import service as roles
from ...search import backend as search_backend
from ...workflow import gates, policy
from ..roles.conftest import build_city
from .test_workflow import OPEN, move, new_dataset

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", True),
]

@pytest.fixture
def city():
    return build_city()


USERS = ("dg_owner", "dg_owner_deputy", "dg_steward", "dg_other_steward", "dg_office", "dg_dpo",
         "dg_sysadmin", "dg_plain")


def _badge(app: Any, token: str) -> int:
    body = app.get("/about", headers={"Authorization": token}).body
    return int(body.split('datagovernance-task-count">', 1)[1].split("<", 1)[0])


def _expected(user: str, datasets: list[dict[str, Any]]) -> dict[str, set[str]]:
    """What the task list must hold for `user`, from the dataset page's
    options (the transition rules) and the sign-off and owner facts."""
    user_obj = model.User.get(user)
    owned = roles.role_scopes(user_obj.id, "owner")
    dpo = roles.has_site_role(user_obj.id, "dpo")
    out: dict[str, set[str]] = {"review": set(), "publish": set(), "signoff": set(), "rework": set()}
    for ds in datasets:
        if model.Package.get(ds["id"]).state == "deleted":
            continue  # no longer a task of anyone (sysadmins still read it)
        try:
            opts = call_action("datagovernance_workflow_options", {"user": user, "ignore_auth": False}, id=ds["id"])
            history = call_action("datagovernance_workflow_history", {"user": user, "ignore_auth": False},
                                  id=ds["id"])
        except (tk.NotAuthorized, tk.ObjectNotFound):
            continue  # hidden or deleted: never a task
        name = ds["name"]
        if opts["state"] == "in_review" and "approved" in opts["transitions"]:
            out["review"].add(name)
        if opts["state"] == "approved" and "published" in opts["transitions"]:
            out["publish"].add(name)  # ready or blocked: one entry either way
        if dpo and opts["state"] in ("in_review", "approved") and opts["needs_signoff"] and not opts["has_signoff"]:
            out["signoff"].add(name)
        if ds["id"] in owned and (opts["state"] == "withdrawn" or (opts["state"] == "draft" and history)):
            out["rework"].add(name)
    return out


def _narrow_follows_index(step: str) -> None:
    """The filter table's keyword column (migration 011) holds exactly the
    narrow keys of each index row's fields, and has a row for each index row
    and no other (the task query reads it, not the index)."""
    index = dict(model.Session.execute(sa.text(
        "SELECT index_id, fields FROM datagovernance_search_index")).all())
    narrow = dict(model.Session.execute(sa.text(
        "SELECT index_id, f_keywords FROM datagovernance_search_filter")).all())
    assert narrow.keys() == index.keys(), step
    keys = search_backend.narrow_keys()
    assert {"workflow_state", *policy.TASK_KEYWORDS} <= set(keys)
    for index_id, fields in index.items():
        assert narrow[index_id] == {k: v for k, v in fields.items() if k in keys}, (step, index_id)


def _check(app: Any, tokens: dict[str, str], datasets: list[dict[str, Any]], step: str) -> dict[str, int]:
    _narrow_follows_index(step)
    counts = {}
    for user in USERS:
        listed = call_action("datagovernance_task_list", {"user": user})
        tasks = listed["tasks"]
        got = {
            "review": {t["name"] for t in tasks["review"]},
            "publish": {t["name"] for t in tasks["publish"] + tasks["blocked"]},
            "signoff": {t["name"] for t in tasks["signoff"]},
            "rework": {t["name"] for t in tasks["rework"]},
        }
        assert got == _expected(user, datasets), (step, user)
        assert listed["count"] == sum(len(v) for v in got.values()), (step, user)
        assert _badge(app, tokens[user]) == listed["count"], (step, user)
        counts[user] = listed["count"]
    return counts


def test_badge_is_the_list_count_after_every_change(city, app):
    tokens = {u: call_action("api_token_create", {"user": u}, user=u, name="t")["token"] for u in USERS}
    anon = new_dataset(city, "anonym", **dict(OPEN, personal_data="anonymised"))
    plain = new_dataset(city, "offen", **OPEN)
    internal = new_dataset(city, "intern", **dict(OPEN, access_class="internal"))
    by_office = new_dataset(city, "vom-amt", **OPEN)
    datasets = [anon, plain, internal, by_office, *city.datasets.values()]
    _check(app, tokens, datasets, "nothing submitted")

    for ds in (anon, plain, internal):
        move("dg_owner", ds, "in_review")
    move("dg_office", by_office, "in_review")  # four eyes: not the office's own review
    counts = _check(app, tokens, datasets, "submitted")
    assert counts["dg_steward"] == 4 and counts["dg_office"] == 3 and counts["dg_dpo"] == 1

    call_action("datagovernance_signoff", {"user": "dg_dpo", "ignore_auth": False}, id=anon["id"],
                decision="approve", reason="geprüft", legal_basis="Art. 89 DSGVO")
    assert _check(app, tokens, datasets, "signed off")["dg_dpo"] == 0

    move("dg_steward", anon, "approved")
    move("dg_steward", internal, "approved")  # internal: never offered for publication
    move("dg_steward", plain, "draft", "Quelle fehlt")  # rejected: back with the owner
    counts = _check(app, tokens, datasets, "decided")
    assert counts["dg_owner"] == 1 and counts["dg_owner_deputy"] == 1

    # a resubmission after the sign-off needs a new one
    move("dg_owner", anon, "in_review", "Neue Fassung")
    assert _check(app, tokens, datasets, "resubmitted")["dg_dpo"] == 1

    # edits that change who reads it and what it needs
    call_action("package_patch", {"user": "dg_sysadmin"}, id=by_office["id"], personal_data="anonymised")
    _check(app, tokens, datasets, "personal data edited")
    call_action("package_patch", {"user": "dg_sysadmin"}, id=internal["id"], access_class="public")
    _check(app, tokens, datasets, "access class edited")

    # role grants and revokes
    admin = {"user": "dg_sysadmin"}
    call_action("datagovernance_role_grant", dict(admin), user="dg_plain", role="steward", domain="gebaeude")
    assert _check(app, tokens, datasets, "steward granted")["dg_plain"] > 0
    call_action("datagovernance_role_revoke", dict(admin), user="dg_plain", role="steward", domain="gebaeude")
    call_action("datagovernance_role_grant", dict(admin), user="dg_plain", role="owner", dataset=plain["id"])
    assert _check(app, tokens, datasets, "owner granted")["dg_plain"] == 1  # the owner, dg_owner no more
    call_action("datagovernance_role_revoke", dict(admin), user="dg_owner_deputy", role="owner",
                dataset=plain["id"], deputy=True)
    call_action("datagovernance_role_grant", dict(admin), user="dg_plain", role="dpo")
    assert _check(app, tokens, datasets, "dpo granted, owner revoked")["dg_plain"] > 1
    call_action("datagovernance_role_revoke", dict(admin), user="dg_office", role="data_office")
    assert _check(app, tokens, datasets, "office revoked")["dg_office"] == 0

    # withdrawal: back with the owner
    move("dg_plain", plain, "in_review", "Quelle ergänzt")
    move("dg_steward", plain, "approved")
    move("dg_steward", plain, "published")
    move("dg_steward", plain, "withdrawn", "Veraltet")
    assert _check(app, tokens, datasets, "withdrawn")["dg_plain"] >= 1

    # deletion: gone from every list
    call_action("package_delete", dict(admin), id=anon["id"])
    call_action("package_delete", dict(admin), id=plain["id"])
    _check(app, tokens, datasets, "deleted")
    for user in USERS:
        tasks = call_action("datagovernance_task_list", {"user": user})["tasks"]
        assert not {t["name"] for kind in tasks.values() for t in kind} & {"anonym", "offen"}, user

    # purge: the index row and its narrow copy go
    call_action("dataset_purge", dict(admin), id=anon["id"])
    datasets.remove(anon)
    _check(app, tokens, datasets, "purged")
    assert not model.Session.execute(sa.text(
        "SELECT 1 FROM datagovernance_search_filter WHERE id = :id"), {"id": anon["id"]}).first()


def test_badge_and_task_page_bound_their_cost_and_keep_every_task(city, app, monkeypatch):
    """Above the badge's maximum the header says "N+" (its count stops
    there: the cost of a page does not grow with an office's backlog); up
    to it, the exact count. "Meine Aufgaben" counts every task and shows a
    long section in pages, each link reachable."""
    from ckanext.datagovernance.workflow import views as workflow_views  # the module the app loaded

    token = call_action("api_token_create", {"user": "dg_office"}, user="dg_office", name="t")["token"]
    for n in range(3):
        move("dg_owner", new_dataset(city, f"rueckstand-{n}", **OPEN), "in_review")
    listed = call_action("datagovernance_task_list", {"user": "dg_office"})
    assert listed["count"] == 3 and len(listed["tasks"]["review"]) == 3

    def badge() -> str:
        body = app.get("/about", headers={"Authorization": token}).body
        return body.split('datagovernance-task-count">', 1)[1].split("<", 1)[0]

    monkeypatch.setattr(workflow_views, "BADGE_MAX", 2)
    assert badge() == "2+"
    monkeypatch.setattr(workflow_views, "BADGE_MAX", 3)
    assert badge() == "3"
    body = app.get("/aufgaben", headers={"Authorization": token}).body  # the page: every task
    assert all(f"rueckstand-{n}" in body for n in range(3))

    # a long section in pages, each with the whole section's count
    monkeypatch.setattr(workflow_views, "TASKS_PER_PAGE", 2)
    seen = []
    for number, rows in ((1, 2), (2, 1)):
        page = BeautifulSoup(app.get("/aufgaben", query_string={"review": number},
                                     headers={"Authorization": token}).body, "html.parser")
        assert page.select_one("#tasks-review .badge").text == "3"
        links = page.select("ul.datagovernance-tasks-review > li > a")
        assert len(links) == rows
        seen += [a["href"] for a in links]
        pager = [a["href"] for a in page.select(".pagination a.page-link")]
        assert f"/aufgaben?review={3 - number}#tasks-review" in pager or (
            number == 2 and "/aufgaben#tasks-review" in pager), pager
    assert sorted(seen) == sorted(f"/dataset/rueckstand-{n}" for n in range(3))
    # a page number out of range or not a number: a page of the list, never an error
    for bad in ("99", "x", "0", "-1"):
        assert app.get("/aufgaben", query_string={"review": bad}, headers={"Authorization": token}).status_code == 200


@pytest.mark.parametrize("fields", [
    {"access_class": "public", "personal_data": "none"},
    {"access_class": "public", "personal_data": "anonymised"},
    {"access_class": "public", "personal_data": "personal"},
    {"access_class": "public", "personal_data": "pseudonymised"},
    {"access_class": "public"},
    {"access_class": "internal", "personal_data": "none"},
    {"personal_data": "none", "dpo_review": True},
    {"personal_data": "none", "dpo_review": "yes"},
    {"personal_data": "none", "dpo_review": "1"},
    {"personal_data": "none", "dpo_review": False},
    {"personal_data": None, "dpo_review": None},
    {},
])
def test_gate_rules_in_sql_answer_as_in_python(fields):
    """The task query's SQL forms of open_data_candidate and needs_dpo_signoff."""
    import json

    # as the index stores them (backend.build_row): every value a string in a list
    from ...search.backend import build_row

    stored = json.loads(build_row(dict(fields, id="x", title="x"))["fields"])

    def value(key: str) -> str:
        return f"(CAST(:fields AS jsonb) -> '{key}' ->> 0)"

    row = model.Session.execute(sa.text(
        f"SELECT {gates.open_data_candidate_sql(value)}, {gates.needs_dpo_signoff_sql(value)}"),
        {"fields": json.dumps(stored)}).one()
    assert tuple(row) == (gates.open_data_candidate(fields), gates.needs_dpo_signoff(fields))
    # the task query's index condition: every candidate's stored fields contain it
    contained = all(set(v) <= set(stored.get(k, [])) for k, v in gates.OPEN_DATA_CONTAINS.items())
    assert contained or not gates.open_data_candidate(fields)
