"""The "Inventur" page: upload, dry run with report, import; export and
template downloads. It only calls the inventory actions."""
from __future__ import annotations

import base64
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.common import _
from flask import Blueprint, Response, request

from ..views import context as _ctx
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
                extra["report"] = tk.get_action("datagovernance_inventory_import")(_ctx(), {
                    "upload": upload, "dry_run": dry_run, "partial": request.form.get("partial") == "on",
                })
                extra["filename"] = upload.filename
            except tk.ValidationError as e:
                extra["error"] = "; ".join(" ".join(map(str, v)) for v in e.error_dict.values())
            except tk.NotAuthorized as e:
                extra["error"] = str(e) or _("Not allowed.")
    return tk.render("datagovernance/inventory/index.html", extra_vars=extra)


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
    return tk.current_user.is_authenticated and may_use_page(tk.current_user)


def get_helpers() -> dict[str, Any]:
    return {"datagovernance_may_use_inventory": datagovernance_may_use_inventory}
