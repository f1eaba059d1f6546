"""Who may move a dataset through the approval workflow: the one home of each rule.

- ``transition_refusal`` who may make this transition now? (None = allowed)
- ``allowed_targets``    which transitions may this user make now? (publish
                         only for datasets that can become open data)
- ``publish_task``       should the task list offer publication, and why?
- ``four_eyes_blocks``   does the four-eyes rule forbid it?
- ``signoff_refusal``    who signs off personal-data publications? (the DPO)
- ``task_list_refusal``  who has a task list? (logged-in users)
- ``task_query``         which datasets are a user's tasks, and which tasks? (one
                         SQL statement: the task list and the header badge)

Which transitions exist and which group makes each is the pure table in
``states.py``; who belongs to a group comes from ``roles.policy`` (and CKAN's
own package_update auth for the maintainers). Auth functions, the action (again
under the row lock), the dataset page and the task list all ask here.
"""
from __future__ import annotations

import json
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ..roles import labels as roles_labels
from ..roles import policy as roles_policy
from ..roles import service as roles
from ..translate import _
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
    # (the page's edit button asked it already)
    try:
        return roles_policy.ckan_allows(user, "package_update", {"id": pkg.id})
    except tk.ObjectNotFound:
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


def _sql_list(values: list[str] | tuple[str, ...] | set[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))  # constants of states.py only


# the keyword fields task_query reads from the search's narrow filter table
# (`f_keywords`, ckanext.datagovernance.search.narrow_fields must hold them)
TASK_KEYWORDS = ("workflow_state", "access_class", "personal_data", "dpo_review")


def task_query(user: model.User | None) -> tuple[str, dict[str, Any]] | None:
    """One SQL statement: every dataset that is a task of `user`, with its
    kinds (None: `user` can have none). Columns: id, name, title,
    workflow_state, title_string, index_id, kinds (text[], never empty).

    The kinds: review, publish (only open-data candidates: internal or
    personal data are never offered), signoff, rework (the owner's rejected
    or withdrawn datasets). The reviewer group is the rule of
    ``transition_refusal``: office, or steward of the domain or an ancestor =
    the steward labels the index carries for that lineage (tests/workflow
    compare the task list with the dataset page's options). Only datasets
    `user` may read count: the index row's labels as ``package_search``
    filters them. The candidates come from the search's narrow filter table
    (a few hundred bytes a row, GIN index on its keyword fields), never the
    wide index rows. The task list reads these rows; the header badge sums
    their kinds (one statement, no list)."""
    if user is None:
        return None
    office = roles_policy.is_governance_admin(user)
    may_sign = signoff_refusal(user) is None
    steward_labels = sorted(roles_labels.steward_label(d) for d in roles.role_scopes(user.id, "steward"))
    owned = sorted(roles.role_scopes(user.id, "owner"))
    params: dict[str, Any] = {"user_id": user.id, "stewards": steward_labels, "owned": owned,
                              "user_label": roles_labels.user_label(user.id),
                              "site_id": tk.config.get("ckan.site_id")}

    def ws_in(*names: str) -> str:  # as the index filters `workflow_state:(...)`
        return "(" + " OR ".join(f"""i.f_keywords @> '{{"workflow_state": ["{n}"]}}'""" for n in names) + ")"

    # candidates: what the reviewer group, the DPO and the owner can act on;
    # an approved dataset is a task only to publish (an open-data candidate)
    # or to sign off, so for whoever does not sign off the index skips the
    # approved datasets that can never be published
    if may_sign:
        decided = ws_in(states.IN_REVIEW, states.APPROVED)
    else:
        approved = json.dumps({"workflow_state": [states.APPROVED], **gates.OPEN_DATA_CONTAINS})
        decided = f"({ws_in(states.IN_REVIEW)} OR i.f_keywords @> '{approved}')"
    parts = []
    if office or may_sign:
        parts.append(decided)
    elif steward_labels:
        parts.append(f"({decided} AND i.permission_labels && CAST(:stewards AS text[]))")
    if owned:  # rejected or withdrawn: back with the owner
        parts.append(f"({ws_in(states.DRAFT, states.WITHDRAWN)} "
                     "AND i.permission_labels @> ARRAY[CAST(:user_label AS text)])")
    if not parts:
        return None

    # each candidate's facts, read once from the filter row's keyword column
    # (`f_keywords`: every value a string in a list)
    fact_keys = tuple(k for k in TASK_KEYWORDS if k != "workflow_state")
    ws = "c.workflow_state"
    decides = "TRUE" if office else "(c.permission_labels && CAST(:stewards AS text[]))"
    # each kind: its conditions on the dataset's facts, then on its history
    # (latest submission, sign-off, events)
    kinds: list[tuple[str, list[str], list[str]]] = []
    for target, kind in ((states.APPROVED, "review"), (states.PUBLISHED, "publish")):
        deciding = [s for s in states.STATES if states.who(s, target) == states.DECIDE]
        if not deciding:
            continue
        cond = [f"{ws} IN ({_sql_list(deciding)})", decides]
        if target == states.PUBLISHED:  # the gates would refuse it whatever is edited
            cond.append(gates.open_data_candidate_sql(lambda key: f"c.{key}"))
        history = []
        blocked = [s for s in deciding if (s, target) in states.FOUR_EYES]
        if blocked and four_eyes_enabled():  # the submitter does not decide the same submission
            history.append(f"NOT ({ws} IN ({_sql_list(blocked)}) AND sub.actor_id IS NOT DISTINCT FROM :user_id)")
        kinds.append((kind, cond, history))
    if may_sign:
        signed = "(so.decision = 'approve' AND (sub.created IS NULL OR so.created >= sub.created))"
        kinds.append(("signoff", [f"{ws} IN ({_sql_list((states.IN_REVIEW, states.APPROVED))})",
                                  gates.needs_dpo_signoff_sql(lambda key: f"c.{key}")],
                      [f"NOT coalesce({signed}, FALSE)"]))
    if owned:
        kinds.append(("rework", ["c.id = ANY(CAST(:owned AS text[]))",
                                 f"{ws} IN ({_sql_list((states.DRAFT, states.WITHDRAWN))})"],
                      [f"({ws} = '{states.WITHDRAWN}' OR ({ws} = '{states.DRAFT}' AND EXISTS "
                       f"(SELECT 1 FROM {service.EVENT_TABLE} h WHERE h.package_id = c.id)))"]))
    if not kinds:
        return None
    visible = ""
    if not user.sysadmin:  # package_search's permission filter (sysadmins read everything)
        from ckan.lib.plugins import get_permission_labels

        params["labels"] = list(get_permission_labels().get_user_dataset_labels(user))
        visible = "AND i.permission_labels && CAST(:labels AS text[])"
    kind_array = ", ".join(f"CASE WHEN {' AND '.join(facts + history)} THEN '{kind}' END"
                           for kind, facts, history in kinds)
    # a candidate whose facts allow no kind (an approved dataset that is no
    # open-data candidate, for a user who does not sign off) is dropped
    # before its history is looked up
    reachable = " OR ".join(f"({' AND '.join(facts)})" for _kind, facts, _history in kinds)
    # the latest submission and sign-off, joined only where a kind asks
    joins = ""
    if "sub." in kind_array:
        joins += f"""
            LEFT JOIN LATERAL (SELECT e.actor_id, e.created FROM {service.EVENT_TABLE} e
                               WHERE e.package_id = c.id AND e.to_state = '{states.IN_REVIEW}'
                               ORDER BY e.created DESC LIMIT 1) sub ON TRUE"""
    if "so." in kind_array:
        joins += f"""
            LEFT JOIN LATERAL (SELECT s.decision, s.created FROM {service.SIGNOFF_TABLE} s
                               WHERE s.package_id = c.id ORDER BY s.created DESC LIMIT 1) so ON TRUE"""
    sql = f"""
        WITH c AS MATERIALIZED (
            SELECT i.id, i.name, i.title, i.title_string, i.index_id, i.permission_labels,
                   coalesce(nullif(i.f_keywords -> 'workflow_state' ->> 0, ''), '{states.DRAFT}') AS workflow_state,
                   {", ".join(f"i.f_keywords -> '{f}' ->> 0 AS {f}" for f in fact_keys)}
            FROM {service.FILTER_TABLE} i
            WHERE i.site_id = :site_id AND i.state IN ('active', 'draft') {visible}
              AND ({" OR ".join(parts)}))
        SELECT * FROM (
            SELECT c.id, c.name, c.title, c.workflow_state, c.title_string, c.index_id,
                   array_remove(ARRAY[{kind_array}]::text[], NULL) AS kinds
            FROM (SELECT * FROM c WHERE {reachable}) c{joins}
        ) t WHERE cardinality(kinds) > 0"""
    return sql, params
