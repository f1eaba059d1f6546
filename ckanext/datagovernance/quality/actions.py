"""Quality actions: the score of a dataset, a link check on demand."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ..roles import guard
from ..translate import _
from . import indicators, jobs, score
from . import model as qmodel
from . import schema as qschema


def _validate(data_dict: DataDict, schema: dict[str, Any]) -> dict[str, Any]:
    data, errors = tk.navl_validate(dict(data_dict), schema)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _fresh(row: qmodel.QualityScore | None, pkg: Any) -> bool:
    """Is the stored score newer than the dataset and its last link check?"""
    if row is None:
        return False
    last_links = qmodel.last_link_check(pkg.id)
    if last_links is not None and last_links > row.checked_at:
        return False
    # CKAN keeps metadata_modified as naive UTC
    checked = row.checked_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return pkg.metadata_modified is None or checked >= pkg.metadata_modified


def _link_dict(row: qmodel.LinkCheck) -> dict[str, Any]:
    return {"url": row.url, "ok": row.ok, "status_code": row.status_code, "error": row.error,
            "elapsed_ms": row.elapsed_ms, "checked_at": row.checked_at.isoformat()}


@tk.side_effect_free
def datagovernance_quality_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The metadata quality score of a dataset after the data.europa.eu MQA
    methodology (405 points; bands excellent, good, sufficient, bad).

    :param id: dataset id or name
    :param history: also return earlier scores and link checks (default false)
    :returns: ``score``, ``max``, ``band``, ``band_label``, ``dimensions``,
        ``indicators`` (key, dimension, points, max, passed, details),
        ``fixes`` (label, points at stake, most first), ``links`` (newest check
        per URL), ``computed_at`` (None: computed now, not yet stored),
        ``shacl_conforms``; with ``history``: ``history`` and ``link_history``
    """
    data = _validate(data_dict, qschema.quality_show())
    pkg = guard.readable_dataset(context, data["id"])
    tk.check_access("datagovernance_quality_show", context, {"id": pkg.id})
    return record(pkg, bool(data.get("history")))


def record(pkg: model.Package, history: bool = False) -> dict[str, Any]:
    """The show action's answer for a caller that may read `pkg` (the action
    and the maintainers' panel on the dataset page)."""
    row = qmodel.shown_score(pkg)
    if _fresh(row, pkg):
        assert row is not None
        result: dict[str, Any] = {
            "score": row.score, "max": indicators.MAX_SCORE, "band": row.band,
            "dimensions": row.dimensions, "indicators": row.indicators,
            "shacl_conforms": row.shacl_conforms, "computed_at": row.computed_at.isoformat(),
            "checked_at": row.checked_at.isoformat(),
        }
    else:
        pkg_dict = tk.get_action("package_show")(score.site_context(), {"id": pkg.id})
        result = dict(score.compute(pkg_dict), computed_at=None, checked_at=None)
    result.update(
        id=pkg.id, name=pkg.name, band_label=indicators.band_label(result["band"]),
        fixes=indicators.fix_list(result["indicators"]),
        links=[_link_dict(r) for r in qmodel.latest_links(pkg.id).values() if r.url],
    )
    if history:
        result["history"] = [{"score": r.score, "band": r.band, "computed_at": r.computed_at.isoformat()}
                             for r in qmodel.score_history(pkg.id)]
        result["link_history"] = [_link_dict(r) for r in qmodel.link_history(pkg.id) if r.url]
    return result


def datagovernance_quality_link_check(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Queue a link check (background job, never inline).

    :param id: dataset id or name (its maintainers may ask); without it the
        data office queues the check of all due datasets
    """
    data = _validate(data_dict, qschema.link_check())
    if data.get("id"):
        pkg = guard.readable_dataset(context, data["id"])
        tk.check_access("datagovernance_quality_link_check", context, {"id": pkg.id})
        job = jobs.enqueue_link_check([pkg.id])
    else:
        tk.check_access("datagovernance_quality_link_check", context, {})
        job = jobs.enqueue_link_check(None)
    return {"job_id": getattr(job, "id", None), "message": _("The link check has been queued.")}


def get_actions() -> dict[str, Any]:
    return {"datagovernance_quality_show": datagovernance_quality_show,
            "datagovernance_quality_link_check": datagovernance_quality_link_check}

