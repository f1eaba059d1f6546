"""CKAN validator schemas for the input of every workflow action.

The actions validate with these first, then check access, then act; a bad
value is answered with the field and the allowed values, before anything is
looked up or written.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, Schema

from ..translate import _
from . import states

DECISIONS = ("approve", "refuse")
MAX_TEXT = 4000  # a comment, a reason or a legal basis; a page of text at most
MAX_REF = 200  # a dataset name or id


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def workflow_state_value(value: Any, context: Context) -> str:
    if value not in states.STATES:
        raise tk.Invalid(_("Unknown workflow state {0}. Allowed: {1}").format(
            str(value)[:MAX_REF], ", ".join(states.STATES)))
    return value


def decision_value(value: Any, context: Context) -> str:
    if value not in DECISIONS:
        raise tk.Invalid(_("Unknown decision {0}. Allowed: approve, refuse").format(str(value)[:MAX_REF]))
    return value


def reference(value: Any, context: Context) -> str:
    """A dataset name or id: a short string (anything else cannot name one)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_REF or "\x00" in value:
        raise tk.Invalid(_("Dataset not found"))
    return value.strip()


def text(value: Any, context: Context) -> str:
    """Free text: a string of at most MAX_TEXT characters, stripped."""
    if not isinstance(value, str) or "\x00" in value:  # PostgreSQL text holds no NUL
        raise tk.Invalid(_("Must be text."))
    if len(value) > MAX_TEXT:
        raise tk.Invalid(_("At most {0} characters.").format(MAX_TEXT))
    return value.strip()


def reason_required(value: Any, context: Context) -> str:
    if not _text(value).strip():
        raise tk.Invalid(_("A reason is required."))
    return value


def legal_basis_for_approval(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Context) -> None:
    """An approving sign-off names its legal basis."""
    if data.get(("decision",)) == "approve" and not _text(data.get(("legal_basis",))).strip():
        errors.setdefault(("legal_basis",), []).append(_("The legal basis is required for an approval."))


def _base() -> dict[str, Any]:
    ignore = tk.get_validator("ignore")
    return {"__extras": [ignore], "__junk": [ignore]}


def dataset_schema() -> Schema:
    """history, options: the dataset."""
    not_missing = tk.get_validator("not_missing")
    return dict(_base(), id=[not_missing, reference])


def transition_schema() -> Schema:
    not_missing = tk.get_validator("not_missing")
    ignore_missing = tk.get_validator("ignore_missing")
    ignore_empty = tk.get_validator("ignore_empty")
    return dict(
        _base(),
        id=[not_missing, reference],
        to=[not_missing, workflow_state_value],
        comment=[ignore_missing, ignore_empty, text],
        expected_state=[ignore_missing, ignore_empty, workflow_state_value],
    )


def signoff_schema() -> Schema:
    not_missing = tk.get_validator("not_missing")
    ignore_missing = tk.get_validator("ignore_missing")
    ignore_empty = tk.get_validator("ignore_empty")
    return dict(
        _base(),
        id=[not_missing, reference],
        decision=[not_missing, decision_value],
        reason=[not_missing, reason_required, text],
        legal_basis=[ignore_missing, ignore_empty, text],
        __after=[legal_basis_for_approval],
    )


def task_list_schema() -> Schema:
    return _base()


def validate(data_dict: dict[str, Any], schema: Schema, context: Context) -> dict[str, Any]:
    """Validated input, or ValidationError naming each bad field."""
    data, errors = tk.navl_validate(dict(data_dict or {}), schema, context)
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise tk.ValidationError(errors)
    return data
