"""Per-request memo of facts about the current user (issue 16).

A logged-in page asks the same questions several times (the user's labels,
site roles, stewarded domains: for the search, the header badges, the menu,
auth checks). Within one request the answer is kept on ``flask.g``; nothing
outlives the request (several worker processes and machines share one
database, so no process-local cache). Any write the request makes drops the
memo: a flush of the session, or raw SQL that marks the transaction written
(``search.replica.mark_written``); while the transaction has written, the
memo is bypassed. Outside a request there is no memo."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .search import replica

_KEY = "datagovernance_request_memo"
T = TypeVar("T")


def clear() -> None:
    if has_request_context():
        g.pop(_KEY, None)


def remembered(name: str, key: str, compute: Callable[[], T]) -> T:
    """`compute()` once per request for (name, key)."""
    if not has_request_context() or replica.session_wrote():
        clear()
        return compute()
    memo: dict[tuple[str, str], Any] = g.setdefault(_KEY, {})
    if (name, key) not in memo:
        memo[(name, key)] = compute()
    return memo[(name, key)]


MISSING = object()


def get(name: str, key: str) -> Any:
    """The remembered value, or MISSING (nothing yet, or not to be trusted)."""
    if not has_request_context() or replica.session_wrote():
        return MISSING
    return g.get(_KEY, {}).get((name, key), MISSING)


def put(name: str, key: str, value: Any) -> None:
    """Remember a fact read together with others (one query for several
    questions of the page); the same rules as ``remembered``."""
    if has_request_context() and not replica.session_wrote():
        g.setdefault(_KEY, {})[(name, key)] = value


def _after_flush(*_args: Any) -> None:
    clear()


event.listen(Session, "after_flush", _after_flush)


def _after_write_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    # SQL that writes without an ORM flush (bulk inserts, raw updates)
    # makes the memo stale as well
    if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
        clear()


event.listen(Engine, "before_cursor_execute", _after_write_statement)
