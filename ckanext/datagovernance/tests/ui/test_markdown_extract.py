"""The dataset teasers of search pages: the suite makes each extract once per
process (ui/helpers.markdown_extract), and what a visitor reads is still
CKAN's extract of the description."""
from __future__ import annotations

import ckan.lib.helpers as core_helpers
import ckan.plugins.toolkit as tk
import pytest
from bs4 import BeautifulSoup
from ckan.tests.helpers import call_action

from ckanext.datagovernance.ui import (
    helpers,  # the module the plugin registered (not a relative twin)
)

TEXTS = [
    "",
    "Mietobjekte der Stadt",
    "**Bäume** im [Stadtgebiet](https://www.offenbach.de/baeume) & <b>Alleen</b>\n\n- Eiche\n- Linde",
    "Haushalt " * 60,  # longer than the extract: shortened at a word with "..."
    "<script>alert(1)</script>Luft & Lärm",
]


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.parametrize("length", [190, 40, 0])
def test_the_extract_is_ckans_every_time(app, length):
    with app.flask_app.test_request_context():
        for text in TEXTS:
            expected = core_helpers.markdown_extract(text, extract_length=length)
            assert tk.h.markdown_extract(text, extract_length=length) == expected
            assert tk.h.markdown_extract(text, extract_length=length) == expected  # made once, kept


@pytest.mark.usefixtures("with_plugins")
def test_the_kept_extracts_are_bounded(app, monkeypatch):
    monkeypatch.setattr(helpers, "_EXTRACTS_MAX", 3)
    helpers._EXTRACTS.clear()
    with app.flask_app.test_request_context():
        for k in range(10):
            assert tk.h.markdown_extract(f"Text *{k}*") == f"Text {k}"
    assert 0 < len(helpers._EXTRACTS) <= 3


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_the_search_page_shows_the_description_as_text(app):
    admin = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    org = call_action("organization_create", dict(admin), name="gruenflaechen", title="Grünflächenamt")
    pkg = call_action("package_create", dict(admin), name="baumkataster-teaser", title="Baumkataster",
                      notes=TEXTS[2], owner_org=org["id"], access_class="public", personal_data="none")
    call_action("package_patch", dict(admin, datagovernance_workflow_transition=True),
                id=pkg["id"], workflow_state="published")
    for _ in range(2):  # the second page reads the kept extract
        page = BeautifulSoup(app.get("/de/dataset?q=Baumkataster").body, "html.parser")
        item = next(li for li in page.select("li.dataset-item") if "Baumkataster" in li.get_text())
        teaser = item.get_text(" ", strip=True)
        assert "Bäume im Stadtgebiet & Alleen" in teaser
        assert "**" not in teaser and "<b>" not in str(item) and "](" not in teaser
