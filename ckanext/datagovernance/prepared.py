"""The suite's large read statements, planned once per database connection.

Planning the statements a logged-in page adds (the permission labels, the
task badge, the dashboard count, the dataset page's panels) takes PostgreSQL
0.2-1.2 ms each: as long as running them (issue 16, `bench/pages.py`
`BENCH_SQL_EXPLAIN=times`). A statement sent through ``execute`` is
prepared on the connection the first time (``PREPARE``) and then only
executed (``EXECUTE``): PostgreSQL plans it for its first five executions and
then keeps the generic plan where that is not costlier than planning anew.

Only reads are prepared (``SELECT``/``WITH`` without a data-modifying
keyword): the request memo and the replica routing recognise writes by their
text. A statement PostgreSQL cannot prepare (a parameter whose type it cannot
infer), or one whose parameters need SQLAlchemy's conversion, runs as before.

Prepared statements belong to the database session. Behind a connection
pooler that hands each transaction another session (PgBouncer in transaction
mode) they are lost: set ``ckanext.datagovernance.sql.prepare = false`` there.
"""
from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

_READ = re.compile(r"^\s*(SELECT|WITH)\b", re.I)
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|FOR\s+UPDATE|FOR\s+SHARE)\b", re.I)
_BIND = re.compile(r"%\((\w+)\)s")
_INFO_KEY = "datagovernance_prepared"
# compiled forms by statement text and bound defaults; statements built per
# call (the task query has a few shapes, by the user's roles) are few, but
# keep it bounded: so are the statements prepared on each connection
_MAX_FORMS = 1024
_forms: dict[tuple[str, tuple[tuple[str, str], ...]], _Form | None] = {}
_bodies: dict[str, str] = {}  # prepared name -> its text (for readable())
_EXECUTE = re.compile(r"^\s*EXECUTE (datagovernance_[0-9a-f]+)")


class _Form:
    """A statement as PREPARE wants it: `$n` parameters in order of names."""
    __slots__ = ("name", "body", "names", "defaults")

    def __init__(self, body: str, names: list[str], defaults: dict[str, Any]) -> None:
        self.body, self.names, self.defaults = body, names, defaults
        self.name = "datagovernance_" + hashlib.sha1(body.encode()).hexdigest()[:20]


@functools.lru_cache(maxsize=1024)
def text(sql: str) -> sa.TextClause:
    """``sa.text(sql)``, made once per process for each statement text: the
    statements built per call (the search, the task badge, the dataset page's
    panels) are long, and SQLAlchemy scans the whole text for bind parameters
    with a regular expression each time (~10 % of what the office's dataset
    page adds to an anonymous one). A text clause is not changed by
    executing it. Bounded: the texts are few shapes, not values."""
    return sa.text(sql)


def enabled() -> bool:
    return tk.asbool(tk.config.get("ckanext.datagovernance.sql.prepare", True))


def _form(statement: sa.TextClause, dialect: sa.engine.Dialect) -> _Form | None:
    binds = statement._bindparams  # the defaults given by .bindparams()
    key = (statement.text, tuple(sorted((k, repr(b.value)) for k, b in binds.items())))
    if key in _forms:
        return _forms[key]
    if len(_forms) >= _MAX_FORMS:
        return None  # bounded (per process and per connection): further texts run as written
    form: _Form | None = None
    if _READ.match(statement.text) and not _WRITES.search(statement.text):
        compiled = statement.compile(dialect=dialect)
        plain = all(b.type._cached_bind_processor(dialect) is None and not b.expanding
                    for b in compiled.binds.values())
        if plain and "POSTCOMPILE" not in compiled.string:
            names: list[str] = []

            def number(m: re.Match[str]) -> str:
                if m.group(1) not in names:
                    names.append(m.group(1))
                return f"${names.index(m.group(1)) + 1}"

            # the compiled text escapes a literal % as %% for the driver, which
            # formats PREPARE too (SQLAlchemy hands it an empty mapping)
            body = _BIND.sub(number, compiled.string)
            form = _Form(body, names, {k: b.value for k, b in binds.items() if b.value is not None})
    _forms[key] = form
    if form is not None:
        _bodies[form.name] = form.body.replace("%%", "%")
    return form


def execute(statement: sa.TextClause, params: dict[str, Any] | None = None) -> sa.CursorResult[Any]:
    """``model.Session.execute(statement, params)``, the statement prepared
    on this connection (see the module's text)."""
    session = model.Session
    if not enabled():
        return session.execute(statement, params)  # type: ignore[return-value]
    conn = session.connection()
    form = _form(statement, conn.dialect)
    if form is None:
        return session.execute(statement, params)  # type: ignore[return-value]
    values = dict(form.defaults, **(params or {}))
    if any(n not in values for n in form.names):
        return session.execute(statement, params)  # type: ignore[return-value]  # SQLAlchemy names what is missing
    prepared: dict[str, bool] = conn.connection.info.setdefault(_INFO_KEY, {})
    if form.name not in prepared:
        prepared[form.name] = _prepare(conn, form)
    if not prepared[form.name]:
        return session.execute(statement, params)  # type: ignore[return-value]
    args = ", ".join(f"%({n})s" for n in form.names)
    return conn.exec_driver_sql(f"EXECUTE {form.name}({args})" if args else f"EXECUTE {form.name}",
                                {n: values[n] for n in form.names})


def _prepare(conn: sa.Connection, form: _Form) -> bool:
    """PREPARE in a savepoint: a statement PostgreSQL refuses leaves the
    transaction usable (it then runs unprepared). PREPARE itself is not
    undone by a rollback: it lives as long as the database session."""
    if getattr(conn.connection.dbapi_connection, "autocommit", False):  # no savepoints outside a transaction
        return False
    conn.exec_driver_sql("SAVEPOINT datagovernance_prepare")
    try:
        conn.exec_driver_sql(f"PREPARE {form.name} AS {form.body}")
    except sa.exc.DBAPIError:  # any refusal: run it unprepared
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT datagovernance_prepare")
        return False
    finally:
        conn.exec_driver_sql("RELEASE SAVEPOINT datagovernance_prepare")
    return True


def readable(statement: str) -> str:
    """The text of a statement as sent: for an ``EXECUTE`` of a prepared
    statement the prepared text (statement logs of benches and tests)."""
    m = _EXECUTE.match(statement)
    return _bodies.get(m.group(1), statement) if m else statement


def preparing(statement: str) -> bool:
    """One of the statements that prepare a statement on a connection (sent
    once per connection and statement, not per request)."""
    return "datagovernance_prepare" in statement or statement.startswith("PREPARE datagovernance_")
