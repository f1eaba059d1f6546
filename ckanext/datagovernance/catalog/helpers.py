"""Template helpers of the catalog (registered through ITemplateHelpers)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from . import access
from . import vocab as v


def _lang() -> str:
    try:
        lang = tk.h.lang() or "de"
    except Exception:
        lang = tk.config.get("ckan.locale_default") or "de"
    return "de" if str(lang).startswith("de") else "en"


def datagovernance_vocab_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """scheming ``choices_helper``: the choices of the field's vocabulary
    (labels as {de, en} dicts; scheming picks the UI language)."""
    return v.get_vocabulary(field["datagovernance_vocab"]).choices()


def datagovernance_vocab_label(name: str, value: Any) -> str:
    """Label of a vocabulary value in the UI language."""
    return v.get_vocabulary(name).label(value, _lang())


def datagovernance_vocabulary(name: str) -> v.Vocabulary:
    return v.get_vocabulary(name)


def datagovernance_domain_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """All active data domains (groups of type ``domain``), sub-domains
    indented under their parent."""
    groups = (
        model.Session.query(model.Group)
        .filter(model.Group.type == "domain", model.Group.state == "active",
                model.Group.is_organization.is_(False))
        .all()
    )
    children: dict[str | None, list[model.Group]] = {}
    for group in groups:
        children.setdefault((group.extras or {}).get("parent_domain") or None, []).append(group)
    out: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for group in sorted(children.get(parent, []), key=lambda g: g.title or g.name):
            out.append({"value": group.name, "label": "— " * depth + (group.title or group.name)})
            if depth < 10:
                walk(group.name, depth + 1)

    walk(None, 0)
    return out


def datagovernance_user_display(user_id: str | None) -> str:
    if not user_id:
        return ""
    from ..roles import service as roles  # the page's roles box has read the owner already

    return roles.user_display_name(user_id) or user_id


def datagovernance_license_title(license_id: str | None) -> str:
    """Licence title in the UI language (the register itself is German)."""
    for lic in v.get_licenses():
        if lic["id"] == license_id:
            return lic["title"] if _lang() == "de" else lic.get("title_en", lic["title"])
    return license_id or ""


def datagovernance_internal_fields() -> list[str]:
    return sorted(access.internal_fields())


# The create/edit form in sections (issue 11): which field goes where. A
# field not listed lands in the last section, so a new field is never lost.
FORM_SECTIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("what", "What is it?", ("title", "name", "inventory_id", "notes", "tag_string", "theme", "language",
                             "frequency", "temporal_start", "temporal_end", "master_data", "quality_standard",
                             "source_system", "storage_location")),
    ("who", "Who is responsible?", ("owner_org", "domain", "data_owner", "data_owner_contact", "contact_name",
                                    "contact_email", "contact_url", "publisher_name", "publisher_uri",
                                    "publisher_type")),
    ("access", "Access and protection", ("access_class", "personal_data", "personal_data_legal_basis",
                                         "legal_basis", "retention_period", "deletion_date")),
    ("publication", "Publication", ("license_id", "reason_not_open", "reevaluation_date", "hvd_category",
                                    "applicable_legislation")),
    ("geo", "Geodata", ("spatial_text", "political_geocoding_level", "political_geocoding_uri",
                        "reference_system", "scale_denominator", "spatial_resolution_in_meters",
                        "inspire_theme", "service_type")),
]


def datagovernance_form_sections(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The form's fields grouped into sections, required fields first in
    each (the schema's order otherwise); sections without fields left out."""
    where = {name: key for key, _title, names in FORM_SECTIONS for name in names}
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key, _t, _n in FORM_SECTIONS}
    for field in fields:
        if field.get("form_snippet", "") is None:
            continue
        grouped[where.get(field["field_name"], FORM_SECTIONS[-1][0])].append(field)
    out = []
    for key, title, _names in FORM_SECTIONS:
        items = sorted(grouped[key], key=lambda f: not f.get("required"))
        if items:
            out.append({"key": key, "title": tk._(title), "fields": items})
    return out


def get_helpers() -> dict[str, Callable[..., Any]]:
    return {
        "datagovernance_form_sections": datagovernance_form_sections,
        "datagovernance_vocab_choices": datagovernance_vocab_choices,
        "datagovernance_vocab_label": datagovernance_vocab_label,
        "datagovernance_vocabulary": datagovernance_vocabulary,
        "datagovernance_domain_choices": datagovernance_domain_choices,
        "datagovernance_user_display": datagovernance_user_display,
        "datagovernance_license_title": datagovernance_license_title,
        "datagovernance_internal_fields": datagovernance_internal_fields,
    }
