"""The link check against a local HTTP server (200, 404, slow), its stored
history, the periodic selection of due datasets, the score job, the
re-scoring after edits, facet and sort."""
from __future__ import annotations

import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ckan.model as model
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from ckan.lib import jobs as ckan_jobs
from ckan.tests.helpers import call_action

from ckanext.datagovernance.quality import jobs, linkcheck
from ckanext.datagovernance.quality import model as qmodel

from .conftest import MARKS, dataset_fields

pytestmark = [*MARKS,
              pytest.mark.ckan_config("ckanext.datagovernance.quality.link_check.allowed_hosts", "127.0.0.1"),
              pytest.mark.ckan_config("ckanext.datagovernance.quality.link_check.timeout", "1"),
              pytest.mark.ckan_config("ckanext.datagovernance.quality.link_check.concurrency", "2")]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.startswith("/slow"):
            time.sleep(5)
        code = {"/ok.csv": 200, "/redirect": 302}.get(self.path, 404)
        self.send_response(code)
        if code == 302:
            self.send_header("Location", "/ok.csv")
        self.send_header("Content-Length", "2")
        self.end_headers()
        try:
            self.wfile.write(b"ok")
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def linked(qcat, server):
    ctx = {"user": "dq_admin"}
    resources = [
        {"url": f"{server}/ok.csv", "name": "erreichbar", "format": "CSV"},
        {"url": f"{server}/missing.csv", "name": "fehlt", "format": "CSV"},
        {"url": f"{server}/slow.csv", "name": "langsam", "format": "CSV"},
        {"url": f"{server}/redirect", "name": "umgeleitet", "format": "CSV"},
        {"url": "https://intranet.offenbach.example/x.csv", "name": "fremder Host", "format": "CSV"},
    ]
    pkg = call_action("package_create", ctx, **dataset_fields(qcat["org"], "verlinkte-daten", resources=resources))
    return pkg


def test_url_policy(server):
    allowed = ["127.0.0.1"]
    assert linkcheck.check_url(f"{server}/ok.csv", 1, allowed).ok is True
    missing = linkcheck.check_url(f"{server}/missing.csv", 1, allowed)
    assert (missing.ok, missing.status_code) == (False, 404)
    start = time.monotonic()
    slow = linkcheck.check_url(f"{server}/slow.csv", 1, allowed)
    assert (slow.ok, slow.error) == (False, "timeout") and time.monotonic() - start < 4
    redirect = linkcheck.check_url(f"{server}/redirect", 1, allowed)
    assert (redirect.ok, redirect.status_code) == (True, 200)
    # the wildcard never reaches loopback/private addresses; other schemes never
    assert linkcheck.check_url(f"{server}/ok.csv", 1, ["*"]).ok is None
    assert linkcheck.check_url("ftp://127.0.0.1/x", 1, allowed).ok is None
    assert linkcheck.host_allowed("https://daten.offenbach.de/x", ["*.offenbach.de"])
    assert not linkcheck.host_allowed("https://offenbach.de.example.org/x", ["*.offenbach.de"])


def test_check_links_stores_results_with_history_and_scores(linked, server):
    counts = jobs.check_links([linked["id"]])
    assert counts == {"datasets": 1, "urls": 5, "reachable": 2, "unreachable": 2, "unknown": 1}
    latest = qmodel.latest_links(linked["id"])
    assert latest[f"{server}/missing.csv"].status_code == 404
    # the server answers after 5 s; the check gives up after the 1 s timeout
    assert latest[f"{server}/slow.csv"].error == "timeout" and latest[f"{server}/slow.csv"].elapsed_ms < 4000
    assert latest["https://intranet.offenbach.example/x.csv"].ok is None
    result = call_action("datagovernance_quality_show", id=linked["id"], history=True)
    access = next(r for r in result["indicators"] if r["key"] == "access_url_ok")
    assert access["points"] == 20.0  # 2 of 5 distributions reachable: 2/5 x 50
    assert access["details"]["unreachable"] == 2 and access["details"]["unchecked"] == 1
    assert result["computed_at"] is not None  # the job stored it
    assert len(result["history"]) == 1
    # second run: every check is kept; an unchanged score adds no history row
    jobs.check_links([linked["id"]])
    assert len(qmodel.link_history(linked["id"])) == 10
    assert len(qmodel.score_history(linked["id"])) == 1


def test_due_datasets_are_the_unchecked_and_the_stale(linked, qcat):
    due_now = jobs.due_datasets(limit=1000)
    assert linked["id"] not in due_now
    assert qcat["good"]["id"] in due_now  # never checked
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8)
    assert linked["id"] in jobs.due_datasets(limit=1000, now=later)


def test_score_is_a_facet_and_a_sort(qcat):
    for key in ("good", "poor", "secret"):
        jobs.score_dataset(qcat[key]["id"])
    found = call_action("package_search", {"user": "dq_admin"}, q="*:*", include_private=True,
                        fq="name:(gute-metadaten OR duerftige-metadaten)",
                        sort="quality_score desc", **{"facet.field": '["quality_band"]'})
    assert [p["name"] for p in found["results"]] == ["gute-metadaten", "duerftige-metadaten"]
    assert found["facets"]["quality_band"] == {"good": 1, "sufficient": 1}
    found = call_action("package_search", {"user": "dq_admin"}, q="*:*", include_private=True,
                        fq="quality_band:good name:gute-metadaten")
    assert found["count"] == 1


def test_quality_facet_names_the_bands(qcat, app):
    for key in ("good", "poor"):
        jobs.score_dataset(qcat[key]["id"])
    token = call_action("api_token_create", {"user": "dq_admin"}, user="dq_admin", name="facet")["token"]

    def facet(lang: str) -> str:
        page = BeautifulSoup(app.get(f"/{lang}/dataset/", headers={"Authorization": token}).body, "html.parser")
        section = next(s for s in page.select(".secondary section") if s.select_one("[href*='quality_band=']"))
        return section.get_text(" ", strip=True)

    german = facet("de")
    assert "Metadatenqualität" in german and "Gut" in german and "Ausreichend" in german
    assert "good" not in german.split() and "sufficient" not in german.split()
    english = facet("en")
    assert "Good" in english and "Sufficient" in english


def _score_jobs() -> list:
    return [j for j in ckan_jobs.get_queue().jobs if j.func_name.endswith("score_pending")]


@pytest.mark.usefixtures("with_test_worker")
def test_edits_queue_one_job_that_scores_every_changed_dataset(qcat):
    from ckan.lib.redis import connect_to_redis

    ckan_jobs.get_queue().empty()
    connect_to_redis().delete(*jobs._keys())
    poor, good = qcat["poor"]["id"], qcat["good"]["id"]
    before = {i: qmodel.latest_score(i) for i in (poor, good)}
    before = {i: row.checked_at if row else None for i, row in before.items()}
    for package_id, notes in ((poor, "Neue Beschreibung"), (good, "Neu"), (poor, "Noch einmal")):
        call_action("package_patch", {"user": "dq_admin"}, id=package_id, notes=notes)
    # three committed edits, two datasets: one job, both pending
    assert len(_score_jobs()) == 1
    assert jobs.pending_ids() == {poor, good}
    # a rolled-back change queues nothing
    model.Session.execute(sa.text("SELECT 1"))
    jobs.enqueue_score(qcat["secret"]["id"])
    model.Session.rollback()
    assert jobs.pending_ids() == {poor, good}

    ckan_jobs.Worker([ckan_jobs.DEFAULT_QUEUE_NAME]).work(burst=True)
    model.Session.remove()
    assert jobs.pending_ids() == set() and _score_jobs() == []
    for package_id in (poor, good):
        row = qmodel.latest_score(package_id)
        assert row is not None and (before[package_id] is None or row.checked_at > before[package_id])
    # the next edit queues a new job (the finished one disarmed the mark)
    call_action("package_patch", {"user": "dq_admin"}, id=good, notes="Wieder neu")
    assert len(_score_jobs()) == 1 and jobs.pending_ids() == {good}
    ckan_jobs.get_queue().empty()
    connect_to_redis().delete(*jobs._keys())
    model.Session.rollback()
