"""Template helpers of the public face: branding, home page blocks, domain
pages, and German labels (names, not slugs; labels, not codes).

Every count and list comes from ``package_search`` as the current user, so
the permission labels decide what a visitor sees (nothing hidden leaks)."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.pagination import Page
from markupsafe import Markup, escape

from .. import request_memo
from ..catalog import vocab as v
from ..roles import policy, service
from ..translate import _
from ..views import context as _ctx
from ..views import current_user as _user
from . import links, text

# Search field -> vocabulary whose labels replace the stored code.
FACET_VOCABULARIES = {
    "workflow_state": "workflow-state",
    "access_class": "access-class",
    "theme": "data-theme",
    "hvd_category": "hvd-category",
    "frequency": "frequency",
    "personal_data": "personal-data",
    "res_format": "file-type",
}
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")


def _lang() -> str:
    try:
        lang = tk.h.lang() or "de"
    except Exception:
        lang = tk.config.get("ckan.locale_default") or "de"
    return "de" if str(lang).startswith("de") else "en"


# -- branding ------------------------------------------------------------------
def datagovernance_city() -> dict[str, str]:
    """City name, logo and colours from configuration (config_declaration)."""
    def colour(key: str) -> str:
        value = str(tk.config.get(key) or "").strip()
        return value if _HEX_COLOUR.match(value) else ""
    name = tk.config.get("ckanext.datagovernance.ui.city_name") or tk.config.get("ckan.site_title") or ""
    return {
        "name": name,
        "logo": tk.config.get("ckanext.datagovernance.ui.logo") or "",
        "primary": colour("ckanext.datagovernance.ui.color_primary") or "#1f4e79",
        "accent": colour("ckanext.datagovernance.ui.color_accent") or "#0b3d63",
        "contact_email": tk.config.get("ckanext.datagovernance.ui.contact_email") or "",
        "imprint_url": tk.config.get("ckanext.datagovernance.ui.imprint_url") or "",
        "privacy_url": tk.config.get("ckanext.datagovernance.ui.privacy_url") or "",
        "accessibility_url": tk.config.get("ckanext.datagovernance.ui.accessibility_url") or "",
    }


# -- domains -------------------------------------------------------------------
def _domains() -> list[model.Group]:
    return (model.Session.query(model.Group)
            .filter(model.Group.type == service.DOMAIN_GROUP_TYPE, model.Group.state == "active",
                    model.Group.is_organization.is_(False))
            .all())


def _visible_counts(field: str, fq: str = "") -> dict[str, int]:
    """Facet counts of what the current user may see."""
    result = tk.get_action("package_search")(_ctx(), {
        "q": "", "fq": fq, "rows": 0, "include_private": True,
        "facet.field": [field], "facet.limit": -1,
    })
    return dict(result.get("facets", {}).get(field, {}))


def datagovernance_domain_tiles() -> list[dict[str, Any]]:
    """Top-level domains with the number of datasets (sub-domains included)
    the visitor may see, biggest first; empty domains last."""
    groups = _domains()
    counts = _visible_counts("domain")
    parent = {g.name: (g.extras or {}).get("parent_domain") or None for g in groups}

    def top(name: str) -> str:
        seen = 0
        while parent.get(name) and seen < service.MAX_DOMAIN_DEPTH:
            name, seen = parent[name], seen + 1
        return name

    totals: dict[str, int] = {}
    for name, n in counts.items():
        totals[top(name)] = totals.get(top(name), 0) + n
    children: dict[str, list[dict[str, Any]]] = {}
    for g in groups:
        if parent[g.name]:
            children.setdefault(top(g.name), []).append({"name": g.name, "title": g.title or g.name})
    tiles = [{"name": g.name, "title": g.title or g.name, "description": g.description or "",
              "count": totals.get(g.name, 0), "image_url": g.image_url or "",
              "children": sorted(children.get(g.name, []), key=lambda c: c["title"].lower())}
             for g in groups if parent[g.name] is None]
    return sorted(tiles, key=lambda t: (-t["count"], t["title"].lower()))


def datagovernance_domain_search(group_id: str, page: int = 1, rows: int = 20, q: str = "",
                                 sort: str = "") -> dict[str, Any]:
    """The datasets of a domain and its sub-domains that the visitor may see."""
    group = service.get_domain(group_id)
    if group is None:
        return {"count": 0, "results": [], "page": None}
    names = [g.name for g in service.domain_subtree_groups(group.id)]
    fq = "domain:(" + " OR ".join(f'"{n}"' for n in names) + ")"
    page = max(1, int(page or 1))
    result = tk.get_action("package_search")(_ctx(), {
        "q": q or "", "fq": fq, "rows": rows, "start": (page - 1) * rows, "include_private": True,
        "sort": sort or ("score desc, metadata_modified desc" if q else "title_string asc"),
    })
    result["page"] = Page(
        collection=result["results"], page=page, item_count=result["count"], items_per_page=rows,
        url=lambda page=1, **kw: tk.h.url_for("domain.read", id=group.name, page=page, q=q or None),
        presliced_list=True,
    )
    result["page"].items = result["results"]
    return result


def datagovernance_groups_used() -> bool:
    """Whether CKAN's stock groups (type "group") are in use at all (asked by
    the menu and the facets of the same page: once per request)."""
    return request_memo.remembered("groups_used", "", lambda: model.Session.query(model.Group.id).filter(
        model.Group.type == "group", model.Group.state == "active",
        model.Group.is_organization.is_(False)).first() is not None)


def datagovernance_domain_title(name: str | None) -> str:
    if not name:
        return ""
    group = service.get_domain(name)
    return (group.title or group.name) if group else name


# -- home page -----------------------------------------------------------------
def datagovernance_latest_datasets(limit: int = 5) -> list[dict[str, Any]]:
    """The most recently changed published datasets the visitor may see
    (their domains read in one query for the titles beside them)."""
    results = tk.get_action("package_search")(_ctx(), {
        "fq": 'workflow_state:"published"', "rows": limit, "sort": "metadata_modified desc",
        "include_private": True,
    })["results"]
    service.get_domains(pkg.get("domain") or "" for pkg in results)
    return results


def datagovernance_hvd_datasets(limit: int = 6) -> dict[str, Any]:
    """Published high-value datasets the visitor may see, each with the
    labels of its HVD categories (top concepts of the EU vocabulary)."""
    result = tk.get_action("package_search")(_ctx(), {
        "q": "hvd_category:*", "fq": 'workflow_state:"published"', "rows": limit,
        "sort": "title_string asc", "include_private": True,
    })
    hvd = v.get_vocabulary("hvd-category")
    for pkg in result["results"]:
        values = pkg.get("hvd_category") or []
        tops = [hvd.top_concept(val) for val in (values if isinstance(values, list) else [values])]  # type: ignore[attr-defined]
        pkg["datagovernance_hvd_labels"] = sorted({hvd.label(t["value"], _lang()) for t in tops if t})
    return {"count": result["count"], "results": result["results"]}


def datagovernance_published_count() -> int:
    return tk.get_action("package_search")(_ctx(), {
        "fq": 'workflow_state:"published"', "rows": 0, "include_private": True})["count"]


# -- names, not slugs ------------------------------------------------------------
def datagovernance_scope_title(scope_type: str | None, ref: str | None) -> str:
    """Title of a role's scope (domain or dataset); a dataset the current user
    may not read keeps the name it already showed, nothing more."""
    if not ref:
        return ""
    if scope_type == "domain":
        return datagovernance_domain_title(ref)
    if scope_type == "dataset":
        pkg = model.Package.get(ref)
        if pkg is None:
            return ref
        user = tk.current_user if tk.current_user.is_authenticated else None
        return (pkg.title or pkg.name) if policy.may_read(user, pkg) else pkg.name
    return ref


def datagovernance_user_title(ref: str | None) -> str:
    if not ref:
        return ""
    names = service.user_names(ref)  # once per request and person
    if names is not None and names[0] == tk.config.get("ckan.site_id"):
        return _("system")  # CKAN's site user: imports, demo, jobs
    return names[1] if names else ref


def datagovernance_user_image(size: int = 22) -> Markup | str:
    """The logged-in user's picture in the header, as CKAN's user_image
    draws it; unless the picture is an uploaded file, from the user object
    alone (CKAN runs user_show for it on every page, with a count of the
    user's datasets)."""
    user = _user()  # the request's user object: no query
    if user is None:
        return ""
    if user.image_url and user.image_url.startswith(("http://", "https://")):
        # a picture at an address: CKAN's markup from the user object (its
        # helper runs user_show: the user twice and a count of their datasets)
        return Markup('<img src="{}" class="user-image" width="{}" height="{}" alt="{}" />').format(
            tk.h.sanitize_url(user.image_url), size, size, user.name)
    if user.image_url:  # an uploaded file: its address comes from CKAN's file storage
        return tk.h.user_image(user.id, size=size)
    default = tk.config.get("ckan.gravatar_default")
    if default == "disabled":
        return tk.h.snippet("user/snippets/placeholder.html", size=size, user_name=user.display_name)
    return tk.h.gravatar(user.email_hash, size, default)


def datagovernance_organization_info(ref: str | None) -> dict[str, Any]:
    """The organisation box beside a dataset: name, image, description. CKAN
    asks organization_show for everything (members with their dataset
    counts, followers, a dataset count by search) that the box does not
    show (show_nums=false)."""
    if not ref:
        return {}
    try:
        return tk.get_action("organization_show")(_ctx(), {
            "id": ref, "include_datasets": False, "include_dataset_count": False, "include_users": False,
            "include_groups": False, "include_followers": False})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return {}


def datagovernance_organization_title(ref: str | None) -> str:
    if not ref:
        return ""
    org = model.Group.get(ref)
    return (org.title or org.name) if org else ref


# -- German labels for search facets ----------------------------------------------
def facet_label(field: str, value: str, domains: dict[str, model.Group] | None = None) -> str | None:
    """Display label of a facet value, or None to keep CKAN's. `domains`:
    the domain facet's groups, read at once (else one lookup per value)."""
    if value.startswith("[") and field in FACET_VOCABULARIES:
        # scheming multi-selects are indexed as their JSON text
        try:
            values = json.loads(value)
        except ValueError:
            values = [value]
        return ", ".join(facet_label(field, str(x)) or str(x) for x in values)
    if field in FACET_VOCABULARIES:
        return v.get_vocabulary(FACET_VOCABULARIES[field]).label(value, _lang())
    if field == "domain":
        if domains is None:
            return datagovernance_domain_title(value)
        group = domains.get(value)
        return (group.title or group.name) if group else value
    if field == "quality_band":  # the metadata quality facet: the band's name, not its code
        from ..quality.indicators import band_label

        return band_label(value)
    if field == "license_id":
        for lic in v.get_licenses():
            if lic["id"] == value:
                return lic["title"] if _lang() == "de" else lic.get("title_en", lic["title"])
    return None


def order_facets(facets_dict: dict[str, Any]) -> dict[str, Any]:
    """Search facets as a municipality reads them: data domain first, CKAN's
    stock groups only when the site uses them."""
    out = {k: facets_dict[k] for k in ("domain",) if k in facets_dict}
    for key, title in facets_dict.items():
        if key == "groups" and not datagovernance_groups_used():
            continue
        out.setdefault(key, title)
    facets_dict.clear()
    facets_dict.update(out)
    return facets_dict


def label_search_facets(search_results: dict[str, Any]) -> dict[str, Any]:
    """package_search's ``search_facets`` with labels instead of codes."""
    facets = search_results.get("search_facets") or {}
    domains = service.get_domains(item.get("name", "") for item in facets.get("domain", {}).get("items", []))
    for field, facet in facets.items():
        for item in facet.get("items", []):
            label = facet_label(field, item.get("name", ""), domains)
            if label:
                item["display_name"] = label
    return search_results


# -- dataset page ------------------------------------------------------------------
# Field groups of the dataset page (schema field names); what is not named
# here lands in "Further information".
FIELD_GROUPS: list[tuple[str, list[str]]] = [
    ("Content", ["theme", "domain", "tag_string", "frequency", "temporal_start", "temporal_end",
                 "political_geocoding_level", "political_geocoding_uri", "spatial_text", "language"]),
    ("Access and licence", ["access_class", "access_rights", "license_id", "reason_not_open",
                            "hvd_category", "applicable_legislation", "workflow_state"]),
    ("Contact and responsibility", ["owner_org", "data_owner", "data_owner_contact", "contact_name",
                                    "contact_email", "contact_url", "publisher_name", "publisher_uri",
                                    "publisher_type"]),
    ("Governance", ["legal_basis", "source_system", "storage_location", "personal_data",
                    "personal_data_legal_basis", "retention_period", "deletion_date", "master_data",
                    "quality_standard", "reevaluation_date"]),
]
_NOT_IN_TABLE = {"title", "name", "notes", "tag_string", "owner_org"}


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip()) and value.strip() not in ("[]", "{}")
    if isinstance(value, (list, tuple, dict)):
        return bool(value)
    return True


def datagovernance_field_groups(schema: dict[str, Any], pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """The dataset's filled fields in labelled groups (empty fields and
    fields without a display snippet are left out)."""
    fields = {f["field_name"]: f for f in schema.get("dataset_fields", [])
              if f["field_name"] not in _NOT_IN_TABLE and f.get("display_snippet", "") is not None}
    placed: set[str] = set()
    out = []
    for title, names in [*FIELD_GROUPS, ("Further information", list(fields))]:
        rows = [fields[n] for n in names if n in fields and n not in placed and _filled(pkg.get(n))]
        placed.update(names)
        if rows:
            out.append({"title": _(title), "fields": rows})
    return out


def datagovernance_legislation_label(iri: str) -> Any:
    """The HVD regulation by its name (linked); other ELI IRIs as links."""
    label = _("Implementing Regulation (EU) 2023/138 (high-value datasets)") if iri == v.HVD_LEGISLATION else iri
    if iri.startswith(("http://", "https://")):
        return Markup('<a href="{0}">{1}</a>').format(iri, label)
    return label


def get_helpers() -> dict[str, Callable[..., Any]]:
    return {
        "datagovernance_city": datagovernance_city,
        "datagovernance_domain_tiles": datagovernance_domain_tiles,
        "datagovernance_domain_search": datagovernance_domain_search,
        "datagovernance_domain_title": datagovernance_domain_title,
        "datagovernance_groups_used": datagovernance_groups_used,
        "datagovernance_latest_datasets": datagovernance_latest_datasets,
        "datagovernance_hvd_datasets": datagovernance_hvd_datasets,
        "datagovernance_published_count": datagovernance_published_count,
        "datagovernance_scope_title": datagovernance_scope_title,
        "datagovernance_user_title": datagovernance_user_title,
        "datagovernance_organization_title": datagovernance_organization_title,
        "datagovernance_organization_info": datagovernance_organization_info,
        "datagovernance_user_image": datagovernance_user_image,
        "datagovernance_field_groups": datagovernance_field_groups,
        "datagovernance_legislation_label": datagovernance_legislation_label,
        "datagovernance_error_text": text.datagovernance_error_text,
        "datagovernance_datetime": text.datagovernance_datetime,
        "datagovernance_in_ui_language": text.in_ui_language,
        "datagovernance_role_action": text.datagovernance_role_action,
        "datagovernance_activity_type_label": text.datagovernance_activity_type_label,
        "datagovernance_pager": datagovernance_pager,
        "datagovernance_activity_enabled": datagovernance_activity_enabled,
        "datagovernance_new_activities": datagovernance_new_activities,
        "humanize_entity_type": humanize_entity_type,
        "markdown_extract": markdown_extract,
        "csrf_input": csrf_input,
        **links.get_helpers(),
        "datagovernance_block_once": datagovernance_block_once,
        "check_access": check_access,
    }


_BLOCKS = "datagovernance_blocks_once"


def datagovernance_block_once(name: str, block: Any) -> Markup:
    """A template block rendered once per page. CKAN's page.html renders some
    blocks twice: first only to test whether they are empty (`secondary` for
    the `no-nav` class, `content_action` for the button bar), then in place.
    The sidebar holds the dataset's panels (workflow, roles, quality,
    publication, follower count) and the button bar the edit checks, so the
    test cost their queries a second time. The markup is kept on the request
    for this page render only: `block` (Jinja's ``super``) is bound to the
    page's render context, and a different context renders anew."""
    from flask import g, has_request_context

    context = getattr(block, "_context", None)
    if context is None or not has_request_context():
        return Markup(block())
    kept: dict[str, tuple[Any, Markup]] = g.setdefault(_BLOCKS, {})
    if name in kept and kept[name][0] is context:
        return kept[name][1]
    markup = Markup(block())
    kept[name] = (context, markup)
    return markup


def check_access(action: str, data_dict: dict[str, Any] | None = None) -> bool:
    """CKAN's `h.check_access` (same answer), with the user object the
    request already holds (CKAN's own reads the user again by name for every
    button a page asks about), and each question answered once per request
    (the button bar, the resource list and the workflow panel all ask for
    package_update): roles/policy.ckan_allows."""
    return policy.ckan_allows(_user(), action, data_dict)


def datagovernance_activity_enabled() -> bool:
    """Is CKAN's activity plugin loaded? The suite's templates come first
    and add its tabs and dashboard link themselves where they replace a block."""
    import ckan.plugins as p

    return p.plugin_loaded("activity")


def datagovernance_new_activities() -> int | None:
    """The header's dashboard badge: the suite's count for the request's user
    (visibility/activity.py), without the round through CKAN's action, whose
    check only asks for a logged-in user; CKAN's helper where the suite's
    count does not apply (the user follows something)."""
    user = _user()  # the request's user object: no query
    if user is not None:
        from ..visibility import activity

        count = activity.new_dashboard_count(user)
        if count is not None:
            return count
    return tk.h.new_activities()


def datagovernance_pager(page: Any, **kwargs: Any) -> Any:
    """CKAN's pager with named previous/next links (its bare chevron icons
    have no accessible name, WCAG 2.4.4)."""
    from dominate import tags

    def symbol(icon: str, text: str) -> Any:
        span = tags.span()
        span.add(tags.i(cls=f"fa-solid {icon}", aria_hidden="true"))
        span.add(tags.span(text, cls="visually-hidden"))
        return span

    return page.pager(symbol_previous=symbol("fa-chevron-left", _("Previous page")),
                      symbol_next=symbol("fa-chevron-right", _("Next page")), **kwargs)


# -- "domain" in CKAN's generic group texts ------------------------------------------
def _domain_texts() -> dict[str, str]:
    return {
        "add link": _("Add data domain"),
        "add association link": _("Add to data domain"),
        "breadcrumb": _("Data domains"),
        "content tab": _("Data domains"),
        "create label": _("Create data domain"),
        "create title": _("Create data domain"),
        "delete confirmation": _("Are you sure you want to delete this data domain?"),
        "description placeholder": _("What belongs to this data domain..."),
        "edit label": _("Edit data domain"),
        "facet label": _("Data domains"),
        "form label": _("Data domain form"),
        "main nav": _("Data domains"),
        "my label": _("My data domains"),
        "view label": _("View data domain"),
        "name placeholder": _("My data domain"),
        "no any objects": _("There are no data domains yet."),
        "no associated label": _("This dataset belongs to no data domain."),
        "no description": _("There is no description for this data domain."),
        "no label": _("No data domain"),
        "page title": _("Data domains"),
        "save label": _("Save data domain"),
        "search placeholder": _("Search data domains..."),
        "you not member": _("You are not a member of any data domain."),
        "user not member": _("This user is not a member of any data domain."),
        "update label": _("Update data domain"),
    }


def _geodataset_texts() -> dict[str, str]:
    return {
        "add link": _("Add geodataset"),
        "add association link": _("Add to geodataset"),
        "breadcrumb": _("Geodatasets"),
        "content tab": _("Geodatasets"),
        "create label": _("Create geodataset"),
        "create title": _("Create geodataset"),
        "delete confirmation": _("Are you sure you want to delete this geodataset?"),
        "description placeholder": _("What this geodataset shows..."),
        "edit label": _("Edit geodataset"),
        "facet label": _("Geodatasets"),
        "form label": _("Geodataset form"),
        "main nav": _("Geodatasets"),
        "my label": _("My geodatasets"),
        "view label": _("View geodataset"),
        "name placeholder": _("my-geodataset"),
        "no any objects": _("There are no geodatasets yet."),
        "no associated label": _("There are no geodatasets here."),
        "no description": _("There is no description for this geodataset."),
        "no label": _("No geodataset"),
        "page title": _("Geodatasets"),
        "save label": _("Save geodataset"),
        "search placeholder": _("Search geodatasets..."),
        "you not member": _("There are no geodatasets here."),
        "user not member": _("There are no geodatasets here."),
        "update label": _("Update geodataset"),
    }


@tk.chained_helper
def humanize_entity_type(next_helper: Any, entity_type: str, object_type: str, purpose: str) -> Any:
    """The suite's own types in words of the UI language: data domains, and
    geodatasets (CKAN words other types in English: "Geodataset suchen")."""
    if entity_type == "group" and object_type == service.DOMAIN_GROUP_TYPE:
        return _domain_texts().get(purpose, _("Data domain"))
    if entity_type == "package" and object_type == "geodataset":
        return _geodataset_texts().get(purpose, _("Geodataset"))
    return next_helper(entity_type, object_type, purpose)


# a dataset's teaser on every search page: CKAN builds a new Markdown parser
# for each one (7 % of the web workers' time under bench/load.py); the
# extract is a function of the text alone, so each is made once per process
_EXTRACTS: dict[tuple[bytes, int], str] = {}
_EXTRACTS_MAX = 4096


@tk.chained_helper
def markdown_extract(next_helper: Any, text: str, extract_length: int = 190) -> Any:
    if not text:
        return next_helper(text, extract_length)
    key = (hashlib.blake2b(text.encode(), digest_size=16).digest(), extract_length)
    extract = _EXTRACTS.get(key)
    if extract is None:
        if len(_EXTRACTS) >= _EXTRACTS_MAX:  # bounded: start over rather than grow
            _EXTRACTS.clear()
        extract = _EXTRACTS[key] = next_helper(text, extract_length)
    return extract


@tk.chained_helper
def csrf_input(next_helper: Any) -> Markup:
    """CKAN's hidden CSRF field, the same markup without rendering its
    snippet template for each form (~170 µs a call: the office's dataset page
    has eight forms). The token is Flask-WTF's, made once per request and
    kept on `g` under the field's name; the field is kept beside it for as
    long as that token is the request's. The page's own render already
    applied CKAN's caching rules."""
    from flask import g
    from flask_wtf.csrf import generate_csrf

    store = g._get_current_object()  # type: ignore[attr-defined]
    held = getattr(store, "_datagovernance_csrf_input", None)
    if held is not None and getattr(store, held[0], None) is held[1]:
        return held[2]
    token = generate_csrf()
    name = store.csrf_field_name
    field = Markup(f'<input type="hidden" name="{escape(name)}" value="{escape(token)}"/>')
    store._datagovernance_csrf_input = (name, token, field)
    return field
