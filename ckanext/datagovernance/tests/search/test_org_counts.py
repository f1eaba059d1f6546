"""Counts kept per organisation (migration 010) answer organisation filters
exactly as counting the rows does, for every reader, after every write; the
organisation is single-valued, as in CKAN's Solr schema."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import pytest
import sqlalchemy as sa
from ckan import logic
from ckan.lib.search.common import SearchIndexError
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.datagovernance.search import backend
from ckanext.datagovernance.search import query as lucene

from .conftest import SEARCH_PLUGINS, StatementLog

FACETS = ["organization", "groups", "tags", "res_format", "license_id"]
SETTING = "ckanext.datagovernance.search.facet_counts"


def _res(fmt: str) -> dict[str, Any]:
    return {"url": f"https://daten.offenbach.de/x.{fmt.lower()}", "format": fmt}


# (fq, facets asked, whether the kept counts answer it)
QUERIES: list[tuple[str, list[str], bool]] = [
    ('organization:"gruenamt"', FACETS, True),  # the organisation page
    ('organization:"gruenamt" +res_format:"CSV"', [], True),
    ('organization:gruenamt AND tags:umwelt', [], True),
    ('+organization:"kaemmerei" +license_id:"cc-by"', [], True),
    ('organization:"gruenamt" OR organization:"kaemmerei"', FACETS, True),
    ('-organization:"gruenamt"', ["tags", "res_format"], True),
    ('-organization:"gruenamt" +res_format:"CSV"', [], True),
    ('res_format:"CSV"', [], True),
    ('tags:"geheim"', [], True),
    ('groups:"umwelt-gruppe"', [], True),
    # not one required value: counted from the rows
    ('organization:"gruenamt" -res_format:"CSV"', [], False),
    ('organization:"gruenamt" OR res_format:"PDF"', [], False),
    ('res_format:"CSV" +res_format:"PDF"', [], False),
    ('res_format:("CSV" OR "XLSX")', [], False),
    ('organization:"gruenamt" +res_format:"CSV" +tags:"umwelt"', [], False),
    ('organization:*', [], False),
    ('organization:"gruenamt" +res_format:"CSV"', ["tags"], False),
]


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.ckan_config("ckanext.datagovernance.search.cache_ttl", 0)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_org_counts_equal_row_counts_for_every_reader_after_every_write(ckan_config, monkeypatch):
    sysadmin = factories.Sysadmin()
    member, outsider = factories.User(), factories.User()
    amt = factories.Organization(name="gruenamt", users=[{"name": member["name"], "capacity": "editor"}])
    kaemmerei = factories.Organization(name="kaemmerei")
    factories.Group(name="umwelt-gruppe")
    ctx = {"user": sysadmin["name"]}
    p1 = call_action("package_create", dict(ctx), name="baeume", owner_org=amt["id"], license_id="cc-by",
                     tags=[{"name": "umwelt"}, {"name": "baum"}], resources=[_res("CSV")],
                     groups=[{"name": "umwelt-gruppe"}])
    p2 = call_action("package_create", dict(ctx), name="haushalt", owner_org=kaemmerei["id"], license_id="cc-by",
                     tags=[{"name": "umwelt"}], resources=[_res("CSV"), _res("PDF"), _res("CSV")])
    call_action("package_create", dict(ctx), name="intern", owner_org=amt["id"], private=True,
                tags=[{"name": "geheim"}], resources=[_res("XLSX"), _res("CSV")])
    call_action("package_create", dict(ctx), name="entwurf", owner_org=amt["id"], state="draft",
                tags=[{"name": "geheim"}], resources=[_res("CSV")])
    call_action("package_create", dict(ctx), name="ohne-amt", tags=[{"name": "umwelt"}], resources=[_res("CSV")])

    def search(user: dict[str, Any] | None, fq: str, facets: list[str], kept: bool) -> dict[str, Any]:
        monkeypatch.setitem(ckan_config, SETTING, kept)
        params: dict[str, Any] = {"fq": fq, "facet.field": facets, "facet.limit": -1, "rows": 10,
                                  "include_private": True}
        if user is sysadmin:
            params["include_drafts"] = True
        result = call_action("package_search", {"user": user["name"] if user else "", "ignore_auth": False},
                             **params)
        return {"count": result["count"], "names": sorted(r["name"] for r in result["results"]),
                **result["facets"]}

    def same_for_everyone() -> dict[tuple[str | None, str], dict[str, Any]]:
        seen = {}
        for user in (None, member, outsider, sysadmin):
            for fq, facets, from_kept in QUERIES:
                with StatementLog() as log:
                    kept = search(user, fq, facets, kept=True)
                read_kept = any("_org:" in str(s) or "datagovernance_search_facet_counts" in s
                                for s in log.statements)
                counted_rows = any("count(*) FROM datagovernance_search_filter" in s for s in log.statements)
                assert (read_kept and not counted_rows) == from_kept, (fq, log.statements)
                assert kept == search(user, fq, facets, kept=False), (user, fq)
                assert kept["count"] == len(kept["names"]), (user, fq)  # fewer than 10: all of them
                seen[(user["name"] if user else None, fq)] = kept
        return seen

    seen = same_for_everyone()
    org_page = seen[(None, 'organization:"gruenamt"')]
    assert org_page["count"] == 1 and org_page["tags"] == {"umwelt": 1, "baum": 1}
    assert org_page["organization"] == {"gruenamt": 1}
    assert seen[(member["name"], 'organization:"gruenamt"')]["count"] == 2
    assert seen[(sysadmin["name"], 'organization:"gruenamt"')]["count"] == 3  # with the draft
    assert seen[(None, 'organization:"gruenamt" +res_format:"CSV"')]["names"] == ["baeume"]
    assert seen[(member["name"], 'organization:"gruenamt" +res_format:"CSV"')]["names"] == ["baeume", "intern"]
    assert seen[(None, '-organization:"gruenamt" +res_format:"CSV"')]["names"] == ["haushalt", "ohne-amt"]
    assert seen[(outsider["name"], 'tags:"geheim"')]["count"] == 0
    assert seen[(member["name"], 'tags:"geheim"')]["count"] == 1

    # a dataset moved to another organisation and made private moves its
    # counts; a deleted one leaves them
    call_action("package_patch", dict(ctx), id=p1["id"], owner_org=kaemmerei["id"], private=True)
    call_action("package_delete", dict(ctx), id=p2["id"])
    seen = same_for_everyone()
    assert seen[(None, '+organization:"kaemmerei" +license_id:"cc-by"')]["count"] == 0
    assert seen[(sysadmin["name"], '+organization:"kaemmerei" +license_id:"cc-by"')]["names"] == ["baeume"]
    assert seen[(member["name"], 'organization:"gruenamt" +res_format:"CSV"')]["names"] == ["intern"]
    assert seen[(None, 'organization:"gruenamt" OR organization:"kaemmerei"')]["count"] == 0

    # an uncommitted index write is counted in its own transaction only, and
    # its rollback takes the counts back
    pkg = model.Package.get("ohne-amt")
    pkg.private = True
    logic.index_update_package({"ignore_auth": True}, pkg.id, defer_commit=True)
    assert search(None, '-organization:"gruenamt" +res_format:"CSV"', [], kept=True)["count"] == 0
    model.Session.rollback()
    assert search(None, '-organization:"gruenamt" +res_format:"CSV"', [], kept=True)["count"] == 1


def test_a_document_with_two_organisations_is_refused_as_solr_does():
    doc = {"id": "x", "index_id": "x", "site_id": "s", "organization": ["a", "b"]}
    with pytest.raises(SearchIndexError, match="non multiValued field organization"):
        backend.build_row(doc)
    assert backend.build_row(dict(doc, organization="a"))["f_organization"] == ["a"]


@pytest.mark.parametrize(("fqs", "expected"), [
    (['organization:x +res_format:"CSV"'], ("res_format", "CSV")),
    (["organization:x", "+tags:umwelt"], ("tags", "umwelt")),
    (["organization:x AND (tags:umwelt)"], ("tags", "umwelt")),
    (["tags:umwelt OR organization:x"], None),
    (["tags:umwelt tags:baum"], None),
    (["-tags:umwelt organization:x"], None),
    (["tags:umw*"], None),
    (["tags:umwelt", "name:x"], None),
    (["tags:umwelt", "-tags:baum"], None),
])
def test_one_required_facet_value_only_when_every_match_needs_it(fqs, expected):
    compiler = lucene.QueryCompiler("german")
    for fq in [*fqs, "+site_id:s", '+permission_labels:("public" OR "member-1")']:
        compiler.compile(fq)
    found = compiler.one_required_facet_value()
    assert (found[:2] if found else None) == expected


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.ckan_config("ckanext.datagovernance.search.cache_ttl", 0)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_a_reindex_that_changes_nothing_rewrites_no_filter_row_and_no_count():
    sysadmin = factories.Sysadmin()
    org = factories.Organization(name="gruenamt")
    ctx = {"user": sysadmin["name"]}
    pkg = call_action("package_create", dict(ctx), name="baeume", title="Baumkataster", owner_org=org["id"],
                      tags=[{"name": "umwelt"}], resources=[_res("CSV")])

    def state() -> tuple[Any, list[Any]]:
        row = model.Session.execute(sa.text(
            "SELECT ctid FROM datagovernance_search_filter WHERE name = 'baeume'")).scalar_one()
        counts = model.Session.execute(sa.text(
            "SELECT facet, value, n, xmin::text FROM datagovernance_search_facet_counts ORDER BY 1, 2, 4")).all()
        return row, counts

    before = state()
    logic.index_update_package({"ignore_auth": True}, pkg["id"])  # the same document again
    model.Session.commit()
    assert state() == before  # same row version, no count row touched
    # a changed title rewrites the filter row (autocomplete reads it), a
    # changed tag moves its counts
    call_action("package_patch", dict(ctx), id=pkg["id"], title="Straßenbäume", tags=[{"name": "bäume"}])
    after = state()
    assert after[0] != before[0]
    anonymous = {"user": "", "ignore_auth": False}
    assert [r["name"] for r in call_action("package_autocomplete", dict(anonymous), q="straßenb")] == ["baeume"]
    found = call_action("package_search", dict(anonymous), fq='organization:"gruenamt" +tags:"bäume"')
    assert found["count"] == 1
    assert call_action("package_search", dict(anonymous), fq='organization:"gruenamt" +tags:"umwelt"')["count"] == 0
