"""Installs the PostgreSQL client at CKAN's one search seam.

Every Solr call in CKAN (and ckanext-harvest) goes through
``ckan.lib.search.common.make_connection``, imported by name into a few
modules. This is the only place in the suite that touches ``ckan.lib.search``;
``uninstall`` puts CKAN's originals back (plugin unloaded or backend = solr).
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import ckan.lib.search as search
import ckan.lib.search.common as common
import ckan.lib.search.index as index
import ckan.lib.search.query as query

from .backend import PostgresSolr

_CLIENT_MODULES = (
    "ckan.lib.search.common",
    "ckan.lib.search.index",
    "ckan.lib.search.query",
    "ckan.lib.search",
    "ckanext.harvest.logic.action.update",
)
_originals: dict[str, Any] = {}


def make_connection(decode_dates: bool = True) -> PostgresSolr:
    return PostgresSolr(decode_dates=decode_dates)


def check_schema_version(schema_file: str | None = None) -> bool:
    # There is no Solr schema to check: the index table is versioned by the
    # plugin's alembic chain.
    return True


def _patch(module_name: str, attr: str, value: Callable[..., Any]) -> None:
    module = sys.modules.get(module_name)
    if module is None or not hasattr(module, attr):
        return
    key = f"{module_name}:{attr}"
    _originals.setdefault(key, getattr(module, attr))
    setattr(module, attr, value)


def install() -> None:
    for name in _CLIENT_MODULES:
        _patch(name, "make_connection", make_connection)
    _patch("ckan.lib.search", "check_solr_schema_version", check_schema_version)


def uninstall() -> None:
    for key, original in list(_originals.items()):
        module_name, attr = key.split(":")
        module = sys.modules.get(module_name)
        if module is not None:
            setattr(module, attr, original)
        del _originals[key]


def installed() -> bool:
    return common.make_connection is make_connection


# keep the imports above explicit: they guarantee the modules are loaded
__all__ = ["install", "uninstall", "installed", "search", "index", "query"]
