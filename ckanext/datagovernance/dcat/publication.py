"""The publication record per target portal (GovData, Hessen).

* A steward (or the office) excludes a dataset from a target's feed with a
  reason, or includes it again; every change is a row of
  ``datagovernance_feed_exclusion`` (the newest row per dataset and target is
  the current state). Who may: ``roles.policy.may_exclude_from_feed``.
* The feeds leave excluded datasets out (``excluded_ids`` in feeds.py).
* A feed page fetched by a target's harvester (recognised by a per-target
  token in the URL or a user-agent substring, both settings) is recorded with
  one upsert per page: page URL, dataset ids, time.
* ``status`` answers, per target: in the feed or not, since when, excluded
  with which reason, and when the target last fetched a page containing it;
  ``withdrawals`` lists what left a target's feed, for the office.
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped

from .. import page_facts, request_memo
from ..model_base import new_id as _uuid
from ..model_base import utcnow as _now
from ..translate import _
from ..workflow import states

# targets with a publication record (the HVD feed is a view, not a portal)
RECORD_TARGETS = ("govdata", "hessen")
TARGET_LABELS = {"govdata": "GovData", "hessen": "Hessen (Open-Data-Portal)"}


class FeedExclusion(tk.BaseModel):  # type: ignore[misc,valid-type]
    __table__ = sa.Table(
        "datagovernance_feed_exclusion",
        tk.BaseModel.metadata,
        sa.Column("id", sa.UnicodeText, primary_key=True, default=_uuid),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("target", sa.UnicodeText, nullable=False),
        sa.Column("excluded", sa.Boolean, nullable=False),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("user_id", sa.UnicodeText),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, default=_now),
        extend_existing=True,
    )
    id: Mapped[str]
    package_id: Mapped[str]
    target: Mapped[str]
    excluded: Mapped[bool]
    reason: Mapped[str | None]
    user_id: Mapped[str | None]
    created: Mapped[dt.datetime]


FEED_FETCH = sa.Table(
    "datagovernance_feed_fetch",
    tk.BaseModel.metadata,
    sa.Column("target", sa.UnicodeText, primary_key=True),
    sa.Column("page_url", sa.UnicodeText, primary_key=True),
    sa.Column("dataset_ids", ARRAY(sa.UnicodeText), nullable=False),
    sa.Column("fetched", sa.DateTime(timezone=True), nullable=False),
    extend_existing=True,
)


# ------------------------------------------------------------------ reading
def _latest_rows(package_ids: list[str] | None, target: str | None = None) -> list[FeedExclusion]:
    """The newest exclusion row per (dataset, target)."""
    q = model.Session.query(FeedExclusion).distinct(
        FeedExclusion.package_id, FeedExclusion.target).order_by(
        FeedExclusion.package_id, FeedExclusion.target, FeedExclusion.created.desc())
    if package_ids is not None:
        q = q.filter(FeedExclusion.package_id.in_(package_ids))
    if target:
        q = q.filter(FeedExclusion.target == target)
    return q.all()


def excluded_ids(target: str) -> list[str]:
    """Datasets currently excluded from ``target``'s feed."""
    if target not in RECORD_TARGETS:
        return []
    return sorted(r.package_id for r in _latest_rows(None, target) if r.excluded)


def _left_at(pkg_id: str) -> dt.datetime | None:
    from ..workflow.model import WorkflowEvent

    return model.Session.query(sa.func.max(WorkflowEvent.created)).filter(
        WorkflowEvent.package_id == pkg_id, WorkflowEvent.from_state == states.PUBLISHED).scalar()


def last_fetch(target: str, pkg_id: str | None = None) -> dt.datetime | None:
    """When ``target`` last fetched a feed page (containing ``pkg_id``)."""
    q = sa.select(sa.func.max(FEED_FETCH.c.fetched)).where(FEED_FETCH.c.target == target)
    if pkg_id:
        q = q.where(FEED_FETCH.c.dataset_ids.any(pkg_id))
    return model.Session.execute(q).scalar()


# per target: the newest exclusion row of the dataset (with the names of who
# excluded it) and the last fetch of a feed page containing it, as one JSON
# value (read alone by ``status`` or with the dataset page's other facts)
_STATUS = f"""json_build_object(
    'exclusions', (SELECT coalesce(json_agg(x), '[]') FROM (
        SELECT DISTINCT ON (x.target) x.target, x.excluded, x.reason, x.user_id, x.created AS at,
               u.name AS user_name, u.fullname AS user_fullname
          FROM {FeedExclusion.__table__.name} x LEFT JOIN "user" u ON u.id = x.user_id
         WHERE x.package_id = :pkg ORDER BY x.target, x.created DESC) x),
    'fetched', (SELECT coalesce(json_object_agg(f.target, f.at), '{{}}') FROM (
        SELECT target, max(fetched) AS at FROM {FEED_FETCH.name} WHERE :pkg = ANY(dataset_ids) GROUP BY target) f))"""


def _remember_status(pkg: model.Package, value: dict[str, Any]) -> dict[str, Any]:
    from ..roles import service as roles

    exclusions = {}
    for x in value["exclusions"]:
        if x["user_name"]:
            roles.remember_user_names(x["user_id"], x["user_name"],
                                      roles.display_name(x["user_name"], x["user_fullname"]))
        exclusions[x["target"]] = SimpleNamespace(**dict(x, at=page_facts.time(x["at"])))
    found = {"exclusions": exclusions,
             "fetched": {target: page_facts.time(at) for target, at in value["fetched"].items()}}
    request_memo.put("publication_status", pkg.id, found)
    return found


STATUS = page_facts.Part(_STATUS, _remember_status, memo=lambda pkg: ("publication_status", pkg.id))


def status(pkg: model.Package) -> list[dict[str, Any]]:
    """Per target: in the feed?, since, exclusion (reason, who, when), last
    fetch of a page containing the dataset."""
    from ..roles import policy
    from ..roles import service as roles
    from ..workflow import service as workflow

    facts = request_memo.remembered("publication_status", pkg.id,
                                    lambda: page_facts.read_together(pkg, [STATUS])[0])
    rows: dict[str, Any] = facts["exclusions"]
    fetched: dict[str, dt.datetime] = facts["fetched"]
    open_data = policy.is_open_data(pkg)
    # the newest transition to published (the workflow panel has read them)
    published = max((e.created for e in workflow.events(pkg.id) if e.to_state == states.PUBLISHED),
                    default=None) if open_data else None
    out = []
    for target in RECORD_TARGETS:
        row = rows.get(target)
        excluded = bool(row and row.excluded)
        in_feed = open_data and not excluded
        since = None
        if in_feed:
            candidates = [t for t in (published, row.at if row else None) if t]
            since = max(candidates) if candidates else pkg.metadata_created
        out.append({
            "target": target, "label": TARGET_LABELS[target], "in_feed": in_feed,
            "since": since, "excluded": excluded,
            "reason": row.reason if row else None,
            "changed": row.at if row else None,
            "changed_by": roles.user_display_name(row.user_id) if row and row.user_id else None,
            "last_fetched": fetched.get(target),
        })
    return out


def withdrawals(target: str) -> list[dict[str, Any]]:
    """Datasets that left ``target``'s feed (withdrawn, no longer open data,
    or excluded) after having been fetched by the target, newest first, with
    whether the target has fetched its feed since."""
    if target not in RECORD_TARGETS:
        raise tk.ObjectNotFound(target)
    from ..roles import policy

    fetched_ids = {i for (ids,) in model.Session.execute(
        sa.select(FEED_FETCH.c.dataset_ids).where(FEED_FETCH.c.target == target)) for i in ids}
    excluded = {r.package_id: r for r in _latest_rows(None, target) if r.excluded}
    latest_any = last_fetch(target)
    out = []
    for pkg_id in fetched_ids | set(excluded):
        pkg = model.Package.get(pkg_id)
        if pkg is None:
            continue
        row = excluded.get(pkg_id)
        if policy.is_open_data(pkg) and row is None:
            continue  # still in the feed
        if row is not None:
            left, why = row.created, _("Excluded: {0}").format(row.reason or "")
        elif pkg.state == "deleted":
            left, why = pkg.metadata_modified, _("Deleted")
        else:
            left = _left_at(pkg_id) or pkg.metadata_modified
            why = _("Withdrawn") if pkg.extras.get("workflow_state") == states.WITHDRAWN \
                else _("No longer open data")
        last_with = last_fetch(target, pkg_id)
        if last_with is None and row is not None and pkg_id not in fetched_ids:
            continue  # excluded before the portal ever saw it
        if left and left.tzinfo is None:
            left = left.replace(tzinfo=dt.timezone.utc)
        out.append({
            "id": pkg.id, "name": pkg.name, "title": pkg.title or pkg.name, "left": left,
            "why": why, "last_fetched_with": last_with,
            "fetched_since": bool(latest_any and left and latest_any > left),
        })
    out.sort(key=lambda r: r["left"] or dt.datetime.min.replace(tzinfo=dt.timezone.utc),
             reverse=True)
    return out


# ------------------------------------------------------------------ writing
def record_fetch(target: str, page_url: str, dataset_ids: list[str]) -> None:
    """One upsert for a fetched feed page (own transaction)."""
    stmt = pg_insert(FEED_FETCH).values(target=target, page_url=page_url,
                                        dataset_ids=dataset_ids, fetched=_now())
    model.Session.execute(stmt.on_conflict_do_update(
        index_elements=[FEED_FETCH.c.target, FEED_FETCH.c.page_url],
        set_={"dataset_ids": stmt.excluded.dataset_ids, "fetched": stmt.excluded.fetched}))
    model.Session.commit()


def fetching_target(args: Any, user_agent: str | None) -> str | None:
    """The target whose harvester sent this request: its token in the URL
    (``?harvester=<token>``) or its user-agent substring (settings)."""
    token = (args.get("harvester") or "").strip()
    agent = (user_agent or "").lower()
    for target in RECORD_TARGETS:
        want = tk.config.get(f"ckanext.datagovernance.dcat.{target}.harvester_token")
        if want and token and token == want:
            return target
        pattern = tk.config.get(f"ckanext.datagovernance.dcat.{target}.harvester_user_agent")
        if pattern and pattern.lower() in agent:
            return target
    return None


def _message(de: str, en: str) -> str:
    return f"{de} / {en}"


def _validate(data_dict: DataDict) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    target = data_dict.get("target")
    if target not in RECORD_TARGETS:
        allowed = ", ".join(RECORD_TARGETS)
        errors["target"] = [_message(f"Unbekanntes Ziel, erlaubt: {allowed}",
                                     f"unknown target, allowed: {allowed}")]
    excluded = data_dict.get("excluded", True)
    if isinstance(excluded, str):
        if excluded.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            errors["excluded"] = [_message("Erlaubt: true, false", "allowed: true, false")]
        excluded = excluded.lower() in ("true", "1", "yes", "on")
    elif not isinstance(excluded, bool):
        errors["excluded"] = [_message("Erlaubt: true, false", "allowed: true, false")]
    reason = data_dict.get("reason")
    if reason is not None and not isinstance(reason, str):
        errors["reason"] = [_message("Text erwartet", "text expected")]
        reason = None
    reason = (reason or "").strip()
    if excluded is True and not reason:
        errors["reason"] = [_message("Pflichtangabe: Grund des Ausschlusses",
                                     "Missing value: reason for the exclusion")]
    if len(reason) > 2000:
        errors["reason"] = [_message("Höchstens 2000 Zeichen", "at most 2000 characters")]
    if not data_dict.get("id"):
        errors["id"] = [_message("Pflichtangabe", "Missing value")]
    if errors:
        raise tk.ValidationError(errors)
    return {"id": data_dict["id"], "target": target, "excluded": bool(excluded),
            "reason": reason or None}


# ------------------------------------------------------------------ actions
def datagovernance_dataset_publication_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Exclude a dataset from a target's feed (or include it again).

    :param id: dataset id or name
    :param target: ``govdata`` or ``hessen``
    :param excluded: true (default) to exclude, false to include again
    :param reason: why (required when excluding)
    :returns: the dataset's publication status per target
    """
    data = _validate(data_dict)
    tk.check_access("datagovernance_dataset_publication_update", context, data)
    pkg = model.Package.get(data["id"])
    from ..roles import service as roles

    user = roles.context_user(context)
    model.Session.add(FeedExclusion(package_id=pkg.id, target=data["target"],
                                    excluded=data["excluded"], reason=data["reason"],
                                    user_id=user.id if user else None))
    model.Session.commit()
    from ..search import cache

    cache.bump()  # the feeds' search results change
    return {"id": pkg.id, "targets": _jsonable(status(pkg))}


@tk.side_effect_free
def datagovernance_dataset_publication_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Per target (GovData, Hessen): in the feed?, since when, exclusion and
    reason, last fetch by the target of a page containing the dataset.

    :param id: dataset id or name
    """
    tk.check_access("datagovernance_dataset_publication_show", context, data_dict)
    pkg = model.Package.get(data_dict.get("id") or "")
    return {"id": pkg.id, "targets": status_dicts(pkg)}


def status_dicts(pkg: model.Package) -> list[dict[str, Any]]:
    """``status`` as the show action answers it (times as ISO text)."""
    return _jsonable(status(pkg))


@tk.side_effect_free
def datagovernance_publication_withdrawals(context: Context, data_dict: DataDict) -> list[Any]:
    """Datasets that left a target's feed (office).

    :param target: ``govdata`` or ``hessen``
    """
    if data_dict.get("target") not in RECORD_TARGETS:
        allowed = ", ".join(RECORD_TARGETS)
        raise tk.ValidationError({"target": [_message(f"Unbekanntes Ziel, erlaubt: {allowed}",
                                                      f"unknown target, allowed: {allowed}")]})
    tk.check_access("datagovernance_publication_withdrawals", context, data_dict)
    return _jsonable(withdrawals(data_dict["target"]))


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in r.items()}
            for r in rows]


# ------------------------------------------------------------------ auth
def may_see_record(user: model.User | None, pkg: model.Package) -> bool:
    """Who sees a readable dataset's publication record: its maintainers
    (roles/policy); the show action's auth and the dataset page ask here."""
    from ..roles import policy

    return user is not None and policy.may_maintain(user, pkg)


def may_set_record(user: model.User | None, pkg: model.Package) -> bool:
    """Who excludes a readable dataset from a portal or includes it again
    (roles/policy); the update action's auth and the dataset page ask here."""
    from ..roles import policy

    return policy.may_exclude_from_feed(user, pkg)


def _dataset(context: Context, data_dict: DataDict) -> model.Package:
    pkg = model.Package.get((data_dict or {}).get("id") or "")
    if pkg is None or pkg.state == "deleted":
        raise tk.ObjectNotFound(_("Dataset not found"))
    tk.check_access("package_show", context, {"id": pkg.id})  # hidden: 404
    return pkg


def publication_set_auth(context: Context, data_dict: DataDict) -> dict[str, Any]:
    from ..roles import service as roles

    pkg = _dataset(context, data_dict)
    if may_set_record(roles.context_user(context), pkg):
        return {"success": True}
    return {"success": False, "msg": _("Only the domain's steward or the data office may "
                                       "exclude a dataset from a portal.")}


def publication_show_auth(context: Context, data_dict: DataDict) -> dict[str, Any]:
    from ..roles import service as roles

    pkg = _dataset(context, data_dict)
    if may_see_record(roles.context_user(context), pkg):
        return {"success": True}
    return {"success": False, "msg": _("Only the dataset's owner, steward or the data office "
                                       "see its publication record.")}


def may_see_withdrawals(user: model.User | None) -> bool:
    """Who sees the withdrawals page and its menu entry: the data office."""
    from ..roles import policy

    return policy.is_governance_admin(user)


def publication_withdrawals_auth(context: Context, data_dict: DataDict) -> dict[str, Any]:
    from ..roles import service as roles

    if may_see_withdrawals(roles.context_user(context)):
        return {"success": True}
    return {"success": False, "msg": _("Only the data office sees the withdrawals.")}


def get_actions() -> dict[str, Any]:
    return {
        "datagovernance_dataset_publication_update": datagovernance_dataset_publication_update,
        "datagovernance_dataset_publication_show": datagovernance_dataset_publication_show,
        "datagovernance_publication_withdrawals": datagovernance_publication_withdrawals,
    }


def get_auth_functions() -> dict[str, Any]:
    return {
        "datagovernance_dataset_publication_update": publication_set_auth,
        "datagovernance_dataset_publication_show": publication_show_auth,
        "datagovernance_publication_withdrawals": publication_withdrawals_auth,
    }
