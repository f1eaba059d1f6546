"""The data office in a real browser (German UI): uploads an inventory file,
reads the report, fixes the file and imports it. Headless Chromium driven by
Playwright against a real CKAN server (the workflow browser test's fixture)."""
from __future__ import annotations

import os

import ckan.model as model
import pytest

from ..roles.conftest import build_city
from ..workflow.test_browser import (  # noqa: F401 - the CKAN server fixture
    CHROMIUM,
    PASSWORD,
    server,
)
from .conftest import csv_bytes, row

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def office_city():
    from ckan.tests.helpers import call_action

    city = build_city()
    model.User.get("dg_office").password = PASSWORD
    owner = model.User.get("dg_owner")
    owner.fullname = "Olga Owner"
    for org in ("hochbau", "kaemmerei"):
        call_action("organization_member_create", {"user": "dg_sysadmin"}, id=org, username="dg_office",
                    role="editor")
    model.Session.commit()
    return city


def test_office_uploads_reads_report_fixes_and_imports(office_city, server, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    bad = tmp_path / "inventur.csv"
    bad.write_bytes(csv_bytes([row("BR-1", "Straßenbäume"), row("BR-2", "Brunnen", **{"Zugriffsklasse": "geheim"})]))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            context = browser.new_context(locale="de-DE")
            page = context.new_page()
            page.set_default_timeout(180_000)  # a busy machine: first pages build assets
            page.goto(f"{server}/user/login")
            page.fill("#field-login", "dg_office")
            page.fill("#field-password", PASSWORD)
            page.press("#field-password", "Enter")
            page.wait_for_load_state()
            page.goto(f"{server}/inventur/")
            assert page.locator("h1").inner_text() == "Dateninventur"

            page.set_input_files("#field-upload", str(bad))
            page.click("button[value=check]")
            page.wait_for_load_state()
            page.screenshot(path="/tmp/inventory-report.png", full_page=True)
            summary = page.locator(".datagovernance-inventory-summary").inner_text()
            assert "Probelauf" in summary and "Fehler: 1" in summary
            error_row = page.locator("tr.datagovernance-inventory-error")
            assert "Zugriffsklasse" in error_row.inner_text() and "nicht erlaubt" in error_row.inner_text()
            assert model.Package.get("strassenbaeume") is None

            fixed = tmp_path / "inventur-korrigiert.csv"
            fixed.write_bytes(csv_bytes([row("BR-1", "Straßenbäume"),
                                         row("BR-2", "Brunnen", **{"Zugriffsklasse": "Intern"})]))
            page.set_input_files("#field-upload", str(fixed))
            page.click("button[value=import]")
            page.wait_for_load_state()
            page.screenshot(path="/tmp/inventory-imported.png", full_page=True)
            assert "Importiert" in page.locator(".datagovernance-inventory-summary").inner_text()
            assert page.locator("tr.datagovernance-inventory-create").count() == 2
            page.click("tr.datagovernance-inventory-create >> text=Straßenbäume")
            page.wait_for_load_state()
            assert "Straßenbäume" in page.locator("h1").first.inner_text()

            # the web form's address preview transliterates like the import
            page.goto(f"{server}/dataset/new")
            # CKAN's slug modules bind to the title only once they have run; their
            # preview element is the sign (typing earlier updates nothing)
            page.wait_for_selector(".slug-preview", state="attached")
            page.fill("#field-title", "Straßenbeleuchtung Übersicht")
            expect(page.locator("#field-name")).to_have_value("strassenbeleuchtung-uebersicht")
            context.close()
        finally:
            browser.close()
    model.Session.remove()
    assert model.Package.get("strassenbaeume") is not None


def test_office_bulk_submits_and_reads_what_was_written(office_city, server):  # noqa: F811
    """Bulk work in the browser: a dataset already in review refuses the
    submit, and the report says that nothing of it was written."""
    from ckan.tests.helpers import call_action
    from playwright.sync_api import sync_playwright

    for name in ("sammel-kanal", "sammel-brunnen"):
        call_action("package_create", {"user": "dg_sysadmin"}, name=name, title=name.replace("-", " ").title(),
                    owner_org="hochbau", domain="verkehr", access_class="internal", personal_data="none")
    call_action("datagovernance_workflow_transition", {"user": "dg_office"}, id="sammel-brunnen", to="in_review")
    model.Session.commit()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_context(locale="de-DE").new_page()
            page.set_default_timeout(180_000)
            page.goto(f"{server}/user/login")
            page.fill("#field-login", "dg_office")
            page.fill("#field-password", PASSWORD)
            page.press("#field-password", "Enter")
            page.wait_for_load_state()
            for prefix, changed, nothing in (("", "geändert · zur Prüfung eingereicht", "nichts geändert"),
                                             ("/en", "changed · submitted for review", "nothing written")):
                page.goto(f"{server}{prefix}/inventur/sammelbearbeitung?q=Sammel")
                page.select_option("#bulk-domain", "gebaeude")
                page.check("#bulk-submit")
                page.click("form.datagovernance-bulk-form button[type=submit]")
                page.wait_for_load_state()
                page.screenshot(path=f"/tmp/bulk-report{prefix.replace('/', '-')}.png", full_page=True)
                ok = page.locator("tr.datagovernance-bulk-ok")
                refused = page.locator("tr.datagovernance-bulk-error")
                if not prefix:
                    assert ok.count() == 1 and " ".join(ok.inner_text().split()).endswith(changed)
                    # the list below shows the datasets as they are now
                    listed = page.locator("table.datagovernance-bulk-datasets tr", has_text="Sammel Kanal")
                    assert "In Prüfung" in listed.inner_text() and "Gebäudedaten" in listed.inner_text()
                else:  # both are in review now: both refused, nothing written
                    assert ok.count() == 0 and refused.count() == 2
                assert nothing in refused.first.inner_text() and "in_review" not in refused.first.inner_text()
        finally:
            browser.close()
    model.Session.remove()
    assert call_action("package_show", id="sammel-brunnen")["domain"] == "verkehr"
    assert call_action("package_show", id="sammel-kanal")["domain"] == "gebaeude"
