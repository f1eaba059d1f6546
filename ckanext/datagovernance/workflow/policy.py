"""Who may move a dataset through the approval workflow: the one home of each rule.

- ``transition_refusal`` who may make this transition now? (None = allowed)
- ``allowed_targets``    which transitions may this user make now? (publish
                         only for datasets that can become open data)
- ``publish_task``       should the task list offer publication, and why?
- ``four_eyes_blocks``   does the four-eyes rule forbid it?
- ``signoff_refusal``    who signs off personal-data publications? (the DPO)
- ``task_list_refusal``  who has a task list? (logged-in users)
- ``task_search_filter`` which datasets can be a user's tasks? (a search filter)
- ``task_kinds``         which tasks is this dataset for this user?

Which transitions exist and which group makes each is the pure table in
``states.py``; who belongs to a group comes from ``roles.policy`` (and CKAN's
own package_update auth for the maintainers). Auth functions, the action (again
under the row lock), the dataset page and the task list all ask here.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.common import _

from ..roles import labels as roles_labels
from ..roles import policy as roles_policy
from ..roles import service as roles
from . import gates, service, states


def in_group(user: model.User | None, pkg: model.Package, group: str) -> bool:
    """Is `user` one of `group` (states.SUBMIT/DECIDE/OFFICE) for `pkg`?"""
    if user is None:
        return False
    if group == states.OFFICE:
        return roles_policy.is_governance_admin(user)
    if group == states.DECIDE:
        return roles_policy.is_governance_admin(user) or roles.is_domain_steward(user.id, pkg)
    # maintainers: whoever may edit the dataset (owner, deputy, CKAN editors,
    # collaborators, stewards, office); package_update's auth decides that
    try:
        tk.check_access("package_update", {"user": user.name, "auth_user_obj": user}, {"id": pkg.id})
        return True
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False


def four_eyes_enabled() -> bool:
    return tk.asbool(tk.config.get("ckanext.datagovernance.workflow.four_eyes"))


def four_eyes_blocks(user: model.User | None, pkg: model.Package, current: str, target: str) -> bool:
    """Whoever submitted the current submission may not approve or publish it."""
    if (current, target) not in states.FOUR_EYES or not four_eyes_enabled() or user is None:
        return False
    submitted = service.last_submission(pkg.id)
    return submitted is not None and submitted.actor_id == user.id


def transition_refusal(user: model.User | None, pkg: model.Package, current: str, target: str) -> str | None:
    """Why `user` may not move `pkg` from `current` to `target` (None: allowed).

    A transition that does not exist is not refused here: it is bad input,
    which the action answers with the possible transitions. The messages
    never name the dataset (the caller may read it, but logs and proxies
    should not collect ids)."""
    group = states.who(current, target)
    if group is None:
        return None
    if user is None:
        return _("Please log in.")
    if not in_group(user, pkg, group):
        return _("You may not move this dataset from {0} to {1}.").format(current, target)
    if four_eyes_blocks(user, pkg, current, target):
        return _("Four eyes: whoever submitted cannot approve or publish the same submission.")
    return None


def allowed_targets(user: model.User | None, pkg: model.Package) -> list[str]:
    """The transitions `user` may make now (what the dataset page offers)."""
    current = service.current_state(pkg)
    found = [t for t in states.targets(current) if transition_refusal(user, pkg, current, t) is None]
    if states.PUBLISHED in found and not gates.open_data_candidate(service.gate_facts(pkg)):
        found.remove(states.PUBLISHED)  # the gates would refuse it whatever is edited
    return found


def publish_task(pkg_dict: dict[str, Any]) -> list[str]:
    """The unmet publication conditions of an approved open-data candidate
    (empty: ready to publish). The task list shows ready datasets under "to
    publish" and the others, with these reasons, under "blocked"."""
    return [m for problems in gates.run(pkg_dict).values() for m in problems]


def signoff_refusal(user: model.User | None) -> str | None:
    """Only the data protection officer signs off (None: allowed)."""
    if user is not None and roles.has_site_role(user.id, "dpo"):
        return None
    return _("Only the data protection officer signs off.")


def task_list_refusal(user: model.User | None) -> str | None:
    return None if user is not None else _("Only logged-in users have tasks.")


def task_search_filter(user: model.User | None) -> str | None:
    """A search filter holding every dataset that can be a task of `user`
    (None: none can). It narrows by the indexed permission labels, so the
    task list and the header count read the user's few candidates from the
    index instead of every open dataset; ``task_kinds`` decides each one.

    Reviews/publications need the reviewer group (office or a steward of
    the dataset's domain: the steward label of the domain or an ancestor),
    sign-offs the DPO, rework the owner (the owner's user label)."""
    if user is None:
        return None
    open_states = f"workflow_state:({states.IN_REVIEW} OR {states.APPROVED})"
    parts = []
    if roles_policy.is_governance_admin(user) or signoff_refusal(user) is None:
        parts.append(open_states)
    else:
        stewarded = roles.role_scopes(user.id, "steward")
        if stewarded:
            wanted = " OR ".join(f'"{roles_labels.steward_label(d)}"' for d in sorted(stewarded))
            parts.append(f"({open_states} AND permission_labels:({wanted}))")
    owned = roles.role_scopes(user.id, "owner")
    if owned:  # rejected or withdrawn: back with the owner
        parts.append(f'(workflow_state:({states.DRAFT} OR {states.WITHDRAWN}) '
                     f'AND permission_labels:"{roles_labels.user_label(user.id)}")')
    return " OR ".join(parts) or None


@dataclasses.dataclass
class TaskFacts:
    """What ``task_kinds`` needs about the user and all candidates, read
    once (``task_facts``) instead of a few queries per dataset."""
    office: bool
    steward_labels: frozenset[str]
    may_sign: bool
    submitter: dict[str, str | None]
    signed: set[str]
    owned: set[str]
    reworked: set[str]


def task_facts(user: model.User, pkg_ids: list[str]) -> TaskFacts:
    stewarded = roles.role_scopes(user.id, "steward")
    owned = roles.role_scopes(user.id, "owner") & set(pkg_ids)
    submitter, signed = service.submission_facts(pkg_ids)
    return TaskFacts(
        office=roles_policy.is_governance_admin(user),
        steward_labels=frozenset(roles_labels.steward_label(d) for d in stewarded),
        may_sign=signoff_refusal(user) is None, submitter=submitter, signed=signed, owned=owned,
        reworked=service.with_history([i for i in pkg_ids if i in owned]))


def task_kinds(user: model.User, doc: dict[str, Any], facts: TaskFacts) -> list[str]:
    """The tasks a dataset (its index document: id, workflow_state,
    permission_labels, access_class, personal_data, dpo_review) is for
    `user`: review, publish (only open-data candidates: internal or personal
    data are never offered), signoff, rework (the owner's rejected or
    withdrawn datasets). The same rules as ``transition_refusal`` for
    the reviewer group, whose steward part is "steward of the domain or an
    ancestor" = the steward labels the index carries for that lineage
    (tests/workflow compare the task list with the dataset page's options)."""
    state = doc.get("workflow_state") or states.DRAFT
    kinds = []
    for target, kind in ((states.APPROVED, "review"), (states.PUBLISHED, "publish")):
        if states.who(state, target) != states.DECIDE:
            continue
        if target == states.PUBLISHED and not gates.open_data_candidate(doc):
            continue  # the gates would refuse it whatever is edited
        decides = facts.office or bool(facts.steward_labels & set(doc.get("permission_labels") or []))
        blocked = ((state, target) in states.FOUR_EYES and four_eyes_enabled()
                   and facts.submitter.get(doc["id"]) == user.id)
        if decides and not blocked:
            kinds.append(kind)
    if facts.may_sign and state in (states.IN_REVIEW, states.APPROVED) and gates.needs_dpo_signoff(
            doc) and doc["id"] not in facts.signed:
        kinds.append("signoff")
    if doc["id"] in facts.owned and (
            state == states.WITHDRAWN or (state == states.DRAFT and doc["id"] in facts.reworked)):
        kinds.append("rework")
    return kinds
