"""Catalog pages in Turtle, one fragment per dataset, with a cache (issue 16).

A feed page of 100 datasets cost about 650 ms of CPU (bench/feed.py): half
in rdflib's Turtle serializer, the rest in building the graph. Here each
dataset's triples are built in a graph of their own (exactly what the
profile writes for it, plus ``<catalog> dcat:dataset``/``dcat:service``),
written by our Turtle writer (turtle.py) and joined under one prefix header
with the catalog's own triples and the Hydra paging. The page is the same
graph as ckanext-dcat's ``serialize_catalog`` (tests/dcat/test_feed_page.py).

The fragment of a dataset is cached in Redis under a hash of everything it
is built from, so a cached fragment can never be stale, and it is only ever
looked up for a dataset the search returned for this request:

* the dataset dict the search returned, without internal fields (id,
  ``metadata_modified``, every field, the organisation's and groups' names
  and titles in it: any change gives another key);
* the fields of its organisation that the profile reads from the database
  (contributor ID, geocoding, publisher, e-mail, home page: read for the
  whole page with one query);
* the target portal's contributor ID (``profile.target_contributor``);
* the profile chain and the settings the profiles read (``ckanext.dcat.*``,
  ``ckanext.datagovernance.dcat.*``, ``scheming.*``, site URL and title, …);
* the code: a digest of this package's DCAT, catalog, vocabulary and schema
  files and the versions of CKAN, ckanext-dcat, ckanext-scheming and rdflib.

``ckanext.datagovernance.dcat.cache_ttl`` (seconds, 0 = off) bounds how long
a fragment stays in Redis after it was built. Other formats (RDF/XML, JSON-LD, N3) are
serialised by ckanext-dcat as before.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import zlib
from importlib import metadata
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.profiles import DCAT
from ckanext.dcat.utils import url_to_rdflib_format
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ckanext.datagovernance.catalog import access

from .. import request_memo
from ..search import cache as search_cache
from . import profile, turtle
from .serializer import serializer as dcat_serializer

log = logging.getLogger(__name__)
_PREFIX = "datagovernance:dcat:fragment"
_REPORT_PREFIX = "datagovernance:dcat:report"
# bump when the fragment layout changes without a change of the files hashed below
_LAYOUT = "1"
_CONFIG_PREFIXES = ("ckanext.dcat.", "ckanext.datagovernance.dcat.", "scheming.")
_CONFIG_KEYS = ("ckan.site_url", "ckan.site_title", "ckan.locale_default", "app_instance_uuid",
                "ckan.plugins", "licenses_group_url")
_CODE = ("dcat/*.py", "catalog/*.py", "vocab/*.json", "schemas/*")


def cache_ttl() -> int:
    return int(tk.config.get("ckanext.datagovernance.dcat.cache_ttl") or 0)


def handles(fmt: str | None) -> bool:
    """Turtle pages are built here; everything else by ckanext-dcat."""
    if url_to_rdflib_format(fmt or "xml") != "turtle":
        return False
    # sub-catalogs (harvested sources as dcat:Catalog) are ckanext-dcat's
    return not tk.asbool(tk.config.get("ckanext.dcat.expose_subcatalogs"))


def serialize(datasets: list[dict[str, Any]], fmt: str, pagination_info: dict[str, Any] | None,
              profiles: list[str] | None) -> str:
    """One catalog page: what ``RDFSerializer.serialize_catalog`` returns."""
    serializer = dcat_serializer(profiles)
    if not handles(fmt):
        return serializer.serialize_catalog({}, datasets, _format=fmt, pagination_info=pagination_info)
    catalog_ref = serializer.graph_from_catalog({})
    if pagination_info:
        serializer._add_pagination_triples(pagination_info)  # ckanext-dcat's Hydra triples
    head = turtle.serialize(serializer.g, first=[catalog_ref])
    orgs = organizations(datasets)
    token = profile.page_organizations.set(orgs)
    try:
        fragments = _fragments(serializer, catalog_ref, datasets, orgs, profiles)
    finally:
        profile.page_organizations.reset(token)
    return turtle.header() + "\n\n".join([head, *fragments]) + "\n"


def organizations(datasets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The organisation fields of every dataset of the page, one query."""
    ids = {profile.organization_id(d) for d in datasets} - {None, ""}
    if not ids:
        return {}
    rows = model.Session.query(model.Group).filter(model.Group.id.in_(ids)).all()
    return {g.id: profile.group_fields(g) for g in rows}


def _fragments(serializer: RDFSerializer, catalog_ref: URIRef, datasets: list[dict[str, Any]],
               orgs: dict[str, dict[str, Any]], profiles: list[str] | None) -> list[str]:
    redis = search_cache.redis_for(cache_ttl())
    keys: list[str] = []
    cached: list[Any] = [None] * len(datasets)
    if redis is not None:
        context = _context_digest(profiles)
        keys = [_key(context, orgs.get(profile.organization_id(d) or ""), d) for d in datasets]
        try:
            cached = redis.mget(keys)
        except Exception as e:  # noqa: BLE001 - no cache, same page
            log.warning("DCAT fragment cache: %s", e)
            redis = None
    out: list[str] = []
    new: dict[str, bytes] = {}
    for k, d in enumerate(datasets):
        if cached[k] is not None:
            out.append(zlib.decompress(cached[k]).decode())
            continue
        text = _build(serializer, catalog_ref, d)
        out.append(text)
        if redis is not None:
            new[keys[k]] = zlib.compress(text.encode(), 6)
    if new and redis is not None:
        try:
            pipe = redis.pipeline(transaction=False)
            for key, value in new.items():
                pipe.set(key, value, ex=cache_ttl())
            pipe.execute()
        except Exception as e:  # noqa: BLE001
            log.warning("DCAT fragment cache: %s", e)
    return out


def _build(serializer: RDFSerializer, catalog_ref: URIRef, dataset_dict: dict[str, Any]) -> str:
    """The dataset's triples on a catalog page, as Turtle."""
    graph = Graph(bind_namespaces="none")
    # typed, so that the profile lists the dataset's data services under the
    # catalog (as on a page); the type itself is the page head's
    graph.add((catalog_ref, RDF.type, DCAT.Catalog))
    serializer.g = graph
    dataset_ref = serializer.graph_from_dataset(dataset_dict)
    graph.remove((catalog_ref, RDF.type, DCAT.Catalog))
    graph.add((catalog_ref, DCAT.dataset, dataset_ref))
    return turtle.serialize(graph, first=[dataset_ref])


# ------------------------------------------------------------------ the key
def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _key(context: str, org: dict[str, Any] | None, dataset_dict: dict[str, Any]) -> str:
    seen = access.strip_internal(dict(dataset_dict))
    return f"{_PREFIX}:{tk.config.get('ckan.site_id')}:{_digest([context, org, seen])}"


def report_key(dataset_dict: dict[str, Any], orgs: dict[str, dict[str, Any]], shapes: str) -> str:
    """The key of a dataset's SHACL report (dcat/validation.py): as a
    fragment's, but on the whole dataset (the report is of the graph built
    from all of it) and the shapes."""
    org = orgs.get(profile.organization_id(dataset_dict) or "")
    return f"{_REPORT_PREFIX}:{tk.config.get('ckan.site_id')}:{_digest([_context_digest(None), shapes, org, dataset_dict])}"


def _context_digest(profiles: list[str] | None) -> str:
    """Everything a fragment depends on besides its dataset and organisation;
    once per request (it walks the whole config: the task list asks it for
    each publication candidate's report)."""
    target = profile.target_contributor.get()

    def compute() -> str:
        cfg = tk.config
        # a default given: CKAN logs a warning for every undeclared option read without one
        settings = {k: cfg.get(k, None) for k in cfg if isinstance(k, str) and k.startswith(_CONFIG_PREFIXES)}
        settings.update({k: cfg.get(k, None) for k in _CONFIG_KEYS})
        return _digest([_LAYOUT, code_digest(), profiles, target, settings])

    return request_memo.remembered("dcat_context_digest", repr((profiles, target)), compute)


@functools.cache
def code_digest() -> str:
    """The package's files the fragments come from and the libraries' versions
    (once per process: a new release restarts the processes)."""
    root = Path(__file__).resolve().parent.parent
    sha = hashlib.sha1()
    for pattern in _CODE:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                sha.update(path.name.encode())
                sha.update(path.read_bytes())
    for dist in ("ckan", "ckanext-dcat", "ckanext-scheming", "rdflib"):
        try:
            sha.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            sha.update(dist.encode())
    return sha.hexdigest()
