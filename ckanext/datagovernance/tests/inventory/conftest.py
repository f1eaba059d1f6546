"""The roles city (organisations, domains, every governance role) plus a few
helpers to build inventory files."""
from __future__ import annotations

import csv
import io
from types import SimpleNamespace
from typing import Any

import ckan.model as model
import ckan.plugins as plugins
import pytest

from ..conftest import reset_and_migrate
from ..roles.conftest import build_city


def build_inventory_city() -> SimpleNamespace:
    """The roles city plus what the inventory tests resolve and need."""
    reset_and_migrate()
    ns = build_city()
    # a display name and e-mail to resolve people by
    owner = model.User.get("dg_owner")
    owner.fullname, owner.email = "Olga Owner", "olga.owner@stadt.example"
    # CKAN's organisation rights decide who creates datasets where: the
    # office is an editor of the departments it inventories
    from ckan.tests.helpers import call_action

    for org in ("hochbau", "kaemmerei"):
        call_action("organization_member_create", {"user": "dg_sysadmin"}, id=org, username="dg_office",
                    role="editor")
    model.Session.commit()
    return ns


@pytest.fixture(scope="module")
def city() -> SimpleNamespace:
    plugins.load_all()
    try:
        yield build_inventory_city()
    finally:
        plugins.unload_all()


HEADERS = ["Inventarnummer", "Titel", "Beschreibung", "Organisation (Fachbereich/Amt)", "Datendomäne",
           "Data Owner", "Zugriffsklasse", "Personenbezug", "Schlagworte", "Datenthemen (EU)", "Lizenz",
           "Quellsystem (intern)"]


def row(inv: str, title: str, **over: Any) -> list[Any]:
    values = {
        "Inventarnummer": inv, "Titel": title, "Beschreibung": f"{title} der Stadt",
        "Organisation (Fachbereich/Amt)": "Amt für Hochbau", "Datendomäne": "Mietobjekte",
        "Data Owner": "Olga Owner", "Zugriffsklasse": "intern", "Personenbezug": "Kein Personenbezug",
        "Schlagworte": "Gebäude, Miete", "Datenthemen (EU)": "Regierung und öffentlicher Sektor",
        "Lizenz": "Datenlizenz Deutschland Namensnennung 2.0", "Quellsystem (intern)": "SAP",
    }
    values.update(over)
    return [values[h] for h in HEADERS]


def csv_bytes(rows: list[list[Any]], delimiter: str = ";", bom: bool = True, headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter)
    w.writerow(headers)
    w.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    from ckanext.datagovernance.inventory import files

    return files.write_xlsx(headers, [[("" if c is None else c) for c in r] for r in rows])
