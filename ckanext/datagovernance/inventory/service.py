"""The inventory import and export.

An import reads every row, resolves names through one :class:`Resolver`,
matches the row to a dataset (inventory number, then name) and compares it
with what is stored. Unchanged rows cost a comparison; new and changed rows
go through CKAN's own ``package_create`` / ``package_patch``, so scheming,
the suite's validators, auth functions and the workflow rules all apply:
nothing here decides who may do what.

Everything runs in one database transaction with a savepoint per row. The
dry run and an all-or-nothing run with an error roll it back; ``partial``
commits the rows that succeeded. The search index is written once at the end,
inside the same transaction.
"""
from __future__ import annotations

import contextlib
import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ckan.lib.munge as munge
import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import logic as ckan_logic
from ckan.types import Context

from .. import prefetch
from ..quality import signals as quality_signals
from ..roles import service as roles
from ..roles import validators as roles_validators
from . import columns as c
from . import newrows
from .messages import Msg

log = logging.getLogger(__name__)

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ẞ": "SS"})
PAGE = 1000


def _free_name(name: str, taken: dict[str, Any], stored: set[str]) -> str:
    """The name, or the first free ``name-N``: neither among the readable
    datasets nor among every stored name (hidden and deleted ones too)."""
    if name not in taken and name not in stored:
        return name
    n = 2
    while f"{name}-{n}" in taken or f"{name}-{n}" in stored:
        n += 1
    return f"{name}-{n}"


def _stored_names() -> set[str]:
    """Every dataset name in the database: one query instead of one per row."""
    return set(model.Session.scalars(sa.select(model.package_table.c.name)))


def slug(title: str) -> str:
    """German transliteration first (ß→ss, ä→ae), then CKAN's munging."""
    return munge.munge_title_to_name(title.translate(_UMLAUTS))


@dataclass
class RowResult:
    row: int  # 1-based line in the file (the header is line 1)
    action: str
    name: str = ""
    title: str = ""
    changed: list[str] = field(default_factory=list)  # column headers
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, column: str, value: Any, msg: Msg) -> None:
        self.action = ERROR
        self.errors.append({"column": column, "value": "" if value is None else str(value),
                            "message_de": msg.de, "message_en": msg.en})

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "action": self.action, "name": self.name, "title": self.title,
                "changed": self.changed, "errors": self.errors}


@dataclass
class Report:
    dry_run: bool
    partial: bool
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[dict[str, Any]] = field(default_factory=list)
    written: bool = False
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, ERROR: 0}
        for r in self.rows:
            out[r.action] += 1
        return out

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.action == ERROR for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "partial": self.partial, "written": self.written, "ok": self.ok,
                "counts": self.counts(), "file_errors": self.file_errors, "seconds": round(self.seconds, 3),
                "rows": [r.as_dict() for r in self.rows]}


def _file_error(report: Report, column: str, msg: Msg) -> None:
    report.file_errors.append({"row": 1, "column": column, "value": column,
                               "message_de": msg.de, "message_en": msg.en})


# -- reading what the caller may see ------------------------------------------------
@contextlib.contextmanager
def _request_user(context: Context) -> Iterator[None]:
    """Search hides internal fields in an anonymous web request; the CLI (and
    a bench) run in one although the caller is a user: make the request's
    user the caller for the search."""
    from flask import g, has_request_context

    user = roles.context_user(context)
    if user is None or not has_request_context() or getattr(tk.current_user, "is_authenticated", False):
        yield
        return
    had, old = "_login_user" in g, g.get("_login_user")
    g._login_user = user
    try:
        yield
    finally:
        if had:
            g._login_user = old
        else:
            g.pop("_login_user", None)


def readable_datasets(context: Context) -> list[dict[str, Any]]:
    """Every dataset the caller may read, as package_show returns it (from
    the search index: one query per thousand datasets)."""
    with _request_user(context):
        return _search_all(context)


def _search_all(context: Context) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        found = tk.get_action("package_search")(
            {"user": context.get("user"), "ignore_auth": False},
            {"q": "*:*", "fq": "+dataset_type:dataset", "include_private": True, "include_drafts": True,
             "rows": PAGE, "start": start, "sort": "name asc"},
        )
        out.extend(found["results"])
        start += PAGE
        if start >= found["count"] or not found["results"]:
            return out


# -- import -------------------------------------------------------------------------------
@contextlib.contextmanager
def cached_directories() -> Iterator[None]:
    """``User.get``, ``Group.get`` and the site roles answer repeated
    look-ups from a table for the length of an import, in this thread only.

    Why: every new row asks for the same few people and organisations about
    16 times (auth, owner_org, the suite's validators, the owner grant), one
    SQL statement each; the import neither changes users nor groups. Only
    found objects are kept (a name created meanwhile is still found), and
    other threads of a threaded server never see the table."""
    me = threading.get_ident()
    originals = {cls: cls.__dict__["get"] for cls in (model.User, model.Group)}

    def cached(cls: type) -> classmethod:  # type: ignore[type-arg]
        original, table = originals[cls].__func__, {}

        def get(klass: type, ref: Any) -> Any:
            if threading.get_ident() != me or not isinstance(ref, str):
                return original(klass, ref)
            hit = table.get(ref)
            if hit is None:
                hit = original(klass, ref)
                if hit is not None:
                    table[ref] = hit
            return hit

        return classmethod(get)

    # site roles (data office, officer) are asked for in auth, validators and
    # the owner grant of every row; an import grants dataset roles only
    site_roles, roles_table = roles.site_roles, {}

    def cached_site_roles(user_id: str) -> set[str]:
        if threading.get_ident() != me:
            return site_roles(user_id)
        if user_id not in roles_table:
            roles_table[user_id] = site_roles(user_id)
        return set(roles_table[user_id])

    for cls in originals:
        cls.get = cached(cls)
    roles.site_roles = cached_site_roles
    try:
        yield
    finally:
        for cls, original in originals.items():
            cls.get = original
        roles.site_roles = site_roles


@contextlib.contextmanager
def _labels_once() -> Iterator[None]:
    """A dataset's permission labels computed once while it is indexed: the
    index document, the activity and the activities' follow-up each ask for
    them (two SQL statements each), and nothing changes them in between.
    This thread only."""
    from ckan.lib.plugins import get_permission_labels

    labels, me, memo = get_permission_labels(), threading.get_ident(), {}
    original = labels.get_dataset_labels

    def once(dataset_obj: model.Package) -> list[str]:
        if threading.get_ident() != me:
            return original(dataset_obj)
        if dataset_obj.id not in memo:
            memo[dataset_obj.id] = original(dataset_obj)
        return list(memo[dataset_obj.id])

    labels.get_dataset_labels = once
    try:
        yield
    finally:
        del labels.get_dataset_labels


class _Restart(Exception):
    """CKAN rolled back the whole transaction (it does on validation errors):
    run again without the row that caused it."""

    def __init__(self, index: int, result: RowResult):
        self.index, self.result = index, result


def _validation_messages(errors: dict[str, Any], by_field: dict[str, c.Column]) -> list[tuple[str, str]]:
    out = []
    for key, msgs in (errors or {}).items():
        col = by_field.get(key)
        if key == "tags":
            col = by_field.get("tag_string")
        header = col.header if col else key
        for m in msgs if isinstance(msgs, list) else [msgs]:
            out.append((header, m if isinstance(m, str) else str(m)))
    return out


def _english(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a validation again in English (errors are rendered at validation)."""
    try:
        from flask_babel import force_locale

        with force_locale("en"):
            return fn()
    except Exception:  # noqa: BLE001 - outside a Flask app: the same language
        return fn()


def run_import(context: Context, headers: list[str], rows: list[list[Any]], *, dry_run: bool = False,
               partial: bool = False, progress: Callable[[int, int], None] | None = None) -> Report:
    started = time.perf_counter()
    report = Report(dry_run=dry_run, partial=partial)
    cols = c.dataset_columns()
    found, unknown = c.match_headers(headers, cols)
    for _i, header in unknown:
        _file_error(report, header, Msg("Unknown column \"{value}\"; allowed: {candidates}", value=header,
                                        candidates=", ".join(col.header for col in cols)))
    present = {col.field for col in found.values()}
    if "title" not in present and "name" not in present and "inventory_id" not in present:
        _file_error(report, "Titel", Msg("The file needs a column \"Titel\" (title), \"URL\" or \"Inventarnummer\"."))
    if report.file_errors:
        report.seconds = time.perf_counter() - started
        return report

    res = c.Resolver()
    existing = readable_datasets(context)
    by_name = {p["name"]: p for p in existing}
    by_inv = {p["inventory_id"]: p for p in existing if p.get("inventory_id")}
    by_field = {col.field: col for col in cols}
    plans: list[tuple[RowResult, dict[str, Any] | None, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    stored: set[str] | None = None
    for n, raw in enumerate(rows, start=2):
        result = RowResult(row=n, action=CREATE)
        wanted: dict[str, Any] = {}
        for i, col in found.items():
            cell = raw[i] if i < len(raw) else None
            try:
                wanted[col.field] = c.parse(col, cell, res)
            except c.CellError as e:
                result.error(col.header, c._text(cell), e.msg)
        title = wanted.get("title") or ""
        # without a URL column the address follows the title, for new datasets
        derived = slug(title) if title and not wanted.get("name") and "name" not in present else ""
        pkg = by_inv.get(wanted.get("inventory_id") or "")
        by_n = by_name.get(wanted.get("name") or derived)
        if pkg is None and by_n is not None and by_n.get("inventory_id") and wanted.get("inventory_id") \
                and derived and by_n["inventory_id"] != wanted["inventory_id"]:
            by_n = None  # same title, another inventory number: a new dataset (the name gets a suffix)
        if derived and pkg is None and by_n is None:
            if stored is None:
                stored = _stored_names()
            wanted["name"] = _free_name(derived, by_name, stored)
        result.name, result.title = wanted.get("name") or derived, title
        if pkg is not None and by_n is not None and by_n["id"] != pkg["id"]:
            result.error(by_field["name"].header, wanted.get("name"),
                         Msg("The inventory number belongs to \"{a}\", the URL to \"{b}\".",
                             a=pkg["title"], b=by_n["title"]))
        pkg = pkg or by_n
        key = pkg["id"] if pkg else (wanted.get("inventory_id") or wanted.get("name") or f"row{n}")
        if key in seen:
            result.error(by_field["inventory_id"].header if wanted.get("inventory_id") else by_field["name"].header,
                         key if not pkg else pkg["name"],
                         Msg("The same dataset is already in row {row}.", row=seen[key]))
        seen[key] = n
        if result.action != ERROR:
            if pkg is None:
                if not title:
                    result.error(by_field["title"].header, "", Msg("Missing value: a new dataset needs a title."))
            else:
                result.name, result.title = pkg["name"], pkg["title"]
                changes = {}
                for f, value in wanted.items():
                    col = by_field[f]
                    if col.writable and not c.same(col, value, pkg):
                        changes.update(c.to_data_dict(col, value))
                        result.changed.append(col.header)
                if not changes:
                    result.action = UNCHANGED
                else:
                    result.action = UPDATE
                    wanted = changes
        plans.append((result, pkg, wanted))

    # write (or try to) in one transaction; a savepoint per row
    failed: dict[int, RowResult] = {}
    total = len(plans)
    while True:
        # held until the end: the session's identity map keeps clean objects
        # only weakly, and every later Package.get would select them again
        created: dict[str, model.Package] = {}
        dictized: dict[str, dict[str, Any]] = {}  # the datasets newrows wrote, as package_dictize shows them
        try:
            with cached_directories():
                written = _write(context, plans, failed, by_field, progress, total, created, dictized)
            break
        except _Restart as r:
            model.Session.rollback()
            failed[r.index] = r.result
    report.rows = [failed.get(i, p[0]) for i, p in enumerate(plans)]
    if dry_run or (not partial and not report.ok) or not written:
        model.Session.rollback()
    else:
        with _request_user(context), cached_directories():  # index documents keep the internal fields
            _index(written, created, roles.context_user(context), dictized)
        # the dataset actions' signal re-scores each changed dataset after the commit; these rows
        # were written without it (defer_commit, or together): the same, once for all
        quality_signals.datasets_changed(list(dict.fromkeys(written)))
        model.repo.commit()
        report.written = True
    report.seconds = time.perf_counter() - started
    return report


def _write(context: Context, plans: list[tuple[RowResult, dict[str, Any] | None, dict[str, Any]]],
           failed: dict[int, RowResult], by_field: dict[str, c.Column],
           progress: Callable[[int, int], None] | None, total: int,
           created: dict[str, model.Package], dictized: dict[str, dict[str, Any]]) -> list[str]:
    """Changed rows are patched one by one; new rows are validated here and
    written together after the loop (newrows.py), unless the loaded plugins
    or the row need package_create's own path. A new row whose name an
    earlier new row of the file takes goes the row-by-row way after them,
    so it fails as it would after that row (the name is taken)."""
    written: list[str] = []
    user = roles.context_user(context)
    together = newrows.applies()
    queued: list[tuple[int, dict[str, Any]]] = []
    later: list[int] = []
    names: set[str] = set()
    with prefetch.scope():
        if together:
            _prefetch_names(plans, failed)
        for i, (result, pkg, wanted) in enumerate(plans):
            if progress and i % 50 == 0:
                progress(i, total)
            if i in failed or result.action in (ERROR, UNCHANGED):
                continue
            if pkg is None and together and str(wanted.get("name") or "") in names:
                later.append(i)
                continue
            valid = _write_row(context, user, i, plans[i], failed, by_field, written, created, together)
            if valid is not None:
                queued.append((i, valid))
                names.add(str(valid.get("name") or ""))
            elif pkg is None:  # written at once (row by row): its name is taken now
                prefetch.forget("package_by_name", str(wanted.get("name") or ""))
    if queued:
        _write_new(context, user, plans, queued, failed, by_field, written, created, dictized)
    for i in later:
        _write_row(context, user, i, plans[i], failed, by_field, written, created, False)
    if progress:
        progress(total, total)
    return written


def _prefetch_names(plans: list[tuple[RowResult, dict[str, Any] | None, dict[str, Any]]],
                    failed: dict[int, RowResult]) -> None:
    """The new rows' names looked up at once for the access-class guard.
    Nothing in the loop changes which dataset has one of them: new rows are
    written after it, and names a changed row has or gets are left out."""
    touched = {str(name) for result, pkg, wanted in plans if pkg is not None
               for name in (pkg.get("name"), wanted.get("name")) if name}
    new = {str(wanted.get("name") or "") for i, (result, pkg, wanted) in enumerate(plans)
           if pkg is None and i not in failed and result.action not in (ERROR, UNCHANGED)}
    roles_validators.prefetch_packages_by_name(new - touched)


def _row_data(by_field: dict[str, c.Column], pkg: dict[str, Any] | None, wanted: dict[str, Any]) -> dict[str, Any]:
    data = {}
    for f, value in wanted.items():
        data.update(c.to_data_dict(by_field[f], value) if f in by_field else {f: value})
    data = {k: v for k, v in data.items() if not (by_field.get(k) and not by_field[k].writable)}
    if pkg is None:
        data = {k: v for k, v in data.items() if v not in ("", [], None)}
        data.setdefault("type", "dataset")
    return data


def _row_context(context: Context, user: model.User | None) -> Context:
    return {"user": user.name if user else context.get("user"), "auth_user_obj": user,
            "defer_commit": True, "return_id_only": True}


def _write_row(context: Context, user: model.User | None, i: int,
               plan: tuple[RowResult, dict[str, Any] | None, dict[str, Any]], failed: dict[int, RowResult],
               by_field: dict[str, c.Column], written: list[str], created: dict[str, model.Package],
               queue_new: bool) -> dict[str, Any] | None:
    """One row the way package_create/package_patch would write it. With
    `queue_new`, a new row that passes auth and validation is not written
    but returned (validated) for newrows.write."""
    result, pkg, wanted = plan
    data = _row_data(by_field, pkg, wanted)
    ctx = _row_context(context, user)
    savepoint = None
    try:
        if pkg is None:  # the action's auth first, as package_create does
            tk.check_access("package_create", dict(ctx), data)
        # CKAN rolls back the whole session on a validation error; validating
        # first (the same schema, no writes) keeps the other rows' savepoints
        valid, invalid = _prevalidate(ctx, pkg, data, by_field, wanted, result)
        if invalid is not None:
            failed[i] = invalid
            return None
        if pkg is None and queue_new and newrows.supported(valid):
            return valid
        savepoint = model.Session.begin_nested()
        if pkg is None:
            new_pkg = _create(ctx, valid, user)
            pkg_id = new_pkg.id
            created[pkg_id] = new_pkg
        else:
            pkg_id = tk.get_action("package_patch")(ctx, dict(data, id=pkg["id"]))
        if savepoint.is_active:
            savepoint.commit()
        written.append(pkg_id)
    except (tk.ValidationError, tk.NotAuthorized, tk.ObjectNotFound) as e:
        outer_gone = savepoint is not None and not savepoint.is_active
        if savepoint is not None and savepoint.is_active:
            savepoint.rollback()
        err = RowResult(row=result.row, action=ERROR, name=result.name, title=result.title)
        if isinstance(e, tk.ValidationError):
            _add_validation_errors(err, e.error_dict, e.error_dict, by_field, wanted)
        else:
            err.error("", "", Msg("Not allowed: {reason}", reason=str(e) or "—"))
        if outer_gone:
            raise _Restart(i, err) from None
        failed[i] = err
    return None


def _write_new(context: Context, user: model.User | None,
               plans: list[tuple[RowResult, dict[str, Any] | None, dict[str, Any]]],
               queued: list[tuple[int, dict[str, Any]]], failed: dict[int, RowResult],
               by_field: dict[str, c.Column], written: list[str], created: dict[str, model.Package],
               dictized: dict[str, dict[str, Any]]) -> None:
    """The validated new rows, written together in a savepoint. Anything
    that stops them (a refused owner grant, a constraint) rolls the
    savepoint back and writes them one by one, which reports the row."""
    savepoint = model.Session.begin_nested()
    try:
        out = newrows.write(_row_context(context, user), [valid for _i, valid in queued], user)
    except (tk.ValidationError, tk.NotAuthorized, tk.ObjectNotFound, sa.exc.SQLAlchemyError) as e:
        log.info("inventory: new rows written one by one (%s)", e)
        if savepoint.is_active:
            savepoint.rollback()
        for i, _valid in queued:
            _write_row(context, user, i, plans[i], failed, by_field, written, created, False)
        return
    savepoint.commit()
    created.update(out.packages)
    dictized.update(out.dictized)
    written.extend(out.packages)


def _validate(ctx: Context, pkg: dict[str, Any] | None, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The action's own schema validation, without writing anything."""
    from ckan.lib import plugins as lib_plugins

    plugin = lib_plugins.lookup_package_plugin("dataset")
    action = "package_create" if pkg is None else "package_update"
    schema = plugin.create_package_schema() if pkg is None else plugin.update_package_schema()
    full = dict(data) if pkg is None else dict(pkg, **data)
    vctx = dict(ctx, model=model, session=model.Session)
    if pkg is not None:
        vctx["package"] = model.Package.get(pkg["id"])
    return lib_plugins.plugin_validate(plugin, vctx, full, schema, action)


def _prevalidate(ctx: Context, pkg: dict[str, Any] | None, data: dict[str, Any], by_field: dict[str, c.Column],
                 wanted: dict[str, Any], result: RowResult) -> tuple[dict[str, Any], RowResult | None]:
    valid, errors = _validate(ctx, pkg, data)
    if not errors:
        return valid, None
    err = RowResult(row=result.row, action=ERROR, name=result.name, title=result.title)
    _add_validation_errors(err, errors, _english(lambda: _validate(ctx, pkg, data)[1]), by_field, wanted)
    return valid, err


def _create(ctx: Context, data: dict[str, Any], user: model.User | None) -> model.Package:
    """What ``package_create`` writes, from the row validated once above
    (the action would check auth and validate again, and dictize the
    dataset for its activity; ``_index`` dictizes once for both).

    The same steps in the same order: the model save, the organisation
    membership, the plugins' ``create`` and ``after_dataset_create`` (the
    owner grant). The inventory has no resources, so no default views."""
    from ckan.lib.dictization import model_save

    if user is not None:
        data["creator_user_id"] = user.id
    vctx = dict(ctx, model=model, session=model.Session)
    pkg, _change = model_save.package_dict_save(data, vctx, False)
    model.Session.flush()
    data["id"] = pkg.id
    if not data.get("metadata_modified"):
        pkg.metadata_modified = datetime.datetime.utcnow()
    tk.get_action("package_owner_org_update")(
        dict(vctx, ignore_auth=True, defer_commit=True), {"id": pkg.id, "organization_id": pkg.owner_org})
    for item in p.PluginImplementations(p.IPackageController):
        item.create(pkg)
        item.after_dataset_create(vctx, data)
    return pkg


def _add_validation_errors(err: RowResult, errors: dict[str, Any], errors_en: dict[str, Any],
                           by_field: dict[str, c.Column], wanted: dict[str, Any]) -> None:
    messages = _validation_messages(errors, by_field)
    english = _validation_messages(errors_en, by_field)
    for k, (header, message) in enumerate(messages):
        field_name = next((f for f, col in by_field.items() if col.header == header), "")
        value = wanted.get(field_name, "")
        err.error(header, value if not isinstance(value, list) else "; ".join(map(str, value)),
                  Msg.text(message, english[k][1] if k < len(english) else message))
    if not err.errors:
        err.error("", "", Msg.text(str(errors)))


def _index(ids: list[str], created: dict[str, model.Package], actor: model.User | None,
           dictized: dict[str, dict[str, Any]]) -> None:
    """The index documents and the created datasets' "new package"
    activities, after all rows (CKAN skips indexing under defer_commit).

    A created dataset's activity holds the same dictized dataset as its
    index document: one dictization for both (package_create's activity
    subscriber would dictize again). The documents are written 250 to a
    statement (search/backend.py, batched_writes), the activities with one insert; each activity row is what
    ``activity_create`` saves (the actor's id, the dataset's permission
    labels), without its per-row look-ups of the actor and the dataset,
    which this import has just written."""
    from ..search.backend import batched_writes

    ctx: Context = {"ignore_auth": True}
    activities: list[dict[str, Any]] = []
    ids = list(dict.fromkeys(ids))
    with _labels_once(), prefetch.scope():
        held = _prefetch(ids, created)  # noqa: F841 - held: the session keeps clean objects only weakly
        with batched_writes():
            for pkg_id in ids:
                if pkg_id in dictized:  # written by newrows: no dictization from the database
                    both = newrows.show_dicts(ctx, created[pkg_id], dictized[pkg_id])
                else:
                    both = ckan_logic.package_show_default_and_custom_schemas(ctx, pkg_id)
                ckan_logic.index_update_package_dicts(both, defer_commit=True)
                if pkg_id in created:
                    activities.append(_new_activity(created[pkg_id], both[1], actor))
        _write_activities(activities)


def _prefetch(ids: list[str], created: dict[str, model.Package]) -> list[model.Package]:
    """The facts indexing asks about each dataset, for all of them at once
    (prefetch.py): nothing in _index changes them before the activities,
    which are written after the documents."""
    from ..feedback import service as feedback
    from ..quality import model as quality
    from ..visibility import activity

    missing = [pkg_id for pkg_id in ids if pkg_id not in created]
    pkgs = [created[pkg_id] for pkg_id in ids if pkg_id in created]
    if missing:
        pkgs += model.Session.scalars(sa.select(model.Package).where(model.Package.id.in_(missing))).all()
    roles.prefetch_dataset_facts(pkgs)
    feedback.prefetch_readers(ids)
    quality.prefetch_latest_scores(ids)
    activity.prefetch_has_activities(ids)
    return pkgs


def _activities_on() -> bool:
    return p.plugin_loaded("activity") and bool(tk.config.get("ckan.activity_streams_enabled"))


def _new_activity(pkg: model.Package, pkg_dict: dict[str, Any], actor: model.User | None) -> dict[str, Any]:
    """The "new package" activity package_create's subscriber records."""
    from ckan.lib.plugins import get_permission_labels

    if actor is None:
        name = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        actor = model.User.get(name)
    return {"id": model.types.make_uuid(), "timestamp": datetime.datetime.utcnow(),
            "user_id": actor.id if actor else None, "object_id": pkg.id, "activity_type": "new package",
            "data": {"package": pkg_dict, "actor": actor.name if actor else None},
            "permission_labels": get_permission_labels().get_dataset_labels(pkg)}


def _write_activities(activities: list[dict[str, Any]]) -> None:
    if not activities or not _activities_on():
        return
    from ckanext.activity.model import Activity

    model.Session.execute(sa.insert(Activity.__table__), activities)


# -- export -------------------------------------------------------------------------------
def export_table(context: Context) -> tuple[list[str], list[list[str]]]:
    cols = c.dataset_columns()
    res = c.Resolver()
    rows = [[c.format_cell(col, pkg, res) for col in cols] for pkg in readable_datasets(context)]
    return [col.header for col in cols], rows


def template_parts() -> tuple[list[str], list[tuple[str, str]], dict[int, list[str]]]:
    """Headers, per-column explanations and drop-down lists of the template."""
    from ckanext.scheming.helpers import scheming_get_dataset_schema

    from ..catalog import vocab as v

    schema = {f["field_name"]: f for f in scheming_get_dataset_schema("dataset")["dataset_fields"]}
    cols = c.dataset_columns()
    res = c.Resolver()
    explanations, choices = [], {}
    for i, col in enumerate(cols):
        help_text = (schema[col.field].get("help_text") or {})
        text = help_text.get("de") if isinstance(help_text, dict) else str(help_text)
        kind_text = _KIND_HELP.get(col.kind, "")
        explanations.append((col.header, " ".join(t for t in (
            "Pflichtfeld." if col.required or col.field == "title" else "", text or "", kind_text) if t)))
        if col.kind in ("vocab", "vocabs") and col.vocab:
            vocab = v.get_vocabulary(col.vocab)
            if len(vocab.concepts) <= 500:
                choices[i] = [vocab.label(x["value"], "de") for x in vocab.concepts]
        elif col.kind == "org":
            choices[i] = sorted(res.group_cell(g, g.name) for g in res.orgs)
        elif col.kind == "domain":
            choices[i] = sorted(res.group_cell(g, g.name) for g in res.domains)
        elif col.kind == "license":
            choices[i] = [lic["title"] for lic in res.licenses.values()]
        elif col.kind == "bool":
            choices[i] = ["Ja", "Nein"]
    return [col.header for col in cols], explanations, choices


_KIND_HELP = {
    "tags": "Mehrere Schlagworte durch Komma oder Semikolon trennen.",
    "vocabs": "Mehrere Werte durch Semikolon trennen; Bezeichnung oder Code der Liste.",
    "vocab": "Ein Wert der Auswahlliste (Bezeichnung oder Code).",
    "org": "Organisation per Name, Kurzname oder ID.",
    "domain": "Datendomäne per Name, Kurzname oder ID.",
    "user": "Person per Anzeigename, E-Mail-Adresse, Benutzername oder ID.",
    "date": "Datum als TT.MM.JJJJ.",
    "bool": "Ja oder Nein.",
    "list": "Mehrere Werte durch Semikolon trennen.",
    "license": "Lizenz per Bezeichnung oder Kennung (z. B. dl-by-de/2.0).",
    "readonly": "Nur zur Information; wird beim Import nicht geändert (Freigabe über den Workflow).",
}

