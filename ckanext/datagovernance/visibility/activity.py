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

import datetime as dt
from collections.abc import Iterable
from typing import Any

import ckan.model as model
import ckan.plugins as p
import sqlalchemy as sa
from ckan.lib.plugins import get_permission_labels

_FAR_FUTURE = dt.datetime(9999, 1, 1)

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
    pkg = model.Package.get(pkg_id)
    _set_labels(pkg_id, get_permission_labels().get_dataset_labels(pkg) if pkg is not None else [])


def hide_dataset(pkg_id: str) -> None:
    """Deleted or purged: no labels, only sysadmins see the activities."""
    _set_labels(pkg_id, [])


def is_dataset_activity(activity: dict[str, Any] | Any) -> bool:
    kind = activity.get("activity_type") if isinstance(activity, dict) else getattr(activity, "activity_type", None)
    return bool(kind) and str(kind).endswith(DATASET_ACTIVITY_SUFFIXES)


def dataset_ids(activities: Iterable[dict[str, Any]]) -> set[str]:
    return {a["object_id"] for a in activities if is_dataset_activity(a) and a.get("object_id")}


def new_dashboard_count(user: model.User, limit: int) -> int | None:
    """The header's "new on your dashboard" number, exactly as CKAN counts it
    (new = newer than the dashboard was last viewed and not the user's own,
    among the `limit` newest rows of the dashboard stream) and only rows the
    user may read now. CKAN builds and dictizes the whole first page of the
    stream on every page for this; here only the new rows are read (the
    newest `limit` after the last visit, the same rows as CKAN's page holds),
    which are usually none. None: CKAN's own answer applies (no dashboard row
    yet)."""
    from ckan import authz
    from ckanext.activity.model import activity as model_activity

    from ..roles import policy

    dashboard = model.Dashboard.get(user.id)
    last_viewed = dashboard.activity_stream_last_viewed if dashboard else None
    if last_viewed is None:
        return None
    sysadmin = authz.is_sysadmin(user.name)
    labels = None if sysadmin else get_permission_labels().get_user_dataset_labels(user)
    # `before` keeps CKAN's newest-first order (with only `after` it would
    # read the oldest rows after the last visit)
    rows = model_activity.dashboard_activity_list(
        user.id, limit=limit, offset=0, after=last_viewed, before=_FAR_FUTURE,
        user_permission_labels=labels)
    rows = [a for a in rows if a.user_id != user.id]
    if sysadmin:
        return len(rows)
    readable = policy.readable_dataset_ids(user, dataset_ids(
        {"activity_type": a.activity_type, "object_id": a.object_id} for a in rows))
    return sum(1 for a in rows if not is_dataset_activity(a) or a.object_id in readable)
