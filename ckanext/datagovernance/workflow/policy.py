"""Who may move a dataset through the approval workflow: the one home of each rule.

- ``transition_refusal`` who may make this transition now? (None = allowed)
- ``allowed_targets``    which transitions may this user make now? (publish
                         only for datasets that can become open data)
- ``publish_task``       should the task list offer publication, and why?
- ``four_eyes_blocks``   does the four-eyes rule forbid it?
- ``signoff_refusal``    who signs off personal-data publications? (the DPO)
- ``task_list_refusal``  who has a task list? (logged-in users)

Which transitions exist and which group makes each is the pure table in
``states.py``; who belongs to a group comes from ``roles.policy`` (and CKAN's
own package_update auth for the maintainers). Auth functions, the action (again
under the row lock), the dataset page and the task list all ask here.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.common import _

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
