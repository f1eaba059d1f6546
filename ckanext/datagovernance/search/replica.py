"""Search reads from a PostgreSQL streaming replica, never stale.

With ``ckanext.datagovernance.search.replica_url`` set, ``package_search``
(and everything built on it) reads the index from the replica, while writes
stay on the primary. A read goes to the primary instead when

- the request's own transaction has written (it must see its own, not yet
  committed rows: read-your-own-writes), or
- the replica has not yet replayed the last committed index write of any
  process: after every commit that wrote the index, the primary's WAL
  position is recorded in Redis (kept as a maximum), and the replica is asked
  in the same round trip as its first statement whether it has replayed that
  far, or
- the replica cannot be reached (logged; the catalog keeps answering).

So a committed write is visible to every later search, wherever it runs,
and the search cache (cache.py) never stores a replica result older than
the generation it is filed under: the WAL position is recorded before the
generation's second increment.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import ckan.model as model
import sqlalchemy as sa
from ckan.common import config
from ckan.lib.redis import connect_to_redis
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_WROTE = "datagovernance_replica_wrote"
_KEY = "datagovernance:search:{site}:index_lsn"
# keep the larger of the stored and the new position (writers commit concurrently)
_MAX_SCRIPT = """
local cur = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('set', KEYS[1], ARGV[1]) end
return 1
"""
# One engine (connection pool) per process and URL: connections cannot be
# shared between processes, so this is not state another process needs.
_engines: dict[str, sa.engine.Engine] = {}
# After a failed connection, the primary answers for this long (seconds).
_RETRY_AFTER = 10.0
_down_until: dict[str, float] = {}


def replica_url() -> str:
    return str(config.get("ckanext.datagovernance.search.replica_url") or "").strip()


def _key() -> str:
    return _KEY.format(site=config.get("ckan.site_id"))


# -- primary side ---------------------------------------------------------------
def _after_flush(session: Any, *args: Any) -> None:
    session.info[_WROTE] = True


def _after_end(session: Any, transaction: Any) -> None:
    if transaction.parent is None:  # the request's transaction, not a savepoint
        session.info.pop(_WROTE, None)


def session_wrote() -> bool:
    """Has the current transaction written anything yet?"""
    return bool(model.Session().info.get(_WROTE))


def mark_written() -> None:
    """This transaction wrote (raw SQL does not flush): read the primary."""
    model.Session().info[_WROTE] = True
    from .. import request_memo  # the request's memo of user facts is stale now

    request_memo.clear()


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "after_transaction_end", _after_end)


def index_committed() -> None:
    """Record the primary's WAL position after a commit that wrote the index
    (cache.py calls this before its second generation increment)."""
    if not replica_url():
        return
    try:
        with model.meta.engine.connect() as conn:  # type: ignore[union-attr]
            lsn = conn.execute(sa.text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")).scalar_one()
        connect_to_redis().eval(_MAX_SCRIPT, 1, _key(), int(lsn))
    except Exception as e:  # noqa: BLE001 - readers then find no position and use the primary
        log.warning("search replica: could not record the WAL position (%s)", e)
        try:
            connect_to_redis().set(_key(), 2**62)  # unknown: nobody trusts the replica until it is fixed
        except Exception:  # noqa: BLE001
            pass


# -- reading side ---------------------------------------------------------------
def _engine(url: str) -> sa.engine.Engine:
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = sa.create_engine(
            url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args={"connect_timeout": 3})
    return engine


def reader() -> Session | None:
    """A session on the replica with a read-only transaction begun, if this
    search may read there; None: read on the primary (model.Session)."""
    url = replica_url()
    if not url or model.Session().info.get(_WROTE) or _down_until.get(url, 0.0) > time.monotonic():
        return None
    try:
        stored = connect_to_redis().get(_key())
    except Exception:  # noqa: BLE001 - without the position no proof of freshness
        return None
    if stored is None:  # first search since the replica was configured (or Redis was emptied)
        index_committed()
        return None
    needed = int(stored)
    session = Session(bind=_engine(url))
    try:
        caught_up = session.execute(
            sa.text("SELECT coalesce(pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0'), -1) >= :needed"),
            {"needed": needed},
        ).scalar_one()
    except sa.exc.DBAPIError as e:
        session.close()
        _down_until[url] = time.monotonic() + _RETRY_AFTER
        log.warning("search replica unreachable, reading the primary for %ss (%s)", _RETRY_AFTER, e)
        return None
    if not caught_up:
        session.close()
        return None
    return session
