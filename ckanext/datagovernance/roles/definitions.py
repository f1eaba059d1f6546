"""The role model of the data strategy ("Anhang: Rollen- und Gremienprofile")."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..translate import _

SITE, DOMAIN, DATASET = "site", "domain", "dataset"


@dataclass(frozen=True)
class RoleDef:
    name: str
    scope: str  # site | domain | dataset
    label_de: str
    label_en: str
    deputy: bool = False  # may be granted as deputy
    directory: bool = False  # supporting role listed with contact details


ROLES: dict[str, RoleDef] = {
    r.name: r
    for r in (
        RoleDef("governance_officer", SITE, "Data Governance Officer", "Data governance officer"),
        RoleDef("data_office", SITE, "Datenmanagement-Büro", "Data management office"),
        RoleDef("steward", DOMAIN, "Data Steward", "Data steward", deputy=True),
        RoleDef("owner", DATASET, "Data Owner", "Data owner", deputy=True),
        RoleDef("dpo", SITE, "Datenschutzbeauftragte:r", "Data protection officer", directory=True),
        RoleDef("iso", SITE, "Informationssicherheitsbeauftragte:r", "Information security officer", directory=True),
        RoleDef("infrastructure_lead", SITE, "Leitung Dateninfrastruktur", "Infrastructure lead", directory=True),
        RoleDef("it_support", SITE, "IT-Support", "IT support", directory=True),
        RoleDef("multiplier", SITE, "Datenlotse / Multiplikator:in", "Multiplier (Datenlotse)", directory=True),
        RoleDef("literacy_trainer", SITE, "Data-Literacy-Trainer:in", "Data literacy trainer", directory=True),
    )
}


# as functions: a page translates the label it shows, not all ten
_ROLE_LABELS: dict[str, Callable[[], str]] = {
    "governance_officer": lambda: _("Data Governance Officer"),
    "data_office": lambda: _("Data management office"),
    "steward": lambda: _("Data steward"),
    "owner": lambda: _("Data owner"),
    "dpo": lambda: _("Data protection officer"),
    "iso": lambda: _("Information security officer"),
    "infrastructure_lead": lambda: _("Infrastructure lead"),
    "it_support": lambda: _("IT support"),
    "multiplier": lambda: _("Multiplier (Datenlotse)"),
    "literacy_trainer": lambda: _("Data literacy trainer"),
}


def role_label(name: str) -> str:
    """Translated display name of a role (German first)."""
    label = _ROLE_LABELS.get(name)
    return label() if label else name
