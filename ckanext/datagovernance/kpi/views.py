"""The dashboard "Steuerung": figures, charts with tables beside them,
trends, OKR targets; CSV/XLSX export; the office's target form."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response, redirect, request

from ..roles import policy
from ..roles import service as roles
from ..translate import _
from ..ui import export
from ..views import context as _ctx
from . import compute, labels
from .export import csv_table, to_xlsx

kpi = Blueprint("datagovernance_kpi", __name__)


def _result() -> dict[str, Any]:
    return tk.get_action("datagovernance_kpi_show")(_ctx(), {
        "organization": request.args.get("organization") or None,
        "domain": request.args.get("domain") or None,
    })


def _scope_choices() -> dict[str, list[dict[str, str]]]:
    import ckan.model as model
    import sqlalchemy as sa

    orgs = model.Session.execute(sa.select(model.Group.name, model.Group.title).where(
        model.Group.is_organization.is_(True), model.Group.state == "active").order_by(model.Group.title)).all()
    domains = model.Session.execute(sa.select(model.Group.name, model.Group.title).where(
        model.Group.type == roles.DOMAIN_GROUP_TYPE, model.Group.state == "active")
        .order_by(model.Group.title)).all()
    return {"organizations": [{"name": n, "title": t or n} for n, t in orgs],
            "domains": [{"name": n, "title": t or n} for n, t in domains]}


def _short(title: str, limit: int = 30) -> str:
    """Chart axis labels stay readable; the table beside has the full name."""
    return title if len(title) <= limit else title[:limit - 1].rstrip() + "…"


def charts(result: dict[str, Any]) -> dict[str, Any]:
    """Chart.js specifications from the action's figures (labels translated)."""
    fig = result["figures"]
    out: dict[str, Any] = {}
    for kind in ("access_class", "personal_data", "workflow_state", "quality_band"):
        counts = fig.get(f"by_{kind}") or {}
        out[kind] = {"type": "bar", "labels": [labels.class_label(kind, k) for k in counts],
                     "datasets": [{"label": labels.group_label(kind), "data": list(counts.values())}]}
    if result.get("organizations"):
        orgs = result["organizations"]
        out["organizations"] = {"type": "bar", "horizontal": True, "labels": [_short(o["title"]) for o in orgs],
                                "datasets": [{"label": labels.kpi_label("inventory"),
                                              "data": [o["inventory"] for o in orgs]}]}
    trend = result.get("trend") or []
    if trend:
        days = [tk.h.render_datetime(p["day"]) for p in trend]
        out["trend_inventory"] = {"type": "line", "labels": days, "datasets": [
            {"label": labels.kpi_label(k), "data": [p.get(k) for p in trend]}
            for k in ("inventory", "orphaned", "overdue_reviews")]}
        out["trend_shares"] = {"type": "line", "labels": days, "datasets": [
            {"label": labels.kpi_label(k), "data": [p.get(k) for p in trend]}
            for k in ("share_owner", "share_steward", "share_published_open", "share_hvd_compliant")]}
    return out


@kpi.route("/steuerung")
def index() -> Any:
    try:
        result = _result()
    except tk.ValidationError as e:
        return tk.abort(400, "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in e.error_dict.items()))
    user = tk.current_user if tk.current_user.is_authenticated else None
    return tk.render("datagovernance/kpi/index.html", extra_vars={
        "result": result, "choices": _scope_choices(), "can_manage": policy.is_governance_admin(user),
        "kpi_keys": compute.NUMERIC, "args": request.args, "charts": charts(result),
    })


@kpi.route("/steuerung.csv")
def download_csv() -> Any:
    headers, rows = csv_table(_result())
    return export.csv_response("kennzahlen", headers, rows)


@kpi.route("/steuerung.xlsx")
def download_xlsx() -> Any:
    return Response(to_xlsx(_result()),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=kennzahlen.xlsx"})


@kpi.route("/steuerung/ziele", methods=["POST"])
def objective_create() -> Any:
    form = request.form
    data = {"title": form.get("title"), "description": form.get("description"), "owner": form.get("owner"),
            "start_date": form.get("start_date"), "end_date": form.get("end_date"),
            "key_results": [{"title": form.get("kr_title"), "kpi": form.get("kr_kpi"),
                             "target": form.get("kr_target"), "baseline": form.get("kr_baseline") or None,
                             "organization": form.get("kr_organization") or None,
                             "domain": form.get("kr_domain") or None}]}
    data["key_results"][0] = {k: v for k, v in data["key_results"][0].items() if v is not None}
    try:
        tk.get_action("datagovernance_okr_objective_create")(_ctx(), {k: v for k, v in data.items() if v})
        tk.h.flash_success(_("Objective saved."))
    except tk.NotAuthorized as e:
        tk.h.flash_error(str(e) or _("Not allowed."))
    except tk.ValidationError as e:
        tk.h.flash_error("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in e.error_dict.items()))
    return redirect(tk.h.url_for("datagovernance_kpi.index") + "#ziele")


@kpi.route("/steuerung/ziele/<id>/loeschen", methods=["POST"])
def objective_delete(id: str) -> Any:
    from ..views import run_and_flash

    return run_and_flash("datagovernance_okr_objective_delete", {"id": id}, _("Objective deleted."),
                         tk.h.url_for("datagovernance_kpi.index") + "#ziele")


def get_blueprints() -> list[Blueprint]:
    return [kpi]


def get_helpers() -> dict[str, Any]:
    return {"datagovernance_kpi_label": labels.kpi_label,
            "datagovernance_kpi_class_label": labels.class_label,
            "datagovernance_kpi_group_label": labels.group_label,
            "datagovernance_kpi_status_label": labels.status_label,
            "datagovernance_kpi_percent": lambda k: k in compute.PERCENT}
