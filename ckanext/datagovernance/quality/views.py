"""The quality panel on the dataset page (maintainers only) and a button to
queue a link check; index fields for the facet and the sort."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint

from ..roles import guard
from ..translate import _
from ..ui import panels
from ..views import current_user as _user
from ..views import run_and_flash
from . import actions, indicators, policy
from . import model as qmodel

quality = Blueprint("datagovernance_quality", __name__)


@quality.route("/dataset/<id>/qualitaet/pruefen", methods=["POST"])
def link_check(id: str) -> Any:
    return run_and_flash("datagovernance_quality_link_check", {"id": id},
                         _("The link check has been queued."), tk.h.url_for("dataset.read", id=id))


def get_blueprints() -> list[Blueprint]:
    return [quality]


def datagovernance_quality_panel(pkg_id: str) -> dict[str, Any]:
    """Score and fix list for the dataset's maintainers; {} for everyone else
    (the show action's answer, under the request's one read decision,
    without a round trip through the action). Beside the answer, what the
    panel prints, in the reader's language: `rows` (dimension, points,
    maximum), `fix_rows` (fix, points), `unchecked` (links not checked yet)
    and `checked` (when)."""
    user = _user()
    pkg = guard.readable_by(user, pkg_id)
    if pkg is None or not policy.may_see_fixes(user, pkg):
        return {}
    panels.read_facts(pkg)  # every panel's facts in one statement (whichever panel comes first)
    q = actions.record(pkg)
    links = next((i for i in q["indicators"] if i["key"] == "access_url_ok"), None)
    q.update(
        rows=[(indicators.dimension_label(dim), datagovernance_quality_points(q["dimensions"][dim]),
               indicators.DIMENSION_MAX[dim]) for dim in indicators.DIMENSIONS],
        fix_rows=[(fix["label"], datagovernance_quality_points(fix["points"])) for fix in q["fixes"]],
        unchecked=bool(links and links["details"].get("unchecked")),
        checked=datagovernance_quality_time(q["checked_at"]) if q["computed_at"] else "")
    return q


def datagovernance_quality_points(points: float) -> str:
    """Points in the user's locale (12,5 in German). Whole points below 1,000
    (every dimension's; up to 405 in all) are their digits in German and
    English alike, without Babel's number formatting (~60 calls each, a dozen
    times on the quality panel)."""
    from ckan.lib.formatters import localised_number

    value = int(points) if float(points).is_integer() else round(float(points), 1)
    if isinstance(value, int) and -1000 < value < 1000:
        return str(value)
    return localised_number(value)


def datagovernance_quality_time(value: str | None) -> str:
    """An ISO time in Berlin time: 29.11.2026, 16:04 (German) / 2026-11-29 16:04."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    if not value:
        return ""
    when = dt.datetime.fromisoformat(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    try:
        zone = ZoneInfo(tk.config.get("ckan.display_timezone") or "Europe/Berlin")
    except (ValueError, KeyError, OSError):  # "server" or unknown: the city's time
        zone = ZoneInfo("Europe/Berlin")
    local = when.astimezone(zone)
    german = str(tk.h.lang() or "de").startswith("de")
    return local.strftime("%d.%m.%Y, %H:%M" if german else "%Y-%m-%d %H:%M")


def get_helpers() -> dict[str, Any]:
    return {"datagovernance_quality_panel": datagovernance_quality_panel,
            "datagovernance_quality_points": datagovernance_quality_points,
            "datagovernance_quality_time": datagovernance_quality_time,
            "datagovernance_quality_band_label": indicators.band_label}


def index_fields(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """before_dataset_index: the stored score as `quality_score` (sort) and
    its band as `quality_band` (facet). Unscored datasets get neither."""
    row = qmodel.latest_score(pkg_dict["id"]) if pkg_dict.get("id") else None
    if row is not None:
        pkg_dict["quality_score"] = row.score
        pkg_dict["quality_band"] = row.band
    return pkg_dict
