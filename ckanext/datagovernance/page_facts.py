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

from . import prepared, request_memo


@dataclasses.dataclass(frozen=True)
class Part:
    """`sql`: an expression yielding JSON, of the bind parameter ``:pkg``
    (the dataset's id) and those `params(pkg)` gives (names the part's
    own); `remember(pkg, value)` puts the parsed value into the request
    memo and returns it; `memo(pkg)`: where (name, key), so that a part the
    request has read already is not read again."""
    sql: str
    remember: Callable[[model.Package, Any], Any]
    params: Callable[[model.Package], dict[str, Any]] | None = None
    memo: Callable[[model.Package], tuple[str, str]] | None = None


def read_together(pkg: model.Package, parts: Iterable[Part]) -> list[Any]:
    """Each part's parsed value, all read in one statement (those the
    request memo holds already from it)."""
    values: dict[int, Any] = {}
    missing: list[tuple[int, Part]] = []
    for n, part in enumerate(parts):
        held = request_memo.get(*part.memo(pkg)) if part.memo else request_memo.MISSING
        if held is request_memo.MISSING:
            missing.append((n, part))
        else:
            values[n] = held
    if missing:
        params: dict[str, Any] = {"pkg": pkg.id}
        for _n, part in missing:
            params.update(part.params(pkg) if part.params else {})
        row = prepared.execute(prepared.text("SELECT " + ", ".join(p.sql for _n, p in missing)), params).one()
        for (n, part), value in zip(missing, row, strict=True):
            values[n] = part.remember(pkg, value)
    return [values[n] for n in sorted(values)]


def time(value: str | None) -> dt.datetime | None:
    """A timestamp of a JSON value (PostgreSQL writes ISO 8601 with offset)."""
    return dt.datetime.fromisoformat(value) if value else None
