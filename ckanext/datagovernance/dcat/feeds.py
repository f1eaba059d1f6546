"""What the DCAT feeds contain.

* ckanext-dcat's catalog endpoints (``/catalog.{rdf,ttl,jsonld,xml}``, the
  ``dcat_catalog_show``/``dcat_catalog_search`` actions) are chained: while they run, every ``package_search`` gets filter
  clauses that keep only public, published datasets (``before_dataset_search``
  of the plugin), whatever ``q``/``fq`` the caller sent.
* Our own feeds ``/catalog/govdata.*``, ``/catalog/hessen.*`` and
  ``/catalog/hvd.*`` add the target's contributor ID, an optional selection
  filter and Hydra paging with absolute, stable page URLs.
"""
from __future__ import annotations

import contextvars
import math
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict
from ckanext.dcat import logic as dcat_logic
from ckanext.dcat.utils import CONTENT_TYPES, catalog_uri
from dateutil.parser import parse as parse_date
from flask import Blueprint, make_response

from . import page as feed_page
from . import profile

PUBLIC_FILTERS = ("+access_class:public", "+workflow_state:published")
FORMATS = ("rdf", "xml", "ttl", "jsonld", "n3")

public_only: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "datagovernance_dcat_public_only", default=False
)
# the harvester token of the request, carried into the Hydra page links so
# that every page a portal follows is recognised (publication.fetching_target)
page_token: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "datagovernance_dcat_page_token", default=None
)


def restrict_search(search_params: dict[str, Any]) -> dict[str, Any]:
    """Add the public/published clauses while a DCAT feed is being built."""
    if public_only.get():
        fq_list = list(search_params.get("fq_list") or [])
        for clause in PUBLIC_FILTERS:
            if clause not in fq_list:
                fq_list.append(clause)
        search_params["fq_list"] = fq_list
        search_params["include_private"] = False
        search_params["include_drafts"] = False
    return search_params


def catalog_profiles() -> list[str] | None:
    """The configured profile chain for catalog pages, without an
    ``euro_dcat_ap_3`` before ``dcat_ap_de``: our profile builds on it and
    removes and rebuilds everything it wrote about each dataset, so that first
    pass only costs time (about 40 % of a page, bench/dcat.py). The only
    triples it left behind were ``rdf:type`` statements of the parent on
    vocabulary IRIs shared by several datasets of a page (e.g. a frequency),
    which single-dataset output never had. None: ckanext-dcat's default."""
    names = str(tk.config.get("ckanext.dcat.rdf.profiles") or "").split()
    if "dcat_ap_de" not in names:
        return None
    first = names.index("dcat_ap_de")
    return [n for i, n in enumerate(names) if not (i < first and n == "euro_dcat_ap_3")]


def _public_only(action: str, next_action: Any, context: Context, data_dict: DataDict) -> Any:
    if not data_dict.get("profiles"):
        data_dict = dict(data_dict, profiles=catalog_profiles())
    token = public_only.set(True)
    try:
        if not feed_page.handles(data_dict.get("format")):
            return next_action(context, data_dict)
        # ckanext-dcat's action with its own search and paging, serialised
        # by page.py (Turtle from cached per-dataset fragments)
        tk.check_access(action, context, data_dict)
        query = dcat_logic._search_ckan_datasets(context, data_dict)
        info = dcat_logic._pagination_info(query, data_dict)
        return feed_page.serialize(query["results"], data_dict.get("format") or "xml", info,
                                   data_dict.get("profiles"))
    finally:
        public_only.reset(token)


@tk.chained_action
@tk.side_effect_free
def dcat_catalog_show(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    return _public_only("dcat_catalog_show", next_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def dcat_catalog_search(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    return _public_only("dcat_catalog_search", next_action, context, data_dict)


# ---------------------------------------------------------------- own feeds
TARGETS = ("govdata", "hessen", "hvd")


def target_settings(target: str) -> dict[str, Any]:
    cfg = tk.config
    if target not in TARGETS:
        raise tk.ObjectNotFound(f"Unknown feed: {target}")
    selection = cfg.get("ckanext.datagovernance.dcat.govdata.fq") or ""
    if target == "govdata":
        # always served, so both portals can harvest at the same time (R6.2);
        # without an ID of its own the municipality delivers under the state
        # portal's contributor ID (delivery mode state_portal)
        contributor = cfg.get("ckanext.datagovernance.dcat.govdata.contributor_id") or None
        if not contributor and cfg.get("ckanext.datagovernance.dcat.delivery_mode") != "direct":
            contributor = cfg.get("ckanext.datagovernance.dcat.hessen.contributor_id")
        return {"fq": selection, "contributor": contributor}
    if target == "hessen":
        return {"fq": selection,
                "contributor": cfg.get("ckanext.datagovernance.dcat.hessen.contributor_id")}
    return {"fq": "hvd_category:*", "contributor": None}


def page_size() -> int:
    return int(tk.config.get("ckanext.datagovernance.dcat.feed_page_size") or 100)


def feed_url(target: str, fmt: str, page: int, modified_since: str | None) -> str:
    base = catalog_uri().rstrip("/")
    url = f"{base}/catalog/{target}.{fmt}?"
    from urllib.parse import quote

    if modified_since:
        url += f"modified_since={quote(modified_since)}&"
    if page_token.get():
        url += f"harvester={quote(page_token.get() or '')}&"
    return f"{url}page={page}"


def search_feed(target: str, page: int = 1, modified_since: str | None = None,
                rows: int | None = None) -> dict[str, Any]:
    """The datasets of one feed page (package_search result)."""
    settings = target_settings(target)
    rows = rows or page_size()
    fq_list = ["-dataset_type:harvest", "-dataset_type:showcase"]
    if settings["fq"]:
        fq_list.append(settings["fq"])
    # datasets a steward excluded from this portal (publication record)
    from . import publication

    excluded = publication.excluded_ids(target)
    if excluded:
        fq_list.append("-id:(" + " OR ".join(f'"{i}"' for i in excluded) + ")")
    if modified_since:
        try:
            since = parse_date(modified_since).replace(tzinfo=None).isoformat()
        except (ValueError, OverflowError):
            raise tk.ValidationError(
                {"modified_since": ["Wrong date format, use ISO 8601 (e.g. 2026-01-31)"]}
            ) from None
        fq_list.append(f"metadata_modified:[{since}Z TO NOW]")
    token = public_only.set(True)
    try:
        return tk.get_action("package_search")(
            {"ignore_auth": False, "user": ""},
            {"q": "*:*", "fq_list": fq_list, "rows": rows, "start": rows * (page - 1),
             "sort": "metadata_modified desc, name asc"},
        )
    finally:
        public_only.reset(token)


def pagination(target: str, fmt: str, page: int, count: int, returned: int,
               modified_since: str | None) -> dict[str, Any]:
    if count == 0:
        return {"count": 0, "items_per_page": page_size(),
                "current": feed_url(target, fmt, 1, modified_since),
                "first": feed_url(target, fmt, 1, modified_since),
                "last": feed_url(target, fmt, 1, modified_since)}
    size = page_size()
    last = max(1, math.ceil(count / size))
    info = {
        "count": count,
        "items_per_page": size,
        "current": feed_url(target, fmt, page, modified_since),
        "first": feed_url(target, fmt, 1, modified_since),
        "last": feed_url(target, fmt, last, modified_since),
    }
    if page > 1:
        info["previous"] = feed_url(target, fmt, min(page - 1, last), modified_since)
    if page < last:
        info["next"] = feed_url(target, fmt, page + 1, modified_since)
    return info


def serialize_feed(target: str, fmt: str = "ttl", page: int = 1,
                   modified_since: str | None = None) -> str:
    return serialize_feed_page(target, fmt, page, modified_since)[0]


def serialize_feed_page(target: str, fmt: str = "ttl", page: int = 1,
                        modified_since: str | None = None) -> tuple[str, list[str]]:
    """The page's RDF and the ids of its datasets."""
    if fmt not in FORMATS:
        raise tk.ValidationError({"format": [f"Unknown format {fmt}: use {', '.join(FORMATS)}"]})
    if page < 1:
        raise tk.ValidationError({"page": ["Page must be a positive integer"]})
    settings = target_settings(target)
    query = search_feed(target, page, modified_since)
    info = pagination(target, fmt, page, query["count"], len(query["results"]), modified_since)
    token = profile.target_contributor.set(settings["contributor"])
    hvd_token = profile.hvd_feed.set(target == "hvd")
    try:
        body = feed_page.serialize(query["results"], fmt, info, catalog_profiles())
        return body, [p["id"] for p in query["results"]]
    finally:
        profile.hvd_feed.reset(hvd_token)
        profile.target_contributor.reset(token)


# ---------------------------------------------------------------- blueprint
blueprint = Blueprint("datagovernance_dcat", __name__)


def _feed(target: str, _format: str) -> Any:
    args = tk.request.args
    try:
        page = int(args.get("page") or 1)
    except ValueError:
        return tk.abort(409, "Page must be a positive integer")
    from . import publication

    fetcher = publication.fetching_target(args, tk.request.headers.get("User-Agent"))
    token = page_token.set((args.get("harvester") or None) if fetcher else None)
    try:
        body, ids = serialize_feed_page(target, _format, page, args.get("modified_since"))
    except tk.ObjectNotFound as e:
        return tk.abort(404, str(e))
    except tk.ValidationError as e:
        return tk.abort(409, "; ".join(str(m) for msgs in e.error_dict.values() for m in msgs))
    finally:
        page_token.reset(token)
    if fetcher:
        # one upsert per page the portal's harvester fetched
        publication.record_fetch(fetcher, tk.request.full_path.rstrip("?"), ids)
    response = make_response(body)
    response.headers["Content-Type"] = CONTENT_TYPES.get(_format, "text/turtle")
    return response


blueprint.add_url_rule("/catalog/<any(govdata,hessen,hvd):target>.<_format>", view_func=_feed)

# ckanext-dcat's catalog endpoint and ours
CATALOG_ENDPOINTS = ("dcat.read_catalog", "datagovernance_dcat._feed")


@blueprint.after_app_request
def _conditional(response: Any) -> Any:
    """An ETag (hash of the body) on Turtle catalog pages: a harvester that
    sends it back (If-None-Match) gets 304 Not Modified without the page when
    nothing on it changed. Only Turtle pages come out the same for the same
    graph (page.py sorts); rdflib's RDF/XML and JSON-LD order vary per run."""
    if (tk.request.endpoint in CATALOG_ENDPOINTS and tk.request.method in ("GET", "HEAD")
            and response.status_code == 200 and response.mimetype == "text/turtle"
            and not response.direct_passthrough):
        response.add_etag()
        response.make_conditional(tk.request)
    return response


def get_blueprints() -> list[Blueprint]:
    return [blueprint]


def get_actions() -> dict[str, Any]:
    return {
        "dcat_catalog_show": dcat_catalog_show,
        "dcat_catalog_search": dcat_catalog_search,
    }
