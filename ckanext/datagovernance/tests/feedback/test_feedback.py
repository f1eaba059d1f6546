"""Feedback, data requests and access requests: the whole path per kind,
rights, hidden datasets, rate limit, grants with expiry, bad input."""
from __future__ import annotations

import datetime as dt
import email
import email.policy

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests.helpers import call_action
from freezegun import freeze_time

from ckanext.datagovernance import feedback
from ckanext.datagovernance.feedback import jobs, service

from .conftest import act, can_read

pytestmark = [pytest.mark.usefixtures("with_plugins")]


def mails_to(mail_server, address: str) -> list[str]:
    """Decoded subject and body of every mail to `address`."""
    out = []
    for _none, _sender, recipients, raw in mail_server.get_smtp_messages():
        if address in recipients:
            msg = email.message_from_string(raw, policy=email.policy.default)
            out.append(f"{msg['Subject']}\n{msg.get_body().get_content()}")
    return out


def email_of(user: str) -> str:
    return model.User.get(user).email


# -- the whole path per kind ----------------------------------------------------
def test_error_report_owner_answers_requester_is_told(city, mail_server, run_jobs):
    from ckanext.datagovernance.kpi import compute

    ds = city.datasets["internal"]
    open_before = compute.figures()["feedback_open"]
    item = act("dg_plain", "datagovernance_feedback_create", kind="error", dataset=ds["name"],
               subject="Spalte Miete leer", message="In Zeile 12 fehlt die Miete.")
    assert item["status"] == "new"
    assert compute.figures()["feedback_open"] == open_before + 1  # on the KPI dashboard
    assert item["assignee_name"] == model.User.get("dg_owner").display_name  # the owner first
    run_jobs()
    assert mails_to(mail_server, email_of("dg_plain"))  # receipt
    assert mails_to(mail_server, email_of("dg_owner"))  # the assignee learns of it

    act("dg_owner", "datagovernance_feedback_update", id=item["id"], status="in_progress", comment="Wir prüfen das.")
    act("dg_owner", "datagovernance_feedback_comment", id=item["id"], text="Quelle: Fachverfahren", internal=True)
    done = act("dg_owner", "datagovernance_feedback_update", id=item["id"], status="answered",
               answer="Korrigiert, danke!")
    assert done["status"] == "answered" and done["first_response"]
    assert feedback.kpis()["open"] == 0 and feedback.kpis()["hours_to_first_answer"] is not None
    figures = compute.figures()
    assert figures["feedback_open"] == open_before and figures["feedback_hours_to_first_answer"] is not None
    run_jobs()
    bodies = mails_to(mail_server, email_of("dg_plain"))
    assert any("Wir pr" in b for b in bodies) and any("Korrigiert" in b for b in bodies)
    assert not any("Fachverfahren" in b for b in bodies)  # internal notes stay internal

    mine = act("dg_plain", "datagovernance_feedback_show", id=item["id"])
    assert [e["action"] for e in mine["events"]] == ["created", "status", "answer", "status"]
    handler = act("dg_owner", "datagovernance_feedback_show", id=item["id"])
    assert "comment" in [e["action"] for e in handler["events"]]
    # the requester closes it; the list counts per status
    act("dg_plain", "datagovernance_feedback_update", id=item["id"], status="closed")
    listed = act("dg_plain", "datagovernance_feedback_list", scope="mine")
    assert listed["count"] == 1 and listed["counts"]["closed"] == 1


def test_anonymous_wish_stays_private_until_published(city, mail_server, run_jobs):
    ds = city.datasets["public"]
    item = act(None, "datagovernance_feedback_create", kind="wish", dataset=ds["name"], subject="Als CSV?",
               message="Gibt es die Daten auch monatlich?", email="Buerger@Example.org")
    assert item["requester_email"] == "buerger@example.org"
    # other visitors see nothing of it, the address never
    assert act(None, "datagovernance_feedback_list", scope="dataset", dataset=ds["name"])["count"] == 0
    for viewer in (None, "dg_plain"):
        with pytest.raises(tk.ObjectNotFound):
            act(viewer, "datagovernance_feedback_show", id=item["id"])
    inbox = act("dg_owner", "datagovernance_feedback_list", scope="inbox")
    assert inbox["open"] == 1 and inbox["results"][0]["requester_email"] == "buerger@example.org"

    act("dg_owner", "datagovernance_feedback_update", id=item["id"], status="answered",
        answer="Ja, ab Januar monatlich.", published=True)
    run_jobs()
    assert any("monatlich" in b for b in mails_to(mail_server, "buerger@example.org"))
    public = act(None, "datagovernance_feedback_list", scope="dataset", dataset=ds["name"])
    assert public["count"] == 1
    shown = public["results"][0]
    assert shown["answer"] == "Ja, ab Januar monatlich." and "requester_email" not in str(shown)
    assert "buerger" not in str(act(None, "datagovernance_feedback_show", id=item["id"]))


def test_access_request_is_decided_by_steward_not_owner(city, mail_server, run_jobs):
    ds = city.datasets["internal"]
    item = act("dg_plain", "datagovernance_feedback_create", kind="access", dataset=ds["name"],
               subject="Zugriff", message="Für die Mietpreisanalyse", justification="Auftrag des Dezernats")
    assert item["assignee_name"] == model.User.get("dg_steward").display_name  # the decider
    until = (service.berlin_today() + dt.timedelta(days=30)).isoformat()
    for refused in ({"grant_until": until}, {"status": "answered", "answer": "ok"}, {"status": "declined", "reason": "x"}):
        with pytest.raises(tk.NotAuthorized):
            act("dg_owner", "datagovernance_feedback_update", id=item["id"], **refused)
    act("dg_owner", "datagovernance_feedback_comment", id=item["id"], text="Aus meiner Sicht unkritisch.")
    done = act("dg_steward", "datagovernance_feedback_update", id=item["id"], grant_until=until)
    assert done["status"] == "answered" and done["grants"][0]["until"] == until
    grants = act("dg_owner", "datagovernance_access_grant_list", dataset=ds["name"])
    assert [g["user_name"] for g in grants] == ["dg_plain"]  # the owner sees who reads
    assert act("dg_other_steward", "datagovernance_access_grant_list") == []
    with pytest.raises(tk.NotAuthorized):
        act("dg_owner", "datagovernance_access_grant_revoke", id=grants[0]["id"], reason="nein")
    act("dg_office", "datagovernance_access_grant_revoke", id=grants[0]["id"], reason="Projekt beendet")
    assert act("dg_steward", "datagovernance_access_grant_list", dataset=ds["name"]) == []
    assert act("dg_steward", "datagovernance_access_grant_list", dataset=ds["name"], state="revoked")[0][
        "end_reason"] == "Projekt beendet"
    run_jobs()
    assert any("entzogen" in b for b in mails_to(mail_server, email_of("dg_plain")))


def test_data_request_office_assigns_steward_grants_access_that_expires(city, mail_server, run_jobs):
    secret = city.datasets["confidential"]
    assert can_read("dg_plain", secret) == {"search": False, "show": False, "file": False}
    item = act("dg_plain", "datagovernance_feedback_create", kind="data_request",
               subject="Mietverträge der Stadt", message="Ich brauche die Mietverträge für eine Auswertung.")
    assert item["assignee_id"] is None  # waits for the office
    assert act("dg_steward", "datagovernance_feedback_list", scope="inbox")["count"] == 0
    with pytest.raises(tk.ObjectNotFound):  # not the steward's request (yet)
        act("dg_steward", "datagovernance_feedback_update", id=item["id"], domain="mietobjekte")
    assigned = act("dg_office", "datagovernance_feedback_update", id=item["id"], domain="mietobjekte",
                   status="in_progress")
    # the steward of the parent domain handles the sub-domain's requests
    assert assigned["assignee_name"] == model.User.get("dg_steward").display_name
    assert act("dg_steward", "datagovernance_feedback_list", scope="inbox")["open"] == 1
    assert act("dg_other_steward", "datagovernance_feedback_list", scope="inbox")["count"] == 0

    today = service.berlin_today()
    until = today + dt.timedelta(days=2)
    act("dg_steward", "datagovernance_feedback_update", id=item["id"], dataset=secret["name"],
        grant_until=until.strftime("%d.%m.%Y"))
    assert can_read("dg_plain", secret) == {"search": True, "show": True, "file": True}
    assert can_read("dg_org_member", secret) == {"search": False, "show": False, "file": False}

    # the day after the last granted day (Berlin), before the expiry job:
    # show and files end on time, search still holds the old labels
    with freeze_time(dt.datetime.combine(until + dt.timedelta(days=1), dt.time(9, 0))):
        assert can_read("dg_plain", secret)["show"] is False
        assert jobs.expire_grants() == 1
        assert can_read("dg_plain", secret) == {"search": False, "show": False, "file": False}
        assert jobs.expire_grants() == 0
    grant = act("dg_plain", "datagovernance_access_grant_list", state="all")[0]
    assert grant["state"] == "expired"
    history = act("dg_plain", "datagovernance_feedback_show", id=item["id"])["events"]
    assert [e["action"] for e in history][-1] == "expire"
    run_jobs()
    assert any("abgelaufen" in b for b in mails_to(mail_server, email_of("dg_plain")))


# -- rights ------------------------------------------------------------------
def test_unrelated_user_sees_no_one_elses_request(city):
    ds = city.datasets["restricted"]
    item = act("dg_org_member", "datagovernance_feedback_create", kind="error", dataset=ds["id"],
               subject="Fehler", message="Adresse falsch")
    for outsider in ("dg_plain", "dg_other_steward", "dg_iso", None):
        with pytest.raises(tk.ObjectNotFound) as err:
            act(outsider, "datagovernance_feedback_show", id=item["id"])
        assert ds["name"] not in str(err.value) and ds["id"] not in str(err.value)
        if outsider:
            for scope in ("mine", "inbox"):
                assert act(outsider, "datagovernance_feedback_list", scope=scope)["count"] == 0
            with pytest.raises((tk.ObjectNotFound, tk.NotAuthorized)):
                act(outsider, "datagovernance_feedback_comment", id=item["id"], text="hallo")
    with pytest.raises(tk.NotAuthorized):
        act("dg_plain", "datagovernance_feedback_list", scope="all")
    # the office sees it, the requester cannot write internal notes
    assert act("dg_office", "datagovernance_feedback_list", scope="all")["count"] == 1
    with pytest.raises(tk.NotAuthorized):
        act("dg_org_member", "datagovernance_feedback_comment", id=item["id"], text="intern?", internal=True)


def test_feedback_on_hidden_dataset_answers_like_missing(city):
    hidden = city.datasets["confidential"]
    answers = []
    for ref in (hidden["name"], hidden["id"], "gibt-es-nicht"):
        for user, kind in (("dg_plain", "access"), (None, "error")):
            with pytest.raises(tk.ObjectNotFound) as err:
                act(user, "datagovernance_feedback_create", kind=kind, dataset=ref, subject="s", message="m",
                    justification="j", email="a@example.org")
            answers.append(str(err.value))
    assert len(set(answers)) == 1 and hidden["title"] not in answers[0]
    with pytest.raises(tk.ObjectNotFound):  # a published answer lists nothing either
        act("dg_plain", "datagovernance_feedback_list", scope="dataset", dataset=hidden["name"])
    assert model.Session.execute(sa.text("SELECT count(*) FROM datagovernance_feedback")).scalar() == 0


# -- anonymous: rate limit and honeypot ---------------------------------------
@pytest.mark.ckan_config("ckanext.datagovernance.feedback.rate_limit", "3")
def test_rate_limit_per_address_and_per_ip(city, app):
    ds = city.datasets["public"]

    def send(email: str, status: int = 200, **extra):
        return app.post("/api/3/action/datagovernance_feedback_create", status=status,
                        json=dict(kind="error", dataset=ds["name"], subject="Fehler", message="m", email=email, **extra),
                        extra_environ={"REMOTE_ADDR": extra.pop("ip", "10.0.0.1")})

    for _ in range(3):
        act(None, "datagovernance_feedback_create", kind="error", dataset=ds["name"], subject="s", message="m",
            email="viel@example.org")
    with pytest.raises(tk.ValidationError) as err:
        act(None, "datagovernance_feedback_create", kind="error", dataset=ds["name"], subject="s", message="m",
            email="VIEL@example.org")
    assert "email" in err.value.error_dict
    # per IP: different addresses from one network
    for n in range(3):
        send(f"person{n}@example.org")
    refused = send("person9@example.org", status=409).json["error"]
    assert "ip" in refused
    # a logged-in user is not rate-limited by the anonymous counters
    act("dg_plain", "datagovernance_feedback_create", kind="error", dataset=ds["name"], subject="s", message="m")
    count = model.Session.execute(sa.text("SELECT count(*) FROM datagovernance_feedback")).scalar()
    assert count == 3 + 3 + 1


def test_honeypot_and_bad_input(city):
    ds = city.datasets["public"]
    base = dict(kind="error", dataset=ds["name"], subject="s", message="m", email="a@example.org")

    def errors(user=None, **data):
        with pytest.raises(tk.ValidationError) as err:
            act(user, "datagovernance_feedback_create", **dict(base, **data))
        return err.value.error_dict

    assert "website" in errors(website="http://spam.example")
    assert "error, wish, access, data_request" in errors(kind="lob")["kind"][0]
    assert "message" in errors(message="  ")
    assert "email" in errors(email="keine-adresse")
    assert "email" in errors(email="")
    assert "subject" in errors(subject="x" * 201)
    assert "justification" in errors("dg_plain", kind="access")
    assert "dataset" in errors(kind="data_request")
    with pytest.raises(tk.NotAuthorized):  # access needs an account to grant to
        act(None, "datagovernance_feedback_create", **dict(base, kind="access", justification="j"))
    item = act("dg_plain", "datagovernance_feedback_create", **dict(base, kind="access", justification="j"))

    def update_errors(user="dg_steward", **data):
        with pytest.raises(tk.ValidationError) as err:
            act(user, "datagovernance_feedback_update", id=item["id"], **data)
        return err.value.error_dict

    assert "reason" in update_errors(status="declined")
    assert "new, in_progress, answered, closed, declined" in update_errors(status="erledigt")["status"][0]
    assert "grant_until" in update_errors(grant_until="2001-01-01")
    assert "grant_until" in update_errors(grant_until="morgen")
    assert "grant_until" in update_errors(grant_until=(service.berlin_today() + dt.timedelta(days=400)).isoformat())
    assert "published" in update_errors(published="true")
    assert "status" in update_errors(status="closed", grant_until=service.berlin_today().isoformat())
    declined = act("dg_steward", "datagovernance_feedback_update", id=item["id"], status="declined",
                   reason="Keine dienstliche Notwendigkeit")
    assert declined["reason"] == "Keine dienstliche Notwendigkeit"
    assert "status" in update_errors(status="answered")  # declined -> answered is no transition
    # nothing half-written: a refused update left no event behind
    assert [e["action"] for e in act("dg_plain", "datagovernance_feedback_show", id=item["id"])["events"]] == [
        "created", "status"]


def test_errors_name_field_and_allowed_values_in_german(city, app):
    res = app.post("/de/api/3/action/datagovernance_feedback_create", status=409,
                   json={"kind": "lob", "subject": "s", "message": "m"})
    assert res.json["error"]["kind"] == ["Unbekannter Wert lob. Erlaubt: error, wish, access, data_request"]
    res = app.post("/api/3/action/datagovernance_feedback_create", status=409,
                   json={"kind": "lob", "subject": "s", "message": "m"})
    assert res.json["error"]["kind"] == ["Unknown value lob. Allowed: error, wish, access, data_request"]


def test_cli_lists_items(city, cli):
    from ckan.cli.cli import ckan as ckan_cli

    act("dg_plain", "datagovernance_feedback_create", kind="data_request", subject="Baumkataster",
        message="Gibt es ein Baumkataster?")
    result = cli.invoke(ckan_cli, ["datagovernance", "feedback", "list", "--status", "open"])
    assert result.exit_code == 0, result.output
    assert "1 items" in result.output and "Baumkataster" in result.output and "data_request" in result.output
    bad = cli.invoke(ckan_cli, ["datagovernance", "feedback", "list", "--status", "offen"])
    assert bad.exit_code != 0 and "status" in bad.output
    assert call_action("datagovernance_feedback_list", {"ignore_auth": True, "user": "dg_sysadmin"},
                       scope="all")["count"] == 1


def test_mail_only_for_committed_requests(city, mail_server, run_jobs):
    """A caller that defers the commit (a bulk job, another action) and then
    rolls back leaves no mail behind; when it commits, the mail goes out."""
    ds = city.datasets["internal"]
    context = {"user": "dg_plain", "ignore_auth": False, "defer_commit": True}
    call_action("datagovernance_feedback_create", dict(context), kind="wish", dataset=ds["name"],
                subject="Rückgängig gemacht", message="Wird zurückgerollt.")
    model.Session.rollback()
    run_jobs()
    assert mails_to(mail_server, email_of("dg_plain")) == []
    assert feedback.kpis()["open"] == 0  # nothing of it was written either

    call_action("datagovernance_feedback_create", dict(context), kind="wish", dataset=ds["name"],
                subject="Bleibt bestehen", message="Wird bestätigt.")
    model.repo.commit()
    run_jobs()
    assert any("Bleibt bestehen" in b or "eingegangen" in b for b in mails_to(mail_server, email_of("dg_plain")))
