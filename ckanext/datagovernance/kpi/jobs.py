"""The daily KPI snapshot (scheduler: once a day, e.g. at 02:00 Berlin time;
or ``ckan datagovernance kpi snapshot`` from cron)."""
from __future__ import annotations

import datetime as dt
import logging

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from ..roles.service import DOMAIN_GROUP_TYPE
from . import compute
from . import model as kmodel

log = logging.getLogger(__name__)


def take_snapshot(day: dt.date | None = None) -> int:
    """Snapshot the whole catalog, every organisation and every domain for
    `day` (default today; a second run replaces the day's rows). Returns the
    number of scopes written."""
    day = day or dt.date.today()
    scopes = [("site", "")]
    for gid, is_org, gtype in model.Session.execute(sa.select(
            model.Group.id, model.Group.is_organization, model.Group.type).where(model.Group.state == "active")):
        if is_org:
            scopes.append(("organization", gid))
        elif gtype == DOMAIN_GROUP_TYPE:
            scopes.append(("domain", gid))
    try:
        compute.compact()  # the day's -1/+1 rows of the rollup recounted, "overdue" as of today
        rollup = compute.Rollup(day)
        for scope_type, scope_id in scopes:
            fig = rollup.figures(scope_type, scope_id)
            kmodel.upsert_snapshot(day, scope_type, scope_id, compute.snapshot_values(fig))
        model.Session.commit()
    except Exception:
        model.Session.rollback()
        log.exception("KPI snapshot failed")
        raise
    return len(scopes)


def enqueue_snapshot() -> None:
    tk.enqueue_job(take_snapshot, [], title="datagovernance KPI snapshot", queue="default")
