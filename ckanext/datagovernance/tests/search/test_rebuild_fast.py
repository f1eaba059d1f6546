"""`ckan search-index rebuild-fast` (one forked process per core) writes the
same index as `rebuild`: each child opens its own database connections
(the inherited one, shared, made them read each other's answers and hang)."""
from __future__ import annotations

import multiprocessing
import signal
from typing import Any

import ckan.model as model
import pytest
import sqlalchemy as sa
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests import factories

from .conftest import INDEX_TABLES, StatementLog, index_snapshot


def _timeout(*_args: Any) -> None:
    raise TimeoutError("rebuild-fast hangs")


# The CLI loads the plugins of test.ini (the whole suite), so this test runs
# with them too.
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_rebuild_fast_writes_the_index_rebuild_writes(cli):
    org = factories.Organization()
    for i in range(6):
        factories.Dataset(name=f"schnell-{i}", title=f"Radwegenetz {i}", owner_org=org["id"],
                          tags=[{"name": f"tag{i % 2}"}], private=i == 5)
    result = cli.invoke(ckan_cli, ["search-index", "rebuild"])
    assert result.exit_code == 0, result.output
    before = index_snapshot()
    assert len(before["index"]) == 6
    model.Session.execute(sa.text(f"TRUNCATE {', '.join(INDEX_TABLES)}"))
    model.Session.commit()
    model.Session.execute(sa.text("SELECT 1"))  # the session holds a connection when the command forks
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(60)
    try:
        result = cli.invoke(ckan_cli, ["search-index", "rebuild-fast"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        for child in multiprocessing.active_children():
            child.terminate()
    assert result.exit_code == 0, result.output
    assert index_snapshot() == before


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_rebuild_reads_each_dataset_row_once(cli):
    # package_show loads it; the index write (CKAN's permission labels, the
    # suite's activity relabel) gets that object instead of reading it again
    org = factories.Organization()
    for i in range(3):
        factories.Dataset(name=f"einmal-{i}", owner_org=org["id"], private=i == 2)
    result = cli.invoke(ckan_cli, ["search-index", "rebuild"])
    assert result.exit_code == 0, result.output
    before = index_snapshot()
    with StatementLog() as log:
        result = cli.invoke(ckan_cli, ["search-index", "rebuild"])
    assert result.exit_code == 0, result.output
    reads = [s for s in log.statements if s.startswith("SELECT package.id AS package_id, package.name")
             and "WHERE package.id = " in s]
    assert len(reads) == 3
    assert index_snapshot() == before
