"""A Redis cache for search counts and facets, exact across processes.

Counting facets over most of a large catalog (CKAN's landing and /dataset
pages) is the expensive part of a search. Results are cached under a
generation number that every index write increments twice: when it writes
(inside the transaction) and again after that transaction commits or rolls
back. A reader that computed a result from the old snapshot between the two
stored it under the intermediate generation, which nobody asks for after the
second increment, so a cached result never outlives the index state it was
computed from. The TTL bounds the damage of a process dying between a commit
and its second increment. Without Redis the cache is simply off.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import ckan.model as model
from ckan.common import config
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import replica

log = logging.getLogger(__name__)
_PREFIX = "datagovernance:search"
_SESSION_FLAG = "datagovernance_search_written"


def _ttl() -> int:
    return int(config.get("ckanext.datagovernance.search.cache_ttl") or 0)


def redis_for(ttl: int) -> Any | None:
    """The Redis connection of a cache whose entries live `ttl` seconds;
    None when that cache is off (ttl <= 0) or Redis cannot be reached (the
    caller computes instead). Also the DCAT fragment cache's (dcat/page.py)."""
    if ttl <= 0:
        return None
    try:
        from ckan.lib.redis import connect_to_redis

        return connect_to_redis()
    except Exception:  # noqa: BLE001 - no Redis: no cache
        return None


def _redis() -> Any | None:
    return redis_for(_ttl())


def _generation_key() -> str:
    return f"{_PREFIX}:{config.get('ckan.site_id')}:generation"


def bump() -> None:
    r = _redis()
    if r is None:
        return
    try:
        r.incr(_generation_key())
    except Exception as e:  # noqa: BLE001
        log.warning("search cache: could not invalidate (%s)", e)


def index_changed() -> None:
    """Call on every index write: invalidate now and after the transaction."""
    bump()
    model.Session().info[_SESSION_FLAG] = True
    replica.mark_written()


def _after_transaction(session: Any, *args: Any) -> None:
    if session.info.pop(_SESSION_FLAG, None):
        replica.index_committed()  # before the bump: see replica.py
        bump()


# Once per process, for every session: cheap unless the session wrote the index.
event.listen(Session, "after_commit", _after_transaction)
event.listen(Session, "after_soft_rollback", _after_transaction)


def key(*parts: Any) -> str | None:
    r = _redis()
    if r is None:
        return None
    try:
        generation = r.get(_generation_key()) or b"0"
    except Exception:  # noqa: BLE001
        return None
    digest = hashlib.sha1(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()
    return f"{_PREFIX}:{config.get('ckan.site_id')}:{generation.decode()}:{digest}"


def get(cache_key: str | None) -> Any | None:
    if cache_key is None:
        return None
    try:
        raw = _redis().get(cache_key)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001
        return None
    return json.loads(raw) if raw else None


def put(cache_key: str | None, value: Any) -> None:
    if cache_key is None:
        return
    try:
        _redis().set(cache_key, json.dumps(value), ex=_ttl())  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001
        pass
