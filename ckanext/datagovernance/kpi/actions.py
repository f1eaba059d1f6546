"""KPI and OKR actions."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan.types import Context, DataDict

from ..roles import service as roles
from ..translate import _
from . import compute, okr
from . import model as kmodel
from . import schema as kschema

TREND_KPIS = ("inventory", "share_owner", "share_steward", "share_published_open", "quality_avg",
              "share_hvd_compliant", "orphaned", "overdue_reviews")


def _validate(data_dict: DataDict, schema: dict[str, Any], context: Context) -> dict[str, Any]:
    data, errors = tk.navl_validate(dict(data_dict), schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _today() -> dt.date:
    return dt.date.today()


def resolve_scope(organization: str | None, domain: str | None) -> dict[str, Any]:
    """site, or one organisation / domain (name or id); unknown names are
    input errors naming the field."""
    if organization:
        org = model.Group.get(organization)
        if org is None or not org.is_organization or org.state != "active":
            raise tk.ValidationError({"organization": [_("Unknown organisation")]})
        return {"type": "organization", "id": org.id, "name": org.name, "title": org.display_name}
    if domain:
        group = roles.get_domain(domain)
        if group is None:
            raise tk.ValidationError({"domain": [_("Unknown domain")]})
        return {"type": "domain", "id": group.id, "name": group.name, "title": group.display_name}
    return {"type": "site", "id": "", "name": "", "title": tk.config.get("ckan.site_title") or ""}


def _objectives(today: dt.date, rollup: compute.Rollup | None = None,
                known: dict[tuple[str, str], dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The OKR objectives with progress; `known` holds figures already
    computed in this request, per (scope type, scope id)."""
    rollup = rollup or compute.Rollup(today)
    current: dict[tuple[str, str], dict[str, Any]] = dict(known or {})
    out = []
    for obj in model.Session.scalars(sa.select(kmodel.Objective).order_by(kmodel.Objective.end_date,
                                                                         kmodel.Objective.title)):
        owner = model.User.get(obj.owner_id) if obj.owner_id else None
        krs = []
        for kr in model.Session.scalars(sa.select(kmodel.KeyResult).where(
                kmodel.KeyResult.objective_id == obj.id).order_by(kmodel.KeyResult.created)):
            scope = (kr.scope_type, kr.scope_id)
            if scope not in current:
                current[scope] = rollup.figures(kr.scope_type, kr.scope_id)
            value = current[scope].get(kr.kpi)
            baseline = kr.baseline if kr.baseline is not None else kmodel.value_on(
                kr.scope_type, kr.scope_id, kr.kpi, obj.start_date)
            krs.append(okr.key_result_dict(kr, obj.start_date, obj.end_date,
                                           None if value is None else float(value), baseline, today))
        shares = [k["progress"] for k in krs if k["progress"] is not None]
        out.append({
            "id": obj.id, "title": obj.title, "description": obj.description,
            "owner": owner.name if owner else None, "owner_display_name": owner.display_name if owner else None,
            "start_date": obj.start_date.isoformat(), "end_date": obj.end_date.isoformat(),
            "progress": round(sum(shares) / len(shares), 1) if shares else None, "key_results": krs,
        })
    return out


@tk.side_effect_free
def datagovernance_kpi_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The governance KPIs of the whole catalog, one organisation or one
    domain (with its sub-domains). Logged-in staff get every figure, the
    trend from the daily snapshots and the OKR targets; anonymous callers
    get the open-data part (published public datasets only).

    :param organization: organisation name or id (optional)
    :param domain: domain name or id (optional)
    """
    tk.check_access("datagovernance_kpi_show", context, data_dict)
    data = _validate(data_dict, kschema.kpi_show(), context)
    scope = resolve_scope(data.get("organization"), data.get("domain"))
    public = roles.context_user(context) is None
    today = _today()
    rollup = compute.Rollup(today)  # read once for the figures, the organisations and the targets
    figures = rollup.figures(scope["type"], scope["id"], open_only=public)
    result: dict[str, Any] = {"scope": scope, "public": public, "date": today.isoformat(), "figures": figures}
    if scope["type"] == "site":
        result["organizations"] = rollup.organizations(open_only=public)
    if not public:
        since = today - dt.timedelta(days=int(data_dict.get("days") or 365))
        result["trend"] = [dict({k: (row.kpis or {}).get(k) for k in TREND_KPIS}, day=row.day.isoformat())
                           for row in kmodel.series(scope["type"], scope["id"], since)]
        result["objectives"] = _objectives(today, rollup, {(scope["type"], scope["id"]): figures})
    return result


def datagovernance_okr_objective_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Set an objective with key results on the KPIs (data office, officer).

    :param title: the objective
    :param description: optional
    :param owner: user name of whoever answers for it (optional)
    :param start_date: ISO date; :param end_date: ISO date (not before start)
    :param key_results: list of {title, kpi, target, baseline (optional:
        the KPI's snapshot at the start date), organization or domain (optional)}
    """
    tk.check_access("datagovernance_okr_objective_create", context, data_dict)
    data = _validate(data_dict, kschema.objective_create(), context)
    errors: dict[str, list[str]] = {}
    if data["end_date"] < data["start_date"]:
        errors["end_date"] = [_("The end date must not be before the start date.")]
    owner = None
    if data.get("owner"):
        owner = model.User.get(data["owner"])
        if owner is None or owner.state != "active":
            errors["owner"] = [_("Unknown user")]
    if not data.get("key_results"):
        errors["key_results"] = [_("At least one key result is needed.")]
    scopes = []
    for n, kr in enumerate(data.get("key_results") or []):
        try:
            scopes.append(resolve_scope(kr.get("organization"), kr.get("domain")))
        except tk.ValidationError as e:
            errors[f"key_results.{n}"] = [f"{k}: {' '.join(v)}" for k, v in e.error_dict.items()]
    if errors:
        raise tk.ValidationError(errors)
    user = roles.context_user(context)
    obj = kmodel.Objective(title=data["title"], description=data.get("description"),
                           owner_id=owner.id if owner else None, start_date=data["start_date"].date()
                           if isinstance(data["start_date"], dt.datetime) else data["start_date"],
                           end_date=data["end_date"].date() if isinstance(data["end_date"], dt.datetime)
                           else data["end_date"], created_by=user.id if user else None)
    model.Session.add(obj)
    model.Session.flush()
    for kr, scope in zip(data["key_results"], scopes, strict=True):
        model.Session.add(kmodel.KeyResult(objective_id=obj.id, title=kr["title"], kpi=kr["kpi"],
                                           target=kr["target"], baseline=kr.get("baseline"),
                                           scope_type=scope["type"], scope_id=scope["id"]))
    if not context.get("defer_commit"):
        model.repo.commit()
    return next(o for o in _objectives(_today()) if o["id"] == obj.id)


def datagovernance_okr_objective_delete(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Delete an objective and its key results (data office, officer).

    :param id: the objective's id
    """
    tk.check_access("datagovernance_okr_objective_delete", context, data_dict)
    data = _validate(data_dict, kschema.objective_delete(), context)
    obj = model.Session.get(kmodel.Objective, data["id"])
    if obj is None:
        raise tk.ObjectNotFound(_("Objective not found"))
    model.Session.execute(sa.delete(kmodel.KeyResult).where(kmodel.KeyResult.objective_id == obj.id))
    model.Session.delete(obj)
    if not context.get("defer_commit"):
        model.repo.commit()
    return {"id": data["id"]}


def datagovernance_kpi_snapshot_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Take today's KPI snapshot now (data office; normally a daily job)."""
    tk.check_access("datagovernance_kpi_snapshot_create", context, data_dict)
    from . import jobs

    return {"scopes": jobs.take_snapshot()}


def get_actions() -> dict[str, Any]:
    return {
        "datagovernance_kpi_show": datagovernance_kpi_show,
        "datagovernance_okr_objective_create": datagovernance_okr_objective_create,
        "datagovernance_okr_objective_delete": datagovernance_okr_objective_delete,
        "datagovernance_kpi_snapshot_create": datagovernance_kpi_snapshot_create,
    }
