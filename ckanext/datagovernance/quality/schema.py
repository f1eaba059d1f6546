"""Input schemas of the quality actions."""
from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def quality_show(not_empty: Validator, unicode_safe: Validator, ignore_missing: Validator,
                 boolean_validator: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "history": [ignore_missing, boolean_validator]}


@validator_args
def link_check(ignore_missing: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [ignore_missing, unicode_safe]}
