"""The Inventur page: who sees it, upload with dry run and report, import,
downloads."""
from __future__ import annotations

import io

import ckan.model as model
import pytest
from bs4 import BeautifulSoup
from ckan.tests.helpers import call_action

from .conftest import csv_bytes, row

pytestmark = pytest.mark.usefixtures("with_plugins")


def _headers(user: str) -> dict[str, str]:
    return {"Authorization": call_action("api_token_create", {}, user=user, name="page")["token"]}


def test_page_is_for_the_office_and_stewards(city, app):
    page = BeautifulSoup(app.get("/inventur/", headers=_headers("dg_office")).body, "html.parser")
    assert page.select_one("form.datagovernance-inventory-upload input[type=file]")
    assert page.select_one("a[href='/inventur/export.xlsx']") and page.select_one("a[href='/inventur/vorlage.xlsx']")
    app.get("/inventur/", headers=_headers("dg_steward"), status=200)
    app.get("/inventur/", headers=_headers("dg_plain"), status=403)
    app.get("/inventur/", status=403)


def test_upload_dry_run_report_then_import(city, app):
    headers = _headers("dg_office")
    content = csv_bytes([row("P-1", "Ampeln P"), row("P-2", "Bänke P", **{"Zugriffsklasse": "geheim"})])
    res = app.post("/inventur/", headers=headers, data={
        "upload": (io.BytesIO(content), "inventur.csv"), "run": "check"})
    page = BeautifulSoup(res.body, "html.parser")
    rows = page.select("table.datagovernance-inventory-rows tbody tr")
    assert [r["class"][0] for r in rows] == ["datagovernance-inventory-create", "datagovernance-inventory-error"]
    error = rows[1].get_text(" ", strip=True)
    assert "3" in rows[1].select("td")[0].get_text() and "Zugriffsklasse" in error and "geheim" in error
    assert model.Package.get("ampeln-p") is None

    fixed = csv_bytes([row("P-1", "Ampeln P"), row("P-2", "Bänke P", **{"Zugriffsklasse": "Eingeschränkt"})])
    res = app.post("/inventur/", headers=headers, data={
        "upload": (io.BytesIO(fixed), "inventur.csv"), "run": "import"})
    page = BeautifulSoup(res.body, "html.parser")
    assert len(page.select("tr.datagovernance-inventory-create")) == 2
    assert page.select_one("tr.datagovernance-inventory-create a[href='/dataset/ampeln-p']")
    assert model.Package.get("baenke-p").extras["access_class"] == "restricted"


def test_upload_without_file_says_so(city, app):
    res = app.post("/inventur/", headers=_headers("dg_office"), data={"run": "check"})
    assert BeautifulSoup(res.body, "html.parser").select_one(".datagovernance-inventory-error")


def test_export_downloads(city, app):
    headers = _headers("dg_office")
    res = app.get("/inventur/export.csv", headers=headers)
    assert res.headers["Content-Type"].startswith("text/csv")
    assert res.body.startswith("\ufeffInventarnummer;Titel;") or res.data.startswith(b"\xef\xbb\xbfInventarnummer;")
    res = app.get("/inventur/vorlage.xlsx", headers=headers)
    assert res.data[:2] == b"PK"
    app.get("/inventur/export.pdf", headers=headers, status=404)
