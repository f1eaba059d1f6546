"""Who may do what with datasets, domains and roles: the one home of each rule.

Every auth function, view, template helper, CLI command and the other
sub-packages ask these functions; nothing else decides. Each function is named
after the question it answers and takes the acting user (``None`` when
anonymous) and the object. They read facts through ``service`` and never write.

- ``may_read``      who may read this dataset? (the permission labels decide)
- ``may_maintain``  who may edit it, on top of CKAN's organisation roles?
- ``may_classify``  who may change its access class?
- ``may_delete``    who may delete it?
- ``grant_refusal`` who may grant or revoke a governance role? (None = allowed)
- ``is_governance_admin`` sysadmin, data office or governance officer
- ``may_create_anywhere`` who may create datasets in any organisation?
- ``creator_becomes_owner`` does the creator of a dataset become its data owner?
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ckan.authz as authz
import ckan.model as model

from ..translate import _
from ..workflow import states
from . import service

if TYPE_CHECKING:
    from .labels import CkanRoleFacts


def is_governance_admin(user: model.User | None) -> bool:
    """Sysadmin, data office or governance officer."""
    return bool(user) and (user.sysadmin or service.has_site_role(user.id, "data_office", "governance_officer"))


def is_steward(user: model.User | None) -> bool:
    """Steward or deputy steward of at least one domain."""
    return bool(user) and any(role == "steward" for role, _type, _scope in service.user_roles(user.id))


def is_open_data(pkg: model.Package) -> bool:
    """Open data = an active dataset of access class public in state
    published. CKAN's `private` is set from this alone, so activity streams,
    package_list, feeds and every place that only checks `private` agree."""
    return pkg.state == "active" and states.is_public(pkg.extras.get("access_class"), pkg.extras.get("workflow_state"))


def may_read(user: model.User | None, pkg: model.Package | None) -> bool:
    """May `user` read `pkg` now? Compares the dataset's current permission
    labels with the user's, exactly as search does; a dataset that is not
    active (CKAN draft or deleted) is never public."""
    return pkg is not None and pkg.id in _readable(user, [pkg])


def readable_dataset_ids(user: model.User | None, pkg_ids: set[str]) -> set[str]:
    """The subset of `pkg_ids` that `user` may read (existing datasets only)."""
    if not pkg_ids:
        return set()
    import sqlalchemy as sa

    pkgs = model.Session.scalars(sa.select(model.Package).where(model.Package.id.in_(list(pkg_ids)))).all()
    return _readable(user, pkgs)


def _readable(user: model.User | None, pkgs: list[model.Package]) -> set[str]:
    # the user's labels cost a query of CKAN's organisations per call: once per batch
    if user is not None and user.sysadmin:
        return {pkg.id for pkg in pkgs}
    candidates = [pkg for pkg in pkgs if pkg.state != "deleted"]
    if not candidates:
        return set()
    from ckan.lib.plugins import get_permission_labels

    labels = get_permission_labels()
    user_labels = set(labels.get_user_dataset_labels(user))
    return {pkg.id for pkg in candidates if user_labels & set(labels.get_dataset_labels(pkg))}


def ckan_allows(user: model.User | None, action: str, data_dict: dict[str, Any] | None = None) -> bool:
    """CKAN's auth answer for `user` (its auth function chain, the suite's
    chained rules included), once per request and question: a dataset page
    asks package_update for the edit button, the resource list and the
    workflow's maintainers alike."""
    import json

    import ckan.plugins.toolkit as tk

    from .. import request_memo

    def ask() -> bool:
        context: dict[str, Any] = {"user": user.name, "auth_user_obj": user} if user is not None else {"user": ""}
        try:
            tk.check_access(action, context, dict(data_dict or {}))
        except tk.NotAuthorized:
            return False
        return True

    key = json.dumps([user.id if user is not None else "", action, data_dict or {}], sort_keys=True, default=str)
    return request_memo.remembered("check_access", key, ask)


def ckan_org_role_allows(user: model.User, group_id: str, permission: str) -> bool | None:
    """CKAN's has_user_permission_for_group_or_org (a role with `permission`
    in the group, or a cascading one above it), answered from the user's
    label facts: True for a role in the group itself; False for none there
    and none above; None where a cascading role above may reach it (CKAN's
    own walk up decides)."""
    from . import labels

    return _org_role_allows(labels.ckan_role_facts(user), group_id, permission)


def _org_role_allows(facts: CkanRoleFacts, group_id: str, permission: str) -> bool | None:
    if facts.sysadmin:
        return True
    roles = set(authz.get_roles_with_permission(permission))
    if roles & facts.memberships.get(group_id, frozenset()):
        return True
    if roles & facts.below.get(group_id, frozenset()):
        return None
    return False


def ckan_roles_may_edit(user: model.User, pkg: model.Package) -> bool | None:
    """CKAN's own package_update rule (organisation roles, collaborators)
    from the label facts where they decide it, else None (CKAN's check runs:
    a dataset without organisation, or below a role that may cascade). Saves
    CKAN's 2-5 statements of the edit button's check on every dataset page."""
    from . import labels

    if not pkg.owner_org:
        return None
    facts = labels.ckan_role_facts(user)  # once: outside a request nothing remembers it
    by_role = _org_role_allows(facts, pkg.owner_org, "update_dataset")
    if by_role or pkg.id in facts.datasets:
        return True
    return by_role


def ckan_roles_may_create(user: model.User, data_dict: dict[str, Any] | None) -> bool | None:
    """CKAN's own package_create rule for a dataset without organisation or
    groups named (the "add dataset" button asks it on every search page):
    creating outside organisations is allowed by the site's settings, or the
    user holds a role with "create_dataset" in some active organisation (from
    the label facts). None: an organisation or groups are named, CKAN's check
    runs."""
    from . import labels

    if data_dict and (data_dict.get("owner_org") or data_dict.get("groups")):
        return None
    if all(authz.check_config_permission(p) for p in ("create_dataset_if_not_in_organization",
                                                      "create_unowned_dataset")):
        return True
    scopes = labels.ckan_role_facts(user)
    roles = set(authz.get_roles_with_permission("create_dataset"))
    return scopes.sysadmin or any(roles & caps for group_id, caps in scopes.memberships.items()
                                  if group_id in scopes.active_orgs)


def may_create_anywhere(user: model.User | None) -> bool:
    """The data office inventories every department: it creates datasets in
    organisations it is not a member of (as do the officer and sysadmins)."""
    return is_governance_admin(user)


def creator_becomes_owner(user: model.User | None) -> bool:
    """A person who creates a dataset becomes its data owner unless someone
    else is named (stewards see and may change it on review). Not so for the
    catalog staff (sysadmins, data office, officer: they create on behalf of
    the departments) nor for the site user (a sysadmin: harvesting, CLI)."""
    return user is not None and not is_governance_admin(user)


def may_maintain(user: model.User | None, pkg: model.Package) -> bool:
    """Suite-granted write access (on top of CKAN's organisation roles)."""
    if user is None:
        return False
    return (
        is_governance_admin(user)
        or service.is_dataset_owner(user.id, pkg.id)
        or service.is_domain_steward(user.id, pkg)
    )


def may_classify(user: model.User | None, pkg: model.Package | None) -> bool:
    """May change the access class: steward of the domain, office, officer."""
    if user is None:
        return False
    if is_governance_admin(user):
        return True
    return pkg is not None and service.is_domain_steward(user.id, pkg)


def may_delete(user: model.User | None, pkg: model.Package) -> bool:
    """Office, officer, the domain's stewards, and CKAN organisation editors
    within the access class; a data owner maintains but does not delete."""
    if user is None:
        return False
    if is_governance_admin(user) or service.is_domain_steward(user.id, pkg):
        return True
    return bool(
        pkg.owner_org
        and authz.has_user_permission_for_group_or_org(pkg.owner_org, user.name, "delete_dataset")
        and may_read(user, pkg)
    )


def may_edit_domain(user: model.User | None, group: model.Group) -> bool:
    """The domain's stewards (and those of its parents) and the office."""
    if is_governance_admin(user):
        return True
    lineage = service.domain_lineage(group)
    return user is not None and bool(service.assignments(user_id=user.id, role="steward", scope_ids=lineage))


def grant_refusal(actor: model.User | None, role: str, scope_id: str, target_user_id: str) -> str | None:
    """Why `actor` may not grant/revoke `role` (None: allowed)."""
    if actor is None:
        return _("Only logged-in users can manage roles.")
    if actor.id == target_user_id:
        return _("Nobody can grant or revoke their own roles.")
    if actor.sysadmin or service.has_site_role(actor.id, "governance_officer"):
        return None
    if role in ("steward", "owner") and service.has_site_role(actor.id, "data_office"):
        return None
    if role == "owner":
        pkg = service.get_dataset(scope_id)
        if pkg is not None and service.is_domain_steward(actor.id, pkg):
            return None
        return _("Only the data office, the governance officer or a steward of the dataset's domain can manage its owners.")
    return _("Only the governance officer can manage this role; the data office manages stewards and owners.")


def may_see_inventory_job(user: model.User | None, uploader_id: str) -> bool:
    """An inventory import running in the background: its progress and
    report are the uploader's and the data office's (officer, sysadmins)."""
    return user is not None and (user.id == uploader_id or is_governance_admin(user))


def may_work_in_bulk(user: model.User | None) -> bool:
    """Bulk work from a search result (and the Inventur page): the data
    office, the officer, sysadmins and the stewards. Each dataset's own rules
    still apply one by one."""
    return is_governance_admin(user) or is_steward(user)


def may_manage_roles(user: model.User | None) -> bool:
    """Does the role page offer the grant form? Whoever can grant some
    role: sysadmins, governance officer, data office, stewards (owners of
    their domains' datasets); grant_refusal decides each grant."""
    if user is None:
        return False
    return user.sysadmin or is_governance_admin(user) or is_steward(user)


def may_block_users(user: model.User | None) -> bool:
    """Blocking accounts: sysadmins and the governance officer."""
    return bool(user) and (user.sysadmin or service.has_site_role(user.id, "governance_officer"))


def may_exclude_from_feed(user: model.User | None, pkg: model.Package | None) -> bool:
    """May exclude the dataset from a portal's feed (GovData, Hessen) or
    include it again: the domain's stewards and the office (as for the
    access class, which also decides what the portals get)."""
    return may_classify(user, pkg)
