"""Input schemas of the KPI and OKR actions."""
from __future__ import annotations

from typing import Any

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator

from ..translate import _
from . import compute


def kpi_key(value: Any) -> Any:
    import ckan.plugins.toolkit as tk

    if value not in compute.NUMERIC:
        raise tk.Invalid(f'{_("Unknown KPI")} "{value}". {_("Allowed values")}: {", ".join(compute.NUMERIC)}')
    return value


def number(value: Any) -> Any:
    import ckan.plugins.toolkit as tk

    try:
        return float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        raise tk.Invalid(_("Please enter a number")) from None


@validator_args
def kpi_show(ignore_missing: Validator, unicode_safe: Validator) -> Schema:
    return {"organization": [ignore_missing, unicode_safe], "domain": [ignore_missing, unicode_safe]}


@validator_args
def key_result(not_empty: Validator, unicode_safe: Validator, ignore_missing: Validator) -> Schema:
    return {
        "title": [not_empty, unicode_safe],
        "kpi": [not_empty, unicode_safe, kpi_key],
        "target": [not_empty, number],
        "baseline": [ignore_missing, number],
        "organization": [ignore_missing, unicode_safe],
        "domain": [ignore_missing, unicode_safe],
    }


@validator_args
def objective_create(not_empty: Validator, unicode_safe: Validator, ignore_missing: Validator,
                     isodate: Validator) -> Schema:
    return {
        "title": [not_empty, unicode_safe],
        "description": [ignore_missing, unicode_safe],
        "owner": [ignore_missing, unicode_safe],
        "start_date": [not_empty, isodate],
        "end_date": [not_empty, isodate],
        "key_results": key_result(),
    }


@validator_args
def objective_delete(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe]}
