"""Large inventory files run as a background job (issue 11): the page
queues the import, CKAN's job worker runs it, the progress endpoint and the
job page answer the uploader and the data office only, then the report."""
from __future__ import annotations

import io

import ckan.plugins.toolkit as tk
import pytest
from bs4 import BeautifulSoup
from ckan.tests.helpers import call_action

from .conftest import csv_bytes, row

pytestmark = pytest.mark.usefixtures("with_plugins")


def _headers(user: str) -> dict[str, str]:
    return {"Authorization": call_action("api_token_create", {}, user=user, name="job")["token"]}


@pytest.mark.ckan_config("ckanext.datagovernance.inventory.background_rows", "2")
@pytest.mark.ckan_config("ckan.locale_default", "de")
def test_large_file_runs_as_a_job_with_progress(city, app, clean_redis, with_test_worker):
    from ckan.lib import jobs

    office, steward, officer = _headers("dg_office"), _headers("dg_steward"), _headers("dg_officer")
    content = csv_bytes([row("J-1", "Brücken J"), row("J-2", "Tunnel J"), row("J-3", "Mauern J")])
    res = app.post("/inventur/", headers=office, follow_redirects=False,
                   data={"upload": (io.BytesIO(content), "gross.csv"), "run": "import"})
    assert res.status_code == 302
    path = res.headers["Location"].split("://", 1)[-1].split("/", 1)[1]
    job_id = path.rsplit("/", 1)[-1]
    page = BeautifulSoup(app.get("/" + path, headers=office).body, "html.parser")
    bar = page.select_one("[data-module=datagovernance-inventory-job]")
    assert bar["data-module-url"] == f"/inventur/auftrag/{job_id}.json" and bar.select_one(".progress-bar")
    assert "0 / 3" in bar.text
    state = app.get(f"/inventur/auftrag/{job_id}.json", headers=office).json
    assert (state["state"], state["done"], state["total"]) == ("queued", 0, 3)
    # nothing is written before the worker ran
    with pytest.raises(tk.ObjectNotFound):
        call_action("package_show", id="bruecken-j")
    # someone else's job does not exist: another page user, an API caller, anonymous
    app.get(f"/inventur/auftrag/{job_id}.json", headers=steward, status=404)
    app.get(f"/inventur/auftrag/{job_id}", headers=steward, status=404)
    app.get(f"/inventur/auftrag/{job_id}.json", status=404)
    with pytest.raises(tk.ObjectNotFound):
        call_action("datagovernance_inventory_job_show", {"user": "dg_steward", "ignore_auth": False}, id=job_id)
    # ... the governance officer (the office's side) sees it
    assert app.get(f"/inventur/auftrag/{job_id}.json", headers=officer).json["total"] == 3

    jobs.Worker([jobs.DEFAULT_QUEUE_NAME]).work(burst=True)  # as `ckan jobs worker` does

    state = app.get(f"/inventur/auftrag/{job_id}.json", headers=office).json
    assert (state["state"], state["done"], state["total"]) == ("done", 3, 3)
    page = BeautifulSoup(app.get(f"/inventur/auftrag/{job_id}", headers=office).body, "html.parser")
    assert not page.select_one("[data-module=datagovernance-inventory-job]")
    assert len(page.select("tr.datagovernance-inventory-create")) == 3
    assert "Importiert" in page.select_one(".datagovernance-inventory-summary").text
    assert call_action("package_show", id="bruecken-j")["inventory_id"] == "J-1"

    # the action: a small file answers at once, `background` forces a job
    rows = [["Inventarnummer", "Titel"], ["J-1", "Brücken J"]]
    now = call_action("datagovernance_inventory_import", {"user": "dg_office", "ignore_auth": False},
                      rows=rows, dry_run=True)
    assert now["counts"]["unchanged"] == 1
    queued = call_action("datagovernance_inventory_import", {"user": "dg_office", "ignore_auth": False},
                         rows=rows, dry_run=True, background=True)
    assert queued["job"]["state"] == "queued"
