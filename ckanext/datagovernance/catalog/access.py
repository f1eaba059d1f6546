"""Internal fields never reach anonymous users.

A field is internal when its schema definition has ``datagovernance_internal:
true`` (source system, storage location, personal-data details, retention,
data owner and owner contact). They are removed

- from ``package_show`` results for anonymous callers (``after_dataset_show``),
- from ``package_search`` results (``after_dataset_search``; search returns
  the ``validated_data_dict`` stored in the index, which holds everything),
- from dataset pages (``before_dataset_view``),

and anonymous searches may neither filter on them nor ask for them in ``fl``.
Internal action calls with ``ignore_auth`` (e.g. indexing) keep the full
dictionary unless they run inside an anonymous web request.
"""
from __future__ import annotations

import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context
from flask import has_request_context

_FALLBACK = frozenset({
    "source_system", "storage_location", "personal_data_legal_basis",
    "retention_period", "deletion_date", "data_owner", "data_owner_contact",
})


def internal_fields() -> frozenset[str]:
    """Names of internal fields over every dataset schema in use."""
    try:
        from ckanext.scheming.helpers import scheming_dataset_schemas

        schemas = scheming_dataset_schemas() or {}
    except Exception:  # scheming not loaded
        schemas = {}
    names = {
        field["field_name"]
        for schema in schemas.values()
        for field in schema.get("dataset_fields", [])
        if field.get("datagovernance_internal")
    }
    return frozenset(names) or _FALLBACK


def anonymous_request() -> bool:
    """True inside a web request of a user who is not logged in."""
    if not has_request_context():
        return False
    try:
        user = tk.current_user
        return user is None or bool(user.is_anonymous)
    except Exception:
        return False


def anonymous_context(context: Context) -> bool:
    if context.get("ignore_auth"):
        return anonymous_request()
    return not context.get("user") or anonymous_request()


def strip_internal(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    names = internal_fields()
    for name in names:
        pkg_dict.pop(name, None)
        pkg_dict.pop(f"extras_{name}", None)
    if isinstance(pkg_dict.get("extras"), list):
        pkg_dict["extras"] = [
            e for e in pkg_dict["extras"] if not (isinstance(e, dict) and e.get("key") in names)
        ]
    return pkg_dict


def check_search_params(search_params: dict[str, Any]) -> dict[str, Any]:
    """Anonymous searches must not query or return internal fields."""
    names = internal_fields()
    pattern = re.compile(
        r"(?<![\w.])(?:extras_)?(" + "|".join(map(re.escape, sorted(names))) + r")\s*:"
    )
    queries = [search_params.get("q") or ""] + [search_params.get("fq") or ""]
    queries += list(search_params.get("fq_list") or [])
    for query in queries:
        if isinstance(query, str) and pattern.search(query):
            raise tk.ValidationError(
                {"q": [tk._("Internal fields cannot be searched without logging in")]}
            )
    fl = search_params.get("fl")
    if isinstance(fl, str) and fl:
        kept = [
            f for f in re.split(r"[\s,]+", fl)
            if f and f not in names and f.removeprefix("extras_") not in names
        ]
        search_params["fl"] = " ".join(kept) or "id"
    return search_params
