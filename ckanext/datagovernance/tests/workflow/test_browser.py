"""The happy path in a real browser, German UI: owner submits, steward
approves, DPO signs off, steward publishes, an anonymous visitor finds the
dataset. Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright
against a real CKAN server on 127.0.0.1."""
from __future__ import annotations

import os
import shutil

import ckan.model as model
import pytest
from ckan.tests.helpers import call_action

from ..roles.conftest import build_city
from ..servers import suite_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "Browser-Test-2026"

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)"),
]


@pytest.fixture
def server():
    """CKAN's dev server on the test database, German by default."""
    with suite_server({"ckan.locale_default": "de", "WTF_CSRF_ENABLED": "true"}) as url:
        yield url


def test_owner_steward_dpo_publish_anonymous_finds(city_with_passwords, server):
    from playwright.sync_api import sync_playwright

    ds = call_action("package_create", {"user": "dg_sysadmin"}, name="radverkehrszaehlung",
                     title="Radverkehrszählung", notes="Zählstellen für Fahrräder", owner_org=city_with_passwords.hochbau["id"],
                     domain="mietobjekte", data_owner="dg_owner", access_class="public", personal_data="anonymised",
                     license_id="cc-by/4.0",
                     resources=[{"url": "https://daten.example/rad.csv", "format": "CSV"}])
    model.Session.commit()
    page_url = f"{server}/dataset/{ds['name']}"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            def as_user(name: str):
                context = browser.new_context(locale="de-DE")
                page = context.new_page()
                page.goto(f"{server}/user/login")
                page.fill("#field-login", name)
                page.fill("#field-password", PASSWORD)
                page.press("#field-password", "Enter")
                page.wait_for_load_state()
                page.goto(page_url)
                return context, page

            def move(name: str, target: str, comment: str = "") -> str:
                context, page = as_user(name)
                form = page.locator(f"form:has(button[name='transition-{target}'])")
                if comment:
                    form.locator("input[name=comment]").fill(comment)
                form.locator(f"button[name='transition-{target}']").click()
                page.wait_for_load_state()
                state = page.locator(".datagovernance-state").inner_text()
                context.close()
                return state

            assert move("dg_owner", "in_review", "Bitte prüfen") == "In Prüfung"
            assert move("dg_steward", "approved") == "Freigegeben (intern)"

            context, page = as_user("dg_dpo")
            assert "Datenschutz-Freigabe" in page.content()
            page.fill("input[name=reason]", "Anonymisierung geprüft")
            page.fill("input[name=legal_basis]", "Art. 89 DSGVO")
            page.locator("button[name=decision][value=approve]").click()
            page.wait_for_load_state()
            assert "Freigabe erfasst" in page.content()
            context.close()

            assert move("dg_steward", "published") == "Veröffentlicht (Open Data)"

            anonymous = browser.new_context(locale="de-DE").new_page()
            anonymous.goto(f"{server}/dataset/?q=Radverkehrsz%C3%A4hlung")
            assert "Radverkehrszählung" in anonymous.locator(".dataset-list").inner_text()
        finally:
            browser.close()


@pytest.fixture
def city_with_passwords():
    city = build_city()
    for name in ("dg_owner", "dg_steward", "dg_dpo"):
        model.User.get(name).password = PASSWORD
    model.Session.commit()
    return city
