"""Validator schemas of the feedback actions. Errors name the field (the
error dict key) and, for choices, the allowed values; texts are translatable
(German shipped)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, Schema

from ..translate import _
from . import policy

MAX_SUBJECT = 200
MAX_TEXT = 5000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_missing = tk.missing


def _empty(value: Any) -> bool:
    return value is _missing or value is None or (isinstance(value, str) and not value.strip())


def required(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Context) -> None:
    if _empty(data.get(key)):
        errors[key].append(_("Missing value"))
        raise tk.StopOnError


def optional(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Context) -> None:
    if _empty(data.get(key)):
        data.pop(key, None)
        raise tk.StopOnError


def text(limit: int):
    def validator(value: Any) -> str:
        value = str(value).strip()
        if len(value) > limit:
            raise tk.Invalid(_("At most {0} characters (now {1}).").format(limit, len(value)))
        return value
    return validator


def choice(allowed: tuple[str, ...]):
    def validator(value: Any) -> str:
        value = str(value).strip()
        if value not in allowed:
            raise tk.Invalid(_("Unknown value {0}. Allowed: {1}").format(value, ", ".join(allowed)))
        return value
    return validator


def email(value: Any) -> str:
    value = str(value).strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise tk.Invalid(_("Not an e-mail address: {0}").format(value))
    return value.lower()


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text_value = str(value).strip().lower()
    if text_value in ("true", "1", "yes", "on"):
        return True
    if text_value in ("false", "0", "no", "off", ""):
        return False
    raise tk.Invalid(_("Unknown value {0}. Allowed: {1}").format(value, "true, false"))


def future_date(value: Any) -> dt.date:
    """A date (YYYY-MM-DD or DD.MM.YYYY) after today (Europe/Berlin)."""
    if isinstance(value, dt.date):
        day = value
    else:
        raw = str(value).strip()
        day = None
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                day = dt.datetime.strptime(raw, fmt).date()
                break
            except ValueError:
                continue
        if day is None:
            raise tk.Invalid(_("Not a date: {0}. Allowed: YYYY-MM-DD or DD.MM.YYYY").format(raw))
    from .service import berlin_today, max_grant_days

    today = berlin_today()
    if day < today:
        raise tk.Invalid(_("The date {0} is in the past.").format(day.strftime("%d.%m.%Y")))
    latest = today + dt.timedelta(days=max_grant_days())
    if day > latest:
        raise tk.Invalid(_("At most {0} days ahead (until {1}).").format(max_grant_days(), latest.strftime("%d.%m.%Y")))
    return day


def honeypot_empty(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Context) -> None:
    # a field people do not see (hidden by CSS): only robots fill it
    if not _empty(data.get(key)):
        errors[key].append(_("Leave this field empty."))
        raise tk.StopOnError
    data.pop(key, None)


def create_schema() -> Schema:
    return {
        "kind": [required, choice(policy.KINDS)],
        "dataset": [optional, text(200)],
        "subject": [required, text(MAX_SUBJECT)],
        "message": [required, text(MAX_TEXT)],
        "justification": [optional, text(MAX_TEXT)],
        "email": [optional, email],
        "website": [honeypot_empty],
        "__extras": [tk.get_validator("ignore")],
    }


def update_schema() -> Schema:
    return {
        "id": [required, text(100)],
        "status": [optional, choice(policy.STATUSES)],
        "reason": [optional, text(MAX_TEXT)],
        "answer": [optional, text(MAX_TEXT)],
        "comment": [optional, text(MAX_TEXT)],
        "assignee": [optional, text(200)],
        "domain": [optional, text(200)],
        "dataset": [optional, text(200)],
        "published": [optional, boolean],
        "grant_until": [optional, future_date],
        "__extras": [tk.get_validator("ignore")],
    }


def comment_schema() -> Schema:
    return {
        "id": [required, text(100)],
        "text": [required, text(MAX_TEXT)],
        "internal": [optional, boolean],
        "__extras": [tk.get_validator("ignore")],
    }


def list_schema() -> Schema:
    return {
        "scope": [optional, choice(("mine", "inbox", "dataset", "all"))],
        "status": [optional, choice(policy.STATUSES + ("open",))],
        "kind": [optional, choice(policy.KINDS)],
        "dataset": [optional, text(200)],
        "limit": [optional, tk.get_validator("natural_number_validator")],
        "offset": [optional, tk.get_validator("natural_number_validator")],
        "__extras": [tk.get_validator("ignore")],
    }


def grant_list_schema() -> Schema:
    return {
        "dataset": [optional, text(200)],
        "user": [optional, text(200)],
        "state": [optional, choice(("active", "revoked", "expired", "all"))],
        "__extras": [tk.get_validator("ignore")],
    }


def revoke_schema() -> Schema:
    return {
        "id": [required, text(100)],
        "reason": [required, text(MAX_TEXT)],
        "__extras": [tk.get_validator("ignore")],
    }


def validate(data_dict: dict[str, Any], schema: Schema, context: Context) -> dict[str, Any]:
    data, errors = tk.navl_validate(dict(data_dict or {}), schema, context)
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise tk.ValidationError(errors)
    data.pop("__extras", None)
    return data
