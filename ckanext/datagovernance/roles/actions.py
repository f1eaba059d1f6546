"""Role actions (API, UI and CLI all call these).

Each action validates its input with roles/schema.py, resolves the
references it names (a dataset the caller may not read is unknown to them),
checks access through roles/auth.py (which asks roles/policy.py) and then
acts in one transaction, re-indexing every dataset whose readers changed."""
from __future__ import annotations

from typing import Any

import ckan.logic as ckan_logic
import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan.types import Action, Context, DataDict

from ..translate import _
from . import guard, policy, schema, service
from .definitions import DATASET, DOMAIN

_actor = service.context_user


def _request(context: Context, data: dict[str, Any]) -> tuple[model.User, str, str]:
    try:
        return guard.role_request(context, data["role"], data["user"], data.get("domain"),
                                  data.get("dataset"), data["deputy"])
    except service.RoleError as e:
        raise tk.ValidationError({e.field: [e.message]}) from e


def _existing(context: Context, kind: str, ref: str) -> Any:
    """The user, domain or dataset a filter names; unknown (or, for a
    dataset, unreadable) is the same field error."""
    getter, message = {
        "user": (service.get_user, _("Unknown user: {0}")),
        "domain": (service.get_domain, _("Unknown data domain: {0}")),
        "dataset": (service.get_dataset, _("Unknown dataset: {0}")),
    }[kind]
    found = getter(ref)
    if kind == "dataset" and found is not None and not context.get("ignore_auth"):
        found = found if policy.may_read(_actor(context), found) else None
    if found is None:
        raise tk.ValidationError({kind: [message.format(ref)]})
    return found


def reindex_datasets(pkg_ids: set[str] | list[str]) -> None:
    """Re-index datasets inside the caller's transaction (their permission
    labels changed); the commit makes data and index visible together."""
    for pkg_id in sorted(set(pkg_ids)):
        if model.Package.get(pkg_id) is not None:
            ckan_logic.index_update_package({"ignore_auth": True}, pkg_id, defer_commit=True)


_DATASETS_OF_DOMAINS = sa.text(
    "SELECT id FROM package WHERE state <> 'deleted' AND extras ->> 'domain' = ANY(:refs)"
)
_COMMITTED_PARENT = sa.text(
    """SELECT extras ->> 'parent_domain', state, name FROM "group" WHERE id = :id""")
# Datasets and sub-domains may name their domain by name: a rename re-points them.
_REPOINT_DATASETS = sa.text(
    "UPDATE package SET extras = jsonb_set(extras, '{domain}', to_jsonb(CAST(:new AS text))) "
    "WHERE extras ->> 'domain' = :old RETURNING id")
_REPOINT_SUBDOMAINS = sa.text(
    """UPDATE "group" SET extras = jsonb_set(extras, '{parent_domain}', to_jsonb(CAST(:new AS text))) """
    "WHERE extras ->> 'parent_domain' = :old")


def reindex_moved_domain(group: model.Group) -> None:
    """IGroupController edit/delete: stewards read along the domain tree, so
    when a domain gets another parent (or is deleted) every dataset below it
    is re-indexed in the same transaction. The committed parent is read on a
    connection of its own: the session already holds the new one."""
    if group.type != service.DOMAIN_GROUP_TYPE:
        return
    with model.meta.engine.connect() as conn:
        before = conn.execute(_COMMITTED_PARENT, {"id": group.id}).first()
    if before is not None and before[2] != group.name:
        _repoint_renamed_domain(before[2], group.name)
    new_parent = (group.extras or {}).get("parent_domain") or None
    if before is not None and (before[0] or None) == new_parent and before[1] == group.state:
        return
    model.Session.flush()
    subtree = service.domain_subtree([group.id])
    names = model.Session.scalars(sa.select(model.Group.name).where(model.Group.id.in_(subtree))).all()
    refs = sorted(set(subtree) | set(names))
    reindex_datasets(list(model.Session.scalars(_DATASETS_OF_DOMAINS, {"refs": refs})))


def _repoint_renamed_domain(old: str, new: str) -> None:
    """A renamed domain keeps its datasets and sub-domains: references by the
    old name follow the new one (same transaction), and the datasets are
    re-indexed so the domain facet and search show the new name."""
    model.Session.flush()
    moved = set(model.Session.scalars(_REPOINT_DATASETS, {"old": old, "new": new}))
    model.Session.execute(_REPOINT_SUBDOMAINS, {"old": old, "new": new})
    for obj in list(model.Session.identity_map.values()):
        if isinstance(obj, (model.Package, model.Group)):
            model.Session.expire(obj, ["extras"])  # the ORM copy still holds the old name
    reindex_datasets(sorted(moved))


def hand_over_duties(user: model.User, actor: model.User | None, reason: str) -> list[dict[str, Any]]:
    """service.hand_over_duties, then re-index every dataset where the user held
    an owner or deputy role: both are in the dataset's permission labels."""
    datasets = {a.scope_id for a in service.assignments(user_id=user.id, scope_type=DATASET)}
    outcomes = service.hand_over_duties(user.id, actor.id if actor else None, reason)
    reindex_datasets(datasets)
    return outcomes


def _commit(context: Context) -> None:
    if not context.get("defer_commit"):
        model.repo.commit()


def _serialise(scope_type: str, scope_id: str) -> None:
    """Grants and revokes of one scope run one after the other: a second
    concurrent grant then finds the first and answers cleanly (no 500 from
    the unique constraint), and a grant racing a revoke ends consistent."""
    model.Session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                          {"key": f"datagovernance_role:{scope_type}:{scope_id}"})


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
    data = schema.validated(data_dict, schema.role_change(), context)
    target, scope_type, scope_id = _request(context, data)
    tk.check_access("datagovernance_role_grant", context, data_dict)
    _serialise(scope_type, scope_id)
    actor = _actor(context)
    try:
        a = service.grant(actor.id if actor else None, target, data["role"], scope_type, scope_id,
                          deputy=data["deputy"], contact=data.get("contact"), reason=data.get("reason"))
    except service.RoleError as e:  # raised before anything is written
        raise tk.ValidationError({e.field: [e.message]}) from e
    if scope_type == DATASET:
        reindex_datasets([scope_id])  # owners are in the dataset's labels
    result = service.dictize(a)
    _commit(context)
    return result


def datagovernance_role_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Revoke a governance role (same parameters as grant)."""
    data = schema.validated(data_dict, schema.role_change(), context)
    target, scope_type, scope_id = _request(context, data)
    tk.check_access("datagovernance_role_revoke", context, data_dict)
    _serialise(scope_type, scope_id)
    a = service.find(target.id, data["role"], scope_type, scope_id, data["deputy"])
    if a is None:
        raise tk.ValidationError({"role": [_("{0} does not hold this role.").format(target.name)]})
    result = service.dictize(a)
    actor = _actor(context)
    service.revoke(actor.id if actor else None, a, data.get("reason"))
    if scope_type == DATASET:
        reindex_datasets([scope_id])
    _commit(context)
    return result


@tk.side_effect_free
def datagovernance_role_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Role assignments, filtered by user, role, domain and/or dataset. Roles on
    datasets the caller may not read are left out: their names and ids stay
    hidden, as everywhere else."""
    data = schema.validated(data_dict, schema.role_filter(), context)
    tk.check_access("datagovernance_role_list", context, data_dict)
    user_id = scope_type = None
    scope_ids = None
    if data.get("user"):
        user_id = _existing(context, "user", data["user"]).id
    if data.get("domain"):
        scope_type, scope_ids = DOMAIN, [_existing(context, "domain", data["domain"]).id]
    if data.get("dataset"):
        scope_type, scope_ids = DATASET, [_existing(context, "dataset", data["dataset"]).id]
    rows = service.assignments(user_id=user_id, role=data.get("role"), scope_type=scope_type, scope_ids=scope_ids)
    rows = _readable(context, rows)
    return service.dictize_all(rows)


def _readable(context: Context, rows: list[Any]) -> list[Any]:
    """Drop rows scoped to datasets the caller may not read (or that are gone)."""
    if context.get("ignore_auth"):
        return rows
    readable = policy.readable_dataset_ids(_actor(context), {a.scope_id for a in rows if a.scope_type == DATASET})
    return [a for a in rows if a.scope_type != DATASET or a.scope_id in readable]


@tk.side_effect_free
def datagovernance_role_history(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Grant/revoke history (who, whom, what, when, why), newest first."""
    data = schema.validated(data_dict, schema.role_filter(), context)
    tk.check_access("datagovernance_role_history", context, data_dict)
    user_id = scope_type = scope_id = None
    if data.get("user"):
        user_id = _existing(context, "user", data["user"]).id
    if data.get("domain"):
        scope_type, scope_id = DOMAIN, _existing(context, "domain", data["domain"]).id
    if data.get("dataset"):
        scope_type, scope_id = DATASET, _existing(context, "dataset", data["dataset"]).id
    events = service.history(user_id, scope_type, scope_id, data["limit"])
    return [service.dictize_event(e) for e in _readable(context, events)]


@tk.side_effect_free
def datagovernance_role_orphaned(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Datasets without owner and domains without steward (the office's list)."""
    tk.check_access("datagovernance_role_orphaned", context, data_dict)
    return {
        "datasets": [{"id": p.id, "name": p.name, "title": p.title} for p in service.orphaned_datasets()],
        "domains": [{"id": g.id, "name": g.name, "title": g.title} for g in service.orphaned_domains()],
    }


def _account(data: dict[str, Any]) -> model.User:
    user = service.get_user(data["id"])
    if user is None or user.state == "deleted":
        raise tk.ValidationError({"id": [_("Unknown user: {0}").format(data["id"])]})
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
    data = schema.validated(data_dict, schema.user_account(), context)
    tk.check_access("datagovernance_user_block", context, data_dict)
    user = _account(data)
    if not data.get("reason"):
        raise tk.ValidationError({"reason": [_("Missing value: a reason is required.")]})
    if user.state == service.BLOCKED:
        raise tk.ValidationError({"id": [_("User {0} is already blocked.").format(user.name)]})
    outcomes = hand_over_duties(user, _actor(context), _("user blocked: {0}").format(data["reason"]))
    user.state = service.BLOCKED
    _commit(context)
    return {"user": user.name, "duties": outcomes}


def datagovernance_user_unblock(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Let a blocked user log in again. Handed-over duties stay with their
    successors; grant them back explicitly if wanted.

    :param id: user name or id
    """
    data = schema.validated(data_dict, schema.user_account(), context)
    tk.check_access("datagovernance_user_unblock", context, data_dict)
    user = _account(data)
    if user.state != service.BLOCKED:
        raise tk.ValidationError({"id": [_("User {0} is not blocked.").format(user.name)]})
    user.state = "active"
    _commit(context)
    return {"user": user.name, "state": user.state}


# -- chained CKAN actions: clean-up in the same transaction ---------------------
@tk.chained_action
def user_delete(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    """A deleted user's owner/steward duties fall to the deputy or are listed
    as orphaned; both are recorded in the role history."""
    tk.check_access("user_delete", context, data_dict)
    user = service.get_user((data_dict or {}).get("id"))
    if user is not None:
        hand_over_duties(user, _actor(context), _("user deleted"))
    return next_action(context, data_dict)


_REFERRING_COLUMNS = sa.text("""
    SELECT table_name, is_nullable = 'YES' FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name LIKE 'datagovernance%%'
       AND column_name = 'package_id' ORDER BY table_name
""")


@tk.chained_action
def dataset_purge(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    """Purging a dataset removes every suite row that refers to it, inside
    CKAN's purge transaction: its role rows (an audit event per row stays)
    and, in every suite table with a `package_id` column, the rows of the
    dataset (where the reference is optional, e.g. a data request that named
    it, only the reference goes). New tables are covered without a hook."""
    tk.check_access("dataset_purge", context, data_dict)
    pkg = model.Package.get(str((data_dict or {}).get("id") or ""))
    if pkg is not None:
        service.forget_dataset(pkg.id)
        for table, nullable in model.Session.execute(_REFERRING_COLUMNS).all():
            statement = (f'UPDATE "{table}" SET package_id = NULL WHERE package_id = :id' if nullable
                         else f'DELETE FROM "{table}" WHERE package_id = :id')
            model.Session.execute(sa.text(statement), {"id": pkg.id})
        for cleanup in _PURGE_HOOKS:
            cleanup(pkg.id)
    return next_action(context, data_dict)


_PURGE_HOOKS: list[Any] = []


def on_dataset_purge(cleanup: Any) -> Any:
    """Register `cleanup(pkg_id)` for what a table scan cannot find (e.g.
    activity rows); it runs inside the purge transaction."""
    _PURGE_HOOKS.append(cleanup)
    return cleanup


def get_actions() -> dict[str, Action]:
    return {
        "user_delete": user_delete,
        "dataset_purge": dataset_purge,
        "datagovernance_user_block": datagovernance_user_block,
        "datagovernance_user_unblock": datagovernance_user_unblock,
        "datagovernance_role_grant": datagovernance_role_grant,
        "datagovernance_role_revoke": datagovernance_role_revoke,
        "datagovernance_role_list": datagovernance_role_list,
        "datagovernance_role_history": datagovernance_role_history,
        "datagovernance_role_orphaned": datagovernance_role_orphaned,
    }
