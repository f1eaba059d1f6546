"""Workflow actions: validate with ``schema`` → ``tk.check_access`` (``auth`` →
``policy``) → act in one transaction; mail is queued for after the commit."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ..roles import guard
from ..roles import service as roles
from ..translate import _
from . import gates, jobs, policy, schema, service, states
from .model import WorkflowEvent


def _event_dict(e: WorkflowEvent | service.Event) -> dict[str, Any]:
    if isinstance(e, service.Event):
        actor_name = e.actor_name
    else:
        actor = model.User.get(e.actor_id) if e.actor_id else None
        actor_name = actor.name if actor else None
    return {
        "id": e.id, "package_id": e.package_id, "from_state": e.from_state, "to_state": e.to_state,
        "actor_id": e.actor_id, "actor_name": actor_name, "comment": e.comment,
        "gate_results": e.gate_results, "created": e.created.isoformat(),
    }


@contextlib.contextmanager
def _all_or_nothing() -> Iterator[None]:
    """A savepoint around the action's writes: on any failure exactly these
    are undone (and the row lock taken inside is released); the caller's own
    pending work in the session stays as it was."""
    savepoint = model.Session.begin_nested()
    try:
        yield
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    savepoint.commit()


def _finish(context: Context) -> None:
    if not context.get("defer_commit"):
        model.repo.commit()


def datagovernance_workflow_transition(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Move a dataset through the approval workflow. One transaction: the
    state, the event with the gate results, the search index row and the
    activity; e-mail goes out as a background job after the commit.

    :param id: dataset id or name
    :param to: target state: draft, in_review, approved, published, withdrawn, archived
    :param comment: comment; required for rejection, withdrawal and re-submission
    :param expected_state: optional; refuse if the dataset is no longer in this state
    """
    data = schema.validate(data_dict, schema.transition_schema(), context)
    # a dataset the caller may not read answers like a missing one, before
    # any lock is taken or its state is looked at
    pkg = guard.readable_dataset(context, data["id"])
    seen = service.current_state(pkg)
    tk.check_access("datagovernance_workflow_transition", context, dict(data, id=pkg.id))
    user = roles.context_user(context)
    target, comment = data["to"], data.get("comment")
    with _all_or_nothing():
        pkg = service.lock(pkg.id)
        current = service.current_state(pkg)
        expected = data.get("expected_state") or seen
        if current != expected:  # someone else moved it since the caller looked
            raise tk.ValidationError({"state": [
                _("The dataset is now {0}, not {1}; reload and try again.").format(current, expected)]})
        if states.who(current, target) is None:
            raise tk.ValidationError({"to": [_("No transition from {0} to {1}. Possible: {2}").format(
                current, target, ", ".join(states.targets(current)) or "-")]})
        if not context.get("ignore_auth"):
            refusal = policy.transition_refusal(user, pkg, current, target)  # again, under the lock
            if refusal:
                raise tk.NotAuthorized(refusal)
        if (current, target) in states.REASON_REQUIRED and not comment:
            raise tk.ValidationError({"comment": [_("A reason is required for this transition.")]})
        gate_results = None
        if target == states.PUBLISHED:
            pkg_dict = tk.get_action("package_show")({"ignore_auth": True, "use_cache": False}, {"id": pkg.id})
            gate_results = gates.run(pkg_dict)
            failing = [m for problems in gate_results.values() for m in problems]
            if failing:
                raise tk.ValidationError({"gates": failing})
        service.set_state(pkg, target, user)
        event = service.add_event(pkg.id, current, target, user, comment, gate_results)
        notified = jobs.notify_after_commit(event.id, service.recipients(pkg, current, target))
    result = dict(_event_dict(event), notified=notified)
    _finish(context)
    return result


@tk.side_effect_free
def datagovernance_workflow_history(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Every transition of a dataset, oldest first.

    :param id: dataset id or name
    """
    data = schema.validate(data_dict, schema.dataset_schema(), context)
    pkg = guard.readable_dataset(context, data["id"])
    tk.check_access("datagovernance_workflow_history", context, {"id": pkg.id})
    return history(pkg)


def history(pkg: model.Package) -> list[dict[str, Any]]:
    """The history action's answer, for a caller that may read `pkg` (the
    action and the dataset page's panel)."""
    return [_event_dict(e) for e in service.events(pkg.id)]


@tk.side_effect_free
def datagovernance_workflow_options(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The dataset's state and the transitions the caller may make now.

    :param id: dataset id or name
    """
    data = schema.validate(data_dict, schema.dataset_schema(), context)
    pkg = guard.readable_dataset(context, data["id"])
    tk.check_access("datagovernance_workflow_options", context, {"id": pkg.id})
    return options(roles.context_user(context), pkg)


def options(user: model.User | None, pkg: model.Package) -> dict[str, Any]:
    """The options action's answer for `user`, who may read `pkg` (the
    action and the dataset page's panel): the transitions are policy's."""
    return {
        "state": service.current_state(pkg),
        "transitions": policy.allowed_targets(user, pkg),
        "needs_signoff": gates.needs_dpo_signoff(service.needs_signoff_facts(pkg)),
        "has_signoff": service.has_valid_signoff(pkg.id),
    }


def datagovernance_signoff(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A data-protection sign-off (DPO only).

    :param id: dataset id or name
    :param decision: approve | refuse
    :param reason: why
    :param legal_basis: legal basis (required to approve)
    """
    data = schema.validate(data_dict, schema.signoff_schema(), context)
    pkg = guard.readable_dataset(context, data["id"])
    tk.check_access("datagovernance_signoff", context, dict(data, id=pkg.id))
    with _all_or_nothing():
        s = service.add_signoff(pkg.id, roles.context_user(context), data["decision"], data["reason"],
                                data.get("legal_basis"))
    result = {"id": s.id, "package_id": s.package_id, "decision": s.decision, "reason": s.reason,
              "legal_basis": s.legal_basis, "created": s.created.isoformat()}
    _finish(context)
    return result


def _last_comment(pkg_id: str, to_state: str) -> str:
    events = [e for e in service.events(pkg_id) if e.to_state == to_state]
    return (events[-1].comment or "") if events else ""


def _reasons(kind: str, item: dict[str, Any]) -> list[str]:
    """Why a dataset is on the list (the task page shows it beside the title)."""
    if kind == "review":
        return [_("Submitted for review; approve or reject it.")]
    if kind == "publish":
        return [_("Approved; every publication check passes.")]
    if kind == "signoff":
        return [_("Contains anonymised personal data or asks for a data protection review.")]
    if item["state"] == states.WITHDRAWN:
        comment = _last_comment(item["id"], states.WITHDRAWN)
        return [_("Withdrawn: {0}").format(comment) if comment else _("Withdrawn.")]
    comment = _last_comment(item["id"], states.DRAFT)
    return [_("Rejected: {0}").format(comment) if comment else _("Rejected.")]


def _candidates(user: model.User) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Each dataset that is a task of `user`, with its kinds: the rows of
    ``policy.task_query`` (only datasets `user` may read, all of them)."""
    for row in service.task_rows(policy.task_query(user)):
        yield ({"id": row.id, "name": row.name, "title": row.title, "state": row.workflow_state}, list(row.kinds))


def collect_tasks(user: model.User) -> dict[str, list[dict[str, Any]]]:
    """What `user` can act on now, by kind, each with why it is listed. An
    approved open-data candidate whose publication checks fail moves from
    "publish" to "blocked", with the checks' messages as reasons."""
    tasks: dict[str, list[dict[str, Any]]] = {
        "review": [], "publish": [], "blocked": [], "signoff": [], "rework": []}
    for item, kinds in _candidates(user):
        for kind in kinds:
            if kind == "publish":
                pkg_dict = tk.get_action("package_show")({"ignore_auth": True}, {"id": item["id"]})
                problems = policy.publish_task(pkg_dict)
                if problems:
                    tasks["blocked"].append(dict(item, reasons=problems))
                    continue
            tasks[kind].append(dict(item, reasons=_reasons(kind, item)))
    return tasks


def task_count(user: model.User | None, at_most: int) -> int:
    """The length of `user`'s task list (the header badge on every page),
    exact up to `at_most` (above it, some number over `at_most`): the same
    query, its kinds summed in the database, without the reasons and the
    publication checks, which only split "publish" from "blocked" (one entry
    either way)."""
    return service.task_kind_count(policy.task_query(user), at_most)


@tk.side_effect_free
def datagovernance_task_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """What the caller can act on now, each with why it is listed: reviews,
    publications (only datasets that pass every gate), approved datasets whose
    publication is blocked by conditions that can be fixed, sign-offs, and the
    owner's rejected or withdrawn datasets. Internal or personal data are never
    offered for publication. Only datasets the caller may read are listed, all
    of them (no cap)."""
    schema.validate(data_dict, schema.task_list_schema(), context)
    tk.check_access("datagovernance_task_list", context, data_dict)
    user = roles.context_user(context)
    if user is None:  # also with ignore_auth: tasks belong to a person
        raise tk.NotAuthorized(policy.task_list_refusal(None))
    tasks = collect_tasks(user)
    return {"tasks": tasks, "count": sum(len(v) for v in tasks.values())}


def get_actions() -> dict[str, Any]:
    return {
        "datagovernance_workflow_transition": datagovernance_workflow_transition,
        "datagovernance_workflow_history": datagovernance_workflow_history,
        "datagovernance_workflow_options": datagovernance_workflow_options,
        "datagovernance_signoff": datagovernance_signoff,
        "datagovernance_task_list": datagovernance_task_list,
    }
