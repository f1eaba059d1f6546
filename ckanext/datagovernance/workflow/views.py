"""Workflow buttons and timeline on the dataset page, "Meine Aufgaben"."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.pagination import Page
from flask import Blueprint, request

from ..roles import guard
from ..translate import _
from ..ui import panels
from ..views import context as _ctx
from ..views import current_user as _user
from ..views import run_and_flash
from . import actions, policy

workflow = Blueprint("datagovernance_workflow", __name__)


def _post(id: str, action: str, fields: tuple[str, ...], done: str) -> Any:
    try:
        return run_and_flash(action, dict({f: request.form.get(f) for f in fields}, id=id), done,
                             tk.h.url_for("dataset.read", id=id))
    except tk.ObjectNotFound:  # hidden or missing: the same page
        return tk.abort(404, _("Dataset not found"))


@workflow.route("/dataset/<id>/workflow", methods=["POST"])
def transition(id: str) -> Any:
    return _post(id, "datagovernance_workflow_transition", ("to", "comment", "expected_state"),
                 _("Workflow state changed."))


@workflow.route("/dataset/<id>/signoff", methods=["POST"])
def signoff(id: str) -> Any:
    return _post(id, "datagovernance_signoff", ("decision", "reason", "legal_basis"), _("Sign-off recorded."))


# Rows per section of "Meine Aufgaben": an office with thousands of open
# reviews gets pages (each section its own pager, ?review=2), not one page
# of thousands of rows. The counts stay the whole list's.
TASKS_PER_PAGE = 50


@workflow.route("/aufgaben")
def tasks() -> str:
    try:
        result = tk.get_action("datagovernance_task_list")(_ctx(), {})
    except tk.NotAuthorized:
        return tk.abort(403, _("Please log in."))
    return tk.render("datagovernance/workflow/tasks.html",
                     extra_vars=dict(result, pages=_section_pages(result["tasks"])))


def _section_pages(tasks: dict[str, list[dict[str, Any]]]) -> dict[str, Page]:
    """Each section's page of rows (the task list's sections, in its order),
    from its own query parameter; a pager's links keep the other sections'
    pages."""
    def number(value: str | None) -> int:
        return int(value) if value and value.isdigit() and int(value) > 0 else 1

    current = {key: number(request.args.get(key)) for key in tasks}
    pages = {}
    for key, rows in tasks.items():
        def url(key: str = key, **link: Any) -> str:
            return tk.h.url_for("datagovernance_workflow.tasks",
                                **{k: v for k, v in dict(current, **link).items() if v != 1}) + f"#tasks-{key}"
        pages[key] = Page(collection=rows, page=current[key], items_per_page=TASKS_PER_PAGE, url=url)
    return pages


def get_blueprints() -> list[Blueprint]:
    return [workflow]


def datagovernance_workflow_panel(pkg_id: str) -> dict[str, Any]:
    """The approval panel: what the options and history actions answer
    ({} where they answer "not found"), read under the same rule (the
    request's one read decision) without a round trip through each action;
    `may_sign_off`: the sign-off form (workflow policy's rule)."""
    user = _user()
    pkg = guard.readable_by(user, pkg_id)
    if pkg is None:
        return {}
    panels.read_facts(pkg)  # every panel's facts in one statement (the first panel shown)
    return dict(actions.options(user, pkg), history=actions.history(pkg),
                may_sign_off=policy.signoff_refusal(user) is None)


# The header badge counts up to this and then shows "99+", as mail and
# ticket systems do: an office with thousands of open reviews at 100k pays
# for 100 rows on every page, not for all of them. "Meine Aufgaben" lists
# and counts every task.
BADGE_MAX = 99


def datagovernance_task_count() -> str:
    """The header badge's text: the number of the user's tasks, or "99+"."""
    user = _user()  # the request's user object: no query
    if user is None:
        return "0"
    count = actions.task_count(user, BADGE_MAX)  # the count of the task list, without building it
    return f"{BADGE_MAX}+" if count > BADGE_MAX else str(count)


def get_helpers() -> dict[str, Any]:
    return {
        "datagovernance_workflow_panel": datagovernance_workflow_panel,
        "datagovernance_task_count": datagovernance_task_count,
    }
