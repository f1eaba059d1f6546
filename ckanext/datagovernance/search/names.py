"""CKAN's ``package_name_validator`` without its query when the name is the
dataset's own stored name.

Every index write validates the dataset with CKAN's default show schema
(``package_show_default_and_custom_schemas``), whose ``name`` keeps the
create schema's ``package_name_validator``: one "is this name taken by
another dataset" query per dataset, ~17 % of a `search-index rebuild`, whose
only possible result in a show is an error the show discards. When the
value is the name the dataset's row already holds (loaded, not changed in
this session), the unique constraint on ``package.name`` has answered that
question: no other dataset, deleted or not, can hold it. A new dataset's
name that a ``prefetch.scope()`` has read as held by no dataset at all (the
inventory import reads its new rows' names in one query) is free for the
same reason. Everything else (a rename, a name not loaded or not
prefetched) goes to CKAN's validator unchanged.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import sqlalchemy as sa
from ckan.logic import validators as ckan_validators
from ckan.model.package import PACKAGE_NAME_MAX_LENGTH, PACKAGE_NAME_MIN_LENGTH

from .. import prefetch

_NOT_READ = object()


def _is_stored_name(package: Any, value: Any) -> bool:
    if not isinstance(package, model.Package) or not isinstance(value, str):
        return False
    state = sa.inspect(package)
    if not state.persistent or "name" not in state.dict:  # no lazy load: that is a query too
        return False
    return state.dict["name"] == value and not state.attrs.name.history.has_changes()


def package_name_validator(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Any) -> Any:
    value = data[key]
    # lengths as CKAN checks them; a stored name outside them (written past
    # validation) takes CKAN's path and gets CKAN's errors
    if isinstance(value, str) and PACKAGE_NAME_MIN_LENGTH <= len(value) <= PACKAGE_NAME_MAX_LENGTH and (
            _is_stored_name(context.get("package"), value) or (
                context.get("package") is None
                and prefetch.known("package_by_name", value, lambda: _NOT_READ) is None)):
        return None
    return ckan_validators.package_name_validator(key, data, errors, context)


def get_validators() -> dict[str, Any]:
    return {"package_name_validator": package_name_validator}
