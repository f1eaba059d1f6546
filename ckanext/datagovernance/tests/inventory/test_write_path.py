"""The import's write path for new rows (validated once, written together
by inventory/newrows.py, their package_show dicts built from the rows
written) leaves exactly what a loop of ``package_create`` leaves: the
dataset, its index document, its roles, its activity, its KPI facts, its
organisation membership and tag rows (issue 11); and where that path cannot
decide alone (a refused owner grant, a name an earlier row takes), the row
fails as it fails with package_create."""
from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests.helpers import call_action

from ckanext.datagovernance.inventory import newrows, service
from ckanext.datagovernance.kpi import compute
from ckanext.datagovernance.quality import jobs as quality_jobs

from .conftest import HEADERS, row

pytestmark = pytest.mark.usefixtures("with_plugins")

VOLATILE = {"id", "name", "title", "inventory_id", "metadata_created", "metadata_modified", "notes"}


def _norm(value: Any, ids: dict[str, str]) -> Any:
    """The dataset's own id, name, title and times replaced by placeholders."""
    text = json.dumps(value, sort_keys=True, default=str)
    for old, new in ids.items():
        text = text.replace(old, new)
    return json.loads(text)


def _placeholders(pkg: dict[str, Any]) -> dict[str, str]:
    # the longest first, so that a name inside a title is not replaced first
    pairs = {pkg["id"]: "<id>", pkg["title"]: "<title>", pkg["name"]: "<name>", pkg["inventory_id"]: "<inv>",
             pkg["metadata_created"]: "<t>", pkg["metadata_modified"]: "<t>", pkg["notes"]: "<notes>"}
    return dict(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


def _shown(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    pkg = call_action("package_show", {"user": "dg_sysadmin"}, id=name)
    return pkg, _norm({k: v for k, v in pkg.items() if k not in VOLATILE}, _placeholders(pkg))


def _index_doc(pkg: dict[str, Any]) -> dict[str, Any]:
    doc = dict(model.Session.execute(sa.text(
        "SELECT * FROM datagovernance_search_index WHERE id = :id"), {"id": pkg["id"]}).mappings().one())
    # the text-search vectors and the index's own id and time follow from the title, ids and times
    skip = ("index_id", "indexed_at", "_version_", "metadata_created", "metadata_modified")
    doc = {k: v for k, v in doc.items() if "tsv" not in k and k not in skip}
    for part in ("doc", "fields"):
        if isinstance(doc.get(part), dict):
            doc[part] = {k: v for k, v in doc[part].items() if k not in skip}
    return _norm(doc, _placeholders(pkg))


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _roles(pkg_id: str) -> list[tuple[Any, ...]]:
    assignments = model.Session.execute(sa.text(
        "SELECT user_id, role, scope_type, deputy, granted_by, contact FROM datagovernance_role "
        "WHERE scope_id = :id ORDER BY role, user_id"), {"id": pkg_id}).all()
    events = model.Session.execute(sa.text(
        "SELECT action, user_id, role, scope_type, deputy, actor_id, reason FROM datagovernance_role_event "
        "WHERE scope_id = :id ORDER BY action, user_id"), {"id": pkg_id}).all()
    return [tuple(r) for r in assignments] + [tuple(r) for r in events]


def _activities(pkg: dict[str, Any]) -> list[Any]:
    rows = model.Session.execute(sa.text(
        "SELECT user_id, activity_type, data, permission_labels FROM activity WHERE object_id = :id "
        "ORDER BY timestamp"), {"id": pkg["id"]}).all()
    return _norm([[r.user_id, r.activity_type, r.data, sorted(r.permission_labels or [])] for r in rows],
                 _placeholders(pkg))


def _kpi_fact(pkg_id: str) -> dict[str, Any]:
    fact = dict(model.Session.execute(sa.text(
        "SELECT * FROM datagovernance_kpi_fact WHERE package_id = :id"), {"id": pkg_id}).mappings().one())
    fact.pop("package_id")
    return fact


@contextlib.contextmanager
def _service_log(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The import's log in caplog: test.ini does not propagate ckanext's
    loggers, and CKAN's logging set-up disables the loggers that existed before it."""
    logger = logging.getLogger("ckanext.datagovernance.inventory.service")
    level, disabled = logger.level, logger.disabled
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.INFO)
    logger.disabled = False
    try:
        yield
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)
        logger.disabled = disabled


def _memberships_and_tags(pkg_id: str) -> list[tuple[Any, ...]]:
    members = model.Session.execute(sa.text(
        "SELECT group_id, table_name, capacity, state FROM member WHERE table_id = :id ORDER BY group_id"),
        {"id": pkg_id}).all()
    tags = model.Session.execute(sa.text(
        "SELECT t.name, t.vocabulary_id, pt.state FROM package_tag pt JOIN tag t ON t.id = pt.tag_id "
        "WHERE pt.package_id = :id ORDER BY t.name"), {"id": pkg_id}).all()
    return [tuple(r) for r in members] + [tuple(r) for r in tags]


def _data_dict(values: dict[str, str], name: str) -> dict[str, Any]:
    """The same row as package_create input (codes instead of labels)."""
    return {
        "type": "dataset", "name": name, "title": values["Titel"], "notes": values["Beschreibung"],
        "inventory_id": values["Inventarnummer"], "owner_org": "hochbau", "domain": "mietobjekte",
        "data_owner": "dg_owner", "access_class": "internal", "personal_data": "none",
        "tag_string": "Gebäude,Miete", "theme": ["http://publications.europa.eu/resource/authority/data-theme/GOVE"],
        "license_id": "dl-by-de/2.0", "source_system": "SAP",
    }


def test_import_writes_what_package_create_writes(city, caplog):
    office = model.User.get("dg_office")
    ctx = {"user": "dg_office", "auth_user_obj": office}
    bulk_rows = [row("EQ-B-1", "Gleichheit Hausmeisterdienste"), row("EQ-B-2", "Gleichheit Reinigungsplan")]
    assert newrows.applies()  # the suite's plugins: the rows are written together ...
    with _service_log(caplog):
        report = service.run_import(ctx, HEADERS, bulk_rows)
    assert "one by one" not in caplog.text  # ... and not one by one after a failure
    assert report.ok and report.written and [r.action for r in report.rows] == ["create", "create"], \
        report.as_dict()
    # the reference: package_create one by one, as the same user, the caller's request user set as the
    # import sets it (the activity and the index keep the internal fields the caller may read)
    with service._request_user(ctx):
        for k, values in enumerate(bulk_rows, start=1):
            data = _data_dict(dict(zip(HEADERS, values, strict=True)), f"gleichheit-ref-{k}")
            data.update(title=f"Referenz {k}", inventory_id=f"EQ-R-{k}")
            call_action("package_create", {"user": "dg_office"}, **data)
    for bulk_name, ref_name in (("gleichheit-hausmeisterdienste", "gleichheit-ref-1"),
                                ("gleichheit-reinigungsplan", "gleichheit-ref-2")):
        bulk, bulk_view = _shown(bulk_name)
        ref, ref_view = _shown(ref_name)
        assert bulk_view == ref_view
        assert (bulk["workflow_state"], bulk["data_owner"], bulk["creator_user_id"]) == \
            ("draft", "dg_owner", office.id)
        assert _index_doc(bulk) == _index_doc(ref), _diff(_index_doc(bulk), _index_doc(ref))
        assert _roles(bulk["id"]) == _roles(ref["id"]) and _roles(bulk["id"])
        assert _activities(bulk) == _activities(ref) and _activities(bulk)[0][1] == "new package"
        assert _kpi_fact(bulk["id"]) == _kpi_fact(ref["id"])
        assert _memberships_and_tags(bulk["id"]) == _memberships_and_tags(ref["id"]) \
            and len(_memberships_and_tags(bulk["id"])) == 3  # the organisation, two tags
    # both are queued for their quality score (package_create's signal; the import queues its rows at once)
    pending = quality_jobs.pending_ids()
    assert {_shown(n)[0]["id"] for n in ("gleichheit-hausmeisterdienste", "gleichheit-reinigungsplan",
                                         "gleichheit-ref-1", "gleichheit-ref-2")} <= pending
    # the search finds both alike, for the office and for someone who may not read internal data
    for user in ("dg_office", "dg_plain"):
        found = call_action("package_search", {"user": user}, q="Gleichheit OR Referenz", rows=10,
                            fq="+access_class:internal +domain:mietobjekte", include_drafts=True,
                            include_private=True)
        names = sorted(r["name"] for r in found["results"])
        assert names in ([], ["gleichheit-hausmeisterdienste", "gleichheit-ref-1", "gleichheit-ref-2",
                              "gleichheit-reinigungsplan"]), (user, names)
    # the KPI rollup kept by the triggers is exact: a rebuild from the source tables changes nothing
    before = compute.figures()
    compute.rebuild()
    assert compute.figures() == before


def test_refused_owner_grant_fails_the_row_as_package_create_does(city, caplog):
    """An organisation editor may create datasets but not name someone else
    as their owner (roles/policy.grant_refusal): the rows written together
    are written one by one again, and the refused row is reported."""
    ctx = {"user": "dg_org_editor", "auth_user_obj": model.User.get("dg_org_editor")}
    rows = [row("REF-1", "Verweigert Eigene Liste", **{"Data Owner": ""}),
            row("REF-2", "Verweigert Fremder Owner")]
    with _service_log(caplog):
        report = service.run_import(ctx, HEADERS, rows, partial=True)
    own, refused = report.as_dict()["rows"]
    assert own["action"] == "create" and refused["action"] == "error", report.as_dict()
    assert refused["errors"][0]["column"] == "Data Owner"
    assert "data office" in refused["errors"][0]["message_en"]
    assert report.written
    assert "one by one" in caplog.text
    # the creator became the owner of the other row (roles/policy.creator_becomes_owner)
    assert call_action("package_show", {"user": "dg_sysadmin"}, id="verweigert-eigene-liste")["data_owner"] \
        == "dg_org_editor"
    assert model.Session.execute(sa.text("SELECT count(*) FROM package WHERE name = 'verweigert-fremder-owner'")
                                 ).scalar() == 0
    # the same row with package_create: the same refusal
    with pytest.raises(tk.ValidationError) as refused_by_ckan:
        call_action("package_create", {"user": "dg_org_editor", "ignore_auth": False},
                    **_data_dict(dict(zip(HEADERS, rows[1], strict=True)), "verweigert-ref"))
    model.Session.rollback()  # package_create leaves its unfinished dataset to the caller's transaction
    assert "data_owner" in refused_by_ckan.value.error_dict


def test_new_row_whose_name_an_earlier_row_takes_fails_as_with_package_create(city):
    """Two new rows with the same title (other inventory numbers) get the
    same address: the first is created, the second fails on the URL, as it
    does when the rows are written one after the other."""
    ctx = {"user": "dg_office", "auth_user_obj": model.User.get("dg_office")}
    rows = [row("DUP-1", "Doppelter Titel"), row("DUP-2", "Doppelter Titel"), row("DUP-3", "Einzelner Titel")]
    report = service.run_import(ctx, HEADERS, rows, partial=True).as_dict()
    assert [r["action"] for r in report["rows"]] == ["create", "error", "create"], report
    assert report["rows"][1]["errors"][0]["column"] == "URL"
    assert "already in use" in report["rows"][1]["errors"][0]["message_en"]
    shown = call_action("package_show", {"user": "dg_sysadmin"}, id="doppelter-titel")
    assert shown["inventory_id"] == "DUP-1"


def _extras_sorted(doc: dict[str, Any]) -> dict[str, Any]:
    """A new dataset's document lists its extras in the order package_create
    wrote them (its object is still in the session); a re-index reads them
    back from JSONB in another order: compare them by key."""
    data = json.loads(doc["doc"]["data_dict"])
    data["extras"] = sorted(data.get("extras") or [], key=lambda e: e["key"])
    return dict(doc, doc=dict(doc["doc"], data_dict=data))


def test_index_documents_and_activities_equal_a_plain_reindex(city):
    """The import indexes with facts read for all its rows at once
    (prefetch.py: owner, domain lineage, readers, latest score, activities to
    relabel). Its documents equal what CKAN's own re-index writes afterwards,
    for new rows and for changed rows of datasets with activities, a quality
    score and a new access class; the activities carry the new labels."""
    from ckan import logic as ckan_logic
    from ckan.lib.plugins import get_permission_labels

    ctx = {"user": "dg_office", "auth_user_obj": model.User.get("dg_office")}
    names = ("vorabfakten-eins", "vorabfakten-zwei")
    service.run_import(ctx, HEADERS, [row("PF-1", "Vorabfakten Eins"), row("PF-2", "Vorabfakten Zwei")])
    scored = call_action("package_show", {"user": "dg_sysadmin"}, id=names[1])["id"]
    assert quality_jobs.score_dataset(scored) is not None
    report = service.run_import(ctx, HEADERS, [
        row("PF-1", "Vorabfakten Eins", **{"Zugriffsklasse": "Eingeschränkt"}),
        row("PF-2", "Vorabfakten Zwei", **{"Beschreibung": "Neu beschrieben"}),
        row("PF-3", "Vorabfakten Drei")])
    assert [r.action for r in report.rows] == ["update", "update", "create"], report.as_dict()
    for name in (*names, "vorabfakten-drei"):
        pkg, _view = _shown(name)
        written = _extras_sorted(_index_doc(pkg))
        with service._request_user(ctx):
            ckan_logic.index_update_package({"ignore_auth": True}, pkg["id"])
        assert _extras_sorted(_index_doc(pkg)) == written, (name, _diff(_extras_sorted(_index_doc(pkg)), written))
        labels = sorted(get_permission_labels().get_dataset_labels(model.Package.get(pkg["id"])))
        stored = [sorted(r[0]) for r in model.Session.execute(sa.text(
            "SELECT permission_labels FROM activity WHERE object_id = :id"), {"id": pkg["id"]})]
        assert stored and stored == [labels] * len(stored), (name, stored, labels)
    assert _index_doc(_shown(names[1])[0])["doc"].get("quality_score") is not None


def test_new_row_takes_over_the_address_of_a_deleted_dataset_as_package_create_does(city):
    """package_create may reuse a deleted dataset's name: the deleted one is
    renamed to its id. The rows written together do the same."""
    old = call_action("package_create", {"user": "dg_sysadmin"}, name="geloeschte-adresse", title="Alt",
                      owner_org=city.hochbau["id"], domain="mietobjekte", access_class="internal")
    call_action("package_delete", {"user": "dg_sysadmin"}, id=old["id"])
    ctx = {"user": "dg_office", "auth_user_obj": model.User.get("dg_office")}
    report = service.run_import(ctx, [*HEADERS, "URL"], [[*row("DEL-1", "Neu an alter Adresse"),
                                                          "geloeschte-adresse"]])
    assert [r.action for r in report.rows] == ["create"], report.as_dict()
    new = call_action("package_show", {"user": "dg_sysadmin"}, id="geloeschte-adresse")
    assert new["id"] != old["id"] and new["inventory_id"] == "DEL-1"
    assert model.Session.execute(sa.text("SELECT name, state FROM package WHERE id = :id"),
                                 {"id": old["id"]}).one() == (old["id"], "deleted")
    assert model.Package.get(old["id"]).name == old["id"]
