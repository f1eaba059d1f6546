"""Inventory actions: import (an upload or rows) and export.

Validate the input with the schema → check access → run. Each row is written
by CKAN's dataset actions as the caller, so their auth functions and the
schema's governance validators decide row by row."""
from __future__ import annotations

import base64
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ..roles import policy
from ..roles import service as roles
from ..translate import _
from . import bulk, files, jobs, service
from .messages import Msg
from .schema import export_schema, import_schema, job_schema


def _table(data: DataDict) -> tuple[list[str], list[list[Any]]]:
    upload = data.get("upload")
    if upload is not None and hasattr(upload, "read"):
        return files.read_table(upload.read(), getattr(upload, "filename", "") or "")
    if data.get("file"):
        try:
            raw = base64.b64decode(data["file"], validate=True)
        except ValueError:
            raise tk.ValidationError({"file": [_("Not base64-encoded file content.")]}) from None
        return files.read_table(raw, data.get("filename") or "")
    rows = data.get("rows")
    if isinstance(rows, list) and rows:
        if all(isinstance(r, dict) for r in rows):
            headers = list(dict.fromkeys(k for r in rows for k in r))
            return headers, [[r.get(h) for h in headers] for r in rows]
        if all(isinstance(r, list) for r in rows):
            return [str(h) for h in rows[0]], rows[1:]
    raise tk.ValidationError({"upload": [_("Missing value: an upload, a base64 file or rows")]})


def datagovernance_inventory_import(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Import the data inventory (one row per dataset).

    :param upload: an XLSX or CSV file (multipart upload), or
    :param file: its content, base64-encoded, with ``filename``, or
    :param rows: a list of dicts (column → value) or a list of lists (first = headers)
    :param dry_run: write nothing; report per row what would happen (default false)
    :param partial: write the valid rows even if others fail (default: all or nothing)
    :param background: run as a background job (default: when the file has more
        rows than ``ckanext.datagovernance.inventory.background_rows``)
    :returns: the report: counts, per row action (create/update/unchanged/error)
        and errors with row, column, value and German and English message; for a
        background job ``{"job": {...}}`` instead (id, state, done, total), whose
        progress and report ``datagovernance_inventory_job_show`` returns
    """
    data, errors = tk.navl_validate(dict(data_dict), import_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    tk.check_access("datagovernance_inventory_import", context, data_dict)
    try:
        headers, rows = _table(data_dict)
    except files.FileError as e:
        raise tk.ValidationError({"upload": [e.msg.de if _lang() == "de" else e.msg.en]}) from None
    background = data.get("background")
    if background is None:
        background = len(rows) > jobs.threshold()
    user = roles.context_user(context)
    if background and user is not None:
        upload = data_dict.get("upload")
        filename = data.get("filename") or getattr(upload, "filename", "") or ""
        return {"job": jobs.start(user, headers, rows, dry_run=data.get("dry_run", False),
                                  partial=data.get("partial", False), filename=filename)}
    report = service.run_import(context, headers, rows, dry_run=data.get("dry_run", False),
                                partial=data.get("partial", False))
    return report.as_dict()


@tk.side_effect_free
def datagovernance_inventory_job_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """State and progress of a background inventory import.

    :param id: the job id ``datagovernance_inventory_import`` returned
    :returns: ``id``, ``state`` (queued, running, done, failed), ``done`` and
        ``total`` rows, ``filename``, ``dry_run``, ``partial``; when done the
        ``report`` (as the import returns it), when failed ``error``
    """
    data, errors = tk.navl_validate(dict(data_dict), job_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    state = jobs.load(data["id"])
    if state is None:
        raise tk.ObjectNotFound(_("No such inventory job."))
    # someone else's job does not exist for the caller
    try:
        tk.check_access("datagovernance_inventory_job_show", context, dict(data, user_id=state["user_id"]))
    except tk.NotAuthorized:
        raise tk.ObjectNotFound(_("No such inventory job.")) from None
    return {k: v for k, v in state.items() if k != "user_id"}


def _job_auth(context: Context, data_dict: DataDict) -> dict[str, Any]:
    allowed = policy.may_see_inventory_job(roles.context_user(context), str(data_dict.get("user_id") or ""))
    return {"success": allowed, "msg": _("Only the uploader and the data office see an inventory job.")}


def _lang() -> str:
    try:
        return tk.h.lang() or "en"
    except Exception:  # noqa: BLE001 - no request
        return "en"


@tk.side_effect_free
def datagovernance_inventory_export(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The inventory of every dataset the caller may read, in the import's
    format (German headers and labels).

    :param format: ``json`` (default: headers and rows), ``csv`` or ``xlsx``
        (base64-encoded file content in ``file``)
    :param template: true for an empty template (drop-down lists, explanations)
    """
    data, errors = tk.navl_validate(dict(data_dict), export_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    tk.check_access("datagovernance_inventory_export", context, data_dict)
    fmt = data.get("format") or "json"
    if data.get("template"):
        headers, explanations, choices = service.template_parts()
        rows: list[list[str]] = []
    else:
        headers, rows = service.export_table(context)
        explanations, choices = [], {}
    out: dict[str, Any] = {"headers": headers, "count": len(rows)}
    if fmt == "json":
        out["rows"] = rows
    elif fmt == "csv":
        out["file"] = base64.b64encode(files.write_csv(headers, rows)).decode()
    else:
        _h, explanations, choices = service.template_parts() if not explanations else (None, explanations, choices)
        out["file"] = base64.b64encode(files.write_xlsx(headers, rows, explanations=explanations,
                                                        choices=choices)).decode()
    return out


def _logged_in(context: Context, data_dict: DataDict) -> dict[str, Any]:
    # every row is checked by the dataset actions' own auth functions
    return {"success": roles.context_user(context) is not None, "msg": _("Please log in.")}


def may_use_page(user: Any) -> bool:
    """The Inventur page: the data office, the officer, sysadmins, stewards."""
    return policy.may_work_in_bulk(user)


def get_actions() -> dict[str, Any]:
    return {"datagovernance_inventory_import": datagovernance_inventory_import,
            "datagovernance_inventory_export": datagovernance_inventory_export,
            "datagovernance_inventory_job_show": datagovernance_inventory_job_show,
            "datagovernance_bulk_update": bulk.datagovernance_bulk_update}


def get_auth_functions() -> dict[str, Any]:
    return {"datagovernance_inventory_import": _logged_in, "datagovernance_inventory_export": _logged_in,
            "datagovernance_inventory_job_show": _job_auth, "datagovernance_bulk_update": bulk.bulk_auth}


__all__ = ["Msg", "get_actions", "get_auth_functions"]
