"""The HVD page for the data office, with CSV download."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, request

from ..translate import _
from ..ui import export
from ..views import context
from . import report

hvd = Blueprint("datagovernance_hvd", __name__)


def _report() -> dict[str, Any]:
    return tk.get_action("datagovernance_hvd_report")(context(), {
        "organization": request.args.get("organization"), "domain": request.args.get("domain"),
    })


@hvd.route("/hvd")
def index() -> Any:
    try:
        return tk.render("datagovernance/hvd/index.html", extra_vars={"report": _report()})
    except tk.NotAuthorized:
        return tk.abort(403, _("Only the data office and stewards see the HVD report."))


@hvd.route("/hvd.csv")
def download() -> Any:
    try:
        headers, rows = report.csv_table(_report())
    except tk.NotAuthorized:
        return tk.abort(403, _("Only the data office and stewards see the HVD report."))
    return export.csv_response("hvd-bericht", headers, rows)


def get_blueprints() -> list[Blueprint]:
    return [hvd]
