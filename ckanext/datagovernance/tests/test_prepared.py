"""The suite's large reads are planned once per database connection
(prepared.py): the same rows as before, the statement prepared on the
connection and then only executed; what PostgreSQL cannot prepare, and
every write, runs as before, and the transaction stays usable."""
from __future__ import annotations

import uuid

import ckan.model as model
import pytest
import sqlalchemy as sa
from ckan.tests import factories

from ckanext.datagovernance import prepared

pytestmark = pytest.mark.usefixtures("clean_db")



def _names() -> sa.TextClause:
    """A read of a text no earlier test prepared on this connection."""
    return sa.text(f"""
    SELECT p.name FROM package p
     WHERE p.state = :state AND p.name LIKE 'prep-%' AND p.type = :type
     ORDER BY p.name /* {uuid.uuid4()} */""").bindparams(type="dataset")


def _prepared_here() -> set[str]:
    """The prepared statements of this database session, as PostgreSQL lists them."""
    return {r[0] for r in model.Session.execute(sa.text("SELECT name FROM pg_prepared_statements"))}


def _sent(run) -> list[str]:
    sent: list[str] = []

    def log(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    sa.event.listen(model.meta.engine, "before_cursor_execute", log)
    try:
        run()
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", log)
    return sent


def test_a_read_is_prepared_once_and_gives_the_same_rows():
    for name in ("prep-b", "prep-a", "other"):
        factories.Dataset(name=name)
    names = _names()
    plain = model.Session.execute(names, {"state": "active"}).all()
    first = _sent(lambda: prepared.execute(names, {"state": "active"}).all())
    assert [s.split()[0] for s in first] == ["SAVEPOINT", "PREPARE", "RELEASE", "EXECUTE"]
    rows: list = []
    again = _sent(lambda: rows.extend(prepared.execute(names, {"state": "active"}).all()))
    assert len(again) == 1 and again[0].startswith("EXECUTE datagovernance_")
    assert [r.name for r in rows] == [r.name for r in plain] == ["prep-a", "prep-b"]
    # a literal % of the text and the default bound with .bindparams() arrive unchanged
    text = " ".join(prepared.readable(again[0]).split())
    assert text.startswith("SELECT p.name FROM package p WHERE p.state = $1 AND p.name LIKE 'prep-%' AND p.type = $2")
    assert any(n.startswith("datagovernance_") for n in _prepared_here())
    # another value of the same statement: the same prepared statement
    assert prepared.execute(names, {"state": "deleted"}).all() == []


def test_a_statement_postgresql_cannot_prepare_runs_as_before_in_a_usable_transaction():
    untyped = sa.text("SELECT :value IS NULL AS missing")  # the parameter's type cannot be inferred
    assert prepared.execute(untyped, {"value": None}).scalar() is True
    assert prepared.execute(untyped, {"value": "x"}).scalar() is False
    # the refused PREPARE was undone by its savepoint: the transaction goes on
    assert model.Session.execute(sa.text("SELECT 1")).scalar() == 1
    assert not any(prepared.readable(f"EXECUTE {n}").startswith("SELECT :value") for n in _prepared_here())


def test_writes_are_never_prepared():
    factories.Dataset(name="prep-write")
    write = sa.text("WITH u AS (UPDATE package SET title = :title WHERE name = :name RETURNING name) "
                    "SELECT name FROM u")
    sent = _sent(lambda: prepared.execute(write, {"title": "Neu", "name": "prep-write"}).all())
    assert [s.split()[0] for s in sent] == ["WITH"]  # as written: the memo and replica see a write
    assert model.Package.by_name("prep-write").title == "Neu"


@pytest.mark.ckan_config("ckanext.datagovernance.sql.prepare", "false")
def test_the_setting_off_sends_every_statement_as_written():
    factories.Dataset(name="prep-c")
    names = _names()
    sent = _sent(lambda: prepared.execute(names, {"state": "active"}).all())
    assert len(sent) == 1 and sent[0].lstrip().startswith("SELECT p.name")
    assert [r.name for r in prepared.execute(names, {"state": "active"})] == ["prep-c"]


def test_beyond_the_bound_statements_run_as_written(monkeypatch):
    factories.Dataset(name="prep-d")
    monkeypatch.setattr(prepared, "_MAX_FORMS", len(prepared._forms))  # no room for another text
    names = _names()
    sent = _sent(lambda: prepared.execute(names, {"state": "active"}).all())
    assert len(sent) == 1 and sent[0].lstrip().startswith("SELECT p.name")
    assert [r.name for r in prepared.execute(names, {"state": "active"})] == ["prep-d"]
