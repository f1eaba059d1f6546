"""The header on every logged-in page (issue 16: as cheap as possible, still
exact): the dashboard's new-activities badge counts what the dashboard shows
as new and nothing the user may not read; the requests badge counts the
open items of the inbox; CKAN's labels of a user, read from ids, equal
CKAN's own; the per-request memo of a user's roles and labels follows a
write in the same request."""
from __future__ import annotations

import re

import ckan.model as model
import pytest
from ckan.lib.plugins import DefaultPermissionLabels
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.datagovernance.roles import labels as dg_labels
from ckanext.datagovernance.roles import service as roles

from ..feedback.conftest import act
from ..roles.conftest import build_city

pytestmark = [pytest.mark.usefixtures("with_plugins")]
ADMIN = {"user": "dg_sysadmin"}


@pytest.fixture
def city(clean_db, clean_redis):
    return build_city()


def _dashboard_new(user: str) -> int:
    """The oracle: what the dashboard itself marks as new."""
    return sum(1 for a in act(user, "dashboard_activity_list") if a["is_new"])


def _badge(app, user: str) -> int:
    token = call_action("api_token_create", {"user": user}, user=user, name="badge")["token"]
    body = app.get("/dataset", headers={"Authorization": token}).body
    return int(re.search(r'<span class="badge">(\d+)</span>', body).group(1))


def test_new_activities_badge_counts_what_the_dashboard_marks_new(app, city):
    # following nothing, the dashboard holds the user's own activities: never new
    act("dg_plain", "dashboard_mark_activities_old")
    act("dg_plain", "user_patch", id="dg_plain", fullname="Paula Plain")
    assert act("dg_plain", "dashboard_activity_list")[0]["activity_type"] == "changed user"
    assert act("dg_plain", "dashboard_new_activities_count") == 0 == _dashboard_new("dg_plain") == _badge(app, "dg_plain")
    # following a colleague: their changes are new until the dashboard is seen
    act("dg_plain", "follow_user", id="dg_owner")
    act("dg_owner", "user_patch", id="dg_owner", fullname="Olga Owner")
    act("dg_plain", "user_patch", id="dg_plain", about="Sachgebiet Mietobjekte")
    assert act("dg_plain", "dashboard_new_activities_count") == 1 == _dashboard_new("dg_plain") == _badge(app, "dg_plain")
    act("dg_plain", "dashboard_mark_activities_old")
    assert act("dg_plain", "dashboard_new_activities_count") == 0 == _badge(app, "dg_plain")


@pytest.mark.ckan_config("ckan.activity_list_limit", "2")
def test_new_activities_badge_counts_only_the_dashboards_first_page(city):
    act("dg_plain", "follow_user", id="dg_owner")
    act("dg_plain", "dashboard_mark_activities_old")
    for n in range(3):
        act("dg_owner", "user_patch", id="dg_owner", about=f"Änderung {n}")
    assert act("dg_plain", "dashboard_new_activities_count") == 2 == _dashboard_new("dg_plain")


def test_new_activities_badge_never_counts_hidden_activity(app, city):
    public = city.datasets["public"]
    act("dg_plain", "follow_dataset", id=public["id"])
    act("dg_plain", "dashboard_mark_activities_old")
    call_action("package_patch", dict(ADMIN), id=public["id"], notes="Neue Beschreibung")
    assert act("dg_plain", "dashboard_new_activities_count") == 1 == _dashboard_new("dg_plain")
    # reclassified: every activity of the dataset is hidden from the user now
    call_action("package_patch", dict(ADMIN), id=public["id"], access_class="confidential")
    assert act("dg_plain", "dashboard_new_activities_count") == 0 == _dashboard_new("dg_plain")
    assert _badge(app, "dg_plain") == 0
    # the data owner may read it: both changes are new for them
    act("dg_owner", "follow_dataset", id=public["id"])
    assert act("dg_owner", "dashboard_new_activities_count") == _dashboard_new("dg_owner")


def test_requests_badge_counts_the_open_inbox(city):
    from ckanext.datagovernance.feedback import service

    items = [act("dg_org_member", "datagovernance_feedback_create", kind="error", dataset=city.datasets[cls]["id"],
                 subject=f"Fehler {cls}", message="Adresse falsch") for cls in ("internal", "restricted")]
    act("dg_office", "datagovernance_feedback_update", id=items[1]["id"], status="closed")
    for user in ("dg_office", "dg_sysadmin", "dg_steward", "dg_owner", "dg_other_steward", "dg_plain"):
        expected = act(user, "datagovernance_feedback_list", scope="inbox")["open"]
        assert service.open_inbox_count(model.User.get(user)) == expected, user
    assert service.open_inbox_count(model.User.get("dg_office")) == 1
    assert service.open_inbox_count(model.User.get("dg_steward")) == 1  # the dataset is in the domain
    assert service.open_inbox_count(model.User.get("dg_other_steward")) == 0


def test_ckan_labels_from_ids_equal_ckans_own(city):
    parent = factories.Organization(name="stadtverwaltung", users=[{"name": "dg_iso", "capacity": "admin"}])
    child = factories.Organization(name="bauverwaltung", groups=[{"name": parent["name"]}])
    factories.Organization(name="aufgeloest", users=[{"name": "dg_iso", "capacity": "member"}])
    call_action("organization_delete", dict(ADMIN), id="aufgeloest")
    ckan_default = DefaultPermissionLabels()
    for name in ("dg_org_editor", "dg_org_member", "dg_iso", "dg_plain", "dg_sysadmin"):
        user = model.User.get(name)
        assert sorted(dg_labels.ckan_user_labels(user)) == sorted(ckan_default.get_user_dataset_labels(user)), name
    iso = dg_labels.ckan_user_labels(model.User.get("dg_iso"))
    assert f"member-{child['id']}" in iso  # the admin's role cascades to the sub-organisation


def test_request_memo_follows_a_write_in_the_same_request(app, city):
    from ckan.lib.plugins import get_permission_labels

    user = model.User.get("dg_plain")
    with app.flask_app.test_request_context():
        before = get_permission_labels().get_user_dataset_labels(user)
        assert roles.site_roles(user.id) == set()
        call_action("datagovernance_role_grant", dict(ADMIN), user="dg_plain", role="steward", domain="verkehr")
        after = get_permission_labels().get_user_dataset_labels(user)
        assert set(after) - set(before) == {dg_labels.steward_label(city.verkehr["id"])}
        call_action("datagovernance_role_grant", dict(ADMIN), user="dg_plain", role="data_office")
        assert roles.site_roles(user.id) == {"data_office"}
