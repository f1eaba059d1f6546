"""Activity rows follow their dataset's current visibility.

CKAN's activity plugin stores the dataset's permission labels in each
activity row when it is recorded and filters every stream by them in SQL
(user, organisation, group, dashboard, package, recently changed). A dataset
that was public once and is withdrawn, archived, reclassified or deleted
later would keep showing its old versions. So whenever a dataset is indexed
(every change of who may read it re-indexes it), its activities get its
current labels in the same transaction; streams, paging and counts then stay
exact without filtering in Python.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan.lib.plugins import get_permission_labels

from .. import prefetch

# activity types whose object is a dataset (CKAN only filters "* package")
DATASET_ACTIVITY_SUFFIXES = ("package", "resource view")

_UPDATE = sa.text(
    "UPDATE activity SET permission_labels = CAST(:labels AS text[]) "
    "WHERE object_id = :id AND permission_labels IS DISTINCT FROM CAST(:labels AS text[])"
)


def _enabled() -> bool:
    return p.plugin_loaded("activity")


def _set_labels(pkg_id: str, labels: list[str]) -> None:
    if _enabled():
        model.Session.execute(_UPDATE, {"id": pkg_id, "labels": sorted(set(labels))})


def follow_dataset(pkg_id: str) -> None:
    """The dataset's activities take its current permission labels."""
    if not prefetch.known("has_activities", pkg_id, lambda: True):
        return  # none to relabel (a dataset the import has just created)
    pkg = model.Package.get(pkg_id)
    _set_labels(pkg_id, get_permission_labels().get_dataset_labels(pkg) if pkg is not None else [])


def prefetch_has_activities(pkg_ids: list[str]) -> None:
    """Which of many datasets have activities, for a prefetch.scope(): one query."""
    if not prefetch.active() or not pkg_ids or not _enabled():
        return
    having = set(model.Session.scalars(sa.text(
        "SELECT DISTINCT object_id FROM activity WHERE object_id = ANY(:ids)"), {"ids": pkg_ids}))
    prefetch.put("has_activities", {pkg_id: pkg_id in having for pkg_id in pkg_ids})


def hide_dataset(pkg_id: str) -> None:
    """Deleted or purged: no labels, only sysadmins see the activities."""
    _set_labels(pkg_id, [])


def is_dataset_activity(activity: dict[str, Any] | Any) -> bool:
    kind = activity.get("activity_type") if isinstance(activity, dict) else getattr(activity, "activity_type", None)
    return bool(kind) and str(kind).endswith(DATASET_ACTIVITY_SUFFIXES)


def dataset_ids(activities: Iterable[dict[str, Any]]) -> set[str]:
    return {a["object_id"] for a in activities if is_dataset_activity(a) and a.get("object_id")}


def _hidden_users() -> Any:
    """CKAN's ckan.hide_activity_from_users (default: the site user), as a
    subquery of their ids."""
    names = tk.config.get("ckan.hide_activity_from_users") or [tk.config.get("ckan.site_id")]
    return sa.select(model.User.id).where(sa.or_(model.User.name.in_(names), model.User.id.in_(names)))


def new_dashboard_count(user: model.User, limit: int) -> int | None:
    """The header's "new on your dashboard" number (every logged-in page),
    exactly as CKAN counts it: among the `limit` newest rows of the dashboard
    stream, those newer than the user's last visit of the dashboard and not
    the user's own; and only rows the user may read now. CKAN builds and
    dictizes the stream's whole first page for this (and its query builder
    alone costs more than the rest of the header). A user who follows
    nothing (the usual case here) has only the stream of activities by or
    about themselves: one query on CKAN's (user_id, timestamp) and
    (object_id, timestamp) indexes, ids only, in the same statement as the
    last visit and the follow check. None: CKAN's own count applies
    (the user follows something, or has no dashboard row yet)."""
    from ckanext.activity.model import activity as model_activity

    from ..roles import policy

    table = model_activity.Activity.__table__
    dashboard = model.Dashboard.__table__
    # when the user last viewed the dashboard, and whether they follow
    # anything (users, datasets, groups), with the new rows in one statement
    follows = sa.or_(*(sa.select(t.c.object_id).where(t.c.follower_id == user.id).exists()
                       for t in (model.UserFollowingUser.__table__, model.UserFollowingDataset.__table__,
                                 model.UserFollowingGroup.__table__)))
    facts = sa.select(sa.select(dashboard.c.activity_stream_last_viewed).where(
        dashboard.c.user_id == user.id).scalar_subquery().label("last_viewed"), follows.label("follows")).subquery("f")
    rows = (sa.select(table.c.user_id, table.c.object_id, table.c.activity_type)
            .where(sa.or_(table.c.user_id == user.id, table.c.object_id == user.id),
                   table.c.timestamp > facts.c.last_viewed, sa.not_(facts.c.follows),
                   table.c.user_id.notin_(_hidden_users()))
            .order_by(table.c.timestamp.desc()).limit(limit))
    if not user.sysadmin:  # CKAN's label filter of dataset rows
        labels = get_permission_labels().get_user_dataset_labels(user)
        rows = rows.where(sa.or_(table.c.activity_type.is_(None), sa.not_(table.c.activity_type.endswith("package")),
                                 table.c.permission_labels.op("&&")(labels)))
    new = rows.lateral("a")
    result = model.Session.execute(sa.select(facts.c.last_viewed, facts.c.follows, new.c.user_id, new.c.object_id,
                                             new.c.activity_type).select_from(facts.outerjoin(new, sa.true()))).all()
    if result[0].last_viewed is None or result[0].follows:
        return None
    found = [{"object_id": r.object_id, "activity_type": r.activity_type}
             for r in result if r.user_id is not None and r.user_id != user.id]
    if user.sysadmin:
        return len(found)
    readable = policy.readable_dataset_ids(user, dataset_ids(found))
    return sum(1 for a in found if not is_dataset_activity(a) or a["object_id"] in readable)
