"""The fast paths of issue 16 answer exactly as the plain ones: counts kept
per month for the DCAT feed, batched index writes in `search-index rebuild`,
autocomplete without a hit count, label filters as one array overlap."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import pytest
import sqlalchemy as sa
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.datagovernance.search import backend

from .conftest import INDEX_TABLES, SEARCH_PLUGINS, StatementLog, index_snapshot

SETTING = "ckanext.datagovernance.search.facet_counts"


def _set_modified(name: str, when: str | None) -> None:
    # as a harvest or an import that keeps the source's dates would; the
    # index-side triggers keep the filter table and the kept counts in step
    model.Session.execute(
        sa.text("UPDATE datagovernance_search_index SET metadata_modified = CAST(:w AS timestamptz) WHERE name = :n"),
        {"w": when, "n": name},
    )


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.ckan_config("ckanext.datagovernance.search.cache_ttl", 0)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_month_counts_equal_row_counts_for_every_date_filter_and_reader(ckan_config, monkeypatch):
    sysadmin = factories.Sysadmin()
    member, outsider = factories.User(), factories.User()
    org = factories.Organization(users=[{"name": member["name"], "capacity": "editor"}])
    ctx = {"user": sysadmin["name"]}
    dates = {
        "a": "2024-01-01T00:00:00Z", "b": "2024-01-15T12:00:00Z", "c": "2024-01-31T23:59:59Z",
        "d": "2024-02-01T00:00:00Z", "e": "2024-02-05T08:00:00Z", "f": "2024-03-20T10:00:00Z",
        "g": "2023-12-31T23:59:59Z", "h": None,
    }
    for name in dates:
        call_action("package_create", dict(ctx), name=f"ds-{name}", owner_org=org["id"])
    call_action("package_create", dict(ctx), name="ds-private", owner_org=org["id"], private=True)
    call_action("package_create", dict(ctx), name="ds-now", owner_org=org["id"])  # modified now
    for name, when in dates.items():
        _set_modified(f"ds-{name}", when)
    _set_modified("ds-private", "2024-01-20T00:00:00Z")
    model.Session.commit()

    filters = [
        ["metadata_modified:[2024-01-01T00:00:00Z TO NOW]"],
        ["-dataset_type:harvest", "metadata_modified:[2024-01-15T12:00:00Z TO 2024-02-05T08:00:00Z}"],
        ["metadata_modified:{2024-01-01T00:00:00Z TO *]"],
        ["metadata_modified:[* TO 2024-02-01T00:00:00Z]"],
        ["-metadata_modified:[2024-01-10T00:00:00Z TO 2024-02-02T00:00:00Z]"],
        ["metadata_modified:[NOW-1DAY TO NOW]"],
        ["metadata_modified:[2024-01-01T00:00:00Z TO 2024-01-31T23:59:59Z] OR "
         "metadata_modified:[2024-03-01T00:00:00Z TO 2024-03-31T00:00:00Z]"],
    ]

    def count(user: dict[str, Any] | None, fq: list[str], kept: bool) -> int:
        monkeypatch.setitem(ckan_config, SETTING, kept)
        ctx = {"user": user["name"] if user else "", "ignore_auth": False}
        return call_action("package_search", ctx, q="*:*", fq_list=fq, include_private=True, rows=0)["count"]

    for user in (None, member, outsider, sysadmin):
        for fq in filters:
            with StatementLog() as log:
                kept = count(user, fq, kept=True)
            # the month counts were read, not every matching row
            assert any("'_month'" in s for s in log.statements), fq
            assert kept == count(user, fq, kept=False), (user and user["name"], fq)
    # the filters mean something: anonymous and member counts differ (the
    # private dataset), and no count is trivially zero for everyone
    assert count(None, filters[0], True) == 7 and count(member, filters[0], True) == 8
    # inclusive lower bound (b), exclusive upper bound (e), the private one (member)
    assert count(None, filters[1], True) == 3 and count(member, filters[1], True) == 4


# The CLI loads the plugins of test.ini (the whole suite), so this test runs
# with them too.
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_rebuild_writes_batches_with_the_same_rows_and_counts(cli, monkeypatch):
    org = factories.Organization()
    for i in range(5):
        factories.Dataset(name=f"rebuild-{i}", title=f"Radwegenetz {i}", owner_org=org["id"],
                          tags=[{"name": f"tag{i % 2}"}], private=i == 4)

    before = index_snapshot()
    assert len(before["index"]) == 5
    model.Session.execute(sa.text(f"TRUNCATE {', '.join(INDEX_TABLES)}"))
    model.Session.commit()
    monkeypatch.setattr(backend, "REBUILD_BATCH", 2)
    with StatementLog() as log:
        result = cli.invoke(ckan_cli, ["search-index", "rebuild"])
    assert result.exit_code == 0, result.output
    after = index_snapshot()
    assert after == before
    # 5 datasets in 3 statements (2 + 2 + 1), not one per dataset
    writes = [s for s in log.statements if s.lstrip().startswith("INSERT INTO datagovernance_search_index")]
    assert len(writes) == 3
    # nothing is left buffered after the command
    assert not backend._pending()


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_rolled_back_rebuild_rows_are_dropped(cli):
    # a buffered row belongs to its transaction: a rollback drops it
    import click
    from ckan.cli.search_index import rebuild, search_index

    doc = {"id": "x1", "index_id": "x1", "site_id": "test", "name": "x1", "title": "X", "state": "active",
           "permission_labels": ["public"], "entity_type": "package", "dataset_type": "dataset"}
    with click.Context(search_index, info_name="search-index") as parent, \
            click.Context(rebuild, info_name="rebuild", parent=parent):
        backend.PostgresSolr().add([doc], commit=False)
        assert backend._pending()
        model.Session.rollback()
    assert not backend._pending()
    model.Session.commit()
    assert model.Session.execute(sa.text("SELECT count(*) FROM datagovernance_search_index")).scalar_one() == 0


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.ckan_config("ckanext.datagovernance.search.cache_ttl", 0)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_autocomplete_title_words_first_then_substrings_never_hidden():
    member, outsider = factories.User(), factories.User()
    org = factories.Organization(users=[{"name": member["name"], "capacity": "editor"}])
    for name, title in (("rathausplatz", "Rathausplatz"), ("haus-der-stadt", "Haus der Stadt"),
                        ("haushaltsplan", "Haushaltsplan 2024"), ("schulen", "Schulen")):
        factories.Dataset(name=name, title=title, owner_org=org["id"])
    factories.Dataset(name="hausintern", title="Hausinterne Liste", owner_org=org["id"], private=True)

    def names(user: dict[str, Any] | None, q: str, limit: int = 10) -> list[str]:
        ctx = {"user": user["name"] if user else "", "ignore_auth": False}
        return [r["name"] for r in call_action("package_autocomplete", ctx, q=q, limit=limit)]

    anonymous = names(None, "haus")
    # the title that holds the word ranks first; substrings follow; the
    # private dataset stays hidden from everyone without access
    assert anonymous[0] == "haus-der-stadt"
    assert sorted(anonymous) == ["haus-der-stadt", "haushaltsplan", "rathausplatz"]
    assert names(outsider, "haus") == anonymous
    assert "hausintern" in names(member, "haus")
    assert names(None, "haus", limit=1) == ["haus-der-stadt"]
    assert len(names(None, "haus", limit=2)) == 2
    assert names(None, "zzz") == []
    # the same first rows as package_search ranks them
    ranked = call_action("package_search", {"user": "", "ignore_auth": False},
                         q='name_ngram:"haus" OR title_ngram:"haus" OR name:"haus" OR title:"haus"',
                         fl="name", sort="score desc", rows=10)
    assert [r["name"] for r in ranked["results"]] == anonymous


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_label_filter_is_one_overlap_and_still_hides_other_offices():
    member = factories.User()
    mine = factories.Organization(users=[{"name": member["name"], "capacity": "editor"}])
    other = factories.Organization()
    factories.Dataset(name="meins", owner_org=mine["id"], private=True)
    factories.Dataset(name="fremd", owner_org=other["id"], private=True)
    factories.Dataset(name="offen", owner_org=other["id"])
    with StatementLog() as log:
        found = call_action("package_search", {"user": member["name"], "ignore_auth": False},
                            q="*:*", include_private=True)
    assert sorted(r["name"] for r in found["results"]) == ["meins", "offen"]
    assert found["count"] == 2
    assert any("permission_labels &&" in s for s in log.statements)


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.ckan_config("ckanext.datagovernance.search.cache_ttl", 0)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_package_show_reads_its_dataset_in_one_statement_as_a_search_would():
    from ckan.common import config
    from ckan.lib.search.common import SearchError
    from ckan.lib.search.query import PackageSearchQuery

    org = factories.Organization()
    pkg = factories.Dataset(name="strassenbaeume", title="Straßenbäume", owner_org=org["id"],
                            notes="Standorte", tags=[{"name": "Bäume"}])
    factories.Dataset(name="parkbaeume", owner_org=org["id"])
    conn = backend.PostgresSolr()
    fq = f'+site_id:"{config.get("ckan.site_id")}" +entity_type:package'
    for ref in ("strassenbaeume", pkg["id"]):
        key = f'name:"{ref}" OR id:"{ref}"'
        with StatementLog() as log:
            fast = conn.search(q=key, rows=1, fq=fq, wt="json")
        assert len(log.statements) == 1 and "SAVEPOINT" not in log.statements[0]
        plain = conn.search(q=f"({key})", rows=1, fq=fq, wt="json")  # the same query, searched as usual
        assert fast.hits == plain.hits == 1 and fast.docs == plain.docs
        assert PackageSearchQuery().get_index(ref)["name"] == "strassenbaeume"
    shown = call_action("package_show", id="strassenbaeume")
    assert shown["title"] == "Straßenbäume" and [t["name"] for t in shown["tags"]] == ["Bäume"]
    # no such dataset: no hit, as before
    assert conn.search(q='name:"fehlt" OR id:"fehlt"', rows=1, fq=fq).hits == 0
    with pytest.raises(SearchError):
        PackageSearchQuery().get_index("fehlt")
