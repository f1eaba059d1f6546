"""Role actions and auth functions (API, UI and CLI all call these)."""
from __future__ import annotations

from typing import Any

import ckan.logic as ckan_logic
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.common import _
from ckan.types import Action, AuthFunction, AuthResult, Context, DataDict

from . import policy, service
from .definitions import DATASET, DOMAIN, ROLES

_actor = service.context_user


_is_office = policy.is_governance_admin


def _bool(value: Any) -> bool:
    return tk.asbool(value) if value not in (None, "") else False


def _request(data_dict: DataDict) -> tuple[model.User, str, str, bool]:
    try:
        target, scope_type, scope_id = service.validate_request(
            str(data_dict.get("role") or ""), data_dict.get("user"), data_dict.get("domain"),
            data_dict.get("dataset"), _bool(data_dict.get("deputy")),
        )
    except service.RoleError as e:
        raise tk.ValidationError({e.field: [e.message]}) from e
    return target, scope_type, scope_id, _bool(data_dict.get("deputy"))


def _existing(kind: str, ref: str) -> Any:
    """The user, domain or dataset a filter names; unknown is a field error."""
    getter, message = {
        "user": (service.get_user, _("Unknown user: {0}")),
        "domain": (service.get_domain, _("Unknown data domain: {0}")),
        "dataset": (service.get_dataset, _("Unknown dataset: {0}")),
    }[kind]
    found = getter(ref)
    if found is None:
        raise tk.ValidationError({kind: [message.format(ref)]})
    return found


def _reindex(scope_type: str, scope_id: str) -> None:
    # owners appear in the dataset's permission labels
    if scope_type == DATASET:
        ckan_logic.index_update_package({"ignore_auth": True}, scope_id, defer_commit=True)


def hand_over_duties(user: model.User, actor: model.User | None, reason: str) -> list[dict[str, Any]]:
    """service.hand_over_duties, then re-index every dataset where the user held
    an owner or deputy role: both are in the dataset's permission labels."""
    datasets = {a.scope_id for a in service.assignments(user_id=user.id, scope_type=DATASET)}
    outcomes = service.hand_over_duties(user.id, actor.id if actor else None, reason)
    for pkg_id in datasets:
        _reindex(DATASET, pkg_id)
    return outcomes


# -- actions -----------------------------------------------------------------
def datagovernance_role_grant(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Grant a governance role.

    :param user: user name or id
    :param role: one of governance_officer, data_office, steward, owner, dpo,
        iso, infrastructure_lead, it_support, multiplier, literacy_trainer
    :param domain: domain name or id (steward)
    :param dataset: dataset name or id (owner)
    :param deputy: true to grant as deputy (steward, owner)
    :param contact: contact details shown in the role directory (optional)
    :param reason: why (recorded in the history)
    """
    target, scope_type, scope_id, deputy = _request(data_dict)
    tk.check_access("datagovernance_role_grant", context, data_dict)
    try:
        a = service.grant(
            _actor(context).id if _actor(context) else None, target, data_dict["role"], scope_type, scope_id,
            deputy=deputy, contact=data_dict.get("contact"), reason=data_dict.get("reason"),
        )
    except service.RoleError as e:
        raise tk.ValidationError({e.field: [e.message]}) from e
    _reindex(scope_type, scope_id)
    if not context.get("defer_commit"):
        model.repo.commit()
    return service.dictize(a)


def datagovernance_role_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Revoke a governance role (same parameters as grant)."""
    target, scope_type, scope_id, deputy = _request(data_dict)
    tk.check_access("datagovernance_role_revoke", context, data_dict)
    a = service.find(target.id, data_dict["role"], scope_type, scope_id, deputy)
    if a is None:
        raise tk.ValidationError({"role": [_("{0} does not hold this role.").format(target.name)]})
    result = service.dictize(a)
    actor = _actor(context)
    service.revoke(actor.id if actor else None, a, data_dict.get("reason"))
    _reindex(scope_type, scope_id)
    if not context.get("defer_commit"):
        model.repo.commit()
    return result


@tk.side_effect_free
def datagovernance_role_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Role assignments, filtered by user, role, domain and/or dataset."""
    tk.check_access("datagovernance_role_list", context, data_dict)
    user_id = scope_type = None
    scope_ids = None
    if data_dict.get("user"):
        user_id = _existing("user", data_dict["user"]).id
    role = data_dict.get("role")
    if role and role not in ROLES:
        raise tk.ValidationError({"role": [_("Unknown role {0}. Allowed: {1}").format(role, ", ".join(ROLES))]})
    if data_dict.get("domain"):
        scope_type, scope_ids = DOMAIN, [_existing("domain", data_dict["domain"]).id]
    if data_dict.get("dataset"):
        pkg = _existing("dataset", data_dict["dataset"])
        tk.check_access("package_show", context, {"id": pkg.id})
        scope_type, scope_ids = DATASET, [pkg.id]
    rows = service.assignments(user_id=user_id, role=role, scope_type=scope_type, scope_ids=scope_ids)
    return [service.dictize(a) for a in rows]


@tk.side_effect_free
def datagovernance_role_history(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Grant/revoke history (who, whom, what, when, why), newest first."""
    tk.check_access("datagovernance_role_history", context, data_dict)
    user_id = scope_type = scope_id = None
    if data_dict.get("user"):
        user_id = _existing("user", data_dict["user"]).id
    if data_dict.get("domain"):
        scope_type, scope_id = DOMAIN, _existing("domain", data_dict["domain"]).id
    if data_dict.get("dataset"):
        scope_type, scope_id = DATASET, _existing("dataset", data_dict["dataset"]).id
    try:
        limit = int(data_dict.get("limit", 100))
    except (TypeError, ValueError) as e:
        raise tk.ValidationError({"limit": [_("Must be an integer")]}) from e
    return [service.dictize_event(e) for e in service.history(user_id, scope_type, scope_id, limit)]


@tk.side_effect_free
def datagovernance_role_orphaned(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Datasets without owner and domains without steward (the office's list)."""
    tk.check_access("datagovernance_role_orphaned", context, data_dict)
    return {
        "datasets": [{"id": p.id, "name": p.name, "title": p.title} for p in service.orphaned_datasets()],
        "domains": [{"id": g.id, "name": g.name, "title": g.title} for g in service.orphaned_domains()],
    }


def _account(data_dict: DataDict) -> model.User:
    ref = str(data_dict.get("id") or data_dict.get("user") or "")
    user = service.get_user(ref) if ref else None
    if user is None or user.state == "deleted":
        raise tk.ValidationError({"id": [_("Unknown user: {0}").format(ref)]})
    return user


def datagovernance_user_block(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Block a user account (state `blocked`): they are logged out and cannot
    log in or use API tokens; their owner/steward duties fall to the deputy
    or appear in the orphaned list, both recorded in the role history.

    :param id: user name or id
    :param reason: why (required, recorded)
    :returns: the user name and one entry per handed-over duty
        (`role`, `scope_id`, `successor` or null)
    """
    tk.check_access("datagovernance_user_block", context, data_dict)
    user = _account(data_dict)
    reason = str(data_dict.get("reason") or "").strip()
    if not reason:
        raise tk.ValidationError({"reason": [_("Missing value: a reason is required.")]})
    if user.state == service.BLOCKED:
        raise tk.ValidationError({"id": [_("User {0} is already blocked.").format(user.name)]})
    actor = _actor(context)
    outcomes = hand_over_duties(user, actor, _("user blocked: {0}").format(reason))
    user.state = service.BLOCKED
    if not context.get("defer_commit"):
        model.repo.commit()
    return {"user": user.name, "duties": outcomes}


def datagovernance_user_unblock(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Let a blocked user log in again. Handed-over duties stay with their
    successors; grant them back explicitly if wanted.

    :param id: user name or id
    """
    tk.check_access("datagovernance_user_unblock", context, data_dict)
    user = _account(data_dict)
    if user.state != service.BLOCKED:
        raise tk.ValidationError({"id": [_("User {0} is not blocked.").format(user.name)]})
    user.state = "active"
    if not context.get("defer_commit"):
        model.repo.commit()
    return {"user": user.name, "state": user.state}


def get_actions() -> dict[str, Action]:
    return {
        "datagovernance_user_block": datagovernance_user_block,
        "datagovernance_user_unblock": datagovernance_user_unblock,
        "datagovernance_role_grant": datagovernance_role_grant,
        "datagovernance_role_revoke": datagovernance_role_revoke,
        "datagovernance_role_list": datagovernance_role_list,
        "datagovernance_role_history": datagovernance_role_history,
        "datagovernance_role_orphaned": datagovernance_role_orphaned,
    }


# -- auth ----------------------------------------------------------------------
@tk.auth_sysadmins_check
def role_grant_auth(context: Context, data_dict: DataDict) -> AuthResult:
    # sysadmins too: nobody grants roles to themselves
    try:
        target, _scope_type, scope_id = service.validate_request(
            str(data_dict.get("role") or ""), data_dict.get("user"), data_dict.get("domain"),
            data_dict.get("dataset"), _bool(data_dict.get("deputy")),
        )
    except service.RoleError as e:
        return {"success": False, "msg": e.message}
    refusal = policy.grant_refusal(_actor(context), data_dict["role"], scope_id, target.id)
    return {"success": refusal is None, "msg": refusal or ""}


def role_list_auth(context: Context, data_dict: DataDict) -> AuthResult:
    # the role directory is for staff (logged-in users)
    return {"success": bool(_actor(context)), "msg": _("Only logged-in users can see roles.")}


def role_history_auth(context: Context, data_dict: DataDict) -> AuthResult:
    actor = _actor(context)
    if _is_office(actor):
        return {"success": True}
    own = actor is not None and data_dict.get("user") in (actor.id, actor.name)
    return {"success": own, "msg": _("Only the data office sees the whole role history.")}


def role_orphaned_auth(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": _is_office(_actor(context)), "msg": _("Only the data office sees orphaned duties.")}


def user_block_auth(context: Context, data_dict: DataDict) -> AuthResult:
    # blocking an account is for the sysadmins and the governance officer; never oneself
    actor = _actor(context)
    allowed = policy.may_block_users(actor)
    if allowed and str(data_dict.get("id") or data_dict.get("user") or "") in (actor.id, actor.name):
        return {"success": False, "msg": _("Nobody can block or unblock themselves.")}
    return {"success": allowed, "msg": _("Only sysadmins and the governance officer can block users.")}


def get_auth_functions() -> dict[str, AuthFunction]:
    return {
        "datagovernance_user_block": user_block_auth,
        "datagovernance_user_unblock": user_block_auth,
        "datagovernance_role_grant": role_grant_auth,
        "datagovernance_role_revoke": role_grant_auth,
        "datagovernance_role_list": role_list_auth,
        "datagovernance_role_history": role_history_auth,
        "datagovernance_role_orphaned": role_orphaned_auth,
    }


