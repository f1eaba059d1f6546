"""Search reads from a real streaming replica (bin/replica.sh: pg_basebackup of
this cluster, started on another port), never older than a committed write."""
from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import ckan.logic as logic
import ckan.model as model
import pytest
import sqlalchemy as sa
from ckan.common import config
from ckan.lib.redis import connect_to_redis
from ckan.tests.helpers import call_action

from ...search import replica
from ..servers import free_port
from .conftest import SEARCH_PLUGINS

REPLICA_SH = Path(__file__).resolve().parents[4] / "bin" / "replica.sh"
KEY = "ckanext.datagovernance.search.replica_url"


@pytest.fixture(scope="module")
def replica_url(catalog):
    """A replica of the cluster holding the test database, after the catalog
    was built; stopped and removed afterwards."""
    workdir = tempfile.mkdtemp(prefix="dg-replica-")
    port = free_port()
    subprocess.run([str(REPLICA_SH), "start", workdir, str(port)], check=True, timeout=600)
    try:
        yield sa.engine.make_url(config["sqlalchemy.url"]).set(port=port).render_as_string(hide_password=False)
    finally:
        subprocess.run([str(REPLICA_SH), "stop", workdir], check=False, timeout=120)


def _on_replica(url: str, sql: str) -> object:
    engine = sa.create_engine(sa.engine.make_url(url).set(username="postgres", database="postgres"))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def _wait_until_replayed(url: str) -> None:
    with model.meta.engine.connect() as conn:
        target = conn.execute(sa.text("SELECT pg_current_wal_lsn()::text")).scalar_one()
    for _ in range(200):  # polls the replica, at most ~10 s
        if _on_replica(url, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


def _find(name: str) -> list[dict]:
    return call_action("package_search", {"user": "dg_sysadmin"}, q=f"name:{name}", fl="name,title")["results"]


@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
@pytest.mark.ckan_config("ckanext.datagovernance.search.cache_ttl", 0)  # every search reads a database
@pytest.mark.usefixtures("with_plugins")
def test_search_reads_the_replica_but_never_a_stale_state(catalog, replica_url, monkeypatch):
    connect_to_redis().delete(replica._key())  # what an earlier run recorded
    monkeypatch.setitem(config, KEY, replica_url)
    _find("baumkataster")  # records the primary's position on first use
    _wait_until_replayed(replica_url)
    assert [d["name"] for d in _find("baumkataster")] == ["baumkataster"]

    # Replay paused: the replica keeps the state of now.
    _on_replica(replica_url, "SELECT pg_wal_replay_pause()")
    # A change behind the suite's back (no recorded position) shows which
    # database answers: the replica still has the row, the primary not.
    with model.meta.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM datagovernance_search_index WHERE doc ->> 'name' = 'baumkataster'"))
    assert [d["name"] for d in _find("baumkataster")] == ["baumkataster"], "searches read the replica"
    monkeypatch.setitem(config, KEY, "")
    assert _find("baumkataster") == [], "the primary without the row"
    monkeypatch.setitem(config, KEY, replica_url)

    # A committed write through CKAN: the replica is behind it, so every
    # later search reads the primary (0 stale reads).
    call_action("package_patch", {"user": "dg_sysadmin"}, id="kita-plaetze", title="Kita-Plätze 2026")
    assert [d["title"] for d in _find("kita-plaetze")] == ["Kita-Plätze 2026"]
    assert _find("baumkataster") == []

    # Read-your-own-writes inside a transaction that has not committed yet
    # (as the workflow writes dataset and index row in one transaction).
    created = call_action("package_create", {"user": "dg_sysadmin", "defer_commit": True},
                          name="noch-nicht-gespeichert", title="Noch nicht gespeichert",
                          owner_org=catalog.planung["id"])
    logic.index_update_package({"ignore_auth": True}, created["id"], defer_commit=True)
    assert [d["name"] for d in _find("noch-nicht-gespeichert")] == ["noch-nicht-gespeichert"]
    model.Session.rollback()
    assert _find("noch-nicht-gespeichert") == []

    # Replay resumed and caught up: the replica answers again, with everything.
    _on_replica(replica_url, "SELECT pg_wal_replay_resume()")
    _wait_until_replayed(replica_url)
    assert [d["title"] for d in _find("kita-plaetze")] == ["Kita-Plätze 2026"]
    assert _find("baumkataster") == []

    # The replica gone: searches keep working on the primary.
    _on_replica(replica_url, "SELECT 1")
    monkeypatch.setitem(config, KEY, replica_url.replace(f":{sa.engine.make_url(replica_url).port}/", ":1/"))
    assert [d["title"] for d in _find("kita-plaetze")] == ["Kita-Plätze 2026"]
