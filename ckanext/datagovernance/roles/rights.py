"""Who may write what, following the data strategy (enforced for API, UI, CLI).

* The owner (and deputy) maintains metadata and resources and manages the
  dataset's editors, but never who may read: only editor collaborators, and no
  access-class changes.
* A steward may edit every dataset of the domain (and its sub-domains) and
  change the access class; the data office and the governance officer may do
  everything. CKAN organisation roles keep working as before.
* `data_owner` on the dataset and the owner role are one fact: the field is
  not stored as an extra; setting it grants the role (same rules as
  datagovernance_role_grant), reading it shows the role.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.common import _
from ckan.types import AuthFunction, AuthResult, Context, DataDict

from . import logic, policy, service
from .definitions import DATASET
from .policy import (
    is_governance_admin,
    may_classify,
    may_delete,
    may_edit_domain,
    may_maintain,
    may_read,
)

CONTEXT_KEY = "datagovernance_data_owner"


_user = service.context_user


def _package(context: Context, data_dict: DataDict) -> model.Package | None:
    ref = (data_dict or {}).get("id") or (data_dict or {}).get("name")
    return model.Package.get(ref) if ref else context.get("package")  # type: ignore[return-value]


# -- chained auth --------------------------------------------------------------
@tk.chained_auth_function
def package_update(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(context, data_dict)
    user = _user(context)
    if pkg is not None and may_maintain(user, pkg):
        return {"success": True}
    result = next_auth(context, data_dict)
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
    if pkg is not None and user is not None:
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


def get_auth_functions() -> dict[str, AuthFunction]:
    return {
        "group_create": group_create,
        "group_update": group_update,
        "group_delete": group_delete,
        "package_update": package_update,
        "package_delete": package_delete,
        "package_collaborator_create": package_collaborator_create,
        "package_collaborator_delete": package_collaborator_delete,
        "package_collaborator_list": package_collaborator_list,
    }


# -- validators ----------------------------------------------------------------
def access_class_guard(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Context) -> None:
    """Refuse an access-class change by anyone but steward/office/officer."""
    if context.get("ignore_auth"):
        return
    new = data.get(key)
    pkg = model.Package.get(data.get(("id",)) or data.get(("name",)) or "")
    if pkg is None:
        return  # a new dataset gets its first classification from its author
    old = pkg.extras.get("access_class")
    if new in (None, tk.missing) or new == old:
        return
    if not may_classify(_user(context), pkg):
        errors[key].append(
            _("Only a steward of the dataset's domain, the data office or the governance officer can change the access class.")
        )


def data_owner_field(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Context) -> None:
    """Take `data_owner` out of the stored extras; the role table holds it."""
    value = data.get(key)
    data.pop(key, None)
    if value is tk.missing or value is None:
        raise tk.StopOnError
    user = service.get_user(str(value)) if value else None
    if value and user is None:
        errors[key].append(_("Unknown user: {0}").format(value))
        raise tk.StopOnError
    # handed on in the validated dict (CKAN validates with a copy of the
    # context); after_dataset_create/update turn it into the role
    data[(CONTEXT_KEY,)] = user.id if user else ""
    raise tk.StopOnError


def get_validators() -> dict[str, Any]:
    return {
        "datagovernance_access_class_guard": access_class_guard,
        "datagovernance_data_owner": data_owner_field,
    }


# -- package hooks (called by the core plugin) --------------------------------------
def enforce_private(pkg: model.Package) -> None:
    """CKAN's `private` follows access class and workflow state, set by the
    suite only: open data = public class and published. Anything else is
    private, so activity streams, package_list, feeds and every other place
    that only checks `private` stay shut."""
    cls = pkg.extras.get("access_class")
    if cls is None:
        return
    pkg.private = not (cls == "public" and pkg.extras.get("workflow_state") == "published")


# -- chained actions -------------------------------------------------------------
@tk.chained_action
def user_delete(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    """A deleted user's owner/steward duties fall to the deputy or are listed
    as orphaned; both are recorded in the role history."""
    tk.check_access("user_delete", context, data_dict)
    user = service.get_user(data_dict.get("id"))
    if user is not None:
        logic.hand_over_duties(user, _user(context), _("user deleted"))
    return next_action(context, data_dict)


def get_actions() -> dict[str, Any]:
    return {"user_delete": user_delete}


def owner_from_create(context: Context, pkg_dict: dict[str, Any]) -> None:
    """after_dataset_create: the validated `data_owner` becomes the role."""
    if CONTEXT_KEY in pkg_dict:
        sync_data_owner(context, pkg_dict["id"], pkg_dict.pop(CONTEXT_KEY))


def update_with_owner(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    """Around package_update (the workflow's chained action calls this): an
    update that only changes `data_owner` changes no package row, and CKAN
    then skips its hooks; so the owner is synced here. The grant rules are
    checked before anything is written."""
    if "data_owner" not in (data_dict or {}):
        return next_action(context, data_dict)
    pkg = _package(context, data_dict)
    ref = data_dict["data_owner"]
    user = service.get_user(str(ref)) if ref else None
    if pkg is None or (ref and user is None):
        return next_action(context, data_dict)  # CKAN/the schema report the error
    wanted = user.id if user else ""
    changed = (wanted or None) != service.owner_user_id(pkg.id)
    if changed and not context.get("ignore_auth"):
        refusal = policy.grant_refusal(_user(context), "owner", pkg.id, wanted or service.owner_user_id(pkg.id) or "")
        if refusal:
            raise tk.ValidationError({"data_owner": [refusal]})
    result = next_action(context, data_dict)
    if changed:
        sync_data_owner(dict(context, ignore_auth=True), pkg.id, wanted)
        from ckan import logic as ckan_logic

        ckan_logic.index_update_package({"ignore_auth": True}, pkg.id, defer_commit=True)
        if not context.get("defer_commit"):
            model.repo.commit()
        if isinstance(result, dict):
            show_data_owner(result)
    return result


def sync_data_owner(context: Context, pkg_id: str, wanted: str) -> None:
    current = service.owner_user_id(pkg_id)
    if (wanted or None) == current:
        return
    actor = _user(context)
    if not context.get("ignore_auth"):
        target_id = wanted or current or ""
        refusal = policy.grant_refusal(actor, "owner", pkg_id, target_id)
        if refusal:
            raise tk.ValidationError({"data_owner": [refusal]})
    actor_id = actor.id if actor else None
    if wanted:
        service.grant(actor_id, model.User.get(wanted), "owner", DATASET, pkg_id, reason=_("set on the dataset"))
    else:
        for a in service.dataset_owners(pkg_id):
            if not a.deputy:
                service.revoke(actor_id, a, _("removed from the dataset"))


def show_data_owner(pkg_dict: dict[str, Any]) -> None:
    pkg_dict["data_owner"] = service.owner_name(pkg_dict["id"]) if pkg_dict.get("id") else ""
