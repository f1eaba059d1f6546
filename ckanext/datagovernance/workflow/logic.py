"""Workflow actions: transition, history, sign-off, task list."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan.common import _
from ckan.types import Context, DataDict

from ..roles import rights as roles_rights
from ..roles import service as roles
from . import gates, service, states
from .model import WorkflowEvent

# fields whose change sends a published dataset back through review
GOVERNANCE_FIELDS = ("access_class", "personal_data", "license_id", "hvd_category")


_user = roles.context_user


def _event_dict(e: WorkflowEvent) -> dict[str, Any]:
    actor = model.User.get(e.actor_id) if e.actor_id else None
    return {
        "id": e.id, "package_id": e.package_id, "from_state": e.from_state, "to_state": e.to_state,
        "actor_id": e.actor_id, "actor_name": actor.name if actor else None, "comment": e.comment,
        "gate_results": e.gate_results, "created": e.created.isoformat(),
    }


def datagovernance_workflow_transition(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Move a dataset through the approval workflow.

    :param id: dataset id or name
    :param to: target state: draft, in_review, approved, published, withdrawn, archived
    :param comment: comment; required for rejection, withdrawal and re-submission
    :param expected_state: optional; refuse if the dataset is no longer in this state
    """
    for field in ("id", "to"):
        if not data_dict.get(field):
            raise tk.ValidationError({field: [_("Missing value")]})
    try:
        result = service.transition(
            dict(context), str(data_dict["id"]), str(data_dict["to"]), data_dict.get("comment"),
            data_dict.get("expected_state"),
        )
    except service.TransitionError as e:
        model.Session.rollback()
        raise tk.ValidationError(e.errors) from e
    except (tk.NotAuthorized, tk.ObjectNotFound):
        model.Session.rollback()
        raise
    event = _event_dict(result["event"])
    if not context.get("defer_commit"):
        model.repo.commit()
        event["notified"] = service.notify_all(result, data_dict.get("comment"))
    return event


@tk.side_effect_free
def datagovernance_workflow_history(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Every transition of a dataset, oldest first."""
    tk.check_access("package_show", context, {"id": data_dict.get("id")})
    pkg = roles.get_dataset(data_dict.get("id"))
    if pkg is None:
        raise tk.ObjectNotFound(_("Dataset not found"))
    return [_event_dict(e) for e in service.history(pkg.id)]


@tk.side_effect_free
def datagovernance_workflow_options(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The dataset's state and the transitions the caller may make now."""
    tk.check_access("package_show", context, {"id": data_dict.get("id")})
    pkg = roles.get_dataset(data_dict.get("id"))
    if pkg is None:
        raise tk.ObjectNotFound(_("Dataset not found"))
    user = _user(context)
    return {
        "state": service.current_state(pkg),
        "transitions": service.allowed_targets(user, pkg),
        "needs_signoff": gates.needs_dpo_signoff(dict(pkg.extras, id=pkg.id)),
        "has_signoff": service.has_valid_signoff(pkg.id),
    }


def datagovernance_signoff(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A data-protection sign-off (DPO only).

    :param id: dataset
    :param decision: approve | refuse
    :param reason: why
    :param legal_basis: legal basis (required to approve)
    """
    try:
        s = service.signoff(dict(context), str(data_dict.get("id") or ""), str(data_dict.get("decision") or ""),
                            data_dict.get("reason"), data_dict.get("legal_basis"))
    except service.TransitionError as e:
        model.Session.rollback()
        raise tk.ValidationError(e.errors) from e
    if not context.get("defer_commit"):
        model.repo.commit()
    return {"id": s.id, "package_id": s.package_id, "decision": s.decision, "reason": s.reason,
            "legal_basis": s.legal_basis, "created": s.created.isoformat()}


@tk.side_effect_free
def datagovernance_task_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """What waits for the caller: reviews, publications, sign-offs, own
    rejected drafts. Only datasets the caller may read are listed."""
    user = _user(context)
    if user is None:
        raise tk.NotAuthorized(_("Only logged-in users have tasks."))
    ctx = {"user": user.name}
    found = tk.get_action("package_search")(ctx, {
        "fq": "workflow_state:(in_review OR approved OR draft)", "include_private": True,
        "include_drafts": True, "rows": 1000, "fl": "id",
    })
    ids = [r["id"] for r in found["results"]]
    tasks: dict[str, list[dict[str, Any]]] = {"review": [], "publish": [], "signoff": [], "rework": []}
    is_dpo = roles.has_site_role(user.id, "dpo")
    for pkg in model.Session.scalars(sa.select(model.Package).where(model.Package.id.in_(ids))):
        state = service.current_state(pkg)
        item = {"id": pkg.id, "name": pkg.name, "title": pkg.title, "state": state}
        allowed = service.allowed_targets(user, pkg)
        if state == states.IN_REVIEW and states.APPROVED in allowed:
            tasks["review"].append(item)
        if state == states.APPROVED and states.PUBLISHED in allowed:
            tasks["publish"].append(item)
        if is_dpo and state in (states.IN_REVIEW, states.APPROVED) and gates.needs_dpo_signoff(
                dict(pkg.extras, id=pkg.id)) and not service.has_valid_signoff(pkg.id):
            tasks["signoff"].append(item)
        if state == states.DRAFT and roles.is_dataset_owner(user.id, pkg.id) and service.history(pkg.id):
            tasks["rework"].append(item)
    return {"tasks": tasks, "count": sum(len(v) for v in tasks.values())}


def get_actions() -> dict[str, Any]:
    return {
        "datagovernance_workflow_transition": datagovernance_workflow_transition,
        "datagovernance_workflow_history": datagovernance_workflow_history,
        "datagovernance_workflow_options": datagovernance_workflow_options,
        "datagovernance_signoff": datagovernance_signoff,
        "datagovernance_task_list": datagovernance_task_list,
        "package_update": package_update,
    }


@tk.chained_action
def package_update(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    """Owner field sync (roles) and: a governance-relevant change to a
    published dataset sends it back to review; it leaves the feeds until it
    is approved and published again. Other edits keep it published."""
    pkg = roles.get_dataset((data_dict or {}).get("id") or (data_dict or {}).get("name"))
    before = {f: (pkg.extras.get(f) if f != "license_id" else pkg.license_id) for f in GOVERNANCE_FIELDS} if pkg else {}
    was_published = pkg is not None and service.current_state(pkg) == states.PUBLISHED
    result = roles_rights.update_with_owner(next_action, context, data_dict)
    if was_published and not context.get(service.FLAG):
        pkg = roles.get_dataset(pkg.id)  # type: ignore[union-attr]
        after = {f: (pkg.extras.get(f) if f != "license_id" else pkg.license_id) for f in GOVERNANCE_FIELDS}
        changed = [f for f in GOVERNANCE_FIELDS if before.get(f) != after.get(f)]
        if changed:
            _reopen(context, pkg, changed)
            if isinstance(result, dict):
                result["workflow_state"] = states.IN_REVIEW
    return result


def _reopen(context: Context, pkg: model.Package, changed: list[str]) -> None:
    comment = _("Governance-relevant change ({0}): back to review").format(", ".join(changed))
    # a caller's deferred commit (bulk import: one transaction) is kept; CKAN's
    # package_update needs return_id_only then, or it drops its own savepoint
    deferred = bool(context.get("defer_commit"))
    tk.get_action("package_patch")(
        {"user": context.get("user"), "ignore_auth": True, service.FLAG: True,
         "defer_commit": deferred, "return_id_only": deferred},
        {"id": pkg.id, "workflow_state": states.IN_REVIEW},
    )
    user = _user(context)
    model.Session.add(WorkflowEvent(
        package_id=pkg.id, from_state=states.PUBLISHED, to_state=states.IN_REVIEW,
        actor_id=user.id if user else None, comment=comment, created=dt.datetime.now(dt.timezone.utc),
    ))
    if not context.get("defer_commit"):
        model.repo.commit()


# -- auth: the service decides per transition; these only gate who may ask --------
def _logged_in(context: Context, data_dict: DataDict) -> dict[str, Any]:
    return {"success": _user(context) is not None, "msg": _("Please log in.")}


def get_auth_functions() -> dict[str, Any]:
    return {
        "datagovernance_workflow_transition": _logged_in,
        "datagovernance_signoff": _logged_in,
        "datagovernance_task_list": _logged_in,
    }
