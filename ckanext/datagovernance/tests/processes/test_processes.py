"""Everything that must run, runs: the scheduler and the Procfile's processes.

The second test starts the real Procfile with honcho (web, jobs worker,
harvest gather and fetch consumers, scheduler) against the test database and
Redis database, creates a harvest source through the web server's API and
waits until the consumers have harvested it and the scheduler's periodic
``harvest_jobs_run`` has marked the job finished; then Ctrl-C stops them all.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from ckan.common import config
from ckan.lib import jobs
from ckan.tests import factories

from ckanext.datagovernance import scheduler

from ..servers import free_port

ROOT = Path(__file__).resolve().parents[4]
PLUGINS = ("activity datagovernance_search datagovernance scheming_datasets scheming_groups "
           "scheming_organizations dcat datagovernance_dcat harvest dcat_rdf_harvester "
           "datagovernance_harvest")
PROFILES = "euro_dcat_ap_3 dcat_ap_de"

FEED = """\
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://nachbarstadt.example/dataset/spielplaetze> a dcat:Dataset ;
    dct:title "Spielplätze"@de ;
    dct:description "Spielplätze der Nachbarstadt mit Ausstattung."@de ;
    dct:identifier "https://nachbarstadt.example/dataset/spielplaetze" ;
    dcat:distribution <https://nachbarstadt.example/dataset/spielplaetze/csv> .
<https://nachbarstadt.example/dataset/spielplaetze/csv> a dcat:Distribution ;
    dct:title "Spielplätze CSV" ;
    dcat:accessURL <https://nachbarstadt.example/spielplaetze.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
    dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> .
"""


def tick_job() -> None:
    """A periodic job for the registry test (never run)."""


def test_scheduler_enqueues_a_due_job_once_per_period(clean_redis):
    scheduler.register("test_tick", 2, tick_job)
    try:
        assert "test_tick" in scheduler.run_once()
        queued = [j for j in jobs.get_queue().jobs if j.func_name.endswith(".tick_job")]
        assert len(queued) == 1
        assert queued[0].meta["title"] == "datagovernance scheduler: test_tick"
        # not due again within its period (the mark lives in Redis, not here)
        assert "test_tick" not in scheduler.run_once()
        time.sleep(2.1)
        # due again, but the first run still waits for a worker: no second copy
        assert "test_tick" not in scheduler.run_once()
        queued[0].delete()
        assert "test_tick" in scheduler.run_once()
        assert len([j for j in jobs.get_queue().jobs if j.func_name.endswith(".tick_job")]) == 1
    finally:
        scheduler.unregister("test_tick")


# ------------------------------------------------------------ the processes
@contextlib.contextmanager
def _feed_server(body: str) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/catalog.ttl"
    finally:
        server.shutdown()
        server.server_close()


def _api(base: str, action: str, token: str, **data: object) -> dict:
    request = urllib.request.Request(
        f"{base}/api/3/action/{action}", data=json.dumps(data).encode(),
        headers={"Authorization": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert body["success"], body
    return body["result"]


def _wait(what: str, check, timeout: float, log: Path) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}; honcho log:\n"
                + "\n".join(log.read_text(errors="replace").splitlines()[-60:]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
            return False
    return True


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", PROFILES)
@pytest.mark.usefixtures("with_plugins", "clean_redis")
def test_procfile_runs_a_harvest_source_created_through_the_api(clean_db):
    from ckan import model
    from ckan.cli.db import _run_migrations

    _run_migrations("harvest", "head", True)
    sysadmin = factories.SysadminWithToken()
    org = factories.Organization(name="nachbarstadt", title="Nachbarstadt")
    model.Session.commit()

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="dg-processes-") as tmp, \
            _feed_server(FEED) as feed, contextlib.ExitStack() as stack:
        ini = Path(tmp) / "site.ini"
        ini.write_text(
            "[app:main]\n"
            f"use = config:{ROOT / 'test.ini'}\n"
            f"ckan.site_url = http://127.0.0.1:{port}\n"
            f"ckan.plugins = {PLUGINS}\n"
            f"ckanext.dcat.rdf.profiles = {PROFILES}\n"
            "ckan.harvest.mq.type = redis\n"
            "ckanext.datagovernance.scheduler.interval = 1\n"
            "ckanext.datagovernance.scheduler.harvest_every = 2\n", encoding="utf-8")
        env = dict(os.environ, CKAN_INI=str(ini),
                   PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
                   CKAN_SQLALCHEMY_URL=config["sqlalchemy.url"],
                   CKAN_REDIS_URL=config["ckan.redis.url"])
        log = Path(tmp) / "honcho.log"
        with open(log, "wb") as out:
            honcho = subprocess.Popen(
                [str(Path(sys.executable).parent / "honcho"), "-f", str(ROOT / "Procfile"),
                 "start", "-p", str(port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

        @stack.callback
        def _stop_if_left() -> None:
            if honcho.poll() is None:
                honcho.kill()
                honcho.wait(timeout=20)

        base = f"http://127.0.0.1:{port}"

        def web_up() -> bool:
            try:
                urllib.request.urlopen(base + "/api/3/action/status_show", timeout=2)
                return True
            except OSError:
                return False

        _wait("the web server", web_up, 90, log)
        # an operator's source: runs as soon as it is due, i.e. at once
        source = _api(base, "harvest_source_create", sysadmin["token"],
                      name="nachbarstadt-dcat", title="Nachbarstadt (DCAT-AP.de)", url=feed,
                      source_type="dcat_rdf", owner_org=org["id"], frequency="ALWAYS")

        def finished_job() -> dict | None:
            status = _api(base, "harvest_source_show_status", sysadmin["token"], id=source["id"])
            last = status.get("last_job") or {}
            return last if last.get("status") == "Finished" else None

        job = _wait("a finished harvest job", finished_job, 120, log)
        assert job["stats"].get("added") == 1 and not job["stats"].get("errored"), job
        found = _api(base, "package_search", sysadmin["token"], q="Spielplätze",
                     include_private=True)
        assert [p["title"] for p in found["results"]] == ["Spielplätze"]

        # Ctrl-C: every process stops
        text = log.read_text(errors="replace")
        pids = {name: int(pid) for name, pid in
                re.findall(r"(\w+)\.1 started \(pid=(\d+)\)", text)}
        assert set(pids) == {"web", "worker", "gather", "fetch", "scheduler"}, text[-3000:]
        assert "scheduler: enqueued harvest_jobs_run" in text
        honcho.send_signal(signal.SIGINT)
        assert honcho.wait(timeout=30) is not None
        assert [name for name, pid in pids.items() if _alive(pid)] == []
