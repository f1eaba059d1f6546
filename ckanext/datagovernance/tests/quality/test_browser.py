"""The dashboard in a real browser (headless Chromium via Playwright) on the
demo city: every chart is drawn, and its figures are the action's."""
from __future__ import annotations

import os

import pytest
import requests
from ckan.common import config
from ckan.tests.helpers import call_action

from ..workflow.test_browser import CHROMIUM, server  # noqa: F401 - the CKAN server fixture

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def test_dashboard_charts_show_the_actions_figures(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    from ckanext.datagovernance.catalog import demo
    from ckanext.datagovernance.kpi import jobs as kpi_jobs
    from ckanext.datagovernance.quality import jobs as quality_jobs

    demo.seed(config.get("ckanext.datagovernance.demo.password"))
    user = "dgo-schaefer"
    token = call_action("api_token_create", {"user": user}, user=user, name="browser")["token"]
    # before the worker has scored anything the quality section says so
    # instead of drawing an empty chart over a table of zeros
    page = requests.get(f"{server}/steuerung", headers={"Authorization": token}, timeout=120).text
    quality = page.split('datagovernance-kpi-quality_band', 1)[1].split("</section>", 1)[0]
    assert "Noch kein Datensatz bewertet" in quality and "<canvas" not in quality
    # unscored high-value datasets count as not compliant, and the page says so
    before = call_action("datagovernance_kpi_show", {"user": user, "ignore_auth": False})["figures"]
    assert before["hvd_flagged"] > 0 and before["hvd_unchecked"] == before["hvd_flagged"]
    assert f"0 von {before['hvd_flagged']}; noch nicht geprüft: {before['hvd_flagged']}" in page
    for name in ("of-hundesteuer-hunde", "of-schulen", "of-beteiligungsbericht"):
        quality_jobs.score_dataset(call_action("package_show", id=name)["id"])
    kpi_jobs.take_snapshot()
    expected = call_action("datagovernance_kpi_show", {"user": user, "ignore_auth": False})
    assert expected["figures"]["inventory"] > 40  # the demo city
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(extra_http_headers={"Authorization": token}).new_page()
        page.goto(f"{server}/steuerung", timeout=120000)
        page.wait_for_function("window.dgKpiCharts !== undefined", timeout=60000)
        drawn = page.evaluate("""Object.fromEntries(Object.entries(window.dgKpiCharts).map(
            ([k, c]) => [k, {data: c.data.datasets.map(d => d.data), labels: c.data.labels,
                             pixels: c.width * c.height}]))""")
        browser.close()
    fig = expected["figures"]
    for kind in ("access_class", "personal_data", "workflow_state", "quality_band"):
        assert drawn[kind]["data"] == [list(fig[f"by_{kind}"].values())], kind
        assert drawn[kind]["pixels"] > 0
    assert sum(fig["by_quality_band"].values()) == 3
    assert drawn["access_class"]["labels"][0] == "Öffentlich (Open Data)"
    assert drawn["organizations"]["data"] == [[o["inventory"] for o in expected["organizations"]]]
    assert drawn["trend_inventory"]["data"][0] == [fig["inventory"]]
