"""Background jobs that exist only for committed changes.

``enqueue_after_commit`` remembers a job on the current database
transaction and enqueues it (CKAN's RQ queue) when the outermost transaction
commits; a rollback, of the whole transaction or of a savepoint the job was
registered in, drops it. A dry run or a refused change therefore never
leaves a job behind. ``call_after_commit`` does the same for any callable
(e.g. one that queues work in Redis itself)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import event

log = logging.getLogger(__name__)
_PENDING = "datagovernance_after_commit_jobs"


def call_after_commit(callback: Callable[[], Any], title: str) -> None:
    """Run ``callback`` once the current transaction commits (at once when
    nothing is pending); never for a rollback."""
    session = model.Session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:  # nothing pending: the change is already committed
        callback()
        return
    session.info.setdefault(_PENDING, []).append((transaction, callback, title))


def enqueue_after_commit(fn: Callable[..., Any], args: list[Any], title: str,
                         queue: str | None = None, **kwargs: Any) -> None:
    if queue is not None:  # None would name a queue of its own, not CKAN's default
        kwargs["queue"] = queue
    call_after_commit(lambda: tk.enqueue_job(fn, args, title=title, **kwargs), title)


def _after_commit(session: Any) -> None:
    if session.in_nested_transaction():
        return  # a released savepoint is reported as a commit too
    for _transaction, callback, title in session.info.pop(_PENDING, []):
        try:
            callback()
        except Exception:  # noqa: BLE001 - Redis trouble never undoes a committed change
            log.exception("could not enqueue %s", title)


def _after_soft_rollback(session: Any, previous_transaction: Any) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return

    def undone(transaction: Any) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    session.info[_PENDING] = [item for item in pending if not undone(item[0])]


event.listen(model.Session, "after_commit", _after_commit)
event.listen(model.Session, "after_soft_rollback", _after_soft_rollback)
