"""datagovernance_quality_show: hidden datasets answer like missing ones;
the fix list on the dataset page for maintainers only, in German."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import call_action

from .conftest import MARKS

pytestmark = MARKS


def test_show_returns_score_fixes_and_links(qcat):
    result = call_action("datagovernance_quality_show", {"user": "dq_owner"}, id=qcat["poor"]["name"])
    # title, one PDF link, no description, keywords, themes or licence: the
    # feed's landing page, download URL and media type lift it to "sufficient"
    assert result["max"] == 405 and result["band"] == "sufficient" and result["score"] <= 220
    assert set(result["dimensions"]) == {"findability", "accessibility", "interoperability",
                                         "reusability", "contextuality"}
    points = [f["points"] for f in result["fixes"]]
    assert points == sorted(points, reverse=True) and points[0] >= 30
    assert {"keyword", "theme", "license"} <= {f["key"] for f in result["fixes"]}


def test_show_validates_input(qcat):
    with pytest.raises(tk.ValidationError) as exc:
        call_action("datagovernance_quality_show", {"user": "dq_admin"})
    assert "id" in exc.value.error_dict


@pytest.mark.parametrize("user", ["", "dq_outsider"])
def test_hidden_dataset_answers_like_a_missing_one(qcat, app, user):
    headers = {}
    if user:
        token = call_action("api_token_create", {"user": user}, user=user, name="t")["token"]
        headers = {"Authorization": token}
    hidden = app.get("/api/3/action/datagovernance_quality_show", headers=headers,
                     query_string={"id": qcat["secret"]["name"]}, status=404)
    missing = app.get("/api/3/action/datagovernance_quality_show", headers=headers,
                      query_string={"id": "gibt-es-nicht"}, status=404)
    assert hidden.json["error"] == missing.json["error"]
    assert qcat["secret"]["name"] not in hidden.get_data(as_text=True)
    assert qcat["secret"]["id"] not in hidden.get_data(as_text=True)


def test_public_score_is_readable_anonymously(qcat, app):
    ok = app.get("/api/3/action/datagovernance_quality_show", query_string={"id": qcat["good"]["name"]})
    assert ok.json["result"]["score"] > 200


def test_link_check_on_demand_needs_a_maintainer(qcat):
    with pytest.raises(tk.NotAuthorized):
        call_action("datagovernance_quality_link_check", {"user": "dq_staff", "ignore_auth": False}, id=qcat["good"]["id"])
    with pytest.raises(tk.NotAuthorized):
        call_action("datagovernance_quality_link_check", {"user": "dq_steward", "ignore_auth": False})
    queued = call_action("datagovernance_quality_link_check", {"user": "dq_owner", "ignore_auth": False}, id=qcat["good"]["id"])
    assert queued["job_id"]


def _page(app, name: str, user: str | None, lang: str = "de") -> str:
    headers = {}
    if user:
        token = call_action("api_token_create", {"user": user}, user=user, name=f"p-{lang}")["token"]
        headers = {"Authorization": token}
    prefix = "" if lang == "de" else f"/{lang}"
    return app.get(f"{prefix}/dataset/{name}", headers=headers).get_data(as_text=True)


@pytest.mark.ckan_config("ckan.locale_default", "de")
@pytest.mark.ckan_config("ckan.locales_offered", "de en")
def test_maintainers_see_the_german_fix_list(qcat, app):
    html = _page(app, qcat["poor"]["name"], "dq_owner")
    assert "Metadatenqualität" in html
    assert "Schlagwörter angeben: <strong>+30</strong>" in html
    assert "Lizenz angeben: <strong>+30</strong>" in html
    # ordered by points at stake
    fixes = html.split('class="datagovernance-fix-list')[1].split("</ol>")[0]
    stakes = [int(part.split("</strong>")[0]) for part in fixes.split("<strong>+")[1:]]
    assert stakes == sorted(stakes, reverse=True)
    assert "Metadatenqualität" in _page(app, qcat["poor"]["name"], "dq_steward")
    english = _page(app, qcat["poor"]["name"], "dq_owner", "en")
    assert "Metadata quality" in english and "Add keywords: <strong>+30</strong>" in english


@pytest.mark.ckan_config("ckan.locale_default", "de")
def test_others_do_not_see_the_fix_list(qcat, app):
    assert "datagovernance-quality" not in _page(app, qcat["good"]["name"], None)
    assert "datagovernance-quality" not in _page(app, qcat["good"]["name"], "dq_staff")
