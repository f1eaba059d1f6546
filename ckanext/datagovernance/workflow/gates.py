"""Gates a dataset must pass before it is published as open data.

A gate is a function ``(pkg_dict) -> list[str]`` returning every unmet
condition (bilingual "Deutsch / English" text), empty when it passes. Other
plugins add gates with ``register`` (the DCAT plugin adds DCAT-AP.de
validation), so publishing stays one rule set for API, UI and CLI.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ckan.model as model

Gate = Callable[[dict[str, Any]], list[str]]
_GATES: dict[str, Gate] = {}

# EU 2023/138 Art. 4: CC BY 4.0, CC0 or equivalent/less restrictive
HVD_LICENCES = {"cc-by/4.0", "cc-zero", "dl-by-de/2.0", "dl-zero-de/2.0"}
MACHINE_READABLE = {
    "CSV", "JSON", "XML", "GEOJSON", "RDF_XML", "RDF_TURTLE", "JSON_LD", "XLSX", "ODS", "GML", "KML",
    "KMZ", "SHP", "GPKG", "NETCDF", "WMS_SRVC", "WFS_SRVC", "ATOM", "RSS", "TSV", "PARQUET", "RDF",
}
PERSONAL_BLOCKED = {"pseudonymised", "personal"}
DPO_REVIEW_YES = ("true", "1", "yes")


def register(name: str, gate: Gate) -> None:
    _GATES[name] = gate


def unregister(name: str) -> None:
    _GATES.pop(name, None)


def _format_code(value: str | None) -> str:
    return (value or "").rstrip("/").rsplit("/", 1)[-1].upper()


def open_access(pkg: dict[str, Any]) -> list[str]:
    problems = []
    if pkg.get("access_class") != "public":
        problems.append("Die Zugriffsklasse ist nicht „öffentlich“ / The access class is not public")
    licence = model.Package.get_license_register().get(pkg.get("license_id") or "")
    if licence is None or not licence.isopen():
        problems.append(
            f"Die Lizenz „{pkg.get('license_id') or '-'}“ ist keine offene Lizenz / "
            f"The licence '{pkg.get('license_id') or '-'}' is not an open licence"
        )
    return problems


def personal_data(pkg: dict[str, Any]) -> list[str]:
    if pkg.get("personal_data") in PERSONAL_BLOCKED:
        return [
            "Personenbezogene oder pseudonymisierte Daten können nicht veröffentlicht werden / "
            "Personal or pseudonymised data cannot be published"
        ]
    return []


def open_data_candidate(pkg: dict[str, Any]) -> bool:
    """Can this dataset pass the gates at all? Internal, restricted or
    confidential data and personal or pseudonymised data never become open
    data: the workflow neither offers to publish them nor lists them as a
    task (every other unmet condition can be fixed by editing or a sign-off)."""
    return pkg.get("access_class") == "public" and not personal_data(pkg)


def needs_dpo_signoff(pkg: dict[str, Any]) -> bool:
    return pkg.get("personal_data") == "anonymised" or str(pkg.get("dpo_review", "")).lower() in DPO_REVIEW_YES


# What the stored fields of every open-data candidate contain (a necessary
# condition of open_data_candidate, as jsonb containment): the task query
# lets the index skip approved datasets that can never be published
# (internal, restricted, confidential ones stay approved for good).
OPEN_DATA_CONTAINS: dict[str, list[str]] = {"access_class": ["public"]}


# The two rules above as SQL, for the task query (policy.task_query), which
# decides on all candidates in the database; `value(key)` is the SQL of a
# field's stored text. tests/workflow compare both forms.
def open_data_candidate_sql(value: Callable[[str], str]) -> str:
    blocked = ", ".join(f"'{v}'" for v in sorted(PERSONAL_BLOCKED))
    return (f"(coalesce({value('access_class')}, '') = 'public' "
            f"AND coalesce({value('personal_data')}, '') NOT IN ({blocked}))")


def needs_dpo_signoff_sql(value: Callable[[str], str]) -> str:
    yes = ", ".join(f"'{v}'" for v in DPO_REVIEW_YES)
    return (f"(coalesce({value('personal_data')}, '') = 'anonymised' "
            f"OR lower(coalesce({value('dpo_review')}, '')) IN ({yes}))")


def dpo_signoff(pkg: dict[str, Any]) -> list[str]:
    from . import service  # the store imports gates for the recipients

    if needs_dpo_signoff(pkg) and not service.has_valid_signoff(pkg["id"]):
        return [
            "Die Freigabe durch die Datenschutzbeauftragte fehlt / The data protection officer's sign-off is missing"
        ]
    return []


def hvd(pkg: dict[str, Any]) -> list[str]:
    if not pkg.get("hvd_category"):
        return []
    problems = []
    if pkg.get("license_id") not in HVD_LICENCES:
        problems.append(
            "HVD: Lizenz muss CC BY 4.0, CC0 oder gleichwertig sein / HVD: licence must be CC BY 4.0, CC0 or equivalent"
        )
    resources = pkg.get("resources") or []
    if not any(_format_code(r.get("format")) in MACHINE_READABLE for r in resources):
        problems.append(
            "HVD: keine maschinenlesbare Distribution / HVD: no machine-readable distribution"
        )
    services = [s for r in resources for s in (r.get("access_services") or []) if isinstance(s, dict)]
    if not any(s.get("endpoint_url") and s.get("documentation") for s in services):
        problems.append(
            "HVD: kein API-Zugang (Datendienst mit Endpunkt und Dokumentation) / "
            "HVD: no API access (data service with endpoint and documentation)"
        )
    return problems


for _name, _gate in (("open_access", open_access), ("personal_data", personal_data),
                     ("dpo_signoff", dpo_signoff), ("hvd", hvd)):
    register(_name, _gate)


def run(pkg: dict[str, Any]) -> dict[str, list[str]]:
    """Every gate's unmet conditions, passing gates included (empty list):
    what the transition stores on its event."""
    return {name: gate(pkg) for name, gate in _GATES.items()}
