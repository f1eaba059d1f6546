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

from .. import prefetch, prepared

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


def _hidden_user_refs() -> list[str]:
    """CKAN's ckan.hide_activity_from_users (default: the site user): names or ids."""
    return list(tk.config.get("ckan.hide_activity_from_users") or [tk.config.get("ckan.site_id")])


# The header's count on every logged-in page: plain SQL built once (as a
# SQLAlchemy construct it cost ~1 ms of CPU per page to build and compile).
# When the user last viewed the dashboard and whether they follow anything
# (users, datasets, groups), with the new rows of the user's own stream.
_NEW_ON_DASHBOARD_SQL = """
    WITH f AS (
        SELECT (SELECT d.activity_stream_last_viewed FROM dashboard d WHERE d.user_id = :user) AS last_viewed,
               EXISTS (SELECT 1 FROM user_following_user WHERE follower_id = :user)
               OR EXISTS (SELECT 1 FROM user_following_dataset WHERE follower_id = :user)
               OR EXISTS (SELECT 1 FROM user_following_group WHERE follower_id = :user) AS follows)
    SELECT f.last_viewed, f.follows, a.user_id, a.object_id, a.activity_type
      FROM f LEFT JOIN LATERAL (
        SELECT act.user_id, act.object_id, act.activity_type FROM activity act
         WHERE (act.user_id = :user OR act.object_id = :user) AND act.timestamp > f.last_viewed AND NOT f.follows
           AND act.user_id NOT IN (SELECT u.id FROM "user" u
                                    WHERE u.name = ANY(CAST(:hidden AS text[])) OR u.id = ANY(CAST(:hidden AS text[])))
           {labels}
         ORDER BY act.timestamp DESC LIMIT :limit) a ON TRUE
"""
_NEW_ON_DASHBOARD = {
    True: sa.text(_NEW_ON_DASHBOARD_SQL.format(labels="")),
    False: sa.text(_NEW_ON_DASHBOARD_SQL.format(labels=(
        "AND (act.activity_type IS NULL OR act.activity_type NOT LIKE '%package' "
        "OR act.permission_labels && CAST(:labels AS text[]))"))),
}


def new_dashboard_count(user: model.User) -> int | None:
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
    (the user follows something, or has no dashboard row yet). `limit` is
    CKAN's ``ckan.activity_list_limit``."""
    limit = int(tk.config.get("ckan.activity_list_limit"))
    from ..roles import policy

    params: dict[str, Any] = {"user": user.id, "limit": limit, "hidden": _hidden_user_refs()}
    if not user.sysadmin:  # CKAN's label filter of dataset rows
        params["labels"] = list(get_permission_labels().get_user_dataset_labels(user))
    result = prepared.execute(_NEW_ON_DASHBOARD[bool(user.sysadmin)], params).all()
    if result[0].last_viewed is None or result[0].follows:
        return None
    found = [{"object_id": r.object_id, "activity_type": r.activity_type}
             for r in result if r.user_id is not None and r.user_id != user.id]
    if user.sysadmin:
        return len(found)
    readable = policy.readable_dataset_ids(user, dataset_ids(found))
    return sum(1 for a in found if not is_dataset_activity(a) or a["object_id"] in readable)
