"""Facts of several concerns about one dataset, read in one statement.

The dataset page shows a logged-in user several panels (approval, people
responsible, ...); each concern's facts are one SQL expression yielding a
JSON value (a ``Part``, defined once in the concern's module). A concern
reads its part alone; a page reads the parts it shows together, in one
statement, and each part puts its value into the request memo where the
concern's own read finds it (``request_memo`` rules: per request, dropped
on writes). The JSON values carry only the columns shown or decided on:
no ORM rows are loaded for them.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import ckan.model as model
import sqlalchemy as sa


@dataclasses.dataclass(frozen=True)
class Part:
    """`sql`: an expression yielding JSON, of the bind parameter ``:pkg``
    (the dataset's id) and those `params(pkg)` gives (names the part's
    own); `remember(pkg, value)` puts the parsed value into the request
    memo and returns it."""
    sql: str
    remember: Callable[[model.Package, Any], Any]
    params: Callable[[model.Package], dict[str, Any]] | None = None


def read_together(pkg: model.Package, parts: Iterable[Part]) -> list[Any]:
    """Each part's parsed value, all read in one statement."""
    parts = list(parts)
    if not parts:
        return []
    params: dict[str, Any] = {"pkg": pkg.id}
    for part in parts:
        params.update(part.params(pkg) if part.params else {})
    row = model.Session.execute(sa.text("SELECT " + ", ".join(p.sql for p in parts)), params).one()
    return [part.remember(pkg, value) for part, value in zip(parts, row, strict=True)]


def time(value: str | None) -> dt.datetime | None:
    """A timestamp of a JSON value (PostgreSQL writes ISO 8601 with offset)."""
    return dt.datetime.fromisoformat(value) if value else None
