"""A view that lets a hidden or unknown object escape as ObjectNotFound
(CKAN's ``/dataset/changes_multiple`` and its group/organisation twins call
``activity_show`` unguarded) answers 404 like every missing page, not 500;
NotAuthorized answers 403."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, current_app
from werkzeug.exceptions import Forbidden, NotFound

bp = Blueprint("datagovernance_visibility", __name__)


@bp.app_errorhandler(tk.ObjectNotFound)
def not_found(error: Exception) -> Any:
    return current_app.handle_http_exception(NotFound(tk._("Not found")))


@bp.app_errorhandler(tk.NotAuthorized)
def not_authorized(error: Exception) -> Any:
    return current_app.handle_http_exception(Forbidden(tk._("Not authorized to see this page")))


def get_blueprints() -> list[Blueprint]:
    return [bp]
