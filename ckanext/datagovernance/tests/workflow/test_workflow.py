"""Approval workflow: transitions per role, four eyes, gates, visibility,
notifications, history, concurrency and bad input. These tests write."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests.helpers import call_action

from ...roles import policy
from ..roles.conftest import build_city

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", True),
]

OPEN = {"access_class": "public", "license_id": "cc-by/4.0", "personal_data": "none"}


@pytest.fixture
def city():
    return build_city()


def move(user: str, ds: dict, to: str, comment: str | None = None, **kw):
    return call_action("datagovernance_workflow_transition", {"user": user, "ignore_auth": False},
                       id=ds["id"], to=to, comment=comment, **kw)


def state(ds: dict) -> str:
    return call_action("package_show", {"user": "dg_sysadmin"}, id=ds["id"])["workflow_state"]


def new_dataset(city, name: str, **fields) -> dict:
    data = dict(name=name, title=name.replace("-", " ").title(), owner_org=city.hochbau["id"],
                domain="mietobjekte", data_owner="dg_owner", personal_data="none",
                resources=[{"url": f"https://daten.example/{name}.csv", "format": "CSV"}])
    data.update(fields)
    ds = call_action("package_create", {"user": "dg_sysadmin"}, **data)
    call_action("datagovernance_role_grant", {"user": "dg_sysadmin"}, user="dg_owner_deputy", role="owner",
                dataset=ds["id"], deputy=True)
    return ds


def events(ds: dict) -> int:
    return model.Session.execute(
        sa.text("SELECT count(*) FROM datagovernance_workflow_event WHERE package_id = :p"), {"p": ds["id"]}
    ).scalar_one()


def anonymous_sees(ds: dict) -> bool:
    found = call_action("package_search", {"user": "", "ignore_auth": False}, q=f'name:"{ds["name"]}"')
    return found["count"] == 1


def test_happy_path_and_history(city):
    ds = new_dataset(city, "mietspiegel", **OPEN)
    assert state(ds) == "draft" and not anonymous_sees(ds)
    move("dg_owner", ds, "in_review", "Bitte prüfen")
    move("dg_steward", ds, "approved")
    assert not anonymous_sees(ds)  # approved = internal use only
    move("dg_steward", ds, "published")
    assert anonymous_sees(ds)
    history = call_action("datagovernance_workflow_history", {"user": "dg_owner"}, id=ds["id"])
    assert [(h["from_state"], h["to_state"], h["actor_name"]) for h in history] == [
        ("draft", "in_review", "dg_owner"), ("in_review", "approved", "dg_steward"),
        ("approved", "published", "dg_steward"),
    ]
    activity = call_action("package_activity_list", {"user": "dg_sysadmin"}, id=ds["id"])
    assert len(activity) >= 4  # created + three state changes
    # withdrawing needs a reason and makes it private at once
    with pytest.raises(tk.ValidationError) as err:
        move("dg_steward", ds, "withdrawn")
    assert "comment" in err.value.error_dict
    move("dg_steward", ds, "withdrawn", "Fehler in den Daten")
    assert not anonymous_sees(ds)


def test_four_eyes_even_for_sysadmins(city, ckan_config, monkeypatch):
    ds = new_dataset(city, "vier-augen", **OPEN)
    move("dg_steward", ds, "in_review")
    with pytest.raises(tk.NotAuthorized):
        move("dg_steward", ds, "approved")
    move("dg_office", ds, "approved")
    with pytest.raises(tk.NotAuthorized):
        move("dg_steward", ds, "published")  # still the same submission
    move("dg_steward_deputy", ds, "published")
    other = new_dataset(city, "admin-selbst", **OPEN)
    move("dg_sysadmin", other, "in_review")
    with pytest.raises(tk.NotAuthorized):
        move("dg_sysadmin", other, "approved")
    monkeypatch.setitem(ckan_config, "ckanext.datagovernance.workflow.four_eyes", False)
    move("dg_sysadmin", other, "approved")


@pytest.mark.parametrize(
    "user, allowed",
    [("dg_owner", True), ("dg_owner_deputy", True), ("dg_org_editor", True), ("dg_steward", True),
     ("dg_office", True), ("dg_org_member", False), ("dg_plain", False), ("dg_dpo", False),
     ("dg_other_steward", False)],
)
def test_who_may_submit(city, user, allowed):
    ds = new_dataset(city, "einreichen", **OPEN)
    if allowed:
        move(user, ds, "in_review")
        assert state(ds) == "in_review"
    else:
        # who may not even read the draft is told it does not exist
        readable = policy.may_read(model.User.get(user), model.Package.get(ds["id"]))
        with pytest.raises(tk.NotAuthorized if readable else tk.ObjectNotFound):
            move(user, ds, "in_review")
        assert state(ds) == "draft" and events(ds) == 0


@pytest.mark.parametrize(
    "user, allowed",
    [("dg_steward", True), ("dg_steward_deputy", True), ("dg_office", True), ("dg_officer", True),
     ("dg_owner", False), ("dg_org_editor", False), ("dg_other_steward", False), ("dg_dpo", False)],
)
def test_who_may_approve_reject_publish(city, user, allowed):
    ds = new_dataset(city, "entscheiden", **OPEN)
    move("dg_owner", ds, "in_review")
    if not allowed:
        readable = policy.may_read(model.User.get(user), model.Package.get(ds["id"]))
        for target in ("approved", "draft"):
            with pytest.raises(tk.NotAuthorized if readable else tk.ObjectNotFound):
                move(user, ds, target, "Grund")
        assert state(ds) == "in_review"
        return
    move(user, ds, "draft", "Beschreibung fehlt")
    move("dg_owner", ds, "in_review")
    move(user, ds, "approved")
    move(user, ds, "published")
    assert state(ds) == "published"


def test_archive_is_office_only(city):
    ds = new_dataset(city, "archiv", **OPEN)
    with pytest.raises(tk.NotAuthorized):
        move("dg_steward", ds, "archived", "Aufbewahrung abgelaufen")
    move("dg_office", ds, "archived", "Aufbewahrung abgelaufen")
    assert state(ds) == "archived"


class TestGates:
    def _to_approved(self, ds):
        move("dg_owner", ds, "in_review")
        move("dg_steward", ds, "approved")

    def test_every_unmet_condition_in_one_bilingual_error(self, city):
        ds = new_dataset(city, "intern-geschlossen", access_class="internal", license_id="other-closed",
                         personal_data="personal", personal_data_legal_basis="Art. 6 DSGVO",
                         retention_period="P10Y")
        self._to_approved(ds)
        with pytest.raises(tk.ValidationError) as err:
            move("dg_steward", ds, "published")
        messages = " ".join(err.value.error_dict["gates"])
        assert "Zugriffsklasse" in messages and "access class" in messages
        assert "offene Lizenz" in messages and "open licence" in messages
        assert "Personal or pseudonymised" in messages
        assert state(ds) == "approved" and not anonymous_sees(ds)

    def test_anonymised_data_needs_dpo_signoff(self, city):
        ds = new_dataset(city, "anonymisiert", **dict(OPEN, personal_data="anonymised"))
        move("dg_owner", ds, "in_review")
        move("dg_steward", ds, "approved")
        with pytest.raises(tk.ValidationError) as err:
            move("dg_steward", ds, "published")
        assert "sign-off" in " ".join(err.value.error_dict["gates"])
        with pytest.raises(tk.NotAuthorized):
            call_action("datagovernance_signoff", {"user": "dg_steward", "ignore_auth": False},
                        id=ds["id"], decision="approve", reason="ok", legal_basis="§ 1")
        with pytest.raises(tk.ValidationError) as err:
            call_action("datagovernance_signoff", {"user": "dg_dpo", "ignore_auth": False},
                        id=ds["id"], decision="approve", reason="anonymisiert geprüft")
        assert "legal_basis" in err.value.error_dict
        call_action("datagovernance_signoff", {"user": "dg_dpo", "ignore_auth": False}, id=ds["id"],
                    decision="approve", reason="k-Anonymität geprüft", legal_basis="Art. 89 DSGVO")
        move("dg_steward", ds, "published")
        assert anonymous_sees(ds)

    def test_hvd_rules(self, city):
        ds = new_dataset(city, "hvd-ohne-api", **dict(
            OPEN, license_id="dl-by-de/2.0",
            hvd_category="http://data.europa.eu/bna/c_4b74ea13",
            resources=[{"url": "https://daten.example/x.pdf", "format": "PDF"}],
        ))
        self._to_approved(ds)
        with pytest.raises(tk.ValidationError) as err:
            move("dg_steward", ds, "published")
        messages = err.value.error_dict["gates"]
        assert any("machine-readable" in m for m in messages) and any("API" in m for m in messages)
        call_action("package_patch", {"user": "dg_steward"}, id=ds["id"], resources=[{
            "url": "https://daten.example/x.csv", "format": "CSV",
            "access_services": [{"title": "API", "endpoint_url": "https://daten.example/api",
                                 "documentation": "https://daten.example/api/doc"}],
        }])
        if state(ds) != "approved":  # a resource change is not governance-relevant
            pytest.fail("resource edit changed the state")
        move("dg_steward", ds, "published")


class TestBadInput:
    def test_unknown_state_names_allowed(self, city):
        ds = new_dataset(city, "falsch", **OPEN)
        with pytest.raises(tk.ValidationError) as err:
            move("dg_owner", ds, "veroeffentlicht")
        assert "published" in err.value.error_dict["to"][0]
        assert events(ds) == 0

    def test_impossible_transition_and_missing_reason(self, city):
        ds = new_dataset(city, "sprung", **OPEN)
        with pytest.raises(tk.ValidationError) as err:
            move("dg_office", ds, "published")
        assert "in_review" in err.value.error_dict["to"][0]
        move("dg_owner", ds, "in_review")
        with pytest.raises(tk.ValidationError):
            move("dg_steward", ds, "draft", "  ")
        assert state(ds) == "in_review" and events(ds) == 1

    def test_stale_state_is_refused(self, city):
        ds = new_dataset(city, "veraltet", **OPEN)
        move("dg_owner", ds, "in_review")
        with pytest.raises(tk.ValidationError) as err:
            move("dg_owner", ds, "in_review", expected_state="draft")
        assert "state" in err.value.error_dict

    def test_state_and_private_not_editable_by_hand(self, city):
        ds = new_dataset(city, "von-hand", **OPEN)
        with pytest.raises(tk.ValidationError):
            call_action("package_patch", {"user": "dg_sysadmin"}, id=ds["id"], workflow_state="published")
        call_action("package_patch", {"user": "dg_sysadmin"}, id=ds["id"], private=False)
        assert not anonymous_sees(ds)

    def test_unknown_dataset(self, city):
        with pytest.raises(tk.ObjectNotFound):
            move("dg_office", {"id": "gibt-es-nicht"}, "in_review")


def test_editing_published(city):
    ds = new_dataset(city, "veroeffentlicht", **OPEN)
    move("dg_owner", ds, "in_review")
    move("dg_steward", ds, "approved")
    move("dg_steward", ds, "published")
    call_action("package_patch", {"user": "dg_owner", "ignore_auth": False}, id=ds["id"], notes="Tippfehler")
    assert state(ds) == "published" and anonymous_sees(ds)
    call_action("package_patch", {"user": "dg_steward", "ignore_auth": False}, id=ds["id"], license_id="dl-zero-de/2.0")
    assert state(ds) == "in_review" and not anonymous_sees(ds)
    history = call_action("datagovernance_workflow_history", {"user": "dg_owner"}, id=ds["id"])
    assert "license_id" in history[-1]["comment"]


def test_notifications(city):
    """Who is told (the mail itself is a job after the commit: test_atomic)."""
    ds = new_dataset(city, "benachrichtigt", **dict(OPEN, personal_data="anonymised"))
    result = move("dg_owner", ds, "in_review")
    assert sorted(result["notified"]) == ["dg_dpo", "dg_steward", "dg_steward_deputy"]
    result = move("dg_steward", ds, "draft", "Quelle fehlt")
    assert result["notified"] == ["dg_owner"]


@pytest.mark.ckan_config("ckanext.datagovernance.search.page_size", 1)
def test_task_list(city, app):
    """Every task is listed (no cap, whatever the search page size), and the
    header badge shows exactly the list's length."""
    ds = new_dataset(city, "aufgabe", **dict(OPEN, personal_data="anonymised"))
    other = new_dataset(city, "aufgabe-zwei", **OPEN)
    new_dataset(city, "nur-entwurf", **OPEN)  # a draft never submitted: no task
    move("dg_owner", ds, "in_review")
    move("dg_owner", other, "in_review")
    steward = call_action("datagovernance_task_list", {"user": "dg_steward"})
    assert sorted(t["name"] for t in steward["tasks"]["review"]) == ["aufgabe", "aufgabe-zwei"]
    dpo = call_action("datagovernance_task_list", {"user": "dg_dpo"})
    assert [t["name"] for t in dpo["tasks"]["signoff"]] == ["aufgabe"]
    assert call_action("datagovernance_task_list", {"user": "dg_owner"})["tasks"]["review"] == []
    move("dg_steward", ds, "draft", "Nachbessern")
    assert [t["name"] for t in call_action("datagovernance_task_list", {"user": "dg_owner"})["tasks"]["rework"]] == ["aufgabe"]
    # four eyes: the office's own submission is not the office's review
    own = new_dataset(city, "vom-amt-eingereicht", **OPEN)
    move("dg_office", own, "in_review")
    # the list agrees with what the dataset page offers, for every user and dataset
    users = ("dg_steward", "dg_owner", "dg_owner_deputy", "dg_dpo", "dg_office", "dg_sysadmin",
             "dg_other_steward", "dg_plain")
    for user in users:
        listed = call_action("datagovernance_task_list", {"user": user})["tasks"]
        for d in (ds, other, own):
            try:
                opts = call_action("datagovernance_workflow_options", {"user": user, "ignore_auth": False}, id=d["id"])
            except (tk.NotAuthorized, tk.ObjectNotFound):
                opts = {"state": None, "transitions": []}
            expect_review = opts["state"] == "in_review" and "approved" in opts["transitions"]
            assert (d["name"] in [t["name"] for t in listed["review"]]) == expect_review, (user, d["name"])
    assert "vom-amt-eingereicht" not in [t["name"] for t in
                                         call_action("datagovernance_task_list", {"user": "dg_office"})["tasks"]["review"]]
    # the header badge equals the list's length, for every kind of user
    for user, expected in (("dg_steward", 2), ("dg_owner", 1), ("dg_owner_deputy", 1), ("dg_dpo", 0),
                           ("dg_office", 1), ("dg_sysadmin", 2), ("dg_other_steward", 0), ("dg_plain", 0)):
        token = call_action("api_token_create", {"user": user}, user=user, name="t")["token"]
        listed = call_action("datagovernance_task_list", {"user": user})["count"]
        page = app.get("/dataset", headers={"Authorization": token})
        badge = page.body.split("datagovernance-task-count\">", 1)[1].split("<", 1)[0]
        assert int(badge) == listed == expected, user


def test_task_list_offers_only_what_can_pass_the_gates(city):
    """Publication is offered only for datasets that pass every gate; fixable
    blocks are listed with their reasons; internal and personal data are
    never offered; a withdrawn dataset goes back to its owner, with why."""
    ready = new_dataset(city, "bereit", **OPEN)
    internal = new_dataset(city, "intern", **dict(OPEN, access_class="internal"))
    personal = new_dataset(city, "personen", **dict(OPEN, personal_data="personal",
                                                    personal_data_legal_basis="Art. 6 DSGVO",
                                                    retention_period="P10Y"))
    closed = new_dataset(city, "geschlossen", **dict(OPEN, license_id="other-closed"))
    for ds in (ready, internal, personal, closed):
        move("dg_owner", ds, "in_review")
        move("dg_steward", ds, "approved")
    steward = call_action("datagovernance_task_list", {"user": "dg_steward"})["tasks"]
    assert [t["name"] for t in steward["publish"]] == ["bereit"]
    assert steward["publish"][0]["reasons"]
    assert [t["name"] for t in steward["blocked"]] == ["geschlossen"]
    assert any("open licence" in r for r in steward["blocked"][0]["reasons"])
    for ds in (internal, personal):  # the dataset page offers no publish button either
        options = call_action("datagovernance_workflow_options", {"user": "dg_steward"}, id=ds["id"])
        assert "published" not in options["transitions"] and "in_review" in options["transitions"]
    options = call_action("datagovernance_workflow_options", {"user": "dg_steward"}, id=ready["id"])
    assert "published" in options["transitions"]

    move("dg_steward", ready, "published")
    move("dg_steward", ready, "withdrawn", "Daten veraltet")
    owner = call_action("datagovernance_task_list", {"user": "dg_owner"})["tasks"]
    assert [t["name"] for t in owner["rework"]] == ["bereit"]
    assert "Daten veraltet" in owner["rework"][0]["reasons"][0]
    assert call_action("datagovernance_task_list", {"user": "dg_plain"})["count"] == 0

    # the page shows the same lists with their reasons
    from bs4 import BeautifulSoup
    from ckan.tests.helpers import _get_test_app
    app = _get_test_app()
    token = call_action("api_token_create", {"user": "dg_steward"}, user="dg_steward", name="t")["token"]
    page = BeautifulSoup(app.get("/de/aufgaben", headers={"Authorization": token}).body, "html.parser")
    blocked = page.select_one("ul.datagovernance-tasks-blocked").get_text(" ", strip=True)
    assert "Geschlossen" in blocked and "Lizenz" in blocked
    assert page.select_one("ul.datagovernance-tasks-publish") is None  # nothing ready: no empty list
    # each row links to its dataset's page, in the page's language
    links = [a["href"] for a in page.select("ul[class^=datagovernance-tasks-] > li > a")]
    listed = call_action("datagovernance_task_list", {"user": "dg_steward"})["tasks"]
    names = [t["name"] for kind in listed.values() for t in kind]
    assert links and sorted(links) == sorted(f"/de/dataset/{name}" for name in names)


def test_cli_bulk_transition(city, cli):
    a = new_dataset(city, "stapel-a", **OPEN)
    b = new_dataset(city, "stapel-b", **OPEN)
    result = cli.invoke(ckan_cli, ["datagovernance", "workflow", "transition", a["name"], b["name"],
                                   "--to", "in_review", "--as", "dg_office"])
    assert result.exit_code == 0, result.output
    assert state(a) == state(b) == "in_review"
    result = cli.invoke(ckan_cli, ["datagovernance", "workflow", "transition", a["name"], "gibt-es-nicht",
                                   "--to", "approved", "--as", "dg_steward"])
    assert result.exit_code == 1 and "ok\tstapel-a" in result.output
