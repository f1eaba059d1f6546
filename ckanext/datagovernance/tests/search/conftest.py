"""A small German municipal catalog, built once per test module that reads it."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import ckan.model as model
import ckan.plugins as plugins
import pytest
import sqlalchemy as sa
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.datagovernance import prepared

from ..conftest import reset_and_migrate

# The search backend is tested on CKAN's own schema, without the governance
# rules (those have their own tests).
SEARCH_PLUGINS = "activity datagovernance_search"

INDEX_TABLES = (
    "datagovernance_search_index", "datagovernance_search_filter", "datagovernance_search_facet_counts",
)


class StatementLog:
    """The SQL statements sent inside the block, whitespace collapsed; on
    every engine (a CLI command may build its own)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(" ".join(prepared.readable(statement).split()))

    def __enter__(self) -> StatementLog:
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc: Any) -> None:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self)


def index_snapshot() -> dict[str, list[Any]]:
    """What the index holds (rows, filter rows, kept counts), read afresh:
    to compare an index written one way with one written another."""
    model.Session.remove()
    return {
        "index": model.Session.execute(sa.text(
            "SELECT index_id, name, permission_labels, f_tags, f_organization, CAST(tsv AS text), title_string, "
            "doc - 'indexed_ts' FROM datagovernance_search_index ORDER BY 1")).all(),
        "filter": model.Session.execute(sa.text(
            "SELECT * FROM datagovernance_search_filter ORDER BY index_id")).all(),
        "counts": model.Session.execute(sa.text(
            "SELECT * FROM datagovernance_search_facet_counts WHERE n <> 0 "
            "ORDER BY site_id, facet, value, CAST(permission_labels AS text)")).all(),
    }


def _res(fmt: str, name: str) -> dict[str, Any]:
    return {"url": f"https://daten.offenbach.de/{name}.{fmt.lower()}", "format": fmt, "name": name}


def build_catalog() -> SimpleNamespace:
    sysadmin = factories.Sysadmin(name="dg_sysadmin")
    editor = factories.User(name="dg_editor")
    outsider = factories.User(name="dg_outsider")
    planung = factories.Organization(
        name="stadtplanung", title="Amt für Stadtplanung", users=[{"name": editor["name"], "capacity": "editor"}]
    )
    finanzen = factories.Organization(name="finanzen", title="Kämmerei")
    verkehr = factories.Group(name="verkehr", title="Verkehr")
    umwelt = factories.Group(name="umwelt", title="Umwelt")
    ctx = {"user": sysadmin["name"], "ignore_auth": True}

    def ds(**kw: Any) -> dict[str, Any]:
        return call_action("package_create", dict(ctx), **kw)

    datasets = {
        "radwege": ds(
            name="radwege-offenbach", title="Radwege in Offenbach",
            notes="Verlauf aller Fahrradstrecken im Stadtgebiet", owner_org=planung["id"],
            tags=[{"name": "Radverkehr"}, {"name": "Verkehr"}], groups=[{"name": "verkehr"}],
            license_id="cc-by", extras=[{"key": "quelle", "value": "GIS Fachverfahren"}],
            resources=[_res("CSV", "radwege"), _res("GeoJSON", "radwege-geo")],
        ),
        "haushalt": ds(
            name="haushaltsplan-2024", title="Haushaltsplan 2024",
            notes="Der Haushalt der Stadt Offenbach am Main", owner_org=finanzen["id"],
            tags=[{"name": "Finanzen"}], license_id="odc-odbl",
            resources=[_res("PDF", "haushalt"), _res("CSV", "haushalt-tabelle"), _res("CSV", "haushalt-2")],
        ),
        "baeume": ds(
            name="baumkataster", title="Baumkataster",
            notes="Standorte aller Straßenbäume, auch an Radwegen", owner_org=planung["id"],
            tags=[{"name": "Umwelt"}], groups=[{"name": "umwelt"}], license_id="cc-by",
            resources=[_res("JSON", "baeume")],
        ),
        "kita": ds(
            name="kita-plaetze", title="Kita-Plätze je Stadtteil",
            notes="Betreuungsplätze in Kindertagesstätten", owner_org=finanzen["id"],
            tags=[{"name": "Bildung"}, {"name": "Verkehr"}], license_id="cc-zero",
        ),
        "intern": ds(
            name="interne-radwegeplanung", title="Interne Radwege-Planung",
            notes="Vertrauliche Planungsstände", owner_org=planung["id"], private=True,
            tags=[{"name": "Radverkehr"}], license_id="other-closed",
            resources=[_res("XLSX", "planung")],
        ),
        "entwurf": ds(
            name="entwurf-parkplaetze", title="Entwurf Parkplätze", owner_org=planung["id"],
            state="draft", tags=[{"name": "Verkehr"}],
        ),
        "geloescht": ds(name="geloeschte-daten", title="Gelöschte Radwege", owner_org=planung["id"]),
    }
    call_action("package_delete", dict(ctx), id=datasets["geloescht"]["id"])
    model.Session.commit()
    return SimpleNamespace(
        sysadmin=sysadmin, editor=editor, outsider=outsider, planung=planung, finanzen=finanzen,
        verkehr=verkehr, umwelt=umwelt, datasets=datasets,
    )


@pytest.fixture(scope="module")
def catalog() -> SimpleNamespace:
    """Built once per module with the search plugin; tests must only read."""
    from ckan.common import config

    saved = config.get("ckan.plugins")
    config["ckan.plugins"] = SEARCH_PLUGINS
    plugins.load_all()
    try:
        reset_and_migrate()
        yield build_catalog()
    finally:
        plugins.unload_all()
        config["ckan.plugins"] = saved
