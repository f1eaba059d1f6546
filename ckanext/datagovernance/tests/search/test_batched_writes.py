"""Index rows held by ``batched_writes`` (the inventory import writes the
documents of all its new datasets with one statement): written when the
block ends, never when it fails, and before a delete inside it."""
from __future__ import annotations

import ckan.model as model
import pytest
import sqlalchemy as sa

from ckanext.datagovernance.search.backend import PostgresSolr, batched_writes

from .conftest import SEARCH_PLUGINS

pytestmark = [pytest.mark.usefixtures("clean_db", "with_plugins"),
              pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)]


def _doc(n: int) -> dict[str, str]:
    return {"id": f"batch-{n}", "index_id": f"batch-{n}", "name": f"stapel-{n}", "title": f"Stapel {n}",
            "dataset_type": "dataset", "entity_type": "package", "state": "active"}


def _stored() -> list[str]:
    return list(model.Session.scalars(sa.text(
        "SELECT id FROM datagovernance_search_index WHERE id LIKE 'batch-%' ORDER BY id")))


def test_rows_are_written_when_the_block_ends():
    conn = PostgresSolr()
    with batched_writes():
        conn.add([_doc(1)])
        conn.add([_doc(2)])
        assert _stored() == []  # held, not yet written
    assert _stored() == ["batch-1", "batch-2"]


def test_a_failing_block_writes_nothing():
    conn = PostgresSolr()
    with pytest.raises(RuntimeError), batched_writes():
        conn.add([_doc(1)])
        raise RuntimeError("Zeile 7 ungültig")
    assert _stored() == []
    conn.add([_doc(3)])  # after the block, rows are written at once again
    assert _stored() == ["batch-3"]


def test_a_delete_inside_the_block_comes_after_the_held_rows():
    conn = PostgresSolr()
    with batched_writes():
        conn.add([_doc(1), _doc(2)])
        conn.delete(id="batch-1")
    assert _stored() == ["batch-2"]
