"""The office's harvest overview (``/harvesting``): every source with its
last job, counts and error messages, in German; linked from the menu."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from flask import Blueprint

from ..roles import policy as roles_policy
from ..translate import _
from . import schema

harvesting = Blueprint("datagovernance_harvest", __name__)

MAX_ERRORS = 50


def _office() -> bool:
    # imported here: the suite's views module imports the UI, not yet loaded when this module is
    from ..views import current_user

    return roles_policy.is_governance_admin(current_user())


def job_status_label(status: str | None) -> str:
    return {
        "New": _("Waiting"), "Running": _("Running"), "Finished": _("Finished"),
        "Aborted": _("Aborted"), None: _("Never run"),
    }.get(status, status or _("Never run"))


def frequency_label(frequency: str | None) -> str:
    return {
        "MANUAL": _("Manual"), "MONTHLY": _("Monthly"), "WEEKLY": _("Weekly"),
        "BIWEEKLY": _("Every two weeks"), "DAILY": _("Daily"), "ALWAYS": _("Continuously"),
    }.get(frequency or "MANUAL", frequency or "")


def source_overview(source_id: str) -> dict[str, Any]:
    """Last job, counts and error messages of one source (office only)."""
    context = {"ignore_auth": True}
    status = tk.get_action("harvest_source_show_status")(context, {"id": source_id})
    last = status.get("last_job") or None
    errors: list[dict[str, str]] = []
    if last:
        report = tk.get_action("harvest_job_report")(context, {"id": last["id"]})
        # (the report gives a gather error as {"message": ...} and an object
        # error's stage as "type")
        errors = [{"stage": _("Gathering"), "message": m.get("message", "") if isinstance(m, dict) else m}
                  for m in report.get("gather_errors", [])]
        for obj in report.get("object_errors", {}).values():
            for err in obj.get("errors", []):
                raw = err.get("type") or err.get("stage")
                stage = {"Fetch": _("Fetching"), "Import": _("Importing")}.get(raw, raw or "")
                errors.append({"stage": stage, "message": err.get("message", ""),
                               "guid": obj.get("guid") or obj.get("original_url") or ""})
    stats = (last or {}).get("stats") or {}
    return {
        "job": last,
        "status": job_status_label(last["status"] if last else None),
        "counts": {"added": stats.get("added", 0), "updated": stats.get("updated", 0),
                   "deleted": stats.get("deleted", 0), "errored": stats.get("errored", 0)},
        "error_count": len(errors),
        "errors": errors[:MAX_ERRORS],
        "job_count": status.get("job_count", 0),
        # (harvest's own figure counts only public datasets)
        "total_datasets": _harvested_count(source_id),
    }


def _harvested_count(source_id: str) -> int:
    from ckanext.harvest.model import HarvestObject

    return model.Session.query(sa.func.count(sa.distinct(HarvestObject.package_id))).join(
        model.Package, model.Package.id == HarvestObject.package_id).filter(
        HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True),
        model.Package.state == "active").scalar() or 0


@harvesting.route("/harvesting")
def index() -> str:
    if not _office():
        return tk.abort(403, _("Only the data office sees the harvest overview."))
    from ckanext.harvest.model import HarvestSource

    sources = []
    for src in (model.Session.query(HarvestSource).filter(HarvestSource.active.is_(True))
                .order_by(HarvestSource.title)):
        pkg = model.Package.get(src.id)
        if pkg is None or pkg.state != "active":
            continue
        sources.append({
            "id": src.id, "name": pkg.name, "title": src.title or pkg.title or pkg.name,
            "url": src.url, "type": src.type, "frequency": frequency_label(src.frequency),
            # validated: a source saved before the checks shows only valid values
            "defaults": schema.validate(src.config)[0], **source_overview(src.id),
        })
    return tk.render("datagovernance/harvest/index.html", {"sources": sources})


def datagovernance_harvest_menu() -> bool:
    """Show the harvest menu entry (the office)."""
    return _office()


def datagovernance_harvest_group_title(ref: str) -> str:
    group = model.Group.get(ref)
    return group.display_name if group else ref


def get_blueprints() -> list[Blueprint]:
    return [harvesting]


def get_helpers() -> dict[str, Any]:
    return {"datagovernance_harvest_menu": datagovernance_harvest_menu,
            "datagovernance_harvest_group_title": datagovernance_harvest_group_title}
