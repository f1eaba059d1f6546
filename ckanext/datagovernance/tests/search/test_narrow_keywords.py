"""The filter table's keyword column (`f_keywords`, migration 011): the
declared keyword fields of each index row, following every write, so that
callers which filter on them (the task query) never read the wide rows."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins as plugins
import pytest
import sqlalchemy as sa
from ckan.common import config
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ...search import backend
from .conftest import SEARCH_PLUGINS


def _narrow() -> dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """dataset id -> (index row's fields, its f_keywords, the filter row's)."""
    model.Session.remove()
    return {
        row[0]: tuple(row[1:]) for row in model.Session.execute(sa.text(
            "SELECT coalesce(i.id, f.id), i.fields, i.f_keywords, f.f_keywords FROM datagovernance_search_index i "
            "FULL JOIN datagovernance_search_filter f USING (index_id) ORDER BY 1"))
    }


def _assert_follows(step: str) -> dict[str, dict[str, Any]]:
    keys = backend.narrow_keys()
    out = {}
    for pkg_id, (fields, wide, narrow) in _narrow().items():
        assert fields is not None and narrow is not None, (step, pkg_id)  # one filter row per index row
        assert wide == narrow == {k: v for k, v in fields.items() if k in keys}, (step, pkg_id)
        out[pkg_id] = narrow
    return out


def _extras(**kw: str) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in kw.items()]


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_keywords_follow_create_update_rebuild_delete_purge(cli):
    sysadmin = factories.Sysadmin()
    ctx = {"user": sysadmin["name"], "ignore_auth": True}
    org = factories.Organization()
    ds = call_action("package_create", dict(ctx), name="radwege", owner_org=org["id"],
                     extras=_extras(workflow_state="in_review", access_class="public", quelle="GIS"))
    other = call_action("package_create", dict(ctx), name="baeume", owner_org=org["id"])
    rows = _assert_follows("created")
    assert rows[ds["id"]] == {"workflow_state": ["in_review"], "access_class": ["public"]}  # not `quelle`
    assert rows[other["id"]] == {}

    call_action("package_patch", dict(ctx), id=ds["id"],
                extras=_extras(workflow_state="approved", access_class="internal", quelle="GIS"))
    assert _assert_follows("keyword changed")[ds["id"]] == {
        "workflow_state": ["approved"], "access_class": ["internal"]}
    call_action("package_patch", dict(ctx), id=ds["id"], extras=_extras(quelle="GIS"))
    assert _assert_follows("keywords dropped")[ds["id"]] == {}
    call_action("package_patch", dict(ctx), id=ds["id"], extras=_extras(workflow_state="withdrawn"))

    from ckan.cli.search_index import search_index

    assert cli.invoke(search_index, ["rebuild"]).exit_code == 0
    assert _assert_follows("rebuilt")[ds["id"]] == {"workflow_state": ["withdrawn"]}

    call_action("package_delete", dict(ctx), id=ds["id"])
    _assert_follows("deleted")
    call_action("dataset_purge", dict(ctx), id=ds["id"])
    assert ds["id"] not in _assert_follows("purged")


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.ckan_config("ckanext.datagovernance.search.narrow_fields", "access_class")
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_the_setting_names_the_keys():
    ds = factories.Dataset(extras=_extras(workflow_state="in_review", access_class="public"))
    assert _assert_follows("created")[ds["id"]] == {"access_class": ["public"]}


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_migration_backfills_the_default_keys_and_goes_back(migrate_db_for):
    org = factories.Organization()
    for i, state in enumerate(("in_review", "approved", "draft")):
        factories.Dataset(owner_org=org["id"], extras=_extras(
            workflow_state=state, personal_data="none", domain="umwelt", quelle=f"q{i}"))
    factories.Dataset(owner_org=org["id"])
    before = _assert_follows("written")
    assert sum(bool(v) for v in before.values()) == 3
    model.Session.remove()

    migrate_db_for("datagovernance_search", "010_d3_org_covering_index", forward=False)
    columns = model.Session.execute(sa.text(
        "SELECT table_name FROM information_schema.columns WHERE column_name = 'f_keywords'")).scalars().all()
    assert columns == []
    model.Session.remove()
    migrate_db_for("datagovernance_search")
    assert _assert_follows("backfilled") == before
    # the trigger copies the column again after the round trip
    factories.Dataset(owner_org=org["id"], extras=_extras(workflow_state="published"))
    assert {"workflow_state": ["published"]} in _assert_follows("written after").values()


@pytest.mark.usefixtures("with_plugins")
def test_the_suite_refuses_a_key_set_without_the_task_keys(monkeypatch):
    from ckan.exceptions import CkanConfigurationException

    core = plugins.get_plugin("datagovernance")
    core.configure(config)  # the default covers the task query
    monkeypatch.setitem(config, "ckanext.datagovernance.search.narrow_fields", "workflow_state domain")
    with pytest.raises(CkanConfigurationException, match="access_class personal_data dpo_review"):
        core.configure(config)


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.ckan_config("ckanext.datagovernance.search.cache_ttl", 0)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_keyword_filters_and_facets_answer_as_from_the_wide_rows(monkeypatch):
    """Filters and facets on declared keyword fields read the narrow table
    (no wide row), with the answers the wide rows' `fields` give."""
    from .conftest import StatementLog

    org = factories.Organization()
    other = factories.Organization()
    for i, (state, access) in enumerate((("in_review", "public"), ("approved", "internal"), ("in_review", "internal"),
                                         ("published", "public"), ("draft", "public"))):
        factories.Dataset(name=f"ds-{i}", owner_org=(org if i % 2 else other)["id"],
                          extras=_extras(workflow_state=state, access_class=access, quelle=f"q{i % 2}"))
    factories.Dataset(name="ohne", owner_org=org["id"])
    searches = [
        {"q": "*:*"},
        {"q": "*:*", "fq": "workflow_state:in_review"},
        {"q": "*:*", "fq": "-workflow_state:draft"},
        {"q": "*:*", "fq": "workflow_state:in_*"},
        {"q": "*:*", "fq": "workflow_state:*"},
        {"q": "*:*", "fq": "access_class:[a TO j]"},
        {"q": "*:*", "fq": f"organization:{org['name']}"},
        {"q": "*:*", "fq": "quelle:q1"},  # not a keyword field: the wide rows
    ]
    facets = ["workflow_state", "access_class", "organization", "quelle"]

    def answers(keyword_only: bool = False) -> list[Any]:
        out = []
        for search in searches[:-1] if keyword_only else searches:
            for fields in (facets[:3],) if keyword_only else (facets[:3], facets):
                result = call_action("package_search", {"ignore_auth": True}, rows=100, sort="name asc",
                                     **{"facet.field": fields}, **search)
                out.append(([d["name"] for d in result["results"]], result["count"], result["search_facets"]))
        return out

    with StatementLog() as log:
        answers(keyword_only=True)
    # keyword filters and facets read the index table only for the page's documents
    reads = [s for s in log.statements if "datagovernance_search_index" in s
             and "JOIN datagovernance_search_index USING (index_id)" not in s]
    assert reads == []
    assert any("f_keywords" in s for s in log.statements)
    narrow = answers()
    monkeypatch.setitem(config, "ckanext.datagovernance.search.narrow_fields", "")
    assert answers() == narrow
    assert narrow[2][1] == 2 and narrow[2][2]["workflow_state"]["items"]
