"""Publication record pages: the panel on the dataset page (helper), its
exclude/include form, and the office's list of withdrawals per portal."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, request

from ..roles import guard
from ..translate import _
from ..ui import panels, text
from ..views import context as _ctx
from ..views import current_user as _current_user
from ..views import run_and_flash
from . import publication

blueprint = Blueprint("datagovernance_publication", __name__)


@blueprint.route("/dataset/<id>/publication", methods=["POST"])
def set_target(id: str) -> Any:
    excluded = request.form.get("excluded", "true")
    done = _("Excluded from the portal.") if excluded == "true" else _("Included in the portal again.")
    try:
        return run_and_flash(
            "datagovernance_dataset_publication_update",
            {"id": id, "target": request.form.get("target"), "excluded": excluded,
             "reason": request.form.get("reason")},
            done, tk.h.url_for("dataset.read", id=id))
    except tk.ObjectNotFound:  # hidden or missing: the same page
        return tk.abort(404, _("Dataset not found"))


@blueprint.route("/publication")
def withdrawals() -> str:
    context = _ctx()
    try:
        tk.check_access("datagovernance_publication_withdrawals", context, {})
    except tk.NotAuthorized:
        return tk.abort(403, _("Only the data office sees the withdrawals."))
    targets = [{"target": t, "label": publication.TARGET_LABELS[t],
                "last_fetch": publication.last_fetch(t),
                "rows": publication.withdrawals(t)} for t in publication.RECORD_TARGETS]
    return tk.render("datagovernance/dcat/withdrawals.html", {"targets": targets})


def datagovernance_publication_panel(pkg_id: str) -> dict[str, Any]:
    """The dataset's publication record for the page ({} when the user may
    not see it) and whether the user may exclude: what the show action
    answers and its update's auth decides, asked of their rules directly
    under the request's one read decision (no action round trips). Each
    target also has its state and last fetch in words (`status`, `fetched`)."""
    user = _current_user()
    pkg = guard.readable_by(user, pkg_id)
    if pkg is None or not publication.may_see_record(user, pkg):
        return {}
    panels.read_facts(pkg)  # every panel's facts in one statement (whichever panel comes first)
    return {"id": pkg.id, "targets": [dict(t, **_in_words(t)) for t in publication.status_dicts(pkg)],
            "may_set": publication.may_set_record(user, pkg)}


def _in_words(target: dict[str, Any]) -> dict[str, str]:
    when = text.datagovernance_datetime
    if target["in_feed"]:
        status = _("in the feed since {date}").format(date=when(target["since"]))
    elif target["excluded"]:
        status = _("excluded on {date}").format(date=when(target["changed"]))
    else:
        status = _("not in the feed (only public, published datasets are)")
    fetched = (_("Last fetched by the portal: {date}").format(date=when(target["last_fetched"]))
               if target["last_fetched"] else _("Not fetched by the portal yet"))
    return {"status": status, "fetched": fetched}


def datagovernance_publication_menu() -> bool:
    """Show the menu entry to /publication: the rule its page's auth function asks."""
    return publication.may_see_withdrawals(_current_user())


def get_blueprints() -> list[Blueprint]:
    return [blueprint]


def get_helpers() -> dict[str, Any]:
    return {"datagovernance_publication_panel": datagovernance_publication_panel,
            "datagovernance_publication_menu": datagovernance_publication_menu}
