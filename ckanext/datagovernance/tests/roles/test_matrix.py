"""Authorization matrix: every governance role x every relevant action."""
from __future__ import annotations

import ckan.logic as logic
import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import call_action, call_auth

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", True),
]

ALL = ("sysadmin", "officer", "office", "steward", "steward_deputy", "other_steward", "owner",
       "owner_deputy", "dpo", "iso", "org_editor", "org_member", "plain", "anonymous")
GOVERNANCE = {"sysadmin", "officer", "office"}
STEWARDS = {"steward", "steward_deputy"}
OWNERS = {"owner", "owner_deputy"}


def user(persona: str) -> str:
    return "" if persona == "anonymous" else f"dg_{persona}"


def allowed(auth: str, persona: str, **data) -> bool:
    ctx = {"user": user(persona), "model": model}
    try:
        call_auth(auth, ctx, **data)
        return True
    except (logic.NotAuthorized, logic.NotFound):  # a hidden dataset is "not found"
        return False


READ = {
    "public": set(ALL),
    "internal": set(ALL) - {"anonymous"},
    "restricted": GOVERNANCE | STEWARDS | OWNERS | {"org_editor", "org_member"},
    "confidential": GOVERNANCE | STEWARDS | OWNERS,
}


@pytest.mark.parametrize("persona", ALL)
@pytest.mark.parametrize("access_class", list(READ))
def test_read_show_and_search(city, persona, access_class):
    ds = city.datasets[access_class]
    expected = persona in READ[access_class]
    assert allowed("package_show", persona, id=ds["id"]) is expected
    result = call_action(
        "package_search", {"user": user(persona), "ignore_auth": False},
        q="Mietverträge", include_private=True, rows=50,
    )
    assert (ds["name"] in [r["name"] for r in result["results"]]) is expected


EXPECTED = {
    # action -> personas allowed
    "update": GOVERNANCE | STEWARDS | OWNERS | {"org_editor"},
    "update_confidential": GOVERNANCE | STEWARDS | OWNERS,
    "delete": GOVERNANCE | STEWARDS | {"org_editor"},
    "manage_editors": GOVERNANCE | STEWARDS | OWNERS,
    "grant_owner": GOVERNANCE | STEWARDS,
    "grant_steward": GOVERNANCE,
    "grant_site_role": {"sysadmin", "officer"},
    "domain_edit": GOVERNANCE | STEWARDS,
    "domain_create": GOVERNANCE,
    "create_in_org": GOVERNANCE | {"org_editor"},  # the office creates in any organisation (issue 11)
}


@pytest.mark.parametrize("persona", ALL)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_write_matrix(city, persona, action):
    restricted = city.datasets["restricted"]
    checks = {
        "update": lambda: allowed("package_update", persona, id=restricted["id"]),
        "update_confidential": lambda: allowed("package_update", persona, id=city.datasets["confidential"]["id"]),
        "delete": lambda: allowed("package_delete", persona, id=restricted["id"]),
        "manage_editors": lambda: allowed(
            "package_collaborator_create", persona, id=restricted["id"], user_id="dg_plain", capacity="editor"
        ),
        "grant_owner": lambda: allowed(
            "datagovernance_role_grant", persona, user="dg_plain", role="owner", dataset=restricted["id"]
        ),
        "grant_steward": lambda: allowed(
            "datagovernance_role_grant", persona, user="dg_plain", role="steward", domain="mietobjekte"
        ),
        "grant_site_role": lambda: allowed("datagovernance_role_grant", persona, user="dg_plain", role="dpo"),
        "domain_edit": lambda: allowed("group_update", persona, id="mietobjekte"),
        "domain_create": lambda: allowed("group_create", persona, type="domain", name="neu"),
        "create_in_org": lambda: allowed("package_create", persona, owner_org=city.hochbau["id"], name="neu"),
    }
    assert checks[action]() is (persona in EXPECTED[action])


@pytest.mark.parametrize("persona", ALL)
def test_change_access_class(city, persona):
    ds = city.datasets["internal"]
    ctx = {"user": user(persona), "ignore_auth": False}
    expected = persona in GOVERNANCE | STEWARDS
    try:
        call_action("package_patch", ctx, id=ds["id"], access_class="restricted")
        changed = True
    except (tk.ValidationError, tk.NotAuthorized) as e:
        changed = False
        if persona in OWNERS | {"org_editor"}:
            # may edit, so the refusal names the field
            assert "access_class" in e.error_dict
    finally:
        model.Session.rollback()
    assert changed is expected
    if changed:
        call_action("package_patch", {"user": "dg_sysadmin"}, id=ds["id"], access_class="internal")
    assert call_action("package_show", {"user": "dg_sysadmin"}, id=ds["id"])["access_class"] == "internal"


def test_owner_may_edit_metadata_but_not_add_readers(city):
    ds = city.datasets["restricted"]
    ctx = {"user": "dg_owner", "ignore_auth": False}
    call_action("package_patch", dict(ctx), id=ds["id"], notes="Aktualisiert vom Owner")
    with pytest.raises(tk.NotAuthorized):
        call_action("package_collaborator_create", dict(ctx), id=ds["id"], user_id="dg_plain", capacity="member")
    call_action("package_collaborator_create", dict(ctx), id=ds["id"], user_id="dg_plain", capacity="editor")
    assert call_action("package_patch", {"user": "dg_plain", "ignore_auth": False}, id=ds["id"], notes="Editor")
    call_action("package_collaborator_delete", dict(ctx), id=ds["id"], user_id="dg_plain")
    with pytest.raises(tk.NotAuthorized):
        call_action("package_patch", {"user": "dg_plain", "ignore_auth": False}, id=ds["id"], notes="weg")
