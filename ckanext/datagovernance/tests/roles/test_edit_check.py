"""CKAN's edit check (package_update) answered from the user's label facts
(roles/policy.ckan_roles_may_edit): wherever the facts decide, the answer is
CKAN's own, for organisation roles directly and cascading down an
organisation tree, collaborators of every capacity, a deleted organisation,
with collaborators allowed or not; and the usual cases are decided without
CKAN's statements."""
from __future__ import annotations

import ckan.model as model
import pytest
from ckan.logic.auth import create as ckan_create
from ckan.logic.auth import update as ckan_update
from ckan.logic.auth.update import package_update as ckan_package_update
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.datagovernance.roles import policy

pytestmark = pytest.mark.usefixtures("clean_db", "with_plugins")

USERS = ("parent_admin", "parent_editor", "child_editor", "child_member", "other_editor", "collab_editor",
         "collab_member", "gone_editor", "nobody")


def _dataset(name: str, org: dict) -> dict:
    return call_action("package_create", {"user": "dg_ec_sysadmin"}, name=name, title=name, notes="x",
                       owner_org=org["id"], access_class="internal", personal_data="none")


def _catalog() -> dict[str, model.Package]:
    users = {u: factories.User(name=f"dg_ec_{u}") for u in USERS}
    factories.Sysadmin(name="dg_ec_sysadmin")
    parent = factories.Organization(name="ec-parent", users=[
        {"name": "dg_ec_parent_admin", "capacity": "admin"}, {"name": "dg_ec_parent_editor", "capacity": "editor"}])
    child = factories.Organization(name="ec-child", groups=[{"name": parent["name"]}], users=[
        {"name": "dg_ec_child_editor", "capacity": "editor"}, {"name": "dg_ec_child_member", "capacity": "member"}])
    other = factories.Organization(name="ec-other", users=[{"name": "dg_ec_other_editor", "capacity": "editor"}])
    gone = factories.Organization(name="ec-gone", users=[{"name": "dg_ec_gone_editor", "capacity": "editor"}])
    pkgs = {"parent": _dataset("ec-in-parent", parent), "child": _dataset("ec-in-child", child),
            "other": _dataset("ec-in-other", other), "gone": _dataset("ec-in-gone", gone)}
    for user, capacity in (("collab_editor", "editor"), ("collab_member", "member")):
        # the rows themselves: also where CKAN no longer allows collaborators
        model.Session.add(model.PackageMember(package_id=pkgs["other"]["id"], user_id=users[user]["id"],
                                              capacity=capacity))
    # an organisation marked deleted that still owns its dataset (organization_delete
    # would hand the dataset over first)
    model.Group.get(gone["id"]).state = "deleted"
    model.Session.commit()
    # the tree is there, or the cascading cases below would prove nothing
    assert [g.name for g in model.Group.get(child["id"]).get_parent_group_hierarchy(type="organization")] == [
        "ec-parent"]
    return {k: model.Package.get(v["id"]) for k, v in pkgs.items()}


def _ckan(user: model.User, pkg: model.Package) -> bool:
    context = {"user": user.name, "auth_user_obj": user, "model": model}
    return bool(ckan_package_update(context, {"id": pkg.id})["success"])


def _decided_as_ckan(pkgs: dict[str, model.Package]) -> dict[tuple[str, str], bool | None]:
    """Every user and dataset: the facts' answer (None: CKAN asked), equal to
    CKAN's own wherever the facts decide."""
    decided = {}
    for name in USERS:
        user = model.User.by_name(f"dg_ec_{name}")
        for where, pkg in pkgs.items():
            ours = policy.ckan_roles_may_edit(user, pkg)
            if ours is not None:
                assert ours == _ckan(user, pkg), (name, where)
            decided[(name, where)] = ours
    return decided


@pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true")
@pytest.mark.ckan_config("ckan.auth.allow_admin_collaborators", "true")
def test_the_facts_answer_as_ckan_does_with_collaborators():
    pkgs = _catalog()
    decided = _decided_as_ckan(pkgs)
    # CKAN says yes: directly, by collaboration, in a deleted organisation
    assert decided[("child_editor", "child")] is True
    assert decided[("collab_editor", "other")] is True
    assert decided[("gone_editor", "gone")] is True
    # CKAN says no, without its statements: the usual visitor of a dataset page
    for case in (("nobody", "child"), ("child_member", "child"), ("other_editor", "child"),
                 ("collab_member", "other"), ("child_editor", "parent"), ("parent_editor", "other")):
        assert decided[case] is False, case
    # below an organisation where an editing role may cascade: CKAN's own check
    assert decided[("parent_admin", "child")] is None and _ckan(model.User.by_name("dg_ec_parent_admin"),
                                                               pkgs["child"])
    # an editor above does not cascade (CKAN's default): decided, no
    assert decided[("parent_editor", "child")] is False


@pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "false")
def test_the_facts_answer_as_ckan_does_without_collaborators():
    pkgs = _catalog()
    decided = _decided_as_ckan(pkgs)
    # a collaboration counts for nothing when CKAN does not allow them
    assert decided[("collab_editor", "other")] is False


def test_the_edit_button_follows_the_answer(app):
    pkgs = _catalog()
    for name, shown in (("child_editor", True), ("child_member", False), ("parent_admin", True)):
        token = call_action("api_token_create", {}, user=f"dg_ec_{name}", name="t")["token"]
        page = app.get(f"/dataset/{pkgs['child'].name}", headers={"Authorization": token}).body
        assert (f"/dataset/edit/{pkgs['child'].name}" in page) is shown, name


@pytest.mark.ckan_config("ckan.auth.roles_that_cascade_to_sub_groups", "admin editor")
def test_an_editor_above_edits_below_where_editors_cascade():
    pkgs = _catalog()
    editor = model.User.by_name("dg_ec_parent_editor")
    assert policy.ckan_roles_may_edit(editor, pkgs["child"]) is None  # CKAN's own check decides
    assert _ckan(editor, pkgs["child"])
    assert policy.ckan_roles_may_edit(editor, pkgs["other"]) is False is _ckan(editor, pkgs["other"])


def _ckan_creates(user: model.User) -> bool:
    context = {"user": user.name, "auth_user_obj": user, "model": model}
    return bool(ckan_create.package_create(context, {})["success"])


@pytest.mark.ckan_config("ckan.auth.create_dataset_if_not_in_organization", "false")
@pytest.mark.ckan_config("ckan.auth.create_unowned_dataset", "false")
def test_the_add_dataset_check_answers_as_ckan_does():
    _catalog()
    answers = {}
    for name in USERS:
        user = model.User.by_name(f"dg_ec_{name}")
        answers[name] = policy.ckan_roles_may_create(user, {})
        assert answers[name] == _ckan_creates(user), name
    # editors and admins of an active organisation may; members, collaborators,
    # the editor of a deleted organisation and users without a role may not
    assert answers["child_editor"] and answers["parent_admin"] and answers["other_editor"]
    assert not (answers["child_member"] or answers["collab_editor"] or answers["gone_editor"]
                or answers["nobody"])
    # an organisation or groups named: CKAN's own check
    assert policy.ckan_roles_may_create(model.User.by_name("dg_ec_child_editor"), {"owner_org": "ec-child"}) is None


@pytest.mark.ckan_config("ckan.auth.create_dataset_if_not_in_organization", "true")
@pytest.mark.ckan_config("ckan.auth.create_unowned_dataset", "true")
def test_everybody_adds_datasets_where_the_site_lets_them_create_outside_organisations():
    _catalog()
    nobody = model.User.by_name("dg_ec_nobody")
    assert policy.ckan_roles_may_create(nobody, {}) is True is _ckan_creates(nobody)


def test_the_manage_organisation_check_answers_as_ckan_does(app):
    _catalog()
    orgs = {name: model.Group.get(f"ec-{name}") for name in ("parent", "child", "other", "gone")}
    decided = {}
    for name in USERS:
        user = model.User.by_name(f"dg_ec_{name}")
        context = {"user": user.name, "auth_user_obj": user, "model": model}
        for where, org in orgs.items():
            ours = policy.ckan_org_role_allows(user, org.id, "update")
            if ours is not None:
                assert ours == ckan_update.organization_update(dict(context), {"id": org.id})["success"], (
                    name, where)
            decided[(name, where)] = ours
    assert decided[("parent_admin", "parent")] is True
    assert decided[("parent_admin", "child")] is None  # admin cascades: CKAN's own walk up
    assert decided[("child_editor", "child")] is False and decided[("nobody", "other")] is False
    # the button on the organisation's page follows the answer
    for name, where, shown in (("parent_admin", "parent", True), ("parent_admin", "child", True),
                               ("child_editor", "child", False), ("nobody", "other", False)):
        token = call_action("api_token_create", {}, user=f"dg_ec_{name}", name="t")["token"]
        page = app.get(f"/organization/ec-{where}", headers={"Authorization": token}).body
        assert (f"/organization/edit/ec-{where}" in page) is shown, (name, where)
