"""Facet counts kept on write (migration 007) answer the landing and /dataset
pages exactly as counting the rows does, for every reader, after every write."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import pytest
import sqlalchemy as sa
from ckan import logic
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .conftest import SEARCH_PLUGINS

FACETS = ["organization", "groups", "tags", "res_format", "license_id"]
SETTING = "ckanext.datagovernance.search.facet_counts"


def _res(fmt: str) -> dict[str, Any]:
    return {"url": f"https://daten.offenbach.de/x.{fmt.lower()}", "format": fmt}


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.ckan_config("ckanext.datagovernance.search.cache_ttl", 0)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_kept_counts_equal_row_counts_for_every_reader_after_every_write(ckan_config, monkeypatch):
    sysadmin = factories.Sysadmin()
    member, outsider = factories.User(), factories.User()
    amt = factories.Organization(name="gruenamt", users=[{"name": member["name"], "capacity": "editor"}])
    kaemmerei = factories.Organization(name="kaemmerei")
    ctx = {"user": sysadmin["name"]}
    p1 = call_action("package_create", dict(ctx), name="baeume", owner_org=amt["id"], license_id="cc-by",
                     tags=[{"name": "umwelt"}, {"name": "baum"}], resources=[_res("CSV")])
    p2 = call_action("package_create", dict(ctx), name="haushalt", owner_org=kaemmerei["id"], license_id="cc-by",
                     tags=[{"name": "umwelt"}], resources=[_res("CSV"), _res("PDF"), _res("CSV")])
    call_action("package_create", dict(ctx), name="intern", owner_org=amt["id"], private=True,
                tags=[{"name": "geheim"}], resources=[_res("XLSX")])
    call_action("package_create", dict(ctx), name="entwurf", owner_org=amt["id"], state="draft",
                tags=[{"name": "geheim"}])

    statements: list[str] = []

    def log(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def search(user: dict[str, Any] | None, kept: bool) -> dict[str, Any]:
        monkeypatch.setitem(ckan_config, SETTING, kept)
        # as the /dataset page asks
        params: dict[str, Any] = {"q": "*:*", "facet.field": FACETS, "facet.limit": -1, "rows": 0,
                                  "include_private": True}
        if user is sysadmin:
            params["include_drafts"] = True
        ctx = {"user": user["name"] if user else "", "ignore_auth": False}
        result = call_action("package_search", ctx, **params)
        return {"count": result["count"], **result["facets"]}

    def same_for_everyone() -> dict[str | None, dict[str, Any]]:
        seen = {}
        for user in (None, member, outsider, sysadmin):
            statements.clear()
            sa.event.listen(model.meta.engine, "before_cursor_execute", log)
            try:
                kept = search(user, kept=True)
            finally:
                sa.event.remove(model.meta.engine, "before_cursor_execute", log)
            # the kept counts were read, and not the index rows
            assert any("datagovernance_search_facet_counts" in s for s in statements)
            assert not any("count(*) FROM datagovernance_search_index" in s for s in statements)
            assert kept == search(user, kept=False), user
            seen[user["name"] if user else None] = kept
        return seen

    seen = same_for_everyone()
    anonymous = seen[None]
    assert anonymous == {
        "count": 2, "organization": {"gruenamt": 1, "kaemmerei": 1}, "groups": {},
        "tags": {"umwelt": 2, "baum": 1}, "res_format": {"CSV": 2, "PDF": 1}, "license_id": {"cc-by": 2},
    }
    assert seen[outsider["name"]] == anonymous
    assert seen[member["name"]]["count"] == 3 and seen[member["name"]]["tags"]["geheim"] == 1
    assert seen[sysadmin["name"]]["count"] == 4

    # a dataset made private leaves the anonymous counts, not the member's
    call_action("package_patch", dict(ctx), id=p1["id"], private=True)
    seen = same_for_everyone()
    assert seen[None]["count"] == 1 and seen[None]["tags"] == {"umwelt": 1}
    assert seen[member["name"]]["count"] == 3 and seen[member["name"]]["tags"]["baum"] == 1
    # a changed value moves its count; a deleted dataset leaves every count
    call_action("package_patch", dict(ctx), id=p2["id"], tags=[{"name": "finanzen"}], resources=[_res("PDF")])
    call_action("package_delete", dict(ctx), id=p1["id"])
    seen = same_for_everyone()
    assert seen[None] == {
        "count": 1, "organization": {"kaemmerei": 1}, "groups": {}, "tags": {"finanzen": 1},
        "res_format": {"PDF": 1}, "license_id": {"cc-by": 1},
    }
    assert seen[member["name"]]["tags"] == {"finanzen": 1, "geheim": 1}
    # searches without free text read the narrow filter table (migration
    # 008), kept in step with every write
    statements.clear()
    sa.event.listen(model.meta.engine, "before_cursor_execute", log)
    try:
        staff = {"user": member["name"], "ignore_auth": False}
        fq = call_action("package_search", dict(staff), fq="res_format:PDF", include_private=True)
        auto = call_action("package_autocomplete", dict(staff), q="hausha")
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", log)
    assert [r["name"] for r in fq["results"]] == ["haushalt"]
    assert [r["name"] for r in auto] == ["haushalt"]
    assert sum("FROM datagovernance_search_filter" in s for s in statements) >= 2
    assert call_action("package_autocomplete", {"user": "", "ignore_auth": False}, q="baeume") == []
    # an uncommitted index write is counted in its own transaction only, and
    # its rollback takes the counts back
    pkg = model.Package.get(p2["id"])
    pkg.private = True
    logic.index_update_package({"ignore_auth": True}, p2["id"], defer_commit=True)
    assert search(None, kept=True)["count"] == 0
    model.Session.rollback()
    assert search(None, kept=True)["count"] == 1
    # emptying the index empties the counts
    model.Session.execute(sa.text("DELETE FROM datagovernance_search_index"))
    assert search(sysadmin, kept=True) == {"count": 0, **{f: {} for f in FACETS}}
    model.Session.rollback()
