"""Seed the demo municipality (Stadt Offenbach am Main), idempotently.

Everything goes through CKAN actions as the site user, so the same
validation applies as for any other caller. Existing objects (matched by
name) are left alone unless ``refresh`` is set; a second run therefore
creates nothing and duplicates nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import yaml
from ckan import model

from . import vocab as v

log = logging.getLogger(__name__)

DATA_FILE = Path(__file__).with_name("demo_offenbach.yaml")
HVD_BASE = "http://data.europa.eu/bna/"
THEME_BASE = "http://publications.europa.eu/resource/authority/data-theme/"
FREQ_BASE = "http://publications.europa.eu/resource/authority/frequency/"
LANG_DEU = "http://publications.europa.eu/resource/authority/language/DEU"
LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"


@dataclass
class DemoReport:
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.existing
        target[kind] = target.get(kind, 0) + 1


def load_data() -> dict[str, Any]:
    with DATA_FILE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _context(**extra: Any) -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True, **extra}


def _exists(action: str, name: str) -> dict[str, Any] | None:
    try:
        return tk.get_action(action)(_context(), {"id": name})
    except tk.ObjectNotFound:
        return None


def _ensure(kind: str, show: str, create: str, update: str | None, data: dict[str, Any],
            report: DemoReport, refresh: bool, context: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    current = _exists(show, data["name"])
    if current is None:
        result = tk.get_action(create)(context or _context(), data)
        report.count(kind, True)
        return result
    report.count(kind, False)
    if refresh and update:
        return tk.get_action(update)(context or _context(), dict(current, **data))
    return current


def _users(data: dict[str, Any], password: str, report: DemoReport) -> None:
    domain = data["city"]["mail_domain"]
    for user in data["users"]:
        if model.User.get(user["name"]) is not None:
            report.count("users", False)
            continue
        tk.get_action("user_create")(_context(), {
            "name": user["name"],
            "fullname": user["fullname"],
            "email": f"{user['name'].replace('-', '.')}@{domain}",
            "password": password,
            "about": f"Rolle: {user['role']} (Demo-Stadt Offenbach am Main)",
        })
        report.count("users", True)


def _organizations(data: dict[str, Any], report: DemoReport, refresh: bool) -> None:
    city = data["city"]
    for org in data["organizations"]:
        _ensure("organizations", "organization_show", "organization_create",
                "organization_update", {
                    "name": org["name"],
                    "title": org["title"],
                    "description": org["description"],
                    "contributor_id": city["contributor_id"],
                    "political_geocoding_level": city["level"],
                    "political_geocoding_uri": city["regional_key"],
                    "publisher_type": LOCAL_AUTHORITY,
                    "email": f"{org['name'].removeprefix('of-')}@{city['mail_domain']}",
                }, report, refresh)


def _domains(data: dict[str, Any], report: DemoReport, refresh: bool) -> None:
    def ensure(domain: dict[str, Any], parent: str | None, parent_title: str | None = None) -> None:
        payload = {
            "name": domain["name"],
            "title": domain["title"],
            "type": "domain",
            "description": domain.get("description")
            or f"Unterdomäne von {parent_title or parent}." if parent else domain.get("description", ""),
        }
        if parent:
            payload["parent_domain"] = parent
        _ensure("domains", "group_show", "group_create", "group_update", payload, report, refresh)
        for child in domain.get("children", []):
            ensure(child, domain["name"], domain["title"])

    for domain in data["domains"]:
        ensure(domain, None)


def _memberships(data: dict[str, Any]) -> None:
    """Approximate the role model with CKAN memberships until the roles
    issue adds real role tables (member_create is idempotent)."""
    org_names = [o["name"] for o in data["organizations"]]
    for user in data["users"]:
        orgs = user.get("orgs") or []
        if orgs == "all-admin":
            orgs = [[o, "admin"] for o in org_names]
        elif orgs == "all-member":
            orgs = [[o, "member"] for o in org_names]
        for org, role in orgs:
            tk.get_action("organization_member_create")(
                _context(), {"id": org, "username": user["name"], "role": role})
        for domain in user.get("domains", []):
            tk.get_action("group_member_create")(
                _context(), {"id": domain, "username": user["name"], "role": "admin"})


def _resource(dataset: dict[str, Any], index: int, title: str, fmt: str, base: str,
              api: bool) -> dict[str, Any]:
    file_types = v.get_vocabulary("file-type")
    concept = file_types.get(fmt) or {}
    ext = (concept.get("extensions") or [fmt.lower()])[0]
    is_service = fmt.endswith("_SRVC")
    url = (f"{base}/geo/{dataset['name']}?service={fmt.split('_')[0]}" if is_service
           else f"{base}/dataset/{dataset['name']}/resource/{index}.{ext}")
    res: dict[str, Any] = {"name": title, "url": url, "format": fmt}
    if api and index == 0:
        res["access_services"] = [{
            "title": f"API {dataset['title']}",
            "endpoint_url": [f"{base}/api/{dataset['name']}"],
            "endpoint_description": f"{base}/api/{dataset['name']}/openapi.json",
            "documentation": f"{base}/doku/{dataset['name']}",
            "description": "Programmierschnittstelle (REST, JSON) zu diesem Datensatz.",
        }]
    return res


def _domain_title(data: dict[str, Any], name: str) -> str:
    for top in data["domains"]:
        for d in [top, *top.get("children", [])]:
            if d["name"] == name:
                return d["title"]
    return name


def dataset_dict(data: dict[str, Any], ds: dict[str, Any]) -> dict[str, Any]:
    """The package_create payload of one demo dataset entry."""
    city = data["city"]
    access = ds.get("access", "internal")
    state = ds.get("state") or ("published" if access == "public" else "approved")
    org_title = next(o["title"] for o in data["organizations"] if o["name"] == ds["org"])
    out: dict[str, Any] = {
        "name": ds["name"],
        "type": ds.get("type", "dataset"),
        "title": ds["title"],
        "notes": ds["notes"],
        "owner_org": ds["org"],
        "domain": ds["domain"],
        "data_owner": ds["owner"],
        "data_owner_contact": f"Tel. 069 8065-{1000 + len(ds['name']) * 7}",
        "contact_name": org_title,
        "contact_email": f"{ds['org'].removeprefix('of-')}@{city['mail_domain']}",
        "publisher_name": city["title"],
        "publisher_type": LOCAL_AUTHORITY,
        "political_geocoding_level": city["level"],
        "political_geocoding_uri": city["regional_key"],
        "language": [LANG_DEU],
        "theme": [THEME_BASE + t for t in ds.get("theme", [])],
        "tags": [{"name": t} for t in ds.get("tags") or ["Offenbach am Main", _domain_title(data, ds["domain"])]],
        "access_class": access,
        "personal_data": ds.get("personal", "none"),
        "workflow_state": state,
        "private": not (access == "public" and state == "published"),
    }
    optional = {
        "frequency": FREQ_BASE + ds["frequency"] if ds.get("frequency") else None,
        "license_id": ds.get("license") or ("other-closed" if access != "public" else None),
        "source_system": ds.get("source"),
        "storage_location": ds.get("storage"),
        "legal_basis": ds.get("legal"),
        "personal_data_legal_basis": ds.get("pd_basis"),
        "retention_period": ds.get("retention"),
        "deletion_date": ds.get("deletion"),
        "reason_not_open": ds.get("reason"),
        "reevaluation_date": ds.get("reeval"),
        "hvd_category": [HVD_BASE + c for c in ds.get("hvd", [])] or None,
        "reference_system": ds.get("crs"),
        "scale_denominator": ds.get("scale"),
        "spatial_resolution_in_meters": ds.get("resolution"),
        "inspire_theme": ds.get("inspire"),
        "service_type": ds.get("services"),
    }
    if ds.get("master"):
        optional["master_data"] = True
        optional["quality_standard"] = ds["master"]
    out.update({k: val for k, val in optional.items() if val is not None})
    out["resources"] = [
        _resource(ds, i, title, fmt, city["base_url"], bool(ds.get("api")))
        for i, (title, fmt) in enumerate(ds.get("res", []))
    ]
    return out


def _datasets(data: dict[str, Any], report: DemoReport, refresh: bool) -> None:
    for ds in data["datasets"]:
        payload = dataset_dict(data, ds)
        _ensure("datasets", "package_show", "package_create", "package_update", payload,
                report, refresh, context=_context(datagovernance_workflow_transition=True))


# demo user name prefix -> site-wide governance role
_SITE_ROLES = {
    "dgo-": "governance_officer", "dmb-": "data_office", "dsb-": "dpo", "isb-": "iso",
    "infra-": "infrastructure_lead", "it-": "it_support", "lotse-": "multiplier", "trainer-": "literacy_trainer",
}


def _roles(data: dict[str, Any]) -> None:
    """The strategy's role model as real roles (stewards per domain; owners
    come with the datasets' data_owner field). Idempotent."""
    def grant(user: str, role: str, **scope: Any) -> None:
        try:
            tk.get_action("datagovernance_role_grant")(
                _context(), dict(user=user, role=role, reason="Demo Offenbach am Main", **scope))
        except tk.ValidationError:
            pass  # already granted

    for user in data["users"]:
        for prefix, role in _SITE_ROLES.items():
            if user["name"].startswith(prefix):
                grant(user["name"], role)
        if user["name"].startswith("steward-"):
            for domain in user.get("domains", []):
                grant(user["name"], "steward", domain=domain)


def seed(password: str, refresh: bool = False,
         echo: Callable[[str], None] = log.info) -> DemoReport:
    """Create (or complete) the demo municipality."""
    data = load_data()
    report = DemoReport()
    echo("Benutzer ...")
    _users(data, password, report)
    echo("Organisationen ...")
    _organizations(data, report, refresh)
    echo("Datendomänen ...")
    _domains(data, report, refresh)
    _memberships(data)
    echo("Rollen ...")
    _roles(data)
    echo("Datensätze ...")
    _datasets(data, report, refresh)
    return report
