"""A transition is one transaction; hidden datasets answer like missing ones;
the reopen is never public; mail goes out as a job after the commit; two real
HTTP clients racing give one transition and one clean refusal. These tests
write (each its own datasets) on one module-wide city."""
from __future__ import annotations

import email
import json
import threading
import urllib.error
import urllib.request

import ckan.lib.jobs as jobs
import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests.helpers import call_action
from sqlalchemy import event
from werkzeug.serving import make_server

from ckanext.datagovernance.search.backend import PostgresSolr

from ..roles.conftest import city  # noqa: F401 - the module-wide city fixture
from .test_workflow import OPEN, anonymous_sees, events, move, new_dataset, state

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", True),
]


def other_connection() -> sa.engine.Connection:
    """A second database connection, as another request would have."""
    return model.meta.engine.connect()


def approved(city, name: str, **fields) -> dict:  # noqa: F811
    ds = new_dataset(city, name, **fields)
    move("dg_owner", ds, "in_review")
    move("dg_steward", ds, "approved")
    return ds


def test_gate_failure_keeps_callers_work_writes_nothing_and_releases_the_lock(city):  # noqa: F811
    ds = approved(city, "gate-sperrt", **dict(OPEN, license_id="other-closed"))
    before = events(ds)
    # the caller has unrelated work pending in the same session
    model.User.get("dg_plain").fullname = "Noch nicht gespeichert"
    with pytest.raises(tk.ValidationError) as err:
        move("dg_steward", ds, "published")
    assert "gates" in err.value.error_dict
    # the row lock taken inside the transition is released already
    with other_connection() as conn:
        conn.execute(sa.text("SET lock_timeout = '2s'"))
        assert conn.execute(sa.text("SELECT id FROM package WHERE id = :id FOR UPDATE NOWAIT"),
                            {"id": ds["id"]}).scalar_one() == ds["id"]
        conn.rollback()
    # the caller's session is usable and its own change is still there
    assert model.User.get("dg_plain").fullname == "Noch nicht gespeichert"
    model.Session.commit()
    model.Session.remove()
    assert model.User.get("dg_plain").fullname == "Noch nicht gespeichert"
    assert state(ds) == "approved" and events(ds) == before and not anonymous_sees(ds)
    indexed = call_action("package_search", {"user": "dg_sysadmin"}, q=f'name:"{ds["name"]}"',
                          include_private=True, include_drafts=True)["results"]
    assert [r["workflow_state"] for r in indexed] == ["approved"]


def test_gate_results_are_stored_on_the_event(city):  # noqa: F811
    ds = approved(city, "gate-protokoll", **OPEN)
    result = move("dg_steward", ds, "published")
    assert set(result["gate_results"]) >= {"open_access", "personal_data", "dpo_signoff", "hvd"}
    assert all(problems == [] for problems in result["gate_results"].values())
    history = call_action("datagovernance_workflow_history", {"user": "dg_owner"}, id=ds["id"])
    assert history[-1]["gate_results"] == result["gate_results"]
    assert history[0]["gate_results"] is None  # only publishing runs the gates


def test_transition_is_one_transaction(city):  # noqa: F811
    """With defer_commit the caller owns the transaction: state, event, index
    row and activity appear together, or (rolled back) not at all."""
    ds = new_dataset(city, "eine-transaktion", **OPEN)
    call_action("datagovernance_workflow_transition", {"user": "dg_owner", "ignore_auth": False,
                                                       "defer_commit": True}, id=ds["id"], to="in_review")
    with other_connection() as conn:  # nothing is visible outside before the commit
        assert conn.execute(sa.text("SELECT extras->>'workflow_state' FROM package WHERE id = :id"),
                            {"id": ds["id"]}).scalar_one() in (None, "draft")
        assert conn.execute(sa.text("SELECT count(*) FROM datagovernance_workflow_event WHERE package_id = :id"),
                            {"id": ds["id"]}).scalar_one() == 0
    model.Session.rollback()
    assert state(ds) == "draft" and events(ds) == 0
    move("dg_owner", ds, "in_review")
    with other_connection() as conn:
        row = conn.execute(sa.text(
            "SELECT p.extras->>'workflow_state', (SELECT count(*) FROM datagovernance_workflow_event e "
            "WHERE e.package_id = p.id) FROM package p WHERE p.id = :id"), {"id": ds["id"]}).one()
    assert tuple(row) == ("in_review", 1)
    indexed = call_action("package_search", {"user": "dg_sysadmin"}, q=f'name:"{ds["name"]}"',
                          include_private=True, include_drafts=True)["results"]
    assert [r["workflow_state"] for r in indexed] == ["in_review"]
    activity = call_action("package_activity_list", {"user": "dg_sysadmin"}, id=ds["id"])
    assert activity[0]["activity_type"] == "changed package"
    assert activity[0]["data"]["package"]["workflow_state"] == "in_review"


def test_hidden_dataset_answers_like_a_missing_one_before_any_lock(city, server):  # noqa: F811
    hidden = city.datasets["confidential"]
    for action in ("datagovernance_workflow_transition", "datagovernance_workflow_history",
                   "datagovernance_workflow_options"):
        with pytest.raises(tk.ObjectNotFound) as err:
            call_action(action, {"user": "dg_plain", "ignore_auth": False}, id=hidden["name"], to="in_review")
        assert str(err.value) == "Dataset not found"
    token = call_action("api_token_create", {}, user="dg_plain", name="t")["token"]
    model.Session.commit()

    def ask(ref: str) -> tuple[int, dict]:
        return server.post("/api/3/action/datagovernance_workflow_transition", {"id": ref, "to": "in_review"},
                           token, timeout=10)

    # someone else holds the row lock: the answer must not wait for it
    with other_connection() as conn:
        conn.execute(sa.text("SELECT id FROM package WHERE id = :id FOR UPDATE"), {"id": hidden["id"]})
        by_name, by_id, unknown = ask(hidden["name"]), ask(hidden["id"]), ask("gibt-es-nicht")
        conn.rollback()
    assert by_name[0] == 404
    assert by_name[1]["error"] == by_id[1]["error"] == unknown[1]["error"]
    for _code, body in (by_name, by_id):
        assert hidden["id"] not in json.dumps(body) and hidden["name"] not in json.dumps(body)


def test_refusal_names_no_dataset(city):  # noqa: F811
    ds = new_dataset(city, "ohne-kennung", **OPEN)
    move("dg_owner", ds, "in_review")
    with pytest.raises(tk.NotAuthorized) as err:
        move("dg_owner", ds, "approved")  # readable for the owner, but not theirs to approve
    assert ds["id"] not in str(err.value) and ds["name"] not in str(err.value)


def test_reopen_is_never_observable_as_public(city):  # noqa: F811
    ds = approved(city, "nie-oeffentlich", **OPEN)
    move("dg_steward", ds, "published")
    assert anonymous_sees(ds)
    seen: list[tuple] = []

    def probe(session) -> None:
        # what every other connection sees at each commit of the edit
        with other_connection() as conn:
            seen.append(tuple(conn.execute(sa.text(
                "SELECT p.private, p.license_id, p.extras->>'workflow_state' FROM package p WHERE p.id = :id"),
                {"id": ds["id"]}).one()))

    event.listen(model.Session, "after_commit", probe)
    try:
        call_action("package_patch", {"user": "dg_steward", "ignore_auth": False}, id=ds["id"],
                    license_id="other-closed")
    finally:
        event.remove(model.Session, "after_commit", probe)
    # commits before the edit still show the old, published state; from the
    # commit that stores the closed licence on, the dataset is in review and private
    assert seen and seen[-1] == (True, "other-closed", "in_review"), seen
    assert all(row[1] != "other-closed" or row == (True, "other-closed", "in_review") for row in seen), seen
    assert not anonymous_sees(ds) and state(ds) == "in_review"
    history = call_action("datagovernance_workflow_history", {"user": "dg_owner"}, id=ds["id"])
    assert (history[-1]["from_state"], history[-1]["to_state"]) == ("published", "in_review")
    assert "license_id" in history[-1]["comment"]


def test_search_commit_keeps_callers_pending_work(city, app):  # noqa: F811
    user = model.User.get("dg_org_member")
    before = user.fullname
    user.fullname = "Nicht festschreiben"
    model.Session.flush()
    with app.flask_app.test_request_context():
        PostgresSolr().commit()
    model.Session.rollback()
    model.Session.remove()
    assert model.User.get("dg_org_member").fullname == before


def _mail_jobs() -> list:
    # other concerns queue their own jobs (the quality score after a change)
    return [j for j in jobs.get_queue().jobs if j.func_name.endswith("jobs.send_mail")]


def _run_jobs() -> None:
    jobs.Worker([jobs.DEFAULT_QUEUE_NAME]).work(burst=True)


@pytest.mark.usefixtures("with_test_worker", "clean_queues")
def test_mail_is_a_job_after_the_commit(city, mail_server):  # noqa: F811
    ds = new_dataset(city, "post-nach-commit", **dict(OPEN, personal_data="anonymised"))
    # rolled back: no job, no mail
    call_action("datagovernance_workflow_transition", {"user": "dg_owner", "ignore_auth": False,
                                                       "defer_commit": True}, id=ds["id"], to="in_review")
    model.Session.rollback()
    assert _mail_jobs() == [], [(j.description, j.args) for j in jobs.get_queue().jobs]
    result = move("dg_owner", ds, "in_review")
    assert sorted(result["notified"]) == ["dg_dpo", "dg_steward", "dg_steward_deputy"]
    assert mail_server.get_smtp_messages() == []  # nothing is sent inside the request
    assert len(_mail_jobs()) == 1
    _run_jobs()
    recipients = sorted(address for m in mail_server.get_smtp_messages() for address in m[2])
    assert recipients == sorted(city.users[u]["email"] for u in ("steward", "steward_deputy", "dpo"))
    model.Session.remove()
    move("dg_steward", ds, "draft", "Quelle fehlt")
    _run_jobs()
    last = mail_server.get_smtp_messages()[-1]
    body = email.message_from_string(last[3]).get_payload(decode=True).decode()
    assert last[2] == [city.users["owner"]["email"]] and "Quelle fehlt" in body


class _Server:
    """The test app served by a real threaded HTTP server on a free port."""

    def __init__(self, wsgi_app) -> None:
        self.httpd = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def post(self, path: str, body: dict, token: str, timeout: float = 60) -> tuple[int, dict]:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                return res.status, json.load(res)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    def close(self) -> None:
        self.httpd.shutdown()
        self.thread.join(10)


@pytest.fixture
def server(app):
    s = _Server(app.app)
    yield s
    s.close()


def test_two_clients_racing_give_one_transition(city, server):  # noqa: F811
    ds = new_dataset(city, "gleichzeitig-http", **OPEN)
    move("dg_owner", ds, "in_review")
    tokens = [call_action("api_token_create", {}, user=u, name="race")["token"] for u in ("dg_steward", "dg_office")]
    model.Session.commit()
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict]] = []

    def approve(token: str) -> None:
        barrier.wait()
        answers.append(server.post("/api/3/action/datagovernance_workflow_transition",
                                   {"id": ds["id"], "to": "approved"}, token))

    threads = [threading.Thread(target=approve, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    model.Session.remove()
    assert sorted(code for code, _ in answers) == [200, 409], answers
    refusal = next(body for code, body in answers if code == 409)
    # the loser either waited for the winner's lock ("state": it changed
    # meanwhile) or started after the winner's commit ("to": no transition
    # from approved to approved): a refusal naming the field either way
    assert {"state", "to"} & set(refusal["error"]) and ds["id"] not in json.dumps(refusal)
    rows = model.Session.execute(sa.text(
        "SELECT count(*) FROM datagovernance_workflow_event WHERE package_id = :p AND to_state = 'approved'"),
        {"p": ds["id"]}).scalar_one()
    assert rows == 1 and state(ds) == "approved"
