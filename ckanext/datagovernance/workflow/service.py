"""The workflow's store: the dataset's state, its events and sign-offs.

Writes here never commit: the action that calls them owns the transaction.
Who may do what is decided in ``policy.py``, not here.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from .. import page_facts, prepared, request_memo
from ..roles import service as roles
from ..search import backend as search_backend
from . import states
from .model import Signoff, WorkflowEvent

# the task query reads the search's narrow copy of the index rows (their
# labels as the search filters them, keyword fields in `f_keywords`)
FILTER_TABLE = search_backend.FILTER_TABLE
EVENT_TABLE = WorkflowEvent.__table__.name
SIGNOFF_TABLE = Signoff.__table__.name

# context flag of the only writers allowed to set `workflow_state` (the
# transition, the demo loader, test fixtures); the catalog's validator reads it
FLAG = "datagovernance_workflow_transition"


def current_state(pkg: model.Package) -> str:
    return pkg.extras.get("workflow_state") or states.DRAFT


def lock(pkg_id: str) -> model.Package:
    """Row lock on the dataset: concurrent transitions run one after the
    other, and the second sees the state the first left. Called only after
    the caller was found to be allowed to read the dataset."""
    model.Session.execute(sa.text("SELECT 1 FROM package WHERE id = :id FOR UPDATE"), {"id": pkg_id})
    request_memo.clear()  # what was read before the lock may have changed since
    pkg = model.Package.get(pkg_id)
    model.Session.refresh(pkg)  # state and extras as the lock holder left them
    return pkg  # type: ignore[return-value]


@dataclasses.dataclass(frozen=True)
class Event:
    """A recorded transition as read for display and decisions (the
    columns of WorkflowEvent, plus the actor's user name)."""
    id: str
    package_id: str
    from_state: str
    to_state: str
    actor_id: str | None
    actor_name: str | None
    comment: str | None
    gate_results: dict[str, Any] | None
    created: dt.datetime


@dataclasses.dataclass(frozen=True)
class Facts:
    """A dataset's workflow record: its transitions, oldest first, and its
    latest sign-off (decision, time)."""
    events: list[Event]
    latest_signoff: tuple[str, dt.datetime] | None


# the transitions with their actors' names and the latest sign-off, as one
# JSON value (the dataset page's panel asks for the history, the latest
# submission, the sign-off and, for the publication panel, when it was
# published): read alone by ``facts`` or with the page's other facts
_FACTS = f"""json_build_object(
    'events', (SELECT coalesce(json_agg(json_build_object(
                   'id', e.id, 'from_state', e.from_state, 'to_state', e.to_state, 'actor_id', e.actor_id,
                   'actor_name', u.name, 'comment', e.comment, 'gate_results', e.gate_results,
                   'created', e.created) ORDER BY e.created), '[]')
                 FROM {EVENT_TABLE} e LEFT JOIN "user" u ON u.id = e.actor_id WHERE e.package_id = :pkg),
    'signoff', (SELECT json_build_array(s.decision, s.created) FROM {SIGNOFF_TABLE} s
                 WHERE s.package_id = :pkg ORDER BY s.created DESC LIMIT 1))"""


def _remember_facts(pkg: model.Package, value: dict[str, Any]) -> Facts:
    events = [Event(e["id"], pkg.id, e["from_state"], e["to_state"], e["actor_id"], e["actor_name"],
                    e["comment"], e["gate_results"], page_facts.time(e["created"])) for e in value["events"]]
    signoff = value["signoff"]
    found = Facts(events, (signoff[0], page_facts.time(signoff[1])) if signoff else None)
    request_memo.put("workflow_facts", pkg.id, found)
    return found


FACTS = page_facts.Part(_FACTS, _remember_facts, memo=lambda pkg: ("workflow_facts", pkg.id))


def facts(pkg_id: str) -> Facts:
    """The dataset's transitions and latest sign-off, once per request
    (a request that writes, or takes the row lock, reads them again)."""
    def read() -> Facts:
        pkg = model.Package.get(pkg_id)  # by id: the session's copy, no query
        return page_facts.read_together(pkg, [FACTS])[0] if pkg is not None else Facts([], None)

    return request_memo.remembered("workflow_facts", pkg_id, read)


def events(pkg_id: str) -> list[Event]:
    """Every transition of the dataset, oldest first."""
    return list(facts(pkg_id).events)


def last_submission(pkg_id: str) -> Event | None:
    submissions = [e for e in facts(pkg_id).events if e.to_state == states.IN_REVIEW]
    return submissions[-1] if submissions else None


def has_valid_signoff(pkg_id: str) -> bool:
    """An approving DPO sign-off after the latest submission."""
    submitted = last_submission(pkg_id)
    latest = facts(pkg_id).latest_signoff
    if latest is None or latest[0] != "approve":
        return False
    return submitted is None or latest[1] >= submitted.created


def task_rows(query: tuple[str, dict[str, Any]] | None) -> list[Any]:
    """The rows of ``policy.task_query`` (id, name, title, workflow_state,
    kinds), by title as the task page lists them."""
    if query is None:
        return []
    search_backend.flush_pending()  # rows a batch still holds, as before a search
    sql, params = query
    return list(prepared.execute(prepared.text(f"{sql} ORDER BY title_string NULLS LAST, index_id"), params))


def task_kind_count(query: tuple[str, dict[str, Any]] | None, at_most: int) -> int:
    """How many tasks ``policy.task_query`` holds (kinds summed), counted in
    the database (no rows travel), up to more than `at_most`: the count stops
    after `at_most` + 1 datasets (each is at least one task), so a result
    over `at_most` means "more than `at_most`", and the cost stays bounded
    however many tasks an office has at 100k."""
    if query is None:
        return 0
    search_backend.flush_pending()
    sql, params = query
    return int(prepared.execute(
        prepared.text(f"SELECT coalesce(sum(cardinality(kinds)), 0) FROM ({sql} LIMIT :count_rows) q"),
        dict(params, count_rows=at_most + 1)).scalar_one())


def set_state(pkg: model.Package, target: str, actor: model.User | None) -> None:
    """Write the new state the way package_update would, without its commit:
    the row (CKAN's `private` follows through the plugins' `edit` hook), the
    search index row and the activity, all in the caller's transaction.
    (package_update with defer_commit rolls its own savepoint back in CKAN
    2.12, and without it commits midway, so it cannot be used here.)"""
    pkg.extras = dict(pkg.extras, workflow_state=target)
    pkg.metadata_modified = dt.datetime.utcnow()
    for plugin in p.PluginImplementations(p.IPackageController):
        plugin.edit(pkg)
    model.Session.flush()
    from ckan import logic as ckan_logic

    ckan_logic.index_update_package({"ignore_auth": True}, pkg.id, defer_commit=True)
    _record_activity(pkg, actor)


def _record_activity(pkg: model.Package, actor: model.User | None) -> None:
    """A "changed package" activity, as package_update's subscriber writes it."""
    if not p.plugin_loaded("activity"):
        return
    from ckan.lib.plugins import get_permission_labels

    user_name = actor.name if actor else tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    pkg_dict = tk.get_action("package_show")(
        {"ignore_auth": True, "for_view": False, "use_cache": False}, {"id": pkg.id, "include_tracking": False})
    tk.get_action("activity_create")({"ignore_auth": True, "defer_commit": True, "user": user_name}, {
        "user_id": actor.id if actor else user_name, "object_id": pkg.id, "activity_type": "changed package",
        "data": {"package": pkg_dict, "actor": user_name},
        "permission_labels": get_permission_labels().get_dataset_labels(pkg),
    })


def add_event(pkg_id: str, current: str, target: str, actor: model.User | None, comment: str | None,
              gate_results: dict[str, Any] | None = None) -> WorkflowEvent:
    event = WorkflowEvent(
        package_id=pkg_id, from_state=current, to_state=target, actor_id=actor.id if actor else None,
        comment=comment, gate_results=gate_results, created=dt.datetime.now(dt.timezone.utc),
    )
    model.Session.add(event)
    model.Session.flush()
    return event


def add_signoff(pkg_id: str, user: model.User | None, decision: str, reason: str | None,
                legal_basis: str | None) -> Signoff:
    s = Signoff(package_id=pkg_id, user_id=user.id if user else "", decision=decision, reason=reason,
                legal_basis=legal_basis, created=dt.datetime.now(dt.timezone.utc))
    model.Session.add(s)
    model.Session.flush()
    return s


def gate_facts(pkg: model.Package) -> dict[str, Any]:
    """The fields gates.open_data_candidate reads, from the row."""
    return {"access_class": pkg.extras.get("access_class"), "personal_data": pkg.extras.get("personal_data")}


def needs_signoff_facts(pkg: model.Package) -> dict[str, Any]:
    """The fields gates.needs_dpo_signoff reads, from the row."""
    return {"id": pkg.id, "personal_data": pkg.extras.get("personal_data"), "dpo_review": pkg.extras.get("dpo_review")}


def recipients(pkg: model.Package, current: str, target: str) -> dict[str, list[str]]:
    """Who is told (topic -> user ids): the domain's stewards (or the office)
    on a submission, the DPO when a sign-off is needed, the submitter on a
    decision."""
    from . import gates

    out: dict[str, list[str]] = {}
    if target == states.IN_REVIEW:
        lineage = roles.domain_lineage(roles.dataset_domain(pkg))
        stewards = [a.user_id for a in roles.assignments(role="steward", scope_ids=lineage)]
        if not stewards:
            stewards = [a.user_id for a in roles.assignments(role="data_office")]
        out[target] = stewards
        if gates.needs_dpo_signoff(needs_signoff_facts(pkg)):
            out["signoff"] = [a.user_id for a in roles.assignments(role="dpo")]
    elif current == states.IN_REVIEW or target in (states.PUBLISHED, states.WITHDRAWN, states.ARCHIVED):
        submitted = last_submission(pkg.id)
        if submitted and submitted.actor_id:
            out[target] = [submitted.actor_id]
    return out
