"""The HVD report for the data office: flagged datasets and candidates with
every unmet requirement, per organisation and domain, as page and CSV."""
from __future__ import annotations

import csv
import io

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import call_action

from .test_workflow import city, new_dataset  # noqa: F401  (fixture)

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db")]

API = [{"title": "API", "endpoint_url": "https://daten.example/api", "documentation": "https://daten.example/doc"}]
HVD = "http://data.europa.eu/bna/c_4b74ea13"


@pytest.fixture
def hvd_city(city):  # noqa: F811
    new_dataset(city, "hvd-gut", access_class="public", license_id="cc-by/4.0", hvd_category=HVD,
                resources=[{"url": "https://daten.example/a.csv", "format": "CSV", "access_services": API}])
    new_dataset(city, "hvd-schlecht", access_class="public", license_id="other-closed", hvd_category=HVD,
                resources=[{"url": "https://daten.example/a.pdf", "format": "PDF"}])
    new_dataset(city, "kandidat-umwelt", theme=["ENVI"])
    new_dataset(city, "bildung-egal", theme=["EDUC"])
    return city


@pytest.mark.ckan_config("ckanext.datagovernance.search.page_size", 1)  # pages, no cap
def test_report_lists_flagged_and_candidates_with_failures(hvd_city):
    report = call_action("datagovernance_hvd_report", {"user": "dg_office", "ignore_auth": False})
    rows = {r["name"]: r for r in report["datasets"]}
    assert set(rows) == {"hvd-gut", "hvd-schlecht", "kandidat-umwelt"}
    assert rows["hvd-gut"]["failing"] == []
    failing = " ".join(rows["hvd-schlecht"]["failing"])
    assert "licence" in failing and "machine-readable" in failing and "API" in failing
    assert rows["kandidat-umwelt"]["flagged"] is False and rows["kandidat-umwelt"]["failing"]
    assert report["by_organization"]["hochbau"] == {"flagged": 2, "compliant": 1, "candidates": 1}
    assert report["by_domain"]["mietobjekte"]["flagged"] == 2


def test_report_is_for_office_and_stewards(hvd_city):
    call_action("datagovernance_hvd_report", {"user": "dg_steward", "ignore_auth": False})
    with pytest.raises(tk.NotAuthorized):
        call_action("datagovernance_hvd_report", {"user": "dg_plain", "ignore_auth": False})


def test_page_and_csv(hvd_city, app):
    token = call_action("api_token_create", {}, user="dg_office", name="hvd")["token"]
    page = app.get("/hvd", headers={"Authorization": token}).body
    assert "hvd-schlecht" in page or "Hvd Schlecht" in page
    res = app.get("/de/hvd.csv", headers={"Authorization": token})
    assert res.headers["Content-Type"].startswith("text/csv")
    # German Excel: UTF-8 BOM, ";", German headers, titles and labels, Ja/Nein
    assert res.data.startswith(b"\xef\xbb\xbfDatensatz;")
    rows = {r["Datensatz"]: r for r in csv.DictReader(io.StringIO(res.data.decode("utf-8-sig")), delimiter=";")}
    assert set(rows) == {"Hvd Gut", "Hvd Schlecht", "Kandidat Umwelt"}
    bad = rows["Hvd Schlecht"]
    assert bad["Organisation"] == "Amt für Hochbau" and bad["Datendomäne"] == "Mietobjekte"
    assert bad["Als HVD gekennzeichnet"] == "Ja" and rows["Kandidat Umwelt"]["Als HVD gekennzeichnet"] == "Nein"
    assert "http" not in bad["HVD-Kategorien"] and bad["HVD-Kategorien"]
    assert "maschinenlesbare" in bad["Nicht erfüllte Anforderungen"] and "machine-readable" not in bad["Nicht erfüllte Anforderungen"]
    assert bad["Adresse"].endswith("/dataset/hvd-schlecht")
    app.get("/hvd.csv", status=403)
