"""Auth functions of the feedback actions: each asks feedback/policy.py.
Items the caller may not see were already answered with "not found" by the
action (an item never reveals a hidden dataset)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ..roles import policy as roles_policy
from ..roles import service as roles
from ..translate import _
from . import policy, service

_user = roles.context_user


def _refused(msg: str) -> AuthResult:
    return {"success": False, "msg": msg}


@tk.auth_allow_anonymous_access
def feedback_create(context: Context, data_dict: DataDict) -> AuthResult:
    if policy.may_create(_user(context), str(data_dict.get("kind") or "")):
        return {"success": True}
    return _refused(_("Please log in to request access: access is granted to a user account."))


@tk.auth_allow_anonymous_access
def feedback_show(context: Context, data_dict: DataDict) -> AuthResult:
    item = service.get(data_dict.get("id"))
    if item is not None and policy.may_see(_user(context), item, service.package_of(item)):
        return {"success": True}
    return _refused(_("Request not found"))


@tk.auth_allow_anonymous_access
def feedback_list(context: Context, data_dict: DataDict) -> AuthResult:
    user = _user(context)
    scope = data_dict.get("scope") or "mine"
    if scope == "dataset":
        return {"success": True}  # published answers only, filtered per item
    if user is None:
        return _refused(_("Please log in to see your requests."))
    if scope == "all" and not roles_policy.is_governance_admin(user):
        return _refused(_("Only the data office sees every request."))
    return {"success": True}


def feedback_update(context: Context, data_dict: DataDict) -> AuthResult:
    item = service.get(data_dict.get("id"))
    if item is None:
        return _refused(_("Request not found"))
    changes = {k: v for k, v in data_dict.items() if k != "id"}
    pkg = service.package_of(item)
    if pkg is None and item.kind == policy.DATA_REQUEST and data_dict.get("dataset"):
        pkg = roles.get_dataset(data_dict["dataset"])  # the dataset being linked (readable: the action checked)
    refusal = policy.update_refusal(_user(context), item, pkg, changes)
    return {"success": refusal is None, "msg": refusal or ""}


def feedback_comment(context: Context, data_dict: DataDict) -> AuthResult:
    item = service.get(data_dict.get("id"))
    if item is None:
        return _refused(_("Request not found"))
    refusal = policy.comment_refusal(_user(context), item, service.package_of(item), bool(data_dict.get("internal")))
    return {"success": refusal is None, "msg": refusal or ""}


def access_grant_list(context: Context, data_dict: DataDict) -> AuthResult:
    # rows are filtered by policy.may_see_grant; anonymous users have none
    return {"success": _user(context) is not None, "msg": _("Please log in.")}


def access_grant_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    grant = service.get_grant(data_dict.get("id"))
    pkg = roles.get_dataset(grant.package_id) if grant else None
    if grant is not None and policy.may_decide_access(_user(context), pkg):
        return {"success": True}
    return _refused(_("Access grants are revoked by the domain's stewards and the data office."))


def get_auth_functions() -> dict[str, object]:
    return {
        "datagovernance_feedback_create": feedback_create,
        "datagovernance_feedback_show": feedback_show,
        "datagovernance_feedback_list": feedback_list,
        "datagovernance_feedback_update": feedback_update,
        "datagovernance_feedback_comment": feedback_comment,
        "datagovernance_access_grant_list": access_grant_list,
        "datagovernance_access_grant_revoke": access_grant_revoke,
    }
