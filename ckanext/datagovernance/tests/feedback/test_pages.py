"""Feedback pages: German forms and lists through the web app, and the
browser path "an anonymous visitor reports an error, the owner answers"."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import ckan.model as model
import pytest
from ckan.tests.helpers import call_action

from ckanext.datagovernance.feedback import service

from ..roles.conftest import build_city
from ..workflow.test_browser import (  # noqa: F401 - the CKAN server fixture
    CHROMIUM,
    PASSWORD,
    server,
)
from .conftest import act

pytestmark = [pytest.mark.usefixtures("with_plugins")]
SHOTS = os.environ.get("DG_SCREENSHOTS")  # a directory: keep screenshots to look at


def _token(user: str) -> dict[str, str]:
    return {"Authorization": call_action("api_token_create", {}, user=user, name="pages")["token"]}


def test_pages_in_german(city, app):
    ds = city.datasets["public"]
    page = app.get(f"/de/dataset/{ds['name']}/rueckmeldung").body
    assert "Rückmeldung zu" in page and "Fehlermeldung" in page and 'name="website"' in page
    assert "Zugriffsanfrage" not in page  # anonymous visitors cannot request access
    # a hidden dataset's form answers 404 like a missing one
    app.get(f"/de/dataset/{city.datasets['confidential']['name']}/rueckmeldung", status=404)
    res = app.post(f"/de/dataset/{ds['name']}/rueckmeldung", data={
        "kind": "error", "subject": "Tippfehler", "message": "Straße falsch geschrieben", "email": "x@example.org",
        "website": ""}, follow_redirects=False)
    assert res.status_code == 302
    res = app.post(f"/de/dataset/{ds['name']}/rueckmeldung", data={
        "kind": "error", "subject": "", "message": "m", "email": "kaputt", "website": ""})
    assert "Betreff: Fehlender Wert" in res.body and "Keine E-Mail-Adresse: kaputt" in res.body

    inbox = app.get("/de/anfragen", headers=_token("dg_owner")).body
    assert "Tippfehler" in inbox and "Neu" in inbox
    assert "Tippfehler" not in app.get("/de/anfragen", headers=_token("dg_plain")).body
    assert "Meine Anfragen" in app.get("/de/meine-anfragen", headers=_token("dg_plain")).body
    assert "Daten wünschen" in app.get("/de/datenwunsch").body
    item = act("dg_office", "datagovernance_feedback_list", scope="all")["results"][0]
    detail = app.get(f"/de/anfragen/{item['id']}", headers=_token("dg_owner")).body
    assert "x@example.org" in detail and "Bearbeiten" in detail
    app.get(f"/de/anfragen/{item['id']}", headers=_token("dg_plain"), status=404)


def test_anonymous_visitor_reports_error_owner_answers(browser_city, server):  # noqa: F811
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    ds = browser_city.datasets["public"]
    shots = Path(SHOTS) if SHOTS else None

    def shot(page, name: str) -> None:
        if shots:
            page.screenshot(path=str(shots / f"fb14-{name}.png"), full_page=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            def context(**kw):
                # no internet here: the factories' organisation images would stall "load"
                ctx = browser.new_context(locale="de-DE", **kw)
                ctx.set_default_timeout(120_000)  # 2 shared cores: the first pages compile templates
                ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server)
                          else route.abort())
                return ctx

            visitor = context().new_page()
            visitor.goto(f"{server}/dataset/{ds['name']}")
            shot(visitor, "dataset-de")
            visitor.click("text=Fehler melden")
            visitor.fill("#dg-subject", "Falsche Hausnummer")
            visitor.fill("#dg-message", "Beim Objekt Marktplatz 3 steht Hausnummer 33.")
            visitor.fill("#dg-email", "anwohnerin@example.org")
            shot(visitor, "form-de")
            visitor.click("button[name=send]")
            visitor.wait_for_load_state()
            assert "Danke" in visitor.content() and "anwohnerin@example.org" in visitor.content()

            owner_ctx = context()
            owner = owner_ctx.new_page()
            owner.goto(f"{server}/user/login")
            owner.fill("#field-login", "dg_owner")
            owner.fill("#field-password", PASSWORD)
            owner.press("#field-password", "Enter")
            owner.wait_for_load_state()
            owner.goto(f"{server}/anfragen")
            assert owner.locator(".datagovernance-feedback-open").inner_text() == "1"
            shot(owner, "inbox-de")
            owner.click("text=Falsche Hausnummer")
            owner.select_option("#dg-status", "answered")
            owner.fill("#dg-answer", "Danke, die Hausnummer ist korrigiert.")
            owner.check("#dg-published")
            owner.click("button[name=save]")
            owner.wait_for_load_state()
            assert owner.locator(".datagovernance-feedback-status").inner_text() == "Beantwortet"
            shot(owner, "item-de")
            owner.goto(f"{server}/en/anfragen")
            shot(owner, "inbox-en")

            visitor.goto(f"{server}/dataset/{ds['name']}/rueckmeldung")
            answers = visitor.locator(".datagovernance-published-answer").inner_text()
            assert "Hausnummer ist korrigiert" in answers and "anwohnerin" not in visitor.content()
            visitor.goto(f"{server}/en/dataset/{ds['name']}/rueckmeldung")
            shot(visitor, "form-en")
        finally:
            browser.close()


def test_access_request_granted_by_steward_in_browser(browser_city, server):  # noqa: F811
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    ds = browser_city.datasets["internal"]
    shots = Path(SHOTS) if SHOTS else None
    until = (service.berlin_today() + dt.timedelta(days=90))

    def shot(page, name: str) -> None:
        if shots:
            page.screenshot(path=str(shots / f"fb14-{name}.png"), full_page=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            def login(name: str):
                ctx = browser.new_context(locale="de-DE")
                ctx.set_default_timeout(120_000)  # 2 shared cores: the first pages compile templates
                ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server)
                          else route.abort())
                page = ctx.new_page()
                page.goto(f"{server}/user/login")
                page.fill("#field-login", name)
                page.fill("#field-password", PASSWORD)
                page.press("#field-password", "Enter")
                page.wait_for_load_state()
                return page

            requester = login("dg_plain")
            requester.goto(f"{server}/dataset/{ds['name']}/rueckmeldung?kind=access")
            requester.fill("#dg-subject", "Zugriff für die Mietpreisanalyse")
            requester.fill("#dg-message", "Ich brauche die Mietverträge für die Analyse 2027.")
            requester.fill("#dg-justification", "Auftrag des Dezernats II, bis Ende des Quartals.")
            requester.click("button[name=send]")
            requester.wait_for_load_state()
            assert requester.locator(".datagovernance-feedback-status").inner_text() == "Neu"
            shot(requester, "request-de")

            steward = login("dg_steward")
            steward.goto(f"{server}/anfragen")
            steward.click("text=Zugriff für die Mietpreisanalyse")
            steward.fill("#dg-grant", until.isoformat())
            steward.fill("#dg-answer", "Zugriff für das Quartal gewährt.")
            steward.click("button[name=save]")
            steward.wait_for_load_state()
            assert steward.locator(".datagovernance-feedback-status").inner_text() == "Beantwortet"
            grants = steward.locator(".datagovernance-feedback-grants").inner_text()
            assert until.strftime("%d.%m.%Y") in grants and "aktiv" in grants
            shot(steward, "grant-de")
            steward.goto(steward.url.replace(server, f"{server}/en"))
            shot(steward, "grant-en")

            requester.goto(f"{server}/meine-anfragen")
            assert "Beantwortet" in requester.locator(".datagovernance-feedback-list").inner_text()
            shot(requester, "mine-de")
            requester.goto(f"{server}/datenwunsch")
            shot(requester, "data-request-de")
        finally:
            browser.close()


@pytest.fixture
def browser_city(clean_db, clean_redis):
    city = build_city()
    for name in ("dg_owner", "dg_steward", "dg_plain"):
        model.User.get(name).password = PASSWORD
    model.Session.commit()
    return city


def test_open_requests_are_in_my_tasks(city, app):
    ds = city.datasets["internal"]
    item = act("dg_plain", "datagovernance_feedback_create", kind="wish", dataset=ds["name"],
               subject="Bitte monatlich aktualisieren", message="Die Daten sind veraltet.")
    page = app.get("/de/aufgaben", headers=_token("dg_owner")).body
    assert "Anfragen von Datennutzenden" in page and "Bitte monatlich aktualisieren" in page
    # an unrelated member of staff has nothing of it in their tasks
    assert "Bitte monatlich aktualisieren" not in app.get("/de/aufgaben", headers=_token("dg_org_member")).body
    act("dg_owner", "datagovernance_feedback_update", id=item["id"], status="answered", answer="Ab Mai monatlich.")
    assert "Bitte monatlich aktualisieren" not in app.get("/de/aufgaben", headers=_token("dg_owner")).body
