"""Background work of the quality concern (CKAN jobs / RQ, or the scheduler).

- ``score_dataset(id)``: one dataset's score; no HTTP requests.
- ``score_pending()``: after datasets changed, the signal subscription in
  ``signals.py`` adds their ids to a set in Redis once the change commits
  and queues this job only if none is queued. CKAN's worker loads its whole
  environment for every job (about 2–3 s), so one job per edit would make a
  bulk import of 10,000 rows a day of queue; one job scores every pending
  dataset, for at most ``PENDING_BUDGET_S`` seconds, then queues its
  follow-up.
- ``check_links(ids)``: the link check of some datasets, then their scores.
- ``check_links_due()``: the periodic entry point: the datasets whose last
  link check is older than ``recheck_days`` (or that never had one), oldest
  first, at most ``batch_size`` per run.
Jobs take ids and re-read everything; each dataset commits on its own, so
one broken record does not stop a batch.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan.lib.redis import connect_to_redis

from ..model_base import utcnow
from . import linkcheck, score
from . import model as qmodel

log = logging.getLogger(__name__)
QUEUE = "default"


def _show(package_id: str) -> dict[str, Any] | None:
    try:
        pkg = tk.get_action("package_show")(score.site_context(), {"id": package_id})
    except tk.ObjectNotFound:
        return None
    return pkg if pkg.get("state") == "active" else None


def _reindex(package_id: str) -> None:
    from ckan.lib.search import rebuild

    rebuild(package_id)


def score_dataset(package_id: str) -> int | None:
    """Compute and store the score of one dataset; re-index it (facet, sort)."""
    pkg = _show(package_id)
    if pkg is None:
        return None
    try:
        result = score.compute(pkg)
        previous = qmodel.latest_score(pkg["id"])
        qmodel.save_score(pkg["id"], result, result["shacl_conforms"],
                          score.hvd_compliant(pkg, result["shacl_conforms"]))
        model.Session.commit()
        if previous is None or previous.score != result["score"]:
            _reindex(pkg["id"])
        return result["score"]
    except Exception:
        model.Session.rollback()
        log.exception("quality score of %s failed", package_id)
        raise


def check_links(package_ids: list[str]) -> dict[str, int]:
    """Check the access/download URLs of these datasets, store every result
    with its time, then re-score them."""
    counts = {"datasets": 0, "urls": 0, "reachable": 0, "unreachable": 0, "unknown": 0}
    for package_id in package_ids:
        pkg = _show(package_id)
        if pkg is None:
            continue
        counts["datasets"] += 1
        results = linkcheck.check_urls(score.urls(pkg))
        now = utcnow()
        for r in results:
            model.Session.add(qmodel.LinkCheck(
                package_id=pkg["id"], url=r.url, ok=r.ok, status_code=r.status_code,
                error=r.error, elapsed_ms=r.elapsed_ms, checked_at=now))
            counts["urls"] += 1
            counts[{True: "reachable", False: "unreachable", None: "unknown"}[r.ok]] += 1
        if not results:
            # remember the visit: a dataset without URLs is not due again at once
            model.Session.add(qmodel.LinkCheck(package_id=pkg["id"], url="", ok=None,
                                               error="no URLs", checked_at=now))
        model.Session.commit()
        score_dataset(pkg["id"])
    return counts


def due_datasets(limit: int | None = None, now: dt.datetime | None = None) -> list[str]:
    days = int(tk.config.get("ckanext.datagovernance.quality.link_check.recheck_days") or 7)
    limit = limit or int(tk.config.get("ckanext.datagovernance.quality.link_check.batch_size") or 200)
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    last = (sa.select(qmodel.LinkCheck.package_id, sa.func.max(qmodel.LinkCheck.checked_at).label("at"))
            .group_by(qmodel.LinkCheck.package_id).subquery())
    query = (sa.select(model.Package.id)
             .outerjoin(last, last.c.package_id == model.Package.id)
             .where(model.Package.state == "active", model.Package.type != "harvest",
                    sa.or_(last.c.at.is_(None), last.c.at < cutoff))
             .order_by(last.c.at.asc().nulls_first(), model.Package.id)
             .limit(limit))
    return list(model.Session.scalars(query))


def check_links_due() -> dict[str, int]:
    """Periodic entry point (the scheduler calls this, e.g. hourly)."""
    return check_links(due_datasets())


def score_all() -> int:
    """Score every active dataset (after an upgrade of the rules)."""
    ids = list(model.Session.scalars(sa.select(model.Package.id).where(
        model.Package.state == "active", model.Package.type != "harvest").order_by(model.Package.id)))
    for package_id in ids:
        score_dataset(package_id)
    return len(ids)


# Below CKAN's default job timeout (ckan.jobs.timeout, 180 s).
PENDING_BUDGET_S = 60
# How long the "a drain job is queued" mark lives if its job never runs
# (worker down): afterwards the next edit queues a new one.
_ARMED_TTL_S = 600


def _keys() -> tuple[str, str]:
    site = tk.config.get("ckan.site_id") or "default"
    return (f"datagovernance:quality:{site}:pending", f"datagovernance:quality:{site}:armed")


def pending_ids() -> set[str]:
    return {m.decode() if isinstance(m, bytes) else m for m in connect_to_redis().smembers(_keys()[0])}


def _queue_pending(package_ids: list[str]) -> None:
    pending, armed = _keys()
    redis = connect_to_redis()
    if package_ids:
        redis.sadd(pending, *package_ids)
    if redis.set(armed, "1", nx=True, ex=_ARMED_TTL_S):
        tk.enqueue_job(score_pending, [], title="datagovernance quality score (pending datasets)",
                       queue=QUEUE)


def score_pending() -> int:
    """Score the datasets that changed since the last run (see above)."""
    pending, armed = _keys()
    redis = connect_to_redis()
    # disarm first: an id added from now on queues a new job
    redis.delete(armed)
    done = 0
    deadline = time.monotonic() + PENDING_BUDGET_S
    while time.monotonic() < deadline:
        member = redis.spop(pending)
        if member is None:
            return done
        package_id = member.decode() if isinstance(member, bytes) else member
        try:
            score_dataset(package_id)
        except Exception:  # noqa: BLE001 - logged in score_dataset; one broken record stops nothing
            pass
        done += 1
    if redis.scard(pending):
        _queue_pending([])  # out of time: the rest goes to a follow-up job
    return done


def enqueue_score(package_id: str) -> None:
    enqueue_scores([package_id])


def enqueue_scores(package_ids: list[str]) -> None:
    """Queue datasets for scoring with one Redis call, only for a committed
    change: a dry run or a rolled-back edit queues nothing."""
    from ..aftercommit import call_after_commit

    if package_ids:
        ids = list(package_ids)
        what = ids[0] if len(ids) == 1 else f"({len(ids)} datasets)"
        call_after_commit(lambda: _queue_pending(ids), title=f"datagovernance quality score {what}")


def enqueue_link_check(package_ids: list[str] | None = None) -> Any:
    if package_ids:
        return tk.enqueue_job(check_links, [package_ids], title="datagovernance link check",
                              queue=QUEUE, rq_kwargs={"timeout": 3600})
    return tk.enqueue_job(check_links_due, [], title="datagovernance link check (due)",
                          queue=QUEUE, rq_kwargs={"timeout": 3600})
