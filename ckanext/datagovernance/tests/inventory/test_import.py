"""Inventory import and export through the action, as the data office and
the stewards use them. One module-scoped city; every test uses its own
inventory numbers and titles."""
from __future__ import annotations

import base64

import ckan.model as model
import pytest
from ckan.tests.helpers import call_action

from ckanext.datagovernance.inventory import files

from .conftest import HEADERS, csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.usefixtures("with_plugins")


def _import(content: bytes, user: str = "dg_office", filename: str = "inventur.csv", **kw):
    return call_action("datagovernance_inventory_import", {"user": user},
                       file=base64.b64encode(content).decode(), filename=filename, **kw)


def _show(name: str) -> dict:
    return call_action("package_show", {"user": "dg_sysadmin"}, id=name)


def _exists(name: str) -> bool:
    pkg = model.Package.get(name)
    return pkg is not None and pkg.state == "active"


@pytest.mark.parametrize("fmt", ["csv-semicolon-bom", "csv-comma", "xlsx"])
def test_good_file_creates_drafts_with_resolved_names(city, fmt):
    tag = fmt.split("-")[0] + fmt.split("-")[-1]
    rows = [row(f"G-{tag}-1", f"Straßenbeleuchtung {tag}"),
            row(f"G-{tag}-2", f"Parkplätze {tag}", **{"Data Owner": "olga.owner@stadt.example",
                                                    "Datendomäne": "mietobjekte", "Zugriffsklasse": "public"})]
    content = {"csv-semicolon-bom": lambda: csv_bytes(rows, ";", bom=True),
               "csv-comma": lambda: csv_bytes(rows, ",", bom=False),
               "xlsx": lambda: xlsx_bytes(rows)}[fmt]()
    rep = _import(content, filename=f"inventur.{fmt[:4].rstrip('-')}")
    assert rep["ok"] and rep["written"], rep
    assert [r["action"] for r in rep["rows"]] == ["create", "create"]
    first = _show(f"strassenbeleuchtung-{tag}")  # ß -> ss, ä -> ae
    assert first["inventory_id"] == f"G-{tag}-1"
    assert first["owner_org"] == city.hochbau["id"]
    assert first["domain"] == "mietobjekte"
    assert first["data_owner"] == "dg_owner"  # by display name
    assert first["access_class"] == "internal"  # German label "intern" prefix "Intern"
    assert first["workflow_state"] == "draft"
    assert first["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/GOVE"]
    assert first["license_id"] == "dl-by-de/2.0"
    assert sorted(t["name"] for t in first["tags"]) == ["Gebäude", "Miete"]
    second = _show(f"parkplaetze-{tag}")
    assert second["data_owner"] == "dg_owner"  # by e-mail
    assert second["access_class"] == "public"  # by code


def test_bad_file_reports_row_column_value_in_german_and_english_and_writes_nothing(city):
    rows = [row("B-1", "Baumkataster B", **{"Datendomäne": "Gibt es nicht"}),
            row("B-2", "Lärmkarte B", **{"Zugriffsklasse": "geheim"}),
            row("B-3", "", **{"Beschreibung": "ohne Titel"}),
            row("B-4", "Radwege B", **{"Data Owner": "Niemand"})]
    rep = _import(csv_bytes(rows))
    assert not rep["ok"] and not rep["written"]
    assert [r["action"] for r in rep["rows"]] == ["error"] * 4
    err = rep["rows"][0]["errors"][0]
    assert (rep["rows"][0]["row"], err["column"], err["value"]) == (2, "Datendomäne", "Gibt es nicht")
    assert "Unbekannte Angabe (Datendomäne)" in err["message_de"]
    assert "Unknown data domain" in err["message_en"]
    err = rep["rows"][1]["errors"][0]
    assert err["column"] == "Zugriffsklasse" and "Intern (gesamte Verwaltung)" in err["message_de"]
    assert rep["rows"][2]["errors"][0]["column"] == "Titel"
    assert rep["rows"][3]["errors"][0]["column"] == "Data Owner"
    assert not _exists("baumkataster-b") and not _exists("radwege-b")


def test_ambiguous_person_names_the_candidates(city):
    for name in ("dg_org_member", "dg_plain"):
        model.User.get(name).fullname = "Kim Meier"
    model.Session.commit()
    rep = _import(csv_bytes([row("A-1", "Hundesteuer A", **{"Data Owner": "Kim Meier"})]), dry_run=True)
    message = rep["rows"][0]["errors"][0]["message_de"]
    assert "Mehrdeutige Angabe (Person)" in message
    assert "dg_org_member" in message and "dg_plain" in message


def test_mixed_file_all_or_nothing_by_default_partial_writes_valid_rows(city):
    rows = [row("M-1", "Friedhöfe M"), row("M-2", "Spielplätze M", **{"Personenbezug": "vielleicht"}),
            row("M-3", "Wahlergebnisse M")]
    rep = _import(xlsx_bytes(rows), filename="inventur.xlsx")
    assert [r["action"] for r in rep["rows"]] == ["create", "error", "create"]
    assert not rep["written"]
    assert not _exists("friedhoefe-m") and not _exists("wahlergebnisse-m")

    rep = _import(xlsx_bytes(rows), filename="inventur.xlsx", partial=True)
    assert rep["written"] and [r["action"] for r in rep["rows"]] == ["create", "error", "create"]
    assert _exists("friedhoefe-m") and _exists("wahlergebnisse-m") and not _exists("spielplaetze-m")
    # the index was written in the same transaction: search finds them
    found = call_action("package_search", {"user": "dg_office"}, q="inventory_id:M-1 OR inventory_id:M-3",
                        include_private=True, include_drafts=True)
    assert found["count"] == 2


def test_dry_run_writes_nothing_and_says_what_would_happen(city):
    _import(csv_bytes([row("D-1", "Schulstandorte D"), row("D-2", "Gewerbe D")]))
    before = model.Session.execute(model.Package.__table__.select()).fetchall()
    rows = [row("D-1", "Schulstandorte D"),  # unchanged
            row("D-2", "Gewerbe D", **{"Beschreibung": "neu beschrieben"}),  # update
            row("D-3", "Friedhof D"),  # create
            row("D-4", "Kaputt D", **{"Lizenz": "Freibier"})]  # error
    rep = _import(csv_bytes(rows), dry_run=True)
    assert [r["action"] for r in rep["rows"]] == ["unchanged", "update", "create", "error"]
    assert rep["rows"][1]["changed"] == ["Beschreibung"]
    assert not rep["written"]
    after = model.Session.execute(model.Package.__table__.select()).fetchall()
    assert before == after
    assert _show("gewerbe-d")["notes"] == "Gewerbe D der Stadt"


def test_reimport_is_idempotent_and_updates_only_changed_fields(city):
    rows = [row("I-1", "Müllabfuhr I"), row("I-2", "Luftmessung I")]
    assert _import(csv_bytes(rows))["counts"]["create"] == 2
    modified = model.Package.get("muellabfuhr-i").metadata_modified
    rep = _import(csv_bytes(rows))
    assert rep["counts"] == {"create": 0, "update": 0, "unchanged": 2, "error": 0}
    assert model.Package.get("muellabfuhr-i").metadata_modified == modified
    # matched by inventory number although the title (and so the slug) changed
    rows[0] = row("I-1", "Müllabfuhrtermine I", **{"Quellsystem (intern)": "OK.VORGANG",
                                                    "Beschreibung": "Müllabfuhr I der Stadt"})
    rep = _import(csv_bytes(rows))
    assert [r["action"] for r in rep["rows"]] == ["update", "unchanged"]
    assert rep["rows"][0]["changed"] == ["Titel", "Quellsystem (intern)"]
    pkg = _show("muellabfuhr-i")
    assert (pkg["title"], pkg["source_system"], pkg["notes"]) == ("Müllabfuhrtermine I", "OK.VORGANG",
                                                                   "Müllabfuhr I der Stadt")


def test_published_dataset_whose_licence_changes_goes_back_to_review(city):
    rows = [row("W-1", "Haushaltsplan W", **{"Zugriffsklasse": "Öffentlich"})]
    _import(csv_bytes(rows))
    call_action("package_patch", {"user": "dg_sysadmin", "datagovernance_workflow_transition": True},
                id="haushaltsplan-w", workflow_state="published")
    rows = [row("W-1", "Haushaltsplan W", **{"Zugriffsklasse": "Öffentlich", "Lizenz": "cc-by/4.0"})]
    rep = _import(csv_bytes(rows))
    assert rep["rows"][0]["changed"] == ["Lizenz"] and rep["written"]
    pkg = _show("haushaltsplan-w")
    assert (pkg["license_id"], pkg["workflow_state"]) == ("cc-by/4.0", "in_review")


def test_steward_cannot_assign_owners_outside_her_domain(city):
    # datasets in the steward's domain (mietobjekte under gebaeude) and outside (verkehr)
    call_action("package_create", {"user": "dg_sysadmin"}, name="zaehlstellen-s", title="Zählstellen S",
                owner_org=city.hochbau["id"], domain="verkehr", access_class="internal", inventory_id="S-1")
    call_action("package_create", {"user": "dg_sysadmin"}, name="mieten-s", title="Mieten S",
                owner_org=city.hochbau["id"], domain="mietobjekte", access_class="internal", inventory_id="S-2")
    headers = ["Inventarnummer", "Data Owner"]
    content = csv_bytes([["S-1", "Olga Owner"], ["S-2", "Olga Owner"]], headers=headers)
    rep = _import(content, user="dg_steward", partial=True)
    outside, inside = rep["rows"]
    assert inside["action"] == "update"
    # outside her domain: not readable for her (internal is readable, so it matches) and refused
    assert outside["action"] == "error"
    assert _show("mieten-s")["data_owner"] == "dg_owner"
    assert _show("zaehlstellen-s")["data_owner"] == ""


def test_round_trip_export_import_changes_nothing(city):
    _import(csv_bytes([row("R-1", "Bebauungspläne R"),
                       row("R-2", "Radwegenetz R", **{"Datenthemen (EU)": "Verkehr; Umwelt"})]))
    for fmt in ("xlsx", "csv"):
        result = call_action("datagovernance_inventory_export", {"user": "dg_office"}, format=fmt)
        content = base64.b64decode(result["file"])
        headers, rows = files.read_table(content, f"x.{fmt}")
        assert headers[0] == "Inventarnummer" and "Zugriffsklasse" in headers
        rep = _import(content, filename=f"inventur.{fmt}")
        assert rep["ok"], [r for r in rep["rows"] if r["action"] != "unchanged"]
        assert rep["counts"]["unchanged"] == result["count"], [(r["name"], r["changed"]) for r in rep["rows"] if r["action"] != "unchanged"]
        assert rep["counts"]["unchanged"] == result["count"] > 0
        assert rep["counts"]["update"] == rep["counts"]["create"] == 0


def test_export_holds_only_what_the_caller_may_read(city):
    office = call_action("datagovernance_inventory_export", {"user": "dg_office"})
    plain = call_action("datagovernance_inventory_export", {"user": "dg_plain"})
    title = office["headers"].index("Titel")
    office_titles = {r[title] for r in office["rows"]}
    plain_titles = {r[title] for r in plain["rows"]}
    assert "Mietverträge confidential" in office_titles
    assert "Mietverträge confidential" not in plain_titles
    assert "Mietverträge internal" in plain_titles


def test_template_has_dropdowns_and_explanations_and_imports_as_nothing(city):
    import io

    import openpyxl

    result = call_action("datagovernance_inventory_export", {"user": "dg_office"}, format="xlsx", template=True)
    content = base64.b64decode(result["file"])
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames[:2] == ["Inventur", "Erläuterungen"]
    explained = {r[0].value: r[1].value for r in wb["Erläuterungen"].iter_rows(min_row=2)}
    assert "Ja oder Nein" in explained["Stammdaten"]
    validations = wb["Inventur"].data_validations.dataValidation
    assert len(validations) >= 5
    rep = _import(content, filename="vorlage.xlsx")
    assert rep["ok"] and rep["rows"] == []


def test_unknown_column_is_a_file_error(city):
    content = csv_bytes([["T-1", "x"]], headers=["Inventarnummer", "Lieblingsfarbe"])
    rep = _import(content)
    assert rep["file_errors"][0]["column"] == "Lieblingsfarbe"
    assert "Unbekannte Spalte" in rep["file_errors"][0]["message_de"]


def test_headers_in_english_are_accepted(city):
    content = csv_bytes([["E-1", "Bridges E", "Amt für Hochbau", "internal"]],
                        headers=["Inventory number", "Title", "Organisation (department)", "Access class"])
    rep = _import(content)
    assert rep["ok"] and rep["rows"][0]["action"] == "create", rep
    assert _show("bridges-e")["inventory_id"] == "E-1"


def test_cli_exit_codes(city, cli, tmp_path):
    from ckanext.datagovernance.catalog.cli import datagovernance

    good = tmp_path / "gut.csv"
    good.write_bytes(csv_bytes([row("C-1", "Denkmäler C")]))
    bad = tmp_path / "schlecht.csv"
    bad.write_bytes(csv_bytes([row("C-2", "Brunnen C", **{"Zugriffsklasse": "geheim"})]))
    unusable = tmp_path / "kaputt.csv"
    unusable.write_bytes(csv_bytes([["1"]], headers=["Lieblingsfarbe"]))
    result = cli.invoke(datagovernance, ["inventory", "import", str(good), "--dry-run", "--as", "dg_office"])
    assert result.exit_code == 0, result.output
    assert "create" in result.output and not _exists("denkmaeler-c")
    result = cli.invoke(datagovernance, ["inventory", "import", str(bad), "--as", "dg_office"])
    assert result.exit_code == 1 and "Zugriffsklasse" in result.output
    result = cli.invoke(datagovernance, ["inventory", "import", str(unusable), "--as", "dg_office"])
    assert result.exit_code == 2
    result = cli.invoke(datagovernance, ["inventory", "import", str(good), "--as", "dg_office"])
    assert result.exit_code == 0 and _exists("denkmaeler-c")
    # internal fields (inventory number, owner, source system) survive the CLI: nothing changes
    result = cli.invoke(datagovernance, ["inventory", "import", str(good), "--as", "dg_office"])
    assert result.exit_code == 0 and "unchanged: 1" in result.output, result.output
    out = tmp_path / "export.xlsx"
    result = cli.invoke(datagovernance, ["inventory", "export", str(out), "--as", "dg_office"])
    assert result.exit_code == 0 and files.read_table(out.read_bytes(), "export.xlsx")[1]


def test_rows_as_dicts_for_integrators(city):
    rep = call_action("datagovernance_inventory_import", {"user": "dg_office"}, rows=[
        {"Inventarnummer": "J-1", "Titel": "Brücken J", "Organisation (Fachbereich/Amt)": "hochbau"}])
    assert rep["ok"] and rep["rows"][0]["action"] == "create"
    assert HEADERS[0] == "Inventarnummer"
