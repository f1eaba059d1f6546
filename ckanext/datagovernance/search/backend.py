"""The pysolr client surface, answered by PostgreSQL.

CKAN builds its Solr documents and queries itself (``ckan.lib.search``) and
hands them to ``make_connection()``'s client. This class is that client: it
stores the documents in ``datagovernance_search_index`` through CKAN's own
SQLAlchemy session (so the index row is written in the dataset's transaction)
and answers ``search()`` with the Solr response shape CKAN expects.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import ckan.model as model
import click
import pysolr
import sqlalchemy as sa
from ckan.common import asbool as tk_asbool
from ckan.common import config
from ckan.lib.search.common import (
    SearchError,
    SearchIndexError,
    SearchQueryError,
    solr_datetime_decoder,
)
from flask import has_request_context
from sqlalchemy import exc as sa_exc

from .. import prepared
from . import cache, replica, stats
from . import query as lucene

log = logging.getLogger(__name__)

TABLE = "datagovernance_search_index"
COUNTS_TABLE = "datagovernance_search_facet_counts"
# the kept counts' month facet (migration 009) and the class columns
MONTH_FACET = "_month"
CLASS_COLUMNS = "k.site_id, k.state, k.capacity, k.entity_type, k.dataset_type, k.permission_labels"
# organisation-scoped kept counts (migration 010): facet `_org:<facet>`
# (`_org:` the datasets), value the JSON text [<value>, <organisation>]
ORG_SCOPE = "_org:"
# narrow copy of the rows for searches without free text (migration 008)
FILTER_TABLE = "datagovernance_search_filter"
# fields kept as columns of the index table, equal to the document's
# values: a page of only these is read without the documents
COLUMN_FIELDS = ("id", "name")
# columns only the wide index table has; SQL naming none of them can run on
# the filter table
_WIDE_COLUMNS_RE = re.compile(r"\b(doc|fields|tsv|tsv_internal)\b")
# Stored-only fields: returned for `fl`, never searched (as in CKAN's schema).
STORED_ONLY = frozenset({"data_dict", "validated_data_dict"})
# Which tsvector weight a field's words get; everything else textual is D.
WEIGHTS = {"name": "A", "title": "A", "tags": "B", "groups": "B", "notes": "C"}
# Document key naming the document's internal fields (set by the core
# plugin's before_dataset_index): their text goes to `tsv_internal`, which
# only the staff text field searches, never into the public `tsv`.
INTERNAL_KEY = "datagovernance_internal_fields"
# Fields that never contribute to free text (ids, flags, bookkeeping).
NOT_TEXT = frozenset(
    {
        "id", "index_id", "site_id", "entity_type", "dataset_type", "type", "state",
        "capacity", "permission_labels", "private", "owner_org", "creator_user_id",
        "metadata_created", "metadata_modified", "num_resources", "num_tags",
        "title_string", "isopen", "license_url", "indexed_ts", INTERNAL_KEY,
    }
)
MAX_KEYWORD_LENGTH = 256
# sort columns with an index (see the migrations) and the result size from
# which the page is read along that index
INDEXED_SORTS = ("metadata_modified", "title_string")
INDEX_WALK_MIN = 2000
# CKAN's look-up of one dataset by key (lib/search/query.py get_index)
_KEY_LOOKUP = re.compile(r'name:"([^"]*)" OR id:"\1"')
_KEY_ROWS = 10  # a name and an id match at most two rows; more: searched as usual
# the rank of title-only queries (autocomplete), see _rank_sql
_TITLE_RANK_RE = re.compile(r"ts_rank\(title_tsv, (.*)\)", re.S)
_SORT_FIELD_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_RANK_WEIGHTS = "{0.25, 0.25, 0.5, 1.0}"  # D, C, B, A ~ qf "name^4 title^4 tags^2 groups^2 text"


def _text_config() -> str:
    return config.get("ckanext.datagovernance.search.text_config") or "german"


def _facet_counts_enabled() -> bool:
    return tk_asbool(config.get("ckanext.datagovernance.search.facet_counts", True))


@functools.lru_cache(maxsize=4)
def _parse_keys(raw: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(raw.split()))


def narrow_keys() -> tuple[str, ...]:
    """The keyword fields the filter table carries in `f_keywords`
    (migration 011), for searches and the task query without the wide row."""
    raw = config.get("ckanext.datagovernance.search.narrow_fields")
    return _parse_keys(" ".join(raw) if isinstance(raw, (list, tuple)) else str(raw or ""))


def _statement_timeout() -> int:
    return int(config.get("ckanext.datagovernance.search.statement_timeout") or 0)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def _as_string(key: str, value: Any) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if key.endswith("_date") or key in lucene.TIMESTAMP_FIELDS or isinstance(value, dt.datetime):
        return lucene.normalise_date_string(value) or str(value)
    return str(value)


def _first(value: Any) -> str | None:
    values = _as_list(value)
    return str(values[0]) if values and values[0] is not None else None


def _parse_timestamp(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return lucene.parse_solr_date(str(value))
    except SearchQueryError:
        return None


def build_row(doc: dict[str, Any]) -> dict[str, Any]:
    """One Solr document -> the column values of its index row."""
    fields: dict[str, list[str]] = {}
    text: dict[str, list[str]] = {"A": [], "B": [], "C": [], "D": [], "I": []}
    internal = {str(k) for k in _as_list(doc.get(INTERNAL_KEY))}
    for key, value in doc.items():
        if key in STORED_ONLY:
            continue
        # distinct values: facets count datasets, not resources
        values = list(dict.fromkeys(s for s in (_as_string(key, v) for v in _as_list(value)) if s is not None))
        if not values:
            continue
        if key in internal:
            text["I"].extend(values)
        elif key not in NOT_TEXT and not key.endswith("_date"):
            text[WEIGHTS.get(key, "D")].extend(values)
        # `fields` holds keyword values (filters, facets, ranges) and stays
        # small enough to live in the row; free text is in the tsvectors and
        # the stored document.
        if lucene.is_text_field(key):
            continue
        if key in lucene.SINGLE_VALUED_FACETS and len(values) > 1:
            # as Solr answers for a multiValued="false" field
            raise SearchIndexError(f"multiple values encountered for non multiValued field {key}: {values}")
        short = [v for v in values if len(v) <= MAX_KEYWORD_LENGTH]
        if short:
            fields[key] = short
    index_id = doc.get("index_id") or doc.get("id")
    if not index_id or not doc.get("id"):
        raise SearchIndexError("Search document without id")
    title = doc.get("title")
    labels = [str(v) for v in _as_list(doc.get("permission_labels"))]
    return {
        "state": _first(doc.get("state")),
        "capacity": _first(doc.get("capacity")),
        "entity_type": _first(doc.get("entity_type")),
        "dataset_type": _first(doc.get("dataset_type")),
        "permission_labels": labels,
        **{f"f_{c}": fields.get(c, []) for c in lucene.FACET_COLUMN_FIELDS},
        "index_id": str(index_id),
        "id": str(doc["id"]),
        "site_id": str(doc.get("site_id") or config.get("ckan.site_id")),
        "name": doc.get("name"),
        "title": title if isinstance(title, str) else None,
        "title_string": doc.get("title_string"),
        "metadata_modified": _parse_timestamp(doc.get("metadata_modified")),
        "metadata_created": _parse_timestamp(doc.get("metadata_created")),
        "fields": json.dumps(fields),
        # the few keys the narrow filter table carries (its trigger copies them)
        "f_keywords": json.dumps({k: fields[k] for k in narrow_keys() if k in fields}),
        "doc": json.dumps(doc, default=str),
        # values joined with the gap word: a phrase never spans two values
        **{f"t{w.lower()}": lucene.GAP_JOIN.join(text[w]) for w in ("A", "B", "C", "D", "I")},
        "cfg": _text_config(),
    }


def _vector(param: str, weight: str) -> str:
    # stemmed + exact words, gaps between values and fields, reversed stems
    # for compounds (migration 006)
    return f"setweight(datagovernance_search_vector(CAST(:cfg AS regconfig), :{param}), '{weight}')"


_UPSERT_SQL = (
    f"""
    INSERT INTO {TABLE} (index_id, id, site_id, name, title, title_string,
        state, capacity, entity_type, dataset_type, permission_labels,
        {", ".join(f"f_{c}" for c in lucene.FACET_COLUMN_FIELDS)},
        metadata_modified, metadata_created, fields, f_keywords, doc, tsv, tsv_internal, title_tsv, indexed_at)
    VALUES (:index_id, :id, :site_id, :name, :title, :title_string,
        :state, :capacity, :entity_type, :dataset_type, CAST(:permission_labels AS text[]),
        {", ".join(f"CAST(:f_{c} AS text[])" for c in lucene.FACET_COLUMN_FIELDS)},
        :metadata_modified, :metadata_created, CAST(:fields AS jsonb), CAST(:f_keywords AS jsonb),
        CAST(:doc AS jsonb),
        {_vector("ta", "A")} || {_vector("tb", "B")} || {_vector("tc", "C")} || {_vector("td", "D")},
        {_vector("ti", "D")},
        datagovernance_search_vector(CAST(:cfg AS regconfig), coalesce(:title, '')),
        now())
    ON CONFLICT (index_id) DO UPDATE SET
        id = EXCLUDED.id, site_id = EXCLUDED.site_id, name = EXCLUDED.name,
        title = EXCLUDED.title, title_string = EXCLUDED.title_string,
        state = EXCLUDED.state, capacity = EXCLUDED.capacity, entity_type = EXCLUDED.entity_type,
        dataset_type = EXCLUDED.dataset_type, permission_labels = EXCLUDED.permission_labels,
        {", ".join(f"f_{c} = EXCLUDED.f_{c}" for c in lucene.FACET_COLUMN_FIELDS)},
        metadata_modified = EXCLUDED.metadata_modified,
        metadata_created = EXCLUDED.metadata_created, fields = EXCLUDED.fields,
        f_keywords = EXCLUDED.f_keywords,
        doc = EXCLUDED.doc, tsv = EXCLUDED.tsv, tsv_internal = EXCLUDED.tsv_internal,
        title_tsv = EXCLUDED.title_tsv,
        indexed_at = EXCLUDED.indexed_at
    """
)
_UPSERT = sa.text(_UPSERT_SQL)
_UPSERT_VALUES = re.search(r"VALUES (\(.*?\n        now\(\)\))", _UPSERT_SQL, re.S)[1]


# Set while a caller that never reads the hit count searches (autocomplete):
# the count of every match is skipped and numFound is the rows returned.
_without_count: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "datagovernance_search_without_count", default=False
)


@contextlib.contextmanager
def without_count() -> Iterator[None]:
    token = _without_count.set(True)
    try:
        yield
    finally:
        _without_count.reset(token)


def _without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL, so no document contains one: a query
    character NUL matches nothing and is dropped (the driver would raise)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _in_cli() -> bool:
    return click.get_current_context(silent=True) is not None


# `search-index rebuild-fast` forks one process per core, each running
# CKAN's rebuild for its share of the datasets (and inheriting the
# command's click context, so the check below holds there too).
_REBUILD_COMMANDS = ("rebuild", "rebuild-fast")


def _in_rebuild() -> bool:
    """True inside `ckan search-index rebuild` or `rebuild-fast` (CKAN runs
    its commands in a test request context, so a request context says
    nothing here)."""
    ctx = click.get_current_context(silent=True)
    return (
        ctx is not None and ctx.info_name in _REBUILD_COMMANDS
        and ctx.parent is not None and ctx.parent.info_name == "search-index"
    )


_inherited_sessions: list[Any] = []
_shown = threading.local()


def hold_shown_package(package: Any) -> None:
    """Inside a rebuild: keeps the dataset package_show just loaded until the
    next one. The session's identity map holds objects weakly, so the
    `Package.get` calls of the same dataset's index write (CKAN's
    `index_package`, the suite's activity relabel) each read the row again;
    held, they get the object of this show, in the same transaction, where
    nothing changes the dataset between its show and its index write."""
    if _in_rebuild():
        _shown.package = package


def _own_connections_after_fork() -> None:
    """`rebuild-fast` forks with the command's pooled database connection
    (and the session's, if it holds one): two processes on one socket read
    each other's answers and hang. The child leaves the inherited pool alone
    (close=False: closing would end the parent's connections), sets the
    inherited session aside unclosed (its close would roll back the
    parent's transaction) and opens its own."""
    if _in_rebuild():
        if model.Session.registry.has():
            _inherited_sessions.append(model.Session.registry())  # kept: never closed, never collected
            model.Session.registry.clear()
        model.meta.engine.dispose(close=False)
        _pending().clear()


os.register_at_fork(after_in_child=_own_connections_after_fork)


# `search-index rebuild` and `batched_writes()` (the inventory import) write
# their rows REBUILD_BATCH at a time: one statement fires the index-side
# triggers (filter, counts, words) once per batch instead of once per
# dataset. The buffer belongs to the thread (its scoped session) and is
# written before every commit, search and delete, and dropped on rollback,
# so it never outlives the transaction it belongs to.
REBUILD_BATCH = 250
_buffer = threading.local()
_batching: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "datagovernance_search_batching", default=False
)


def _pending() -> dict[str, dict[str, Any]]:
    rows = getattr(_buffer, "rows", None)
    if rows is None:
        rows = _buffer.rows = {}
    return rows


@contextlib.contextmanager
def batched_writes() -> Iterator[None]:
    """Index rows added inside the block go to the buffer above (an import
    indexes thousands of new datasets; a statement each was most of its
    index SQL) and are written when the block ends. A block that raises
    writes nothing of what it buffered: its caller rolls back."""
    token = _batching.set(True)
    try:
        yield
    except BaseException:
        _pending().clear()
        raise
    finally:
        _batching.reset(token)
    flush_pending()


@functools.lru_cache(maxsize=8)
def _upsert_many(count: int) -> sa.TextClause:
    """The upsert with `count` VALUES rows; parameters get the suffix _<i>."""
    values = _UPSERT_VALUES
    rows = ",\n".join(re.sub(r":(\w+)", rf":\g<1>_{i}", values) for i in range(count))
    return sa.text(_UPSERT_SQL.replace("VALUES " + values, "VALUES " + rows))


def _write(rows: list[dict[str, Any]]) -> None:
    if len(rows) == 1:
        model.Session.execute(_UPSERT, rows[0])
        return
    params = {f"{k}_{i}": v for i, row in enumerate(rows) for k, v in row.items()}
    model.Session.execute(_upsert_many(len(rows)), params)


def flush_pending() -> None:
    """Writes the rows a rebuild has buffered (no-op when none)."""
    pending = _pending()
    if not pending:
        return
    rows = list(pending.values())
    pending.clear()
    for lo in range(0, len(rows), REBUILD_BATCH):
        try:
            _write(rows[lo:lo + REBUILD_BATCH])
        except sa_exc.DBAPIError as e:
            raise SearchIndexError(f"Could not write the search index: {e.orig}") from e


def _end_of_transaction(_session: Any, transaction: Any) -> None:
    # committed rows were flushed by before_commit; anything left belongs to
    # a transaction that was rolled back or closed
    if transaction.parent is None:
        _pending().clear()


sa.event.listen(model.Session, "before_commit", lambda _session: flush_pending())
sa.event.listen(model.Session, "after_transaction_end", _end_of_transaction)


class PostgresSolr:
    """Drop-in for ``pysolr.Solr`` as CKAN uses it."""

    def __init__(self, decode_dates: bool = True) -> None:
        self.decode_dates = decode_dates
        self.url = f"postgresql:{TABLE}"

    # -- writing ------------------------------------------------------------
    def add(self, docs: Iterable[dict[str, Any]], commit: bool = True, **kwargs: Any) -> str:
        rows = [build_row(d) for d in docs]
        if not rows:
            return ""
        if _batching.get() or (not commit and _in_rebuild()):
            # the rows belong to the session's transaction: begin it now, so
            # that its end (commit or rollback) always reaches the buffer
            model.Session.connection()
            pending = _pending()
            if not pending:
                # once per buffer, not per document (a Redis round trip each): the
                # rows become visible with the transaction, whose end bumps again
                cache.index_changed()
            for row in rows:  # the last version of a document wins
                pending.pop(row["index_id"], None)
                pending[row["index_id"]] = row
            if len(pending) >= REBUILD_BATCH:
                flush_pending()
            stats.written(len(rows))
            return ""
        flush_pending()
        unique = list({row["index_id"]: row for row in rows}.values())
        try:
            for lo in range(0, len(unique), REBUILD_BATCH):
                _write(unique[lo:lo + REBUILD_BATCH])
        except sa_exc.DBAPIError as e:
            raise SearchIndexError(f"Could not write the search index: {e.orig}") from e
        cache.index_changed()
        stats.written(len(rows))
        return ""

    def delete(
        self, id: str | list[str] | None = None, q: str | None = None, commit: bool = True, **kwargs: Any
    ) -> str:
        if id is None and q is None:
            raise ValueError('You must specify "id" or "q".')
        flush_pending()
        params: dict[str, Any]
        if id is not None:
            where, params = "index_id = ANY(:ids)", {"ids": _as_list(id)}
        else:
            compiler = lucene.QueryCompiler(_text_config(), keyword_fields=narrow_keys())
            where, params = compiler.compile(q or ""), compiler.params
        model.Session.execute(sa.text(f"DELETE FROM {TABLE} WHERE {where}"), params)
        cache.index_changed()
        # Inside an action CKAN commits the whole transaction itself; a bare
        # CLI call (`ckan search-index clear NAME`) has nobody else to do it.
        if commit and _in_cli():
            model.Session.commit()
        return ""

    def commit(self, **kwargs: Any) -> str:
        flush_pending()
        # The index rows are written in the caller's transaction and become
        # durable with it, so a Solr-style commit has nothing of its own to
        # commit. Committing the session here would commit the caller's
        # unrelated pending work (and release its row locks) midway. Only a
        # bare CLI call (`ckan search-index ...`, `ckan harvester reindex`),
        # where the command's own index writes are all that is pending, is
        # committed here.
        if _in_cli() and not has_request_context():
            model.Session.commit()
        return ""

    def optimize(self, **kwargs: Any) -> str:
        return ""

    def ping(self, **kwargs: Any) -> str:
        model.Session.execute(sa.text(f"SELECT 1 FROM {TABLE} LIMIT 1"))
        return "{}"

    # -- reading ------------------------------------------------------------
    def search(self, q: str | None = None, search_handler: str | None = None, **kwargs: Any) -> pysolr.Results:
        flush_pending()  # a rebuild reads its own writes
        params = {k: _without_nul(v) for k, v in kwargs.items()}
        compiler = lucene.QueryCompiler(
            _text_config(),
            default_operator=str(params.get("q.op") or "AND"),
            default_field=str(params.get("df") or "text"),
            keyword_fields=narrow_keys(),
        )
        q = _without_nul(q) if q is not None else params.get("q", "*:*")
        def_type = params.get("defType", "lucene")
        if def_type in ("dismax", "edismax") and q not in ("*:*", ""):
            where = [compiler.compile_free_text(q)]
        else:
            where = [compiler.compile(q or "*:*")]
        for fq in _as_list(params.get("fq")):
            if fq:
                where.append(compiler.compile(str(fq)))
        cond = " AND ".join(where)
        rows = _int_param(params, "rows", 10)
        start = _int_param(params, "start", 0)
        fl = _field_list(params.get("fl"))
        rank_sql = _rank_sql(compiler)
        order_by = _order_by(params.get("sort"), compiler, rank_sql)

        facet_fields = []
        if str(params.get("facet", "false")).lower() in ("true", "on", "1"):
            facet_fields = [str(f) for f in _as_list(params.get("facet.field")) if f]
            facet_fields = list(dict.fromkeys(facet_fields))
        facet_limit = _int_param(params, "facet.limit", 50, allow_negative=True)
        facet_mincount = max(1, _int_param(params, "facet.mincount", 1))

        bind = compiler.params
        _expand_compounds(compiler)
        # no free text, no document fields: count, facet and page on the
        # narrow filter table; only the page's documents come from the index
        # (facets: CKAN's facet columns and the declared keyword fields)
        in_columns = all(f in lucene.FACET_COLUMN_FIELDS for f in facet_fields)
        keywords = narrow_keys()
        narrow = not any(
            _WIDE_COLUMNS_RE.search(sql_part)
            for sql_part in (cond, order_by, rank_sql)
        ) and all(f in lucene.FACET_COLUMN_FIELDS or f in keywords for f in facet_fields)
        src = FILTER_TABLE if narrow else TABLE
        # visibility-only searches (landing page, /dataset) read kept counts
        counted = _facet_counts_enabled() and compiler.only_visibility_filters()
        # visibility + modified ranges, no facets (DCAT feed): kept month counts
        month_counted = (
            _facet_counts_enabled() and not facet_fields and compiler.only_visibility_and_modified()
        )
        # visibility + organisation (the organisation page), or that and one
        # required value of another facet (`+res_format:CSV`, no facets
        # asked): kept counts per organisation
        # (narrow: the SQL reads no column the counts cannot stand in for,
        # e.g. `organization:*` tests the `fields` document)
        # (the kept counts hold the facet columns only)
        org_counted = (
            _facet_counts_enabled() and narrow and in_columns and not counted
            and compiler.only_visibility_and_organization()
        )
        one_value = (
            compiler.one_required_facet_value()
            if _facet_counts_enabled() and narrow and not facet_fields and not counted and not org_counted
            else None
        )
        if not facet_fields and start == 0 and rows <= _KEY_ROWS and _KEY_LOOKUP.fullmatch(str(q or "")):
            found = self._key_lookup(src, cond, bind, fl, rank_sql, order_by, rows)
            if found is not None:
                return found
        cache_key = cache.key("count+facets", cond, bind, facet_fields, facet_limit, facet_mincount)
        cached = cache.get(cache_key)
        # the replica's own read-only session (its transaction ends with
        # close()), or the primary in a savepoint of the request's transaction
        on_replica = replica.reader()
        db: Any = on_replica if on_replica is not None else model.Session
        try:
            with (contextlib.nullcontext() if on_replica is not None else model.Session.begin_nested()):
                restore = self._set_timeout(db)
                uncounted = _without_count.get() and not facet_fields
                if uncounted:
                    total, facets = start + rows, {}
                elif cached is not None:
                    total, facets = cached["total"], cached["facets"]
                elif counted:
                    kept = [f for f in facet_fields if f in lucene.FACET_COLUMN_FIELDS]
                    total, facets = self._kept_counts(db, cond, bind, kept, facet_limit, facet_mincount)
                    rest = [f for f in facet_fields if f not in kept]
                    if rest and total:  # keyword fields: from the narrow table
                        facets.update(self._facets(db, src, cond, bind, rest, facet_limit, facet_mincount))
                    cache.put(cache_key, {"total": total, "facets": facets})
                elif org_counted:
                    total, facets = self._org_counts(db, cond, bind, facet_fields, facet_limit, facet_mincount)
                    cache.put(cache_key, {"total": total, "facets": facets})
                elif one_value is not None:
                    field, value, term_sql = one_value
                    # the term is one AND-ed clause of `cond`; the rest reads
                    # visibility and organisation only
                    rest = cond.replace(term_sql, "TRUE", 1)
                    total, _ = self._org_counts(db, rest, bind, [field], -1, 1, only=(field, value))
                    facets = {}
                    cache.put(cache_key, {"total": total, "facets": facets})
                elif month_counted:
                    total, facets = self._month_count(db, cond, bind, compiler.date_bounds), {}
                    cache.put(cache_key, {"total": total, "facets": facets})
                else:
                    total = db.execute(
                        sa.text(f"SELECT count(*) FROM {src} WHERE {cond}"), bind
                    ).scalar_one()
                    facets = {}
                    if facet_fields and total:
                        facets = self._facets(db, src, cond, bind, facet_fields, facet_limit, facet_mincount)
                    cache.put(cache_key, {"total": total, "facets": facets})
                docs: list[dict[str, Any]] = []
                walk = False
                if rows > 0 and total > start:
                    walk = total > INDEX_WALK_MIN and order_by.split(" ", 1)[0] in INDEXED_SORTS
                    if walk:
                        # Many matches, sorted on an indexed column: walking the
                        # index and stopping after one page beats sorting them
                        # all, but the planner cannot see that (jsonb/array
                        # selectivity estimates are poor), so sorting is ruled out.
                        db.execute(sa.text("SELECT set_config('enable_sort', 'off', true)"))
                    title_rank = _TITLE_RANK_RE.fullmatch(rank_sql)
                    if uncounted and start == 0 and title_rank and order_by == f"{rank_sql} DESC, index_id":
                        docs = self._fetch_title_ranked(db, src, cond, bind, fl, rank_sql, title_rank[1], rows)
                    else:
                        docs = self._fetch(db, src, cond, bind, fl, rank_sql, order_by, rows, start)
                    if uncounted:
                        total = start + len(docs)
                # the request's settings back, in one round trip
                resets = ["set_config('enable_sort', 'on', true)"] if walk else []
                if restore is not None:
                    resets.append("set_config('statement_timeout', :t, true)")
                if resets:
                    db.execute(sa.text("SELECT " + ", ".join(resets)), {"t": restore} if restore is not None else {})
        except sa_exc.OperationalError as e:
            if "statement timeout" in str(e.orig) or "canceling statement" in str(e.orig):
                raise SearchError("Search took too long and was cancelled; narrow the query") from e
            raise SearchError(f"Search failed: {e.orig}") from e
        except sa_exc.DBAPIError as e:
            raise SearchQueryError(f"Invalid search query: {str(e.orig).splitlines()[0]}") from e
        finally:
            if on_replica is not None:
                on_replica.close()

        if self.decode_dates:
            docs = [solr_datetime_decoder(d) for d in docs]
        facet_counts = {
            "facet_fields": {f: [x for pair in facets.get(f, []) for x in pair] for f in facet_fields}
        }
        return pysolr.Results({"response": {"numFound": total, "docs": docs}, "facet_counts": facet_counts})

    # -- helpers ------------------------------------------------------------
    def _key_lookup(self, src: str, cond: str, bind: dict[str, Any], fl: list[str], rank_sql: str,
                    order_by: str, rows: int) -> pysolr.Results | None:
        """CKAN's package_show reads its dataset from the index by name or id
        (``get_index``: ``name:"x" OR id:"x"``, one row): every match in one
        statement, counted by length, without the count, savepoint and
        statement timeout a search gets (6 statements -> 1 on every dataset
        page). None: more matches than a key can have (searched as usual)."""
        on_replica = replica.reader()
        db: Any = on_replica if on_replica is not None else model.Session
        try:
            docs = self._fetch(db, src, cond, bind, fl, rank_sql, order_by, _KEY_ROWS, 0)
        except sa_exc.DBAPIError as e:
            raise SearchError(f"Search failed: {e.orig}") from e
        finally:
            if on_replica is not None:
                on_replica.close()
        if len(docs) >= _KEY_ROWS:
            return None
        total, docs = len(docs), docs[:rows]
        if self.decode_dates:
            docs = [solr_datetime_decoder(d) for d in docs]
        return pysolr.Results({"response": {"numFound": total, "docs": docs}, "facet_counts": {"facet_fields": {}}})

    def _set_timeout(self, db: Any) -> str | None:
        # PostgreSQL estimates 100 rows per set-returning function, so facet
        # statements look huge and trigger JIT compilation (~1 s); search
        # statements are short, JIT never pays off here.
        # Parallel workers likewise: starting them costs more than these
        # statements (a text search's facets took 110 ms with two workers,
        # 4 ms without), and a busy web server has no idle cores to give.
        timeout = _statement_timeout()
        if timeout <= 0:
            db.execute(sa.text(
                "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
            ))
            return None
        # one round trip on this hot path: JIT and workers off, timeout on,
        # old timeout back
        return db.execute(
            sa.text(
                "SELECT current_setting('statement_timeout'), set_config('jit', 'off', true), "
                "set_config('max_parallel_workers_per_gather', '0', true), "
                "set_config('statement_timeout', :t, true)"
            ),
            {"t": f"{timeout}ms"},
        ).first()[0]

    def _fetch_title_ranked(
        self, db: Any, src: str, cond: str, bind: dict[str, Any], fl: list[str], rank_sql: str,
        title_query: str, rows: int
    ) -> list[dict[str, Any]]:
        """First rows by title rank, without ranking every match (autocomplete).

        Only matches whose title contains a word of the query rank above 0
        (an indexed look-up); the many that match only a substring all rank
        0 and then follow in index_id order, which the planner can read
        along the primary key and stop after `rows` instead of visiting
        every match ("haus": ~10k rows at 100k)."""
        # any word of the query (a phrase's words too: a partial phrase
        # ranks above 0 without matching it); the rest all rank 0
        ranked = f"title_tsv @@ CAST(regexp_replace(CAST(({title_query}) AS text), '<[0-9-]*>|&', '|', 'g') AS tsquery)"
        docs = self._fetch(db, src, f"({cond}) AND {ranked}", bind, fl, rank_sql,
                           f"{rank_sql} DESC, index_id", rows, 0)
        if len(docs) < rows:
            docs += self._fetch(db, src, f"({cond}) AND NOT ({ranked})", bind, fl, rank_sql,
                                "index_id", rows - len(docs), 0)
        return docs

    def _fetch(
        self, db: Any, src: str, cond: str, bind: dict[str, Any], fl: list[str], rank_sql: str,
        order_by: str, rows: int, start: int
    ) -> list[dict[str, Any]]:
        wanted = [f for f in fl if f != "score"]
        if "*" in fl:
            select = "doc"
        elif wanted and set(wanted) <= set(COLUMN_FIELDS):
            # ids or names only (fl=id: every match of a walk through all
            # pages): the index row's own columns, without reading its
            # (TOASTed) document
            select = "jsonb_build_object(" + ", ".join(f"'{f}', {TABLE}.{f}" for f in wanted) + ")"
        else:
            pairs = ", ".join(f"'{f}', doc -> '{f}'" for f in wanted) if wanted else ""
            select = f"jsonb_strip_nulls(jsonb_build_object({pairs}))" if pairs else "'{}'::jsonb"
        # Pick the page from narrow columns first, then read the (TOASTed)
        # documents of just those rows.
        sql = (
            f"WITH page AS (SELECT index_id, {rank_sql} AS score, "
            f"row_number() OVER (ORDER BY {order_by}) AS pos FROM {src} WHERE {cond} "
            f"ORDER BY {order_by} LIMIT :_rows OFFSET :_start) "
            f"SELECT {select} AS d, page.score FROM page JOIN {TABLE} USING (index_id) ORDER BY page.pos"
        )
        result = db.execute(prepared.text(sql), dict(bind, _rows=rows, _start=start))
        docs = []
        for d, score in result:
            d = dict(d)
            if "score" in fl:
                d["score"] = float(score)
            docs.append(d)
        return docs

    def _month_count(self, db: Any, cond: str, bind: dict[str, Any], bounds: list[dt.datetime]) -> int:
        """Dataset count from the counts kept per class and month (migration
        009): `cond` reads only class columns and `metadata_modified`, which
        is constant over a month that holds no range bound (a bound or now()),
        so such a month counts whole, evaluated at its first instant; the
        months holding a bound are counted row by row on the date index."""
        start = "CAST(e.month || '-01 00:00:00+00' AS timestamptz)"
        sql = f"""
            WITH e AS (
                SELECT DISTINCT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM') AS month
                FROM unnest(CAST(:_bounds AS timestamptz[]) || now()) AS t
            )
            SELECT (
                SELECT coalesce(sum(n), 0) FROM (
                    SELECT {CLASS_COLUMNS}, k.n,
                           CASE WHEN k.value = '' THEN NULL
                                ELSE CAST(k.value || '-01 00:00:00+00' AS timestamptz) END AS metadata_modified
                    FROM {COUNTS_TABLE} AS k
                    WHERE k.facet = '{MONTH_FACET}' AND k.value NOT IN (SELECT month FROM e)
                ) AS c WHERE {cond}
            ) + (
                SELECT count(*) FROM e CROSS JOIN LATERAL (
                    SELECT 1 FROM {FILTER_TABLE}
                    WHERE metadata_modified >= {start}
                      AND metadata_modified < {start} + interval '1 month' AND ({cond})
                ) AS x
            )
        """
        return int(db.execute(sa.text(sql), dict(bind, _bounds=list(bounds))).scalar_one())

    def _kept_counts(
        self, db: Any, cond: str, bind: dict[str, Any], fields: list[str], limit: int, mincount: int
    ) -> tuple[int, dict[str, list[tuple[str, int]]]]:
        """Dataset count and facets from the counts kept per visibility class
        (migration 007): `cond` reads only class columns, which the counts
        table has under the same names."""
        params = dict(bind, _fk=["", *fields])
        grouped = f"""
            SELECT facet, value, sum(n) AS n FROM {COUNTS_TABLE}
            WHERE ({cond}) AND facet = ANY(:_fk)
            GROUP BY facet, value"""
        return _ranked_counts(db, grouped, params, limit, mincount)

    def _org_counts(
        self, db: Any, cond: str, bind: dict[str, Any], fields: list[str], limit: int, mincount: int,
        only: tuple[str, str] | None = None,
    ) -> tuple[int, dict[str, list[tuple[str, int]]]]:
        """Dataset count and facets from the counts kept per visibility class
        and organisation (migration 010): `cond` reads class columns and
        `f_organization` only, which is single-valued, so each kept row
        stands for datasets that all satisfy it or all do not. With `only`
        (field, value), just that value's rows are read: its count is the
        number of datasets that also hold that value; the total is that."""
        params = dict(bind, _fk=[ORG_SCOPE + f for f in ("", *fields)] if only is None else [ORG_SCOPE + only[0]])
        value_filter = ""
        if only is not None:
            # the rows of one value start with its JSON text (facet value first)
            params["_fv"] = only[1]
            value_filter = (
                "AND left(k.value, length(CAST(jsonb_build_array(CAST(:_fv AS text)) AS text)) - 1) "
                "= left(CAST(jsonb_build_array(CAST(:_fv AS text)) AS text), -1)"
            )
        grouped = f"""
            SELECT substr(facet, {len(ORG_SCOPE) + 1}) AS facet, v AS value, sum(n) AS n FROM (
                SELECT {CLASS_COLUMNS}, k.facet, k.n, j ->> 0 AS v,
                       CASE WHEN j ->> 1 IS NULL THEN CAST('{{}}' AS text[])
                            ELSE ARRAY[j ->> 1] END AS f_organization
                FROM {COUNTS_TABLE} AS k
                CROSS JOIN LATERAL (SELECT CAST(k.value AS jsonb) AS j) AS x
                WHERE k.facet = ANY(:_fk) {value_filter}
            ) AS c WHERE ({cond})
            GROUP BY 1, 2"""
        total, out = _ranked_counts(db, grouped, params, limit, mincount)
        if only is not None:
            total = sum(n for value, n in out.get(only[0], []) if value == only[1])
            out = {}
        return total, out

    def _facets(
        self, db: Any, src: str, cond: str, bind: dict[str, Any], fields: list[str], limit: int, mincount: int
    ) -> dict[str, list[tuple[str, int]]]:
        # One scan of the matching rows; each requested field becomes an array
        # (native column for CKAN's standard facets, the small keyword column
        # for the declared keyword fields, else from `fields`).
        params = dict(bind, _fmin=mincount, _flimit=limit)
        keywords = narrow_keys()
        values = []
        for i, name in enumerate(fields):
            params[f"_fk{i}"] = name
            if name in lucene.FACET_COLUMN_FIELDS:
                values.append(f"(:_fk{i}, d.f_{name})")
            else:
                column = "f_keywords" if name in keywords else "fields"
                values.append(f"(:_fk{i}, ARRAY(SELECT jsonb_array_elements_text(d.{column} -> :_fk{i})))")
        columns = ", ".join(f"f_{c}" for c in lucene.FACET_COLUMN_FIELDS) + ", f_keywords"
        if src == TABLE:
            columns = "fields, " + columns
        rank_limit = "" if limit < 0 else "WHERE rn <= :_flimit"
        sql = f"""
            SELECT key, value, n FROM (
                SELECT key, value, n,
                       row_number() OVER (PARTITION BY key ORDER BY n DESC, value) AS rn
                FROM (
                    SELECT f.key, v.value, count(*) AS n
                    FROM (SELECT {columns} FROM {src} WHERE {cond}) AS d
                    CROSS JOIN LATERAL (VALUES {", ".join(values)}) AS f(key, vals)
                    CROSS JOIN LATERAL unnest(f.vals) AS v(value)
                    GROUP BY f.key, v.value
                    HAVING count(*) >= :_fmin
                ) AS g
            ) AS ranked {rank_limit}
            ORDER BY key, n DESC, value
        """
        out: dict[str, list[tuple[str, int]]] = {}
        for key, value, n in db.execute(sa.text(sql), params):
            out.setdefault(key, []).append((value, int(n)))
        return out


def _ranked_counts(db: Any, grouped: str, params: dict[str, Any], limit: int,
                   mincount: int) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """Reads kept counts: `grouped` yields (facet, value, n) with the total
    under facet ''; each facet keeps its `limit` largest values of at least
    `mincount` (ties by value), as Solr orders facet counts."""
    rank_limit = "" if limit < 0 else "AND rn <= :_flimit"
    sql = f"""
        SELECT facet, value, n FROM (
            SELECT facet, value, n,
                   row_number() OVER (PARTITION BY facet ORDER BY n DESC, value) AS rn
            FROM ({grouped}
            ) AS g
            WHERE n >= :_fmin
        ) AS ranked
        WHERE facet = '' OR (TRUE {rank_limit})
        ORDER BY facet, n DESC, value
    """
    total = 0
    out: dict[str, list[tuple[str, int]]] = {}
    for facet, value, n in db.execute(sa.text(sql), dict(params, _fmin=mincount, _flimit=limit)):
        if facet == "":
            total = int(n)
        else:
            out.setdefault(facet, []).append((value, int(n)))
    return total, out


def _expand_compounds(compiler: lucene.QueryCompiler) -> None:
    """The compounds of each query word, from the word table (migration
    006), as constant tsquery text: the search stays an exact GIN look-up."""
    if not compiler.compound_words:
        return
    words = [w for _param, w in compiler.compound_words]
    found = model.Session.execute(
        sa.text(
            "SELECT CAST(datagovernance_search_compounds(CAST(:cfg AS regconfig), w) AS text) "
            "FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS q(w, i) ORDER BY i"
        ),
        {"cfg": _text_config(), "words": words},
    ).scalars().all()
    for (param, _word), tsquery in zip(compiler.compound_words, found, strict=True):
        if tsquery:
            compiler.params[param] = tsquery


def _int_param(params: dict[str, Any], key: str, default: int, allow_negative: bool = False) -> int:
    raw = params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as e:
        raise SearchQueryError(f'Invalid "{key}" parameter {raw!r}: must be an integer') from e
    if value < 0 and not allow_negative:
        raise SearchQueryError(f'Invalid "{key}" parameter {raw!r}: must not be negative')
    return value


def _field_list(fl: Any) -> list[str]:
    if not fl:
        return ["*", "score"]
    names = [f for f in re.split(r"[\s,]+", str(fl)) if f]
    for f in names:
        if f not in ("*", "score") and not _SORT_FIELD_RE.match(f):
            raise SearchQueryError(f'Invalid field {f!r} in "fl"')
    return names


def _order_by(sort: Any, compiler: lucene.QueryCompiler, rank_sql: str) -> str:
    """Solr sort spec -> ORDER BY; unknown syntax is a SearchQueryError."""
    parts = []
    for item in [s.strip() for s in str(sort or "score desc").split(",") if s.strip()]:
        bits = item.split()
        if len(bits) != 2 or bits[1].lower() not in ("asc", "desc") or not _SORT_FIELD_RE.match(bits[0]):
            raise SearchQueryError('Invalid "sort" parameter')
        name, direction = bits[0], bits[1].upper()
        if name == "score":
            if rank_sql != "1.0":  # a constant score orders nothing
                parts.append(f"{rank_sql} {direction}")
        elif name in ("metadata_modified", "metadata_created", "title_string", "name"):
            parts.append(f"{name} {direction} NULLS LAST")
        else:
            # as in Solr, a missing value (no key, JSON null, empty string)
            # sorts last in both directions
            parts.append(
                f"NULLIF(NULLIF(doc -> {compiler.bind(name)}, 'null'::jsonb), '\"\"'::jsonb) {direction} NULLS LAST"
            )
    parts.append("index_id")  # a total order keeps paging stable
    return ", ".join(parts)


def _rank_sql(compiler: lucene.QueryCompiler) -> str:
    if not compiler.rank_terms:
        return "1.0"
    cfg = compiler.bind(_text_config())
    queries = []
    for _column, term in compiler.rank_terms[:32]:
        p = compiler.bind(term)
        queries.append(f"to_tsquery(CAST({cfg} AS regconfig), {p}) || to_tsquery('simple', {p})")
    if all(column == "title_tsv" for column, _term in compiler.rank_terms):
        # title-only queries (autocomplete) rank on the short title vector
        return f"ts_rank(title_tsv, {' || '.join(queries)})"
    if not compiler.compound_words:
        return f"ts_rank('{_RANK_WEIGHTS}', tsv, {' || '.join(queries)})"
    # Compound parts (Baum -> Straßenbäume) rank below exact words: every
    # query word found as itself adds 1, more than any ts_rank
    compounds = [f"CAST(:{param} AS tsquery)" for param, _word in compiler.compound_words[:32]]
    exact = " + ".join(f"(tsv @@ ({q}))::int" for q in queries)
    return f"(ts_rank('{_RANK_WEIGHTS}', tsv, {' || '.join(queries + compounds)}) + {exact})"
