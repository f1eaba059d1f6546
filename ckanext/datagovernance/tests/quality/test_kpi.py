"""KPI figures (SQL aggregates), snapshots and trends with frozen time, OKR
targets and progress, rights, exports and the German dashboard."""
from __future__ import annotations

import datetime as dt
import io

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests.helpers import call_action
from freezegun import freeze_time

from ckanext.datagovernance.kpi import jobs as kpi_jobs
from ckanext.datagovernance.kpi import model as kmodel
from ckanext.datagovernance.kpi import okr

from .conftest import MARKS

pytestmark = [*MARKS, pytest.mark.ckan_config("ckan.locale_default", "de"),
              pytest.mark.ckan_config("ckan.locales_offered", "de en")]


def _as(user: str) -> dict:
    return {"user": user, "ignore_auth": False}


def _headers(user: str | None) -> dict:
    if not user:
        return {}
    token = call_action("api_token_create", {"user": user}, user=user, name="kpi")["token"]
    return {"Authorization": token}


def test_figures_of_the_catalog(qcat):
    from ckanext.datagovernance.workflow.model import WorkflowEvent

    # the publication as the workflow records it, three days after creation
    created = model.Package.get(qcat["good"]["id"]).metadata_created.replace(tzinfo=dt.timezone.utc)
    model.Session.add(WorkflowEvent(package_id=qcat["good"]["id"], from_state="approved", to_state="published",
                                    created=created + dt.timedelta(days=3)))
    model.Session.commit()
    result = call_action("datagovernance_kpi_show", _as("dq_staff"))
    fig = result["figures"]
    assert result["public"] is False
    assert fig["inventory"] == 3
    assert fig["by_access_class"] == {"public": 1, "internal": 1, "restricted": 0, "confidential": 1}
    assert fig["by_workflow_state"]["published"] == 1 and fig["by_workflow_state"]["draft"] == 2
    assert fig["by_personal_data"]["none"] == 3
    assert (fig["with_owner"], fig["share_owner"], fig["orphaned"]) == (3, 100.0, 0)
    # the steward covers the domain "geodaten": two of three datasets
    assert (fig["with_steward"], fig["share_steward"]) == (2, 66.7)
    assert (fig["could_be_open"], fig["published_open"], fig["share_published_open"]) == (1, 1, 100.0)
    # the published dataset went draft -> published once
    assert (fig["lead_time_count"], fig["lead_time_median_days"]) == (1, 3.0)
    assert [o["name"] for o in result["organizations"]] == ["of-amt-stadtplanung"]


def test_scopes_organisation_and_domain(qcat):
    by_domain = call_action("datagovernance_kpi_show", _as("dq_staff"), domain="geodaten")
    assert by_domain["scope"]["title"] == "Geodaten" and by_domain["figures"]["inventory"] == 2
    by_org = call_action("datagovernance_kpi_show", _as("dq_staff"), organization="of-amt-stadtplanung")
    assert by_org["figures"]["inventory"] == 3 and "organizations" not in by_org
    with pytest.raises(tk.ValidationError) as exc:
        call_action("datagovernance_kpi_show", _as("dq_staff"), organization="gibt-es-nicht")
    assert "organization" in exc.value.error_dict


def test_the_public_sees_the_open_data_part(qcat, app):
    res = app.get("/api/3/action/datagovernance_kpi_show").json["result"]
    assert res["public"] is True and res["figures"]["inventory"] == 1
    assert res["figures"]["by_access_class"]["confidential"] == 0
    assert "trend" not in res and "objectives" not in res
    html = app.get("/steuerung").get_data(as_text=True)
    assert "Nur offene Daten" in html and "vertrauliche" not in html.lower()


def test_snapshots_make_the_trend(qcat):
    with freeze_time("2026-03-01 02:00:00"):
        assert kpi_jobs.take_snapshot() == 1 + 1 + 1  # catalog, one organisation, one domain
    with freeze_time("2026-03-02 02:00:00"):
        kpi_jobs.take_snapshot()
        kpi_jobs.take_snapshot()  # the same day again: replaced, not added
    rows = kmodel.series("site", "")
    assert [r.day for r in rows] == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    assert rows[0].kpis["inventory"] == 3 and rows[0].kpis["by_access_class"]["public"] == 1
    with freeze_time("2026-03-10"):
        trend = call_action("datagovernance_kpi_show", _as("dq_staff"))["trend"]
    assert [p["day"] for p in trend] == ["2026-03-01", "2026-03-02"]
    assert trend[0]["share_owner"] == 100.0
    assert kmodel.value_on("site", "", "share_steward", dt.date(2026, 3, 5)) == 66.7
    model.Session.execute(sa.delete(kmodel.KpiSnapshot))
    model.Session.commit()


def test_okr_progress_rules():
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    assert okr.progress(50, 75, 100) == 0.5
    assert okr.progress(10, 4, 0) == 0.6  # falling target: fewer orphaned datasets
    assert okr.progress(None, 30, 60) == 0.5
    assert okr.status(1.0, start, end, dt.date(2026, 2, 1)) == "achieved"
    assert okr.status(0.5, start, end, dt.date(2026, 7, 2)) == "on_track"
    assert okr.status(0.1, start, end, dt.date(2026, 7, 2)) == "at_risk"
    assert okr.status(0.9, start, end, dt.date(2027, 1, 5)) == "missed"
    assert okr.status(0.0, start, end, dt.date(2025, 12, 1)) == "not_started"


def test_office_sets_targets_and_the_dashboard_shows_progress(qcat, app):
    objective = {
        "title": "Verantwortung klären", "owner": "dq_office",
        "start_date": "2026-01-01", "end_date": "2026-12-31",
        "key_results": [
            {"title": "Jeder Datensatz hat Verantwortliche", "kpi": "share_steward", "baseline": 0.0,
             "target": 100.0},
            {"title": "Keine verwaisten Datensätze in Geodaten", "kpi": "orphaned", "baseline": 4,
             "target": 0, "domain": "geodaten"},
        ]}
    with pytest.raises(tk.NotAuthorized):
        call_action("datagovernance_okr_objective_create", _as("dq_staff"), **objective)
    with pytest.raises(tk.ValidationError) as exc:
        call_action("datagovernance_okr_objective_create", _as("dq_office"), **dict(
            objective, key_results=[{"title": "x", "kpi": "beliebig", "target": 1}]))
    assert "share_owner" in str(exc.value.error_dict["key_results"])  # the allowed values are named
    with pytest.raises(tk.ValidationError) as exc:
        call_action("datagovernance_okr_objective_create", _as("dq_office"), **dict(objective, end_date="2025-01-01"))
    assert list(exc.value.error_dict) == ["end_date"]
    with freeze_time("2026-07-02"):
        made = call_action("datagovernance_okr_objective_create", _as("dq_office"), **objective)
    steward, orphaned = made["key_results"]
    assert (steward["current"], steward["progress"], steward["status"]) == (66.7, 66.7, "on_track")
    assert (orphaned["current"], orphaned["progress"], orphaned["status"]) == (0.0, 100.0, "achieved")
    html = app.get("/steuerung", headers=_headers("dq_staff")).get_data(as_text=True)
    assert "Verantwortung klären" in html and "erreicht" in html
    assert "Ziel löschen" not in html  # staff read, the office manages
    assert "Ziel löschen" in app.get("/steuerung", headers=_headers("dq_office")).get_data(as_text=True)
    call_action("datagovernance_okr_objective_delete", _as("dq_office"), id=made["id"])
    assert call_action("datagovernance_kpi_show", _as("dq_staff"))["objectives"] == []


def test_exports_carry_the_actions_figures(qcat, app):
    from openpyxl import load_workbook

    figures = call_action("datagovernance_kpi_show", _as("dq_staff"))["figures"]
    headers = _headers("dq_staff")
    res = app.get("/de/steuerung.csv", headers=headers)
    assert res.data.startswith("\ufeffKennzahl;Wert\r\n".encode())  # German Excel: BOM, ";", German headers
    values = dict(line.split(";") for line in res.data.decode("utf-8-sig").splitlines()[1:])
    assert values["Datensätze im Bestand"] == str(figures["inventory"])
    assert values["Anteil mit Data Steward"] == str(figures["share_steward"]).replace(".", ",")
    book = load_workbook(io.BytesIO(app.get("/steuerung.xlsx", headers=headers).data))
    values = {row[0]: row[2] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert values["inventory"] == figures["inventory"] and values["access_class:confidential"] == 1
    # anonymous exports: the open-data part only
    anon = app.get("/de/steuerung.csv").data.decode("utf-8-sig")
    assert "Zugriffsklasse: Vertraulich;0" in anon and "confidential" not in anon


def test_dashboard_renders_in_german_and_english(qcat, app):
    headers = _headers("dq_staff")
    html = app.get("/steuerung", headers=headers).get_data(as_text=True)
    for text in ("Steuerung", "Datensätze im Bestand", "Anteil mit Data Owner", "Zugriffsklasse",
                 "Freigabestatus", "Entwurf", "Amt für Stadtplanung", "dg-kpi-data", "_chart.js"):
        assert text in html, text
    from bs4 import BeautifulSoup

    text = BeautifulSoup(html, "html.parser").get_text(" ")
    assert "vertrauliche-liste" not in html and "Vertrauliche" not in text  # counts only, no names
    for code in ("in_review", "confidential", "share_owner", "pseudonymised"):
        assert code not in text, code
    english = app.get("/en/steuerung", headers=headers).get_data(as_text=True)
    assert "Datasets in the inventory" in english and "Draft" in english
    # one spelling in English, CKAN's (its menus, breadcrumbs and facets say "Organization")
    english_text = BeautifulSoup(english, "html.parser").get_text(" ")
    assert "Organization" in english_text and "Organisation" not in english_text
    assert "Organisation" in text  # German
    # the number of scored datasets in words that agree with it
    import re

    scored = re.search(r"(\d+) (Datensatz|Datensätze) bewertet", text)
    assert scored and (scored.group(2) == "Datensatz") == (scored.group(1) == "1"), scored
    scored_en = re.search(r"(\d+) (dataset|datasets) scored", english)
    assert scored_en and (scored_en.group(2) == "dataset") == (scored_en.group(1) == "1"), scored_en


def _rollup_matches_definition() -> dict:
    """The trigger-kept rollup equals a fresh aggregate over the definition
    (datagovernance_kpi_fact_source() over package, roles, scores and
    workflow history); returns the figures."""
    from ckanext.datagovernance.kpi import compute

    keys = ", ".join(compute.CELL_KEYS)
    cols = f"package_id, {keys}, score, review_date, lead_days"
    facts = model.Session.execute(sa.text(f"SELECT {cols} FROM datagovernance_kpi_fact ORDER BY 1")).all()
    source = model.Session.execute(sa.text(f"SELECT {cols} FROM datagovernance_kpi_fact_source() ORDER BY 1")).all()
    assert facts == source
    cells = model.Session.execute(sa.text(f"""
        SELECT {keys}, overdue, sum(n), sum(score_sum), sum(score_n) FROM datagovernance_kpi_cell
        GROUP BY {keys}, overdue HAVING sum(n) <> 0 ORDER BY {keys}, overdue""")).all()
    fresh = model.Session.execute(sa.text(f"""
        SELECT {keys}, review_date IS NOT NULL AND workflow_state <> 'archived'
                       AND review_date < coalesce((SELECT ref_day FROM datagovernance_kpi_state), '') AS overdue,
               count(*), coalesce(sum(score), 0), count(score) FROM datagovernance_kpi_fact_source()
        GROUP BY {keys}, overdue ORDER BY {keys}, overdue""")).all()
    assert cells == fresh
    return call_action("datagovernance_kpi_show", _as("dq_staff"))["figures"]


def test_every_write_path_keeps_the_rollup_exact(qcat):
    """Creating, editing, deleting and purging datasets, owner roles granted
    and revoked, a blocked owner, new scores and publications: after each the
    dashboard's rollup equals the figures computed from scratch. (Mutates the
    module's catalog: the last test of this module.)"""
    from ckanext.datagovernance.kpi import compute
    from ckanext.datagovernance.quality.model import QualityCurrent
    from ckanext.datagovernance.tests.dcat.conftest import dataset_fields
    from ckanext.datagovernance.workflow.model import WorkflowEvent

    admin = {"user": "dq_admin"}
    before = _rollup_matches_definition()
    new = call_action("package_create", dict(admin), **dataset_fields(
        qcat["org"], "neue-zaehlung", domain="geodaten", data_owner="dq_owner"))
    fig = _rollup_matches_definition()
    assert fig["inventory"] == before["inventory"] + 1
    assert fig["by_access_class"]["public"] == before["by_access_class"]["public"] + 1

    call_action("datagovernance_role_revoke", dict(admin), user="dq_owner", role="owner", dataset=new["id"])
    assert _rollup_matches_definition()["orphaned"] == before["orphaned"] + 1
    call_action("datagovernance_role_grant", dict(admin), user="dq_owner", role="owner", dataset=new["id"])
    assert _rollup_matches_definition()["orphaned"] == before["orphaned"]

    owner = model.User.get("dq_owner")
    owner.state = "deleted"  # an owner who left: every dataset of theirs is orphaned
    model.Session.commit()
    fig = _rollup_matches_definition()
    assert fig["orphaned"] == fig["inventory"]
    owner.state = "active"
    model.Session.commit()

    model.Session.add(QualityCurrent(package_id=new["id"], score=100, band="bad", hvd_compliant=None))
    model.Session.commit()
    fig = _rollup_matches_definition()
    assert fig["by_quality_band"]["bad"] == before["by_quality_band"]["bad"] + 1
    created = model.Package.get(new["id"]).metadata_created.replace(tzinfo=dt.timezone.utc)
    model.Session.add(WorkflowEvent(package_id=new["id"], from_state="approved", to_state="published",
                                    created=created + dt.timedelta(days=5)))
    model.Session.commit()
    assert _rollup_matches_definition()["lead_time_count"] == before["lead_time_count"] + 1

    call_action("package_patch", dict(admin), id=new["id"], access_class="restricted",
                reevaluation_date="2020-01-01")
    fig = _rollup_matches_definition()
    assert fig["by_access_class"]["restricted"] == before["by_access_class"]["restricted"] + 1
    assert fig["overdue_reviews"] == before["overdue_reviews"] + 1

    rows = model.Session.execute(sa.text("SELECT count(*) FROM datagovernance_kpi_cell")).scalar()
    assert compute.compact() < rows  # the -1/+1 rows folded together, the figures unchanged
    model.Session.commit()
    assert _rollup_matches_definition() == fig
    # "overdue" against another day than the cells' one: corrected by the dates between
    due_2020 = model.Session.execute(sa.text(
        "SELECT count(*) FROM datagovernance_kpi_fact_source() WHERE review_date < '2020-01-02' "
        "AND workflow_state <> 'archived'")).scalar()
    assert due_2020 >= 1  # the dataset due on 2020-01-01
    with freeze_time("2020-01-02"):
        assert call_action("datagovernance_kpi_show", _as("dq_staff"))["figures"]["overdue_reviews"] == due_2020
    compute.compact(dt.date(2020, 1, 2))
    model.Session.commit()
    assert _rollup_matches_definition() == fig

    call_action("package_delete", dict(admin), id=new["id"])
    assert _rollup_matches_definition()["inventory"] == before["inventory"]
    call_action("dataset_purge", dict(admin), id=new["id"])
    assert _rollup_matches_definition() == before
