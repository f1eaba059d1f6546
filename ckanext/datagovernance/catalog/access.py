"""Internal fields never reach anonymous users: the one list and its guards.

A field is internal when its schema definition has ``datagovernance_internal:
true`` (source system, storage location, personal-data details, retention,
data owner and owner contact); ``internal_fields()`` reads that flag from the
dataset schemas and is the only list there is. Internal values are removed

- from ``package_show`` results for anonymous callers (``after_dataset_show``),
- from ``package_search`` results (``after_dataset_search``; search returns
  the ``validated_data_dict`` stored in the index, which holds everything,
  also inside the JSON strings ``data_dict``/``validated_data_dict``),
- from dataset pages (``before_dataset_view``) and activity data,

and anonymous searches may neither filter, facet nor sort on them nor ask for
them in ``fl``; their free text is matched against a text vector without
internal values (see ``search_audience``). Internal action calls with
``ignore_auth`` (e.g. indexing) keep the full dictionary unless they run
inside an anonymous web request.

Every check fails closed: when the caller cannot be determined, it is
treated as anonymous.
"""
from __future__ import annotations

import json
import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context
from flask import has_request_context

# the search field that also matches internal text (logged-in users only)
from ..search.query import STAFF_TEXT_FIELD

# The suite's own dataset schema: read when scheming is not loaded (CLI
# tools, tests with fewer plugins), so the flag in the schema stays the list.
OWN_SCHEMA = "ckanext.datagovernance:schemas/dataset.yaml"
# Index document key naming the internal fields of that document
# (before_dataset_index); the search backend keeps their text apart.
INDEX_KEY = "datagovernance_internal_fields"

_own_names: frozenset[str] | None = None
_cache: tuple[int, frozenset[str]] | None = None


def _flagged(schema: dict[str, Any]) -> set[str]:
    return {
        field["field_name"]
        for field in schema.get("dataset_fields", [])
        if field.get("datagovernance_internal")
    }


def _own_schema_names() -> frozenset[str]:
    global _own_names
    if _own_names is None:
        from . import schema

        _own_names = frozenset(_flagged(schema.load_schema(OWN_SCHEMA)))
    return _own_names


def internal_fields() -> frozenset[str]:
    """Names of internal fields: every dataset schema in use plus the suite's
    own schema file (so the answer never depends on which plugins run)."""
    global _cache
    try:
        from ckanext.scheming.helpers import scheming_dataset_schemas

        schemas = scheming_dataset_schemas() or {}
    except Exception:  # noqa: BLE001 - scheming not loaded: the file alone
        schemas = {}
    if _cache is not None and _cache[0] == id(schemas):
        return _cache[1]
    names = frozenset(set(_own_schema_names()).union(*(_flagged(s) for s in schemas.values())))
    _cache = (id(schemas), names)
    return names


def anonymous_request() -> bool:
    """True inside a web request of a user who is not logged in (or whose
    login cannot be determined: fail closed)."""
    if not has_request_context():
        return False
    try:
        user = tk.current_user
        return user is None or bool(user.is_anonymous) or not getattr(user, "id", None)
    except Exception:  # noqa: BLE001 - unknown caller: treat as anonymous
        return True


def logged_in_request() -> bool:
    """True only inside a web request of a logged-in user."""
    return has_request_context() and not anonymous_request()


def anonymous_context(context: Context) -> bool:
    if context.get("ignore_auth"):
        return anonymous_request()
    return not context.get("user") or anonymous_request()


def _is_internal(name: str, names: frozenset[str]) -> bool:
    return name in names or name.removeprefix("extras_") in names


def strip_internal(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Remove internal values (also inside the index's stored JSON strings)."""
    names = internal_fields()
    for key in [k for k in pkg_dict if isinstance(k, str) and _is_internal(k, names)]:
        pkg_dict.pop(key, None)
    pkg_dict.pop(INDEX_KEY, None)
    if isinstance(pkg_dict.get("extras"), list):
        pkg_dict["extras"] = [
            e for e in pkg_dict["extras"] if not (isinstance(e, dict) and e.get("key") in names)
        ]
    for stored in ("data_dict", "validated_data_dict"):
        raw = pkg_dict.get(stored)
        if isinstance(raw, str):
            try:
                inner = json.loads(raw)
            except ValueError:
                pkg_dict.pop(stored)
                continue
            if isinstance(inner, dict):
                pkg_dict[stored] = json.dumps(strip_internal(inner))
    return pkg_dict


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) else [value]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_search_params(search_params: dict[str, Any]) -> dict[str, Any]:
    """Anonymous searches must not query, facet, sort on or return internal
    fields (a sort order or a facet count tells values as well as a filter)."""
    names = internal_fields()
    pattern = re.compile(
        r"(?<![\w.])(?:extras_)?(" + "|".join(map(re.escape, sorted(names | {STAFF_TEXT_FIELD}))) + r")\s*:"
    )
    queries = [search_params.get("q") or ""] + [search_params.get("fq") or ""]
    queries += list(search_params.get("fq_list") or [])
    for query in queries:
        if isinstance(query, str) and pattern.search(query):
            raise tk.ValidationError(
                {"q": [tk._("Internal fields cannot be searched without logging in")]}
            )
    sort = search_params.get("sort")
    if isinstance(sort, str):
        for item in sort.split(","):
            field = item.strip().split(" ")[0]
            if field and _is_internal(field, names):
                raise tk.ValidationError(
                    {"sort": [tk._("Internal fields cannot be searched without logging in")]}
                )
    if "facet.field" in search_params:
        given = search_params["facet.field"]
        facets = [f for f in _as_list(given) if not _is_internal(str(f), names)]
        search_params["facet.field"] = json.dumps(facets) if isinstance(given, str) else facets
    fl = search_params.get("fl")
    if fl:
        fields = re.split(r"[\s,]+", fl) if isinstance(fl, str) else [str(f) for f in _as_list(fl)]
        kept = [f for f in fields if f and not _is_internal(f, names)]
        search_params["fl"] = (" ".join(kept) if isinstance(fl, str) else kept) or "id"
    return search_params


def search_audience(search_params: dict[str, Any]) -> dict[str, Any]:
    """Free text of logged-in users also matches internal values; everybody
    else (anonymous, jobs, CLI) searches the public text only."""
    from ..search import seam

    if logged_in_request() and seam.installed():
        search_params["df"] = STAFF_TEXT_FIELD
    return search_params


def index_marker(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """before_dataset_index: name the internal keys of this document, so the
    search index keeps their text out of the public text vector."""
    names = internal_fields()
    pkg_dict[INDEX_KEY] = sorted(k for k in pkg_dict if isinstance(k, str) and _is_internal(k, names))
    return pkg_dict
