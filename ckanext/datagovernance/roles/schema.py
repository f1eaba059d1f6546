"""Input schemas of the role actions (CKAN validators, run before any check).

A wrong value is a field error naming the allowed values; references
(user, domain, dataset) are resolved afterwards, by the action."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict, Schema

from ..translate import _
from .definitions import ROLES

_v = tk.get_validator


def role_name(value: Any, context: Context) -> Any:
    if value not in ROLES:
        raise tk.Invalid(_("Unknown role {0}. Allowed: {1}").format(value, ", ".join(ROLES)))
    return value


def at_most(maximum: int) -> Any:
    def validator(value: Any, context: Context) -> Any:
        # navl runs every validator of a field even after one failed: a
        # value int_validator refused (e.g. a list) is already an error here
        if isinstance(value, int) and value > maximum:
            raise tk.Invalid(_("Must be at most {0}").format(maximum))
        return value
    return validator


def _text() -> list[Any]:
    return [_v("ignore_missing"), _v("unicode_safe"), _v("strip_value")]


def role_change() -> Schema:
    """grant / revoke"""
    return {
        "role": [_v("not_empty"), _v("unicode_safe"), role_name],
        "user": [_v("not_empty"), _v("unicode_safe"), _v("strip_value")],
        "domain": _text(),
        "dataset": _text(),
        "deputy": [_v("default")(False), _v("boolean_validator")],
        "contact": _text(),
        "reason": _text(),
    }


def role_filter() -> Schema:
    """list / history"""
    return {
        "role": [_v("ignore_missing"), _v("unicode_safe"), role_name],
        "user": _text(),
        "domain": _text(),
        "dataset": _text(),
        "limit": [_v("default")(100), _v("int_validator"), _v("is_positive_integer"), at_most(1000)],
    }


def user_account() -> Schema:
    """block / unblock"""
    return {
        "id": [_v("not_empty"), _v("unicode_safe"), _v("strip_value")],
        "reason": _text(),
    }


def validated(data_dict: DataDict, schema: Schema, context: Context) -> dict[str, Any]:
    """The cleaned input, or a ValidationError naming every bad field."""
    data, errors = tk.navl_validate(dict(data_dict or {}), schema, context)
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise tk.ValidationError(errors)
    return data
