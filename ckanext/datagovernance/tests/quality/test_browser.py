"""The dashboard in a real browser (headless Chromium via Playwright) on the
demo city: every chart is drawn, and its figures are the action's."""
from __future__ import annotations

import os

import pytest
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

    demo.seed(config.get("ckanext.datagovernance.demo.password"))
    kpi_jobs.take_snapshot()
    user = "dgo-schaefer"
    token = call_action("api_token_create", {"user": user}, user=user, name="browser")["token"]
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
    assert drawn["access_class"]["labels"][0] == "Öffentlich (Open Data)"
    assert drawn["organizations"]["data"] == [[o["inventory"] for o in expected["organizations"]]]
    assert drawn["trend_inventory"]["data"][0] == [fig["inventory"]]
