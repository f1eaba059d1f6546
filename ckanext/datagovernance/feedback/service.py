"""Feedback facts and writes (no commits: the actions own the transaction)."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from .. import prefetch, prepared, request_memo
from ..roles import service as roles
from . import policy
from .model import AccessGrant, FeedbackEvent, FeedbackItem

BERLIN = ZoneInfo("Europe/Berlin")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def berlin_today() -> dt.date:
    return now().astimezone(BERLIN).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """A grant "until 31.12." ends when that day ends in Berlin."""
    nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=BERLIN)
    return nxt.astimezone(dt.timezone.utc)


def max_grant_days() -> int:
    return tk.asint(tk.config.get("ckanext.datagovernance.feedback.max_grant_days"))


# -- rate limit (Redis: shared by every web worker) ----------------------------
def _rate_key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"{tk.config.get('ckan.site_id')}:datagovernance:feedback:rate:{kind}:{digest}"


def rate_exceeded(kind: str, value: str | None) -> bool:
    """Count one anonymous submission for `value` (address or IP) in the
    current window; True once the limit is passed."""
    if not value:
        return False
    from ckan.lib.redis import connect_to_redis

    limit = tk.asint(tk.config.get("ckanext.datagovernance.feedback.rate_limit"))
    window = tk.asint(tk.config.get("ckanext.datagovernance.feedback.rate_window"))
    redis = connect_to_redis()
    key = _rate_key(kind, value)
    pipe = redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, window, nx=True)
    count = pipe.execute()[0]
    return int(count) > limit


# -- items -------------------------------------------------------------------
def get(item_id: str | None) -> FeedbackItem | None:
    return model.Session.get(FeedbackItem, item_id) if item_id else None


def record(item: FeedbackItem, action: str, actor: model.User | None, text: str | None = None,
           from_status: str | None = None, to_status: str | None = None, internal: bool = False) -> FeedbackEvent:
    event = FeedbackEvent(feedback_id=item.id, action=action, actor_id=actor.id if actor else None,
                          from_status=from_status, to_status=to_status, text=text, internal=internal,
                          created=now())
    model.Session.add(event)
    item.modified = event.created
    return event


def events(item: FeedbackItem, include_internal: bool) -> list[FeedbackEvent]:
    q = sa.select(FeedbackEvent).where(FeedbackEvent.feedback_id == item.id)
    if not include_internal:
        q = q.where(FeedbackEvent.internal.is_(False))
    return list(model.Session.scalars(q.order_by(FeedbackEvent.created, FeedbackEvent.id)))


def package_of(item: FeedbackItem) -> model.Package | None:
    return roles.get_dataset(item.package_id) if item.package_id else None


def candidates(user: model.User, scope: str, statuses: Iterable[str] = ()) -> list[FeedbackItem]:
    """Items a query for `scope` (only `statuses`, if given) starts from;
    policy filters them after."""
    q = sa.select(FeedbackItem)
    if statuses:
        q = q.where(FeedbackItem.status.in_(list(statuses)))
    if scope == "mine":
        q = q.where(FeedbackItem.requester_id == user.id)
    elif scope == "inbox" and not _is_admin(user):
        owned = list(roles.role_scopes(user.id, "owner"))
        domains = roles.stewarded_domains(user.id)
        if not owned and not domains:  # nothing to handle (most staff): no query on every page
            return []
        refs = list(domains) + [g.name for g in model.Session.scalars(
            sa.select(model.Group).where(model.Group.id.in_(list(domains))))] if domains else []
        in_domains = sa.select(model.Package.id).where(model.Package.extras["domain"].astext.in_(refs))
        q = q.where(sa.or_(
            FeedbackItem.package_id.in_(owned),
            FeedbackItem.package_id.in_(in_domains),
            FeedbackItem.domain_id.in_(list(domains)),
        ))
    return list(model.Session.scalars(q.order_by(FeedbackItem.created.desc())))


# every open item (the office's badge; plain SQL: the ORM construct cost more
# CPU to build and compile on every page than the count itself)
_OPEN_COUNT = sa.text(f"SELECT count(*) FROM {FeedbackItem.__table__.name} WHERE status = ANY(CAST(:open AS text[]))")


# policy.may_handle as one count: open items on a dataset (not deleted) the
# user owns or whose domain is in a stewarded subtree, and data requests for
# a stewarded subtree (tests/visibility compare it with the inbox list)
_HANDLED_OPEN_COUNT = sa.text(roles.DOMAIN_SUBTREE_CTE + f"""
    SELECT count(*) FROM {FeedbackItem.__table__.name} f
     WHERE f.status = ANY(CAST(:open AS text[])) AND (
           f.package_id IN (SELECT p.id FROM package p WHERE p.state <> 'deleted'
                             AND (p.id = ANY(CAST(:owned AS text[]))
                                  OR p.extras ->> 'domain' IN (SELECT id FROM subtree UNION ALL SELECT name FROM subtree)))
        OR (f.kind = :data_request AND f.domain_id IN (SELECT id FROM subtree)))
""").bindparams(data_request=policy.DATA_REQUEST)


def open_inbox_count(user: model.User) -> int:
    """Open items `user` handles (the header badge on every logged-in page):
    what the inbox lists as open, counted in one statement without loading
    the items. Those who handle everything: one count on the status index."""
    if policy.handles_everything(user):
        return prepared.execute(_OPEN_COUNT, {"open": list(policy.OPEN_STATUSES)}).scalar() or 0
    owned = sorted(roles.role_scopes(user.id, "owner"))
    stewarded = sorted(roles.role_scopes(user.id, "steward"))
    if not owned and not stewarded:  # nothing to handle (most staff): no query on every page
        return 0
    return prepared.execute(_HANDLED_OPEN_COUNT, {
        "open": list(policy.OPEN_STATUSES), "owned": owned, "domains": stewarded}).scalar() or 0


def _is_admin(user: model.User) -> bool:
    from ..roles import policy as roles_policy

    return roles_policy.is_governance_admin(user)


def _user_name(user_id: str | None) -> str | None:
    user = model.User.get(user_id) if user_id else None
    return user.display_name if user else None


def dictize(item: FeedbackItem, viewer: model.User | None, pkg: model.Package | None,
            with_events: bool = False) -> dict[str, Any]:
    """What `viewer` may see of `item`: handlers everything, the requester
    all but internal notes, others the published question and answer."""
    handler = policy.may_handle(viewer, item, pkg)
    own = policy.is_requester(viewer, item)
    domain = roles.get_domain(item.domain_id) if item.domain_id else None
    out: dict[str, Any] = {
        "id": item.id, "kind": item.kind, "status": item.status, "subject": item.subject,
        "message": item.message, "answer": item.answer, "reason": item.reason,
        "published": item.published,
        "package_id": pkg.id if pkg else None, "package_name": pkg.name if pkg else None,
        "package_title": pkg.title if pkg else None,
        "domain_id": domain.id if domain else None, "domain_title": domain.title if domain else None,
        "created": item.created.isoformat(), "modified": item.modified.isoformat(),
    }
    if handler or own:
        out.update({
            "justification": item.justification,
            "requester_id": item.requester_id, "requester_name": _user_name(item.requester_id),
            "anonymous": item.requester_id is None,
            "assignee_id": item.assignee_id, "assignee_name": _user_name(item.assignee_id),
            "first_response": item.first_response.isoformat() if item.first_response else None,
            "grants": [grant_dictize(g) for g in grants_of_item(item.id)],
        })
        if handler:
            out["requester_email"] = item.requester_email
        if with_events:
            out["events"] = [event_dictize(e) for e in events(item, include_internal=handler)]
    elif with_events:
        out["events"] = []
    return out


def event_dictize(e: FeedbackEvent) -> dict[str, Any]:
    return {"id": e.id, "action": e.action, "actor_id": e.actor_id, "actor_name": _user_name(e.actor_id),
            "from_status": e.from_status, "to_status": e.to_status, "text": e.text, "internal": e.internal,
            "created": e.created.isoformat()}


# -- access grants -----------------------------------------------------------
_READERS = sa.text(
    "SELECT package_id, user_id FROM datagovernance_access_grant "
    "WHERE package_id = ANY(:ids) AND state = 'active' AND expires > :now"
)


def _readers_of(pkg_ids: list[str]) -> dict[str, list[str]]:
    readers: dict[str, list[str]] = {pkg_id: [] for pkg_id in pkg_ids}
    for pkg_id, user_id in model.Session.execute(_READERS, {"ids": pkg_ids, "now": now()}):
        readers[pkg_id].append(user_id)
    return readers


def reader_ids(pkg: model.Package) -> list[str]:
    """Users with an active access grant on `pkg` (roles/labels.py adds them
    to the dataset's permission labels). The end time is compared with the
    application's clock, so access ends on time in show/files even before
    the expiry job re-indexes search."""
    # the dataset page asks with every read check of its panels: once per request
    return list(prefetch.known("access_readers", pkg.id, lambda: request_memo.remembered(
        "access_readers", pkg.id, lambda: _readers_of([pkg.id])[pkg.id])))


def prefetch_readers(pkg_ids: list[str]) -> None:
    """reader_ids of many datasets for a prefetch.scope(): one query."""
    if not prefetch.active() or not pkg_ids:
        return
    prefetch.put("access_readers", _readers_of(pkg_ids))


def grants_of_item(item_id: str) -> list[AccessGrant]:
    return list(model.Session.scalars(
        sa.select(AccessGrant).where(AccessGrant.feedback_id == item_id).order_by(AccessGrant.granted_at)))


def get_grant(grant_id: str | None) -> AccessGrant | None:
    return model.Session.get(AccessGrant, grant_id) if grant_id else None


def grants(package_id: str | None = None, user_id: str | None = None, state: str | None = "active") -> list[AccessGrant]:
    q = sa.select(AccessGrant)
    if package_id:
        q = q.where(AccessGrant.package_id == package_id)
    if user_id:
        q = q.where(AccessGrant.user_id == user_id)
    if state and state != "all":
        q = q.where(AccessGrant.state == state)
    return list(model.Session.scalars(q.order_by(AccessGrant.granted_at.desc())))


def grant_access(item: FeedbackItem, pkg: model.Package, user_id: str, until: dt.date,
                 actor: model.User | None) -> AccessGrant:
    """A new grant; an active one for the same user and dataset ends (replaced)."""
    for old in grants(package_id=pkg.id, user_id=user_id, state="active"):
        end_grant(old, "replaced", actor, None)
    grant = AccessGrant(feedback_id=item.id, package_id=pkg.id, user_id=user_id,
                        granted_by=actor.id if actor else None, granted_at=now(), expires=end_of_day(until),
                        state="active")
    model.Session.add(grant)
    model.Session.flush()
    return grant


def end_grant(grant: AccessGrant, state: str, actor: model.User | None, reason: str | None) -> None:
    grant.state = state
    grant.ended_at = now()
    grant.ended_by = actor.id if actor else None
    grant.end_reason = reason


def due_grants() -> list[AccessGrant]:
    return list(model.Session.scalars(
        sa.select(AccessGrant).where(AccessGrant.state == "active", AccessGrant.expires <= now())))


def reindex(package_ids: Iterable[str]) -> None:
    """Grantees are in the dataset's permission labels: re-index in the
    caller's transaction (the search backend writes in the same session)."""
    from ckan import logic

    for pkg_id in dict.fromkeys(package_ids):
        logic.index_update_package({"ignore_auth": True}, pkg_id, defer_commit=True)


def grant_dictize(g: AccessGrant) -> dict[str, Any]:
    pkg = model.Package.get(g.package_id)
    user = model.User.get(g.user_id)
    return {
        "id": g.id, "feedback_id": g.feedback_id, "package_id": g.package_id,
        "package_name": pkg.name if pkg else None, "package_title": pkg.title if pkg else None,
        "user_id": g.user_id, "user_name": user.name if user else None,
        "user_display_name": user.display_name if user else None,
        "granted_by": g.granted_by, "granted_by_name": _user_name(g.granted_by),
        "granted_at": g.granted_at.isoformat(), "expires": g.expires.isoformat(),
        "until": (g.expires.astimezone(BERLIN) - dt.timedelta(seconds=1)).date().isoformat(),
        "state": g.state, "ended_at": g.ended_at.isoformat() if g.ended_at else None,
        "end_reason": g.end_reason,
    }


def kpis() -> dict[str, Any]:
    """Open items and mean hours to the first answer (for the KPI dashboard)."""
    open_count = model.Session.scalar(
        sa.select(sa.func.count()).select_from(FeedbackItem).where(FeedbackItem.status.in_(policy.OPEN_STATUSES)))
    hours = model.Session.scalar(sa.select(sa.func.avg(
        sa.extract("epoch", FeedbackItem.first_response - FeedbackItem.created) / 3600.0
    )).where(FeedbackItem.first_response.is_not(None)))
    return {"open": int(open_count or 0), "hours_to_first_answer": round(float(hours), 1) if hours is not None else None}
