"""`data_owner` on a dataset and the owner role are one fact.

The field is never stored as an extra: the validator takes it out of the
dataset and checks the grant rules (a refusal is a field error, nothing is
written); setting it grants the role (``datagovernance_role_grant``'s rules),
reading it shows the role.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ..translate import _
from . import policy, service
from .definitions import DATASET

CONTEXT_KEY = "datagovernance_data_owner"


def _package(context: Context, data_dict: DataDict) -> model.Package | None:
    ref = (data_dict or {}).get("id") or (data_dict or {}).get("name")
    return model.Package.get(ref) if ref else context.get("package")  # type: ignore[return-value]


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
    # context); after_dataset_create turns it into the role
    data[(CONTEXT_KEY,)] = user.id if user else ""
    raise tk.StopOnError


def get_validators() -> dict[str, Any]:
    return {"datagovernance_data_owner": data_owner_field}


def owner_from_create(context: Context, pkg_dict: dict[str, Any]) -> None:
    """after_dataset_create: the validated `data_owner` becomes the role;
    without one, the creator (roles/policy.creator_becomes_owner). Naming
    oneself is the same default, not a self-grant."""
    actor = service.context_user(context)
    owner, own = initial_owner(actor, pkg_dict.pop(CONTEXT_KEY, ""))
    if owner:
        sync_data_owner(dict(context, ignore_auth=True) if own else context, pkg_dict["id"], owner)


def initial_owner(actor: model.User | None, named: str) -> tuple[str, bool]:
    """The owner a new dataset gets: (user id or "", whether it is the
    creator's own default, which needs no grant right)."""
    if actor is not None and named in ("", actor.id) and policy.creator_becomes_owner(actor):
        return actor.id, True
    return named, False


def owners_from_bulk_create(context: Context, named: dict[str, str]) -> None:
    """owner_from_create for many datasets created in this transaction (the
    inventory import): the same owners under the same grant rule, written in
    two statements. `named`: dataset id → its validated `data_owner` id or ""."""
    actor = service.context_user(context)
    grants = []
    for pkg_id, ref in named.items():
        owner, own = initial_owner(actor, ref)
        if not owner:
            continue
        if not own and not context.get("ignore_auth"):
            refusal = policy.grant_refusal(actor, "owner", pkg_id, owner)
            if refusal:
                raise tk.ValidationError({"data_owner": [refusal]})
        grants.append((owner, "owner", pkg_id))
    service.grant_on_new_datasets(actor.id if actor else None, grants, _("set on the dataset"))


def owner_from_update(context: Context, pkg_dict: dict[str, Any]) -> None:
    """after_dataset_update: the key is consumed (package_update below did the sync)."""
    pkg_dict.pop(CONTEXT_KEY, None)


@tk.chained_action
def package_update(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    """The one chained package_update of the suite, doing one thing: the owner.

    Why chained: `data_owner` is no package column, so an update that only
    changes the owner changes no row and CKAN calls none of its hooks. The
    grant rules are checked before anything is written; the role is written
    before CKAN saves, indexes (the owner is a read permission label) and
    commits the dataset, so all of it is one transaction. When CKAN found
    nothing else to save, it neither indexes nor commits: that is done here."""
    if "data_owner" not in (data_dict or {}):
        return next_action(context, data_dict)
    pkg = _package(context, data_dict)
    ref = data_dict["data_owner"]
    user = service.get_user(str(ref)) if ref else None
    if pkg is None or (ref and user is None):
        return next_action(context, data_dict)  # CKAN/the validator report the error
    wanted = user.id if user else ""
    if (wanted or None) == service.owner_user_id(pkg.id):
        return next_action(context, data_dict)
    tk.check_access("package_update", context, data_dict)
    if not context.get("ignore_auth"):
        refusal = policy.grant_refusal(service.context_user(context), "owner", pkg.id,
                                       wanted or service.owner_user_id(pkg.id) or "")
        if refusal:
            raise tk.ValidationError({"data_owner": [refusal]})
    sync_data_owner(dict(context, ignore_auth=True), pkg.id, wanted)
    model.Session.flush()
    result = next_action(context, data_dict)
    if pkg.id not in context.get("changed_entities", {}).get("packages", set()):
        from ckan import logic as ckan_logic

        ckan_logic.index_update_package({"ignore_auth": True}, pkg.id, defer_commit=True)
        if not context.get("defer_commit"):
            model.repo.commit()
    if isinstance(result, dict):
        show_data_owner(result)
    return result


def get_actions() -> dict[str, Any]:
    return {"package_update": package_update}


def sync_data_owner(context: Context, pkg_id: str, wanted: str) -> None:
    current = service.owner_user_id(pkg_id)
    if (wanted or None) == current:
        return
    actor = service.context_user(context)
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
