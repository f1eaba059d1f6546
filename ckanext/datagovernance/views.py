"""What the suite's form views share: the acting user and "run an action,
flash the outcome, redirect". Rules stay in the actions."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import redirect

from .translate import _
from .ui import text as ui_text


def context() -> dict[str, Any]:
    """Action context of the current web user ("" when anonymous), with the
    user object the request already holds (else CKAN's check_access reads
    the user again for every action a page calls)."""
    if not tk.current_user.is_authenticated:
        return {"user": ""}
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user._get_current_object()}


def current_user() -> Any:
    """The request's logged-in user object (None when anonymous): the
    panels' helpers ask the policy about this user without an action context."""
    user = tk.current_user._get_current_object()  # one look-up through flask-login's proxy
    return user if user.is_authenticated else None


def run_and_flash(action: str, data: dict[str, Any], done: str | Any, to: str) -> Any:
    """Call `action`; flash `done` (a string, or a function of the result) or
    the refusal/field errors; redirect to `to`."""
    try:
        result = tk.get_action(action)(context(), data)
        tk.h.flash_success(done(result) if callable(done) else done)
    except tk.NotAuthorized as e:
        tk.h.flash_error(ui_text.in_ui_language(str(e)) or _("Not allowed."))
    except tk.ValidationError as e:
        tk.h.flash_error(ui_text.error_message(e.error_dict))
    return redirect(to)
