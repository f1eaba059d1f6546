"""Workflow transitions: the only way a dataset's `workflow_state` moves."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan.common import _

from ..roles import policy as roles_policy
from ..roles import service as roles
from . import gates, notify, states
from .model import Signoff, WorkflowEvent

FLAG = "datagovernance_workflow_transition"


class TransitionError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def current_state(pkg: model.Package) -> str:
    return pkg.extras.get("workflow_state") or states.DRAFT


def lock(pkg_id: str) -> model.Package | None:
    """Row lock on the dataset: concurrent transitions run one after the
    other, and the second sees the state the first left."""
    row = model.Session.execute(
        sa.text("SELECT id FROM package WHERE (id = :ref OR name = :ref) AND state <> 'deleted' FOR UPDATE"),
        {"ref": pkg_id},
    ).first()
    if row is None:
        return None
    pkg = model.Package.get(row[0])
    model.Session.refresh(pkg)  # extras live in the row: re-read after the lock
    return pkg


def last_submission(pkg_id: str) -> WorkflowEvent | None:
    return model.Session.scalars(
        sa.select(WorkflowEvent)
        .where(WorkflowEvent.package_id == pkg_id, WorkflowEvent.to_state == states.IN_REVIEW)
        .order_by(WorkflowEvent.created.desc())
        .limit(1)
    ).first()


def has_valid_signoff(pkg_id: str) -> bool:
    """An approving DPO sign-off after the latest submission."""
    submitted = last_submission(pkg_id)
    q = sa.select(Signoff).where(Signoff.package_id == pkg_id).order_by(Signoff.created.desc()).limit(1)
    latest = model.Session.scalars(q).first()
    if latest is None or latest.decision != "approve":
        return False
    return submitted is None or latest.created >= submitted.created


def history(pkg_id: str) -> list[WorkflowEvent]:
    return list(model.Session.scalars(
        sa.select(WorkflowEvent).where(WorkflowEvent.package_id == pkg_id).order_by(WorkflowEvent.created)
    ))


def may(user: model.User | None, pkg: model.Package, group: str) -> bool:
    if user is None:
        return False
    if group == states.OFFICE:
        return roles_policy.is_governance_admin(user)
    if group == states.DECIDE:
        return roles_policy.is_governance_admin(user) or roles.is_domain_steward(user.id, pkg)
    # maintainers: owner, deputy, editors (CKAN or collaborators), reviewers;
    # the suite's chained package_update auth already asks may_maintain first
    return _may_edit(user, pkg)


def _may_edit(user: model.User, pkg: model.Package) -> bool:
    try:
        tk.check_access("package_update", {"user": user.name, "auth_user_obj": user}, {"id": pkg.id})
        return True
    except tk.NotAuthorized:
        return False


def four_eyes_enabled() -> bool:
    return bool(tk.config.get("ckanext.datagovernance.workflow.four_eyes"))


def allowed_targets(user: model.User | None, pkg: model.Package) -> list[str]:
    """The transitions `user` may make now (what the dataset page offers)."""
    current = current_state(pkg)
    result = []
    for target in states.targets(current):
        group = states.who(current, target)
        if group and may(user, pkg, group) and not _four_eyes_blocks(user, pkg, current, target):
            result.append(target)
    return result


def _four_eyes_blocks(user: model.User | None, pkg: model.Package, current: str, target: str) -> bool:
    if (current, target) not in states.FOUR_EYES or not four_eyes_enabled() or user is None:
        return False
    submitted = last_submission(pkg.id)
    return submitted is not None and submitted.actor_id == user.id


def transition(
    context: dict[str, Any], pkg_ref: str, target: str, comment: str | None, expected_state: str | None = None
) -> dict[str, Any]:
    """Validate, authorise, gate and perform one transition (no commit)."""
    if target not in states.STATES:
        raise TransitionError({"to": [
            _("Unknown workflow state {0}. Allowed: {1}").format(target, ", ".join(states.STATES))
        ]})
    pkg = lock(pkg_ref)
    if pkg is None:
        raise tk.ObjectNotFound(_("Dataset not found"))
    user = model.User.get(context.get("user") or "")
    current = current_state(pkg)
    if expected_state and expected_state != current:
        raise TransitionError({"state": [
            _("The dataset is now {0}, not {1}; reload and try again.").format(current, expected_state)
        ]})
    group = states.who(current, target)
    if group is None:
        raise TransitionError({"to": [
            _("No transition from {0} to {1}. Possible: {2}").format(
                current, target, ", ".join(states.targets(current)) or "-")
        ]})
    if not context.get("ignore_auth") and not may(user, pkg, group):
        raise tk.NotAuthorized(_("You may not move this dataset from {0} to {1}.").format(current, target))
    if _four_eyes_blocks(user, pkg, current, target):
        raise tk.NotAuthorized(_("Four eyes: whoever submitted cannot approve or publish the same submission."))
    if ((current, target) in states.REASON_REQUIRED) and not (comment or "").strip():
        raise TransitionError({"comment": [_("A reason is required for this transition.")]})

    pkg_dict = tk.get_action("package_show")({"ignore_auth": True, "use_cache": False}, {"id": pkg.id})
    gate_results: dict[str, list[str]] = {}
    if target == states.PUBLISHED:
        gate_results = gates.check(pkg_dict)
        if gate_results:
            messages = [m for problems in gate_results.values() for m in problems]
            raise TransitionError({"gates": messages})

    patch_context = {"user": context.get("user"), "ignore_auth": True, FLAG: True}
    tk.get_action("package_patch")(patch_context, {"id": pkg.id, "workflow_state": target})
    event = WorkflowEvent(
        package_id=pkg.id, from_state=current, to_state=target, actor_id=user.id if user else None,
        comment=comment, gate_results=gate_results or None, created=dt.datetime.now(dt.timezone.utc),
    )
    model.Session.add(event)
    model.Session.flush()
    recipients = _recipients(pkg, current, target)
    return {"event": event, "pkg": pkg, "actor": user, "recipients": recipients, "pkg_dict": pkg_dict}


def _recipients(pkg: model.Package, current: str, target: str) -> dict[str, list[str]]:
    """Who is told: stewards on submit, the submitter on a decision, the DPO
    when a sign-off is needed."""
    out: dict[str, list[str]] = {}
    if target == states.IN_REVIEW:
        lineage = roles.domain_lineage(roles.dataset_domain(pkg))
        stewards = [a.user_id for a in roles.assignments(role="steward", scope_ids=lineage)]
        if not stewards:
            stewards = [a.user_id for a in roles.assignments(role="data_office")]
        out[target] = stewards
        pkg_dict = {"personal_data": pkg.extras.get("personal_data"), "dpo_review": pkg.extras.get("dpo_review")}
        if gates.needs_dpo_signoff(pkg_dict):
            out["signoff"] = [a.user_id for a in roles.assignments(role="dpo")]
    elif current == states.IN_REVIEW or target in (states.PUBLISHED, states.WITHDRAWN, states.ARCHIVED):
        submitted = last_submission(pkg.id)
        if submitted and submitted.actor_id:
            out[target] = [submitted.actor_id]
    return out


def notify_all(result: dict[str, Any], comment: str | None) -> list[str]:
    sent = []
    for topic, users in result["recipients"].items():
        sent += notify.send(users, topic, result["pkg"], result["actor"], comment)
    return sent


def signoff(context: dict[str, Any], pkg_ref: str, decision: str, reason: str | None, legal_basis: str | None) -> Signoff:
    if decision not in ("approve", "refuse"):
        raise TransitionError({"decision": [_("Unknown decision {0}. Allowed: approve, refuse").format(decision)]})
    if not (reason or "").strip():
        raise TransitionError({"reason": [_("A reason is required.")]})
    if decision == "approve" and not (legal_basis or "").strip():
        raise TransitionError({"legal_basis": [_("The legal basis is required for an approval.")]})
    pkg = roles.get_dataset(pkg_ref)
    if pkg is None:
        raise tk.ObjectNotFound(_("Dataset not found"))
    user = model.User.get(context.get("user") or "")
    if not context.get("ignore_auth") and not (user and roles.has_site_role(user.id, "dpo")):
        raise tk.NotAuthorized(_("Only the data protection officer signs off."))
    s = Signoff(package_id=pkg.id, user_id=user.id if user else "", decision=decision, reason=reason,
                legal_basis=legal_basis, created=dt.datetime.now(dt.timezone.utc))
    model.Session.add(s)
    model.Session.flush()
    return s
