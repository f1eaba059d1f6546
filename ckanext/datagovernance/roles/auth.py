"""Auth functions of the role model: each one asks roles/policy.py.

Chained CKAN auth functions add the suite's rights to CKAN's organisation
roles; the role actions' own auth functions decide who manages roles.
"""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthFunction, AuthResult, Context, DataDict

from ..translate import _
from . import guard, policy, service
from .policy import is_governance_admin, may_delete, may_edit_domain, may_maintain, may_read

_user = service.context_user


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def package_show(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """A dataset the caller may not read does not exist for them: every
    action that checks package_show (resource_show, activity lists, the
    workflow, ...) answers 404 with the text of an unknown name, never a 403
    naming the dataset."""
    pkg = context.get("package")
    ref = (data_dict or {}).get("id")
    if isinstance(pkg, model.Package) and ref and ref == pkg.name != pkg.id:
        # package_show found it by name already: CKAN's auth would look the
        # name up again (two statements); by id it is the session's copy
        data_dict = dict(data_dict, id=pkg.id)
    result = next_auth(context, data_dict)
    if not result.get("success"):
        raise tk.ObjectNotFound()  # what package_show and resource_show raise for an unknown id
    return result


def _package(context: Context, data_dict: DataDict) -> model.Package | None:
    ref = (data_dict or {}).get("id") or (data_dict or {}).get("name")
    return model.Package.get(ref) if ref else context.get("package")  # type: ignore[return-value]


# -- chained auth --------------------------------------------------------------
@tk.chained_auth_function
def package_create(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    user = _user(context)
    if policy.may_create_anywhere(user):
        return {"success": True}
    decided = policy.ckan_roles_may_create(user, data_dict) if user is not None else None
    if decided is None:
        return next_auth(context, data_dict)
    if decided:
        return {"success": True}
    return {"success": False, "msg": _("User %s not authorized to create packages") % user.name}


@tk.chained_auth_function
def package_update(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(context, data_dict)
    user = _user(context)
    if pkg is not None and may_maintain(user, pkg):
        return {"success": True}
    decided = None
    if pkg is not None and user is not None and "groups" not in (data_dict or {}):
        decided = policy.ckan_roles_may_edit(user, pkg)  # CKAN's own rule, from facts read already
    if decided is None:
        result = next_auth(context, data_dict)
    elif decided:
        result = {"success": True}
    else:
        result = {"success": False, "msg": _("User %s not authorized to edit package %s") % (user.name, pkg.id)}
    # CKAN organisation roles work within the access class: no writing
    # where one may not read (an org editor and a confidential dataset)
    if result.get("success") and pkg is not None and not (user and user.sysadmin) and not may_read(user, pkg):
        return {"success": False, "msg": _("Not allowed to read this dataset, so not allowed to edit it.")}
    return result


@tk.chained_auth_function
def package_delete(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(context, data_dict)
    if pkg is None or "access_class" not in pkg.extras:
        return next_auth(context, data_dict)
    if may_delete(_user(context), pkg):
        return {"success": True}
    return {"success": False, "msg": _("Only the data office, the domain's stewards and the organisation's editors delete datasets.")}


def _collaborators(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(context, data_dict)
    user = _user(context)
    if user is None:  # CKAN's own check asserts a user (a 500 for anonymous API calls)
        return {"success": False, "msg": _("Please log in.")}
    if pkg is not None:
        if is_governance_admin(user) or service.is_domain_steward(user.id, pkg):
            return {"success": True}
        if service.is_dataset_owner(user.id, pkg.id):
            # the owner decides who writes, not who reads
            if data_dict.get("capacity", "editor") != "editor":
                return {"success": False, "msg": _("Data owners can add editors only; read access follows the access class.")}
            return {"success": True}
    return next_auth(context, data_dict)


@tk.chained_auth_function
def package_collaborator_create(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    return _collaborators(next_auth, context, data_dict)


@tk.chained_auth_function
def package_collaborator_delete(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    return _collaborators(next_auth, context, dict(data_dict, capacity="editor"))


@tk.chained_auth_function
def package_collaborator_list(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    return _collaborators(next_auth, context, dict(data_dict, capacity="editor"))


@tk.chained_auth_function
def organization_update(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """The organisation page's "manage" button: CKAN's own rule (a role with
    "update" there or cascading from above), from the label facts for the
    page's own organisation (known to exist: CKAN answers "not found" for
    others); CKAN's 4 statements otherwise."""
    from ..visibility.actions import page_group

    user = _user(context)
    group = page_group((data_dict or {}).get("id"))
    decided = policy.ckan_org_role_allows(user, group["id"], "update") if user and group else None
    if decided is None:
        return next_auth(context, data_dict)
    if decided:
        return {"success": True}
    return {"success": False, "msg": _("User %s not authorized to edit organization %s") % (user.name, group["id"])}


def _domain_group(data_dict: DataDict) -> model.Group | None:
    ref = (data_dict or {}).get("id") or (data_dict or {}).get("name")
    group = model.Group.get(ref) if ref else None
    return group if group is not None and group.type == service.DOMAIN_GROUP_TYPE else None


@tk.chained_auth_function
def group_create(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    if (data_dict or {}).get("type") == service.DOMAIN_GROUP_TYPE:
        # data domains are the office's structure, not anybody's group
        if is_governance_admin(_user(context)):
            return {"success": True}
        return {"success": False, "msg": _("Only the data office creates data domains.")}
    return next_auth(context, data_dict)


@tk.chained_auth_function
def group_update(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    group = _domain_group(data_dict)
    if group is None:
        return next_auth(context, data_dict)
    if may_edit_domain(_user(context), group):
        return {"success": True}
    return {"success": False, "msg": _("Only the domain's stewards and the data office edit a data domain.")}


@tk.chained_auth_function
def group_delete(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    if _domain_group(data_dict) is None:
        return next_auth(context, data_dict)
    if is_governance_admin(_user(context)):
        return {"success": True}
    return {"success": False, "msg": _("Only the data office deletes data domains.")}


def _chained_auth_functions() -> dict[str, AuthFunction]:
    return {
        "group_create": group_create,
        "group_update": group_update,
        "group_delete": group_delete,
        "organization_update": organization_update,
        "package_create": package_create,
        "package_update": package_update,
        "package_delete": package_delete,
        "package_collaborator_create": package_collaborator_create,
        "package_collaborator_delete": package_collaborator_delete,
        "package_collaborator_list": package_collaborator_list,
    }


# -- the role actions ------------------------------------------------------------
@tk.auth_sysadmins_check
def role_grant_auth(context: Context, data_dict: DataDict) -> AuthResult:
    # sysadmins too: nobody grants roles to themselves
    actor = _user(context)
    try:
        target, _scope_type, scope_id = guard.role_request(
            context, str(data_dict.get("role") or ""), data_dict.get("user"), data_dict.get("domain"),
            data_dict.get("dataset"), tk.asbool(data_dict.get("deputy") or False),
        )
    except (service.RoleError, ValueError) as e:
        return {"success": False, "msg": getattr(e, "message", str(e))}
    refusal = policy.grant_refusal(actor, data_dict["role"], scope_id, target.id)
    return {"success": refusal is None, "msg": refusal or ""}


def role_list_auth(context: Context, data_dict: DataDict) -> AuthResult:
    # the role directory is for staff (logged-in users)
    return {"success": bool(_user(context)), "msg": _("Only logged-in users can see roles.")}


def role_history_auth(context: Context, data_dict: DataDict) -> AuthResult:
    actor = _user(context)
    if is_governance_admin(actor):
        return {"success": True}
    own = actor is not None and data_dict.get("user") in (actor.id, actor.name)
    return {"success": own, "msg": _("Only the data office sees the whole role history.")}


def role_orphaned_auth(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": is_governance_admin(_user(context)), "msg": _("Only the data office sees orphaned duties.")}


def user_block_auth(context: Context, data_dict: DataDict) -> AuthResult:
    # blocking an account is for the sysadmins and the governance officer; never oneself
    actor = _user(context)
    allowed = policy.may_block_users(actor)
    if allowed and str(data_dict.get("id") or data_dict.get("user") or "") in (actor.id, actor.name):
        return {"success": False, "msg": _("Nobody can block or unblock themselves.")}
    return {"success": allowed, "msg": _("Only sysadmins and the governance officer can block users.")}


def get_auth_functions() -> dict[str, AuthFunction]:
    return {
        **_chained_auth_functions(),
        "package_show": package_show,
        "datagovernance_user_block": user_block_auth,
        "datagovernance_user_unblock": user_block_auth,
        "datagovernance_role_grant": role_grant_auth,
        "datagovernance_role_revoke": role_grant_auth,
        "datagovernance_role_list": role_list_auth,
        "datagovernance_role_history": role_history_auth,
        "datagovernance_role_orphaned": role_orphaned_auth,
    }


