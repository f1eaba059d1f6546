"""Large inventory files as a background job with progress (issue 11).

The page and the action hand a file above ``background_rows`` rows to CKAN's
job queue (``ckan jobs worker``). The job's state (queued, running, done,
failed), its progress and finally the report live in Redis for a day under
a random id; only the uploader and the data office may read them
(auth ``datagovernance_inventory_job_show``)."""
from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

log = logging.getLogger(__name__)

TTL = 24 * 3600


def threshold() -> int:
    return int(tk.config.get("ckanext.datagovernance.inventory.background_rows") or 300)


def _key(job_id: str) -> str:
    return f"{tk.config.get('ckan.site_id')}:datagovernance:inventory:{job_id}"


def load(job_id: str) -> dict[str, Any] | None:
    raw = connect_to_redis().get(_key(job_id)) if job_id else None
    return json.loads(raw) if raw else None


def _save(state: dict[str, Any]) -> None:
    connect_to_redis().set(_key(state["id"]), json.dumps(state), ex=TTL)


def start(user: model.User, headers: list[str], rows: list[list[Any]], *, dry_run: bool, partial: bool,
          filename: str) -> dict[str, Any]:
    """Record the job and queue it once the request's transaction commits."""
    from ..aftercommit import enqueue_after_commit

    state = {"id": uuid.uuid4().hex, "user_id": user.id, "state": "queued", "done": 0, "total": len(rows),
             "filename": filename, "dry_run": dry_run, "partial": partial, "report": None, "error": None}
    _save(state)
    cells = [[_plain(c) for c in r] for r in rows]
    enqueue_after_commit(run, [state["id"], user.name, headers, cells, dry_run, partial],
                         title=f"Inventur {filename or state['id']}", rq_kwargs={"timeout": 6 * 3600})
    model.repo.commit()  # nothing of the request is pending: this only releases the queued job
    return state


def _plain(value: Any) -> Any:
    """Cells as the queue can carry them (dates as they read in a file)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    return str(value)


def run(job_id: str, user_name: str, headers: list[str], rows: list[list[Any]], dry_run: bool,
        partial: bool) -> None:
    """The job: the same import as in the request, reporting progress."""
    from . import service

    state = load(job_id) or {"id": job_id, "total": len(rows)}
    state.update(state="running", done=0)
    _save(state)
    user = model.User.get(user_name)

    def progress(done: int, total: int) -> None:
        state.update(done=done, total=total)
        _save(state)

    try:
        report = service.run_import({"user": user_name, "auth_user_obj": user}, headers, rows,
                                    dry_run=dry_run, partial=partial, progress=progress)
        state.update(state="done", done=state["total"], report=report.as_dict())
    except Exception as e:
        log.exception("inventory job %s failed", job_id)
        model.Session.rollback()
        state.update(state="failed", error=str(e) or e.__class__.__name__)
        raise
    finally:
        _save(state)
