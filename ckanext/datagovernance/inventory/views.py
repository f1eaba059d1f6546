"""The "Inventur" page: upload, dry run with report, import; export and
template downloads. It only calls the inventory actions."""
from __future__ import annotations

import base64
from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response, jsonify, request

from ..translate import _
from ..views import context as _ctx
from ..views import current_user as _user
from .actions import may_use_page

inventory = Blueprint("datagovernance_inventory", __name__, url_prefix="/inventur")

_TYPES = {"csv": "text/csv; charset=utf-8",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _guard() -> None:
    if not tk.current_user.is_authenticated:
        tk.abort(403, _("Please log in."))
    if not may_use_page(tk.current_user):
        tk.abort(403, _("The inventory is for the data office and the stewards."))


@inventory.route("/", methods=["GET", "POST"])
def index() -> Any:
    _guard()
    extra: dict[str, Any] = {"report": None, "error": None}
    if request.method == "POST":
        upload = request.files.get("upload")
        if upload is None or not upload.filename:
            extra["error"] = _("Please choose an XLSX or CSV file.")
        else:
            dry_run = request.form.get("run") != "import"
            try:
                result = tk.get_action("datagovernance_inventory_import")(_ctx(), {
                    "upload": upload, "dry_run": dry_run, "partial": request.form.get("partial") == "on",
                })
                if "job" in result:  # a large file: follow its progress
                    return tk.redirect_to("datagovernance_inventory.job", job_id=result["job"]["id"])
                extra["report"] = result
                extra["filename"] = upload.filename
            except tk.ValidationError as e:
                extra["error"] = "; ".join(" ".join(map(str, v)) for v in e.error_dict.values())
            except tk.NotAuthorized as e:
                extra["error"] = str(e) or _("Not allowed.")
    return tk.render("datagovernance/inventory/index.html", extra_vars=extra)


def _job(job_id: str) -> dict[str, Any]:
    try:
        return tk.get_action("datagovernance_inventory_job_show")(_ctx(), {"id": job_id})
    except (tk.ObjectNotFound, tk.ValidationError):
        return tk.abort(404, _("No such inventory job."))


@inventory.route("/auftrag/<job_id>")
def job(job_id: str) -> Any:
    """A background import: progress bar (polling the JSON below), then the report."""
    _guard()
    state = _job(job_id)
    return tk.render("datagovernance/inventory/job.html", extra_vars={
        "job": state, "report": state.get("report"), "filename": state.get("filename")})


@inventory.route("/auftrag/<job_id>.json")
def job_json(job_id: str) -> Response:
    if not tk.current_user.is_authenticated:
        return tk.abort(404, _("No such inventory job."))
    state = _job(job_id)
    return jsonify({k: state.get(k) for k in ("id", "state", "done", "total", "error")})


_NOT_FILTERS = {"q", "page", "sort", "ext_bbox", "ids"}


@inventory.route("/sammelbearbeitung", methods=["GET", "POST"])
def bulk() -> Any:
    """Bulk work on a search result: the search's query string selects the
    datasets (what the caller may read), the form applies one change."""
    _guard()
    q = request.args.get("q") or "*:*"
    fq = " ".join(f'{k}:"{v}"' for k, v in request.args.items(multi=True)
                  if k not in _NOT_FILTERS and v and '"' not in v)

    def search() -> dict[str, Any]:
        return tk.get_action("package_search")(_ctx(), {
            "q": q, "fq": fq, "rows": 200, "include_private": True, "include_drafts": True})

    extra: dict[str, Any] = {"found": None, "report": None, "error": None, "form": request.form}
    if request.method == "POST":
        data = {k: request.form.get(k) or None for k in ("data_owner", "domain", "access_class", "comment")}
        data = {k: v for k, v in data.items() if v}
        data.update(ids=request.form.getlist("ids"), submit=request.form.get("submit") == "on")
        try:
            extra["report"] = tk.get_action("datagovernance_bulk_update")(_ctx(), data)
        except tk.ValidationError as e:
            extra["error"] = "; ".join(" ".join(map(str, v)) for v in e.error_dict.values())
        except tk.NotAuthorized as e:
            extra["error"] = str(e) or _("Not allowed.")
    extra["found"] = search()  # after the change: the list shows what it did
    return tk.render("datagovernance/inventory/bulk.html", extra_vars=extra)


def _download(fmt: str, template: bool) -> Response:
    _guard()
    result = tk.get_action("datagovernance_inventory_export")(_ctx(), {"format": fmt, "template": template})
    name = ("inventur-vorlage" if template else "inventur") + "." + fmt
    return Response(base64.b64decode(result["file"]), mimetype=_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@inventory.route("/export.<fmt>")
def export(fmt: str) -> Response:
    if fmt not in _TYPES:
        return tk.abort(404, _("Not found"))
    return _download(fmt, False)


@inventory.route("/vorlage.xlsx")
def template() -> Response:
    return _download("xlsx", True)


def get_blueprints() -> list[Blueprint]:
    return [inventory]


def datagovernance_may_use_inventory() -> bool:
    user = _user()
    return user is not None and may_use_page(user)


def get_helpers() -> dict[str, Any]:
    return {"datagovernance_may_use_inventory": datagovernance_may_use_inventory}
