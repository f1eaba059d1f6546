"""Periodic jobs: a tiny registry and the loop of ``ckan datagovernance scheduler``.

A feature that needs something done regularly (KPI snapshots, link checks, ...)
registers a module-level function once, at import time of a module the plugin
loads::

    from ckanext.datagovernance import scheduler

    def snapshot_kpis() -> None: ...

    scheduler.register("kpi_snapshot", 24 * 3600, snapshot_kpis)

The scheduler process (one per site, started by ``make run`` / a systemd unit)
wakes every ``ckanext.datagovernance.scheduler.interval`` seconds and enqueues
each due job as a CKAN background job (RQ); ``ckan jobs worker`` runs it. The
scheduler itself never runs feature code, so a slow job cannot delay others.

Whether a job is due lives in Redis, not in the process: a job is due when its
key ``<prefix>:<name>`` has expired, and claiming it sets the key again with
``every_seconds`` as its lifetime (``SET NX EX``). A restarted scheduler does
not repeat work, and two schedulers by mistake still enqueue each job once.

With ckanext-harvest loaded, ``harvest_jobs_run`` (what ``ckan harvester run``
does: create jobs for sources whose frequency is due, mark finished jobs) is
registered as one more periodic job.
"""
from __future__ import annotations

import dataclasses
import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import click
from ckan.lib.redis import connect_to_redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)

HARVEST_JOB = "harvest_jobs_run"


@dataclasses.dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    func: Callable[[], Any]
    queue: str | None = None


_registry: dict[str, PeriodicJob] = {}


def register(name: str, every_seconds: int, func: Callable[[], Any],
             queue: str | None = None) -> None:
    """Run ``func`` (a module-level function without arguments, so the worker
    can import it) every ``every_seconds`` seconds as a background job on
    ``queue`` (CKAN's default queue when None). Registering a name again
    replaces it."""
    if every_seconds < 1:
        raise ValueError("every_seconds must be at least 1")
    _registry[name] = PeriodicJob(name, int(every_seconds), func, queue)


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> list[PeriodicJob]:
    _register_builtin()
    return sorted(_registry.values(), key=lambda job: job.name)


def run_harvest_jobs() -> None:
    """``ckan harvester run``: start due harvest sources, finish completed jobs."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    tk.get_action("harvest_jobs_run")({"user": site_user["name"]}, {})


def _register_builtin() -> None:
    if p.plugin_loaded("harvest") and HARVEST_JOB not in _registry:
        register(HARVEST_JOB, tk.config["ckanext.datagovernance.scheduler.harvest_every"],
                 run_harvest_jobs)


def _key(name: str) -> str:
    return f"ckan:{tk.config['ckan.site_id']}:datagovernance:scheduler:{name}"


def claim(job: PeriodicJob) -> bool:
    """True once per period: the job is due and now marked as enqueued."""
    return bool(connect_to_redis().set(_key(job.name), str(time.time()), nx=True,
                                       ex=job.every_seconds))


def _still_waiting(name: str) -> bool:
    """The previous run is still queued or running (a busy worker): do not
    pile up copies of the same job."""
    conn = connect_to_redis()
    job_id = conn.get(_key(name) + ":job")
    if not job_id:
        return False
    try:
        status = Job.fetch(job_id.decode(), connection=conn).get_status(refresh=True)
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED,
                      JobStatus.SCHEDULED)


def release(name: str) -> None:
    """Make a job due at the next tick (e.g. after changing its schedule)."""
    connect_to_redis().delete(_key(name))


def run_once() -> list[str]:
    """Enqueue every due job; returns their names."""
    enqueued = []
    for job in registered():
        if _still_waiting(job.name) or not claim(job):
            continue
        try:
            rq_job = tk.enqueue_job(job.func, title=f"datagovernance scheduler: {job.name}",
                                    **({"queue": job.queue} if job.queue else {}))
            connect_to_redis().set(_key(job.name) + ":job", rq_job.id, ex=24 * 3600)
        except Exception:  # Redis gone: try again next tick instead of dying
            release(job.name)
            log.exception("scheduler: could not enqueue %s", job.name)
            continue
        log.info("scheduler: enqueued %s (every %d s)", job.name, job.every_seconds)
        enqueued.append(job.name)
    return enqueued


def loop(interval: float, stop: threading.Event) -> None:
    log.info("scheduler: %d periodic job(s): %s; tick every %s s", len(registered()),
             ", ".join(f"{j.name} ({j.every_seconds} s)" for j in registered()) or "-",
             interval)
    while not stop.is_set():
        try:
            run_once()
        except Exception:  # keep ticking; the next tick retries
            log.exception("scheduler: tick failed")
        stop.wait(interval)
    log.info("scheduler: stopped")


@click.command(name="scheduler", short_help="Enqueue due periodic jobs and harvests")
@click.option("--interval", type=float, default=None,
              help="Seconds between ticks (default: ckanext.datagovernance.scheduler.interval).")
@click.option("--once", is_flag=True, help="One tick, then exit (e.g. from cron).")
@click.option("--list", "list_jobs", is_flag=True, help="List the registered jobs and exit.")
def command(interval: float | None, once: bool, list_jobs: bool) -> None:
    """Run the suite's periodic jobs and due harvest sources as background
    jobs (``ckan jobs worker`` runs them). Runs until stopped."""
    if list_jobs:
        for job in registered():
            click.echo(f"{job.name}\t{job.every_seconds}\t{job.queue or 'default'}")
        return
    if once:
        for name in run_once():
            click.echo(name)
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    loop(interval or tk.config["ckanext.datagovernance.scheduler.interval"], stop)
