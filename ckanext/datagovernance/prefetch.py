"""Facts about many datasets, each read with one query, for a batch of
index writes.

Validating a new dataset asks whether its name is taken (the access-class
guard, roles/validators.py). Indexing a dataset asks the concerns a few facts about it (its owner's
name, its owners and domain lineage for the permission labels, its
access-grant readers, its latest quality score, whether it has activities
to relabel), one query each. The inventory import indexes every dataset
it wrote at the end; there these queries were most of its SQL. Inside
``scope()`` the fact functions answer from the table their ``prefetch_*``
companions filled with one query per fact for all datasets (this thread
only); outside, or for a dataset not in the table, they query as always.
Whoever opens the scope guarantees that nothing done inside it changes
these facts (the import validates its new rows before it writes any of
them and leaves out the names its changed rows touch; it indexes after all
writes and adds the new datasets' first activities only after indexing).
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
_local = threading.local()
_MISSING = object()


@contextlib.contextmanager
def scope() -> Iterator[None]:
    outer = getattr(_local, "table", None)
    _local.table = {} if outer is None else outer
    try:
        yield
    finally:
        _local.table = outer


def active() -> bool:
    return getattr(_local, "table", None) is not None


def put(kind: str, values: dict[str, Any]) -> None:
    table = getattr(_local, "table", None)
    if table is not None:
        for key, value in values.items():
            table[(kind, key)] = value


def forget(kind: str, key: str) -> None:
    """The fact changed inside the scope: ask the database again."""
    table = getattr(_local, "table", None)
    if table is not None:
        table.pop((kind, key), None)


def known(kind: str, key: str, compute: Callable[[], T]) -> T:
    """The prefetched fact, or compute(). The table's own value: a caller
    that changes what it gets copies it first."""
    table = getattr(_local, "table", None)
    if table is not None:
        hit = table.get((kind, key), _MISSING)
        if hit is not _MISSING:
            return hit  # type: ignore[no-any-return]
    return compute()
