"""HVD report: flagged high-value datasets and candidates, per organisation
and domain, with every unmet HVD requirement (EU 2023/138)."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ..roles import policy
from ..roles import service as roles
from ..search import paging
from ..translate import _
from ..workflow import gates

# EU data themes whose datasets often fall under an HVD category
CANDIDATE_THEMES = {"ENVI", "TRAN", "REGI", "ECON", "SOCI"}


def _candidate(pkg: dict[str, Any]) -> bool:
    themes = {str(t).rsplit("/", 1)[-1] for t in (pkg.get("theme") or [])}
    return pkg.get("type") == "geodataset" or bool(themes & CANDIDATE_THEMES)


def _row(pkg: dict[str, Any]) -> dict[str, Any]:
    flagged = bool(pkg.get("hvd_category"))
    # candidates are checked as if flagged: what would be missing
    failing = gates.hvd(pkg if flagged else dict(pkg, hvd_category=["candidate"]))
    if not flagged:
        failing = [_("Not flagged as HVD (candidate by theme or type)")] + failing
    return {
        "id": pkg["id"], "name": pkg["name"], "title": pkg.get("title"),
        "organization": (pkg.get("organization") or {}).get("name"), "domain": pkg.get("domain") or None,
        "flagged": flagged, "categories": list(pkg.get("hvd_category") or []),
        "workflow_state": pkg.get("workflow_state"), "failing": failing,
    }


@tk.side_effect_free
def datagovernance_hvd_report(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """HVD-flagged datasets and candidates the caller may see, each with its
    unmet HVD requirements, and counts per organisation and domain.

    :param organization: only this organisation (name)
    :param domain: only this domain (name)
    """
    tk.check_access("datagovernance_hvd_report", context, data_dict)
    fq = []
    # filters name existing objects; no caller text reaches the query syntax
    if data_dict.get("organization"):
        org = model.Group.get(str(data_dict["organization"]))
        if org is None or not org.is_organization or org.state != "active":
            raise tk.ValidationError({"organization": [
                _("Unknown organisation: {0}").format(data_dict["organization"])]})
        fq.append(f"owner_org:{org.id}")
    if data_dict.get("domain"):
        domain = roles.get_domain(str(data_dict["domain"]))
        if domain is None:
            raise tk.ValidationError({"domain": [_("Unknown data domain: {0}").format(data_dict["domain"])]})
        fq.append(f"domain:({domain.name} OR {domain.id})")
    found = paging.search_all({"user": context.get("user")}, {
        "q": "*:*", "fq_list": fq, "include_private": True, "include_drafts": True,
    })
    rows = [_row(p) for p in found if p.get("hvd_category") or _candidate(p)]
    rows.sort(key=lambda r: (not r["flagged"], r["organization"] or "", r["name"]))

    def count(key: str) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in rows:
            c = out.setdefault(r[key] or "-", {"flagged": 0, "compliant": 0, "candidates": 0})
            if r["flagged"]:
                c["flagged"] += 1
                c["compliant"] += 0 if r["failing"] else 1
            else:
                c["candidates"] += 1
        return out

    return {"datasets": rows, "by_organization": count("organization"), "by_domain": count("domain")}


def report_auth(context: Context, data_dict: DataDict) -> dict[str, Any]:
    user = model.User.get(context.get("user") or "")
    allowed = policy.is_governance_admin(user) or policy.is_steward(user)
    return {"success": allowed, "msg": _("Only the data office and stewards see the HVD report.")}


def csv_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The report as a table in words: titles and labels, not slugs and IRIs."""
    from ..catalog.helpers import datagovernance_vocab_label as label
    from ..ui.helpers import datagovernance_domain_title, datagovernance_organization_title
    from ..ui.text import in_ui_language

    headers = [_("Dataset"), _("Address"), _("Organization"), _("Data domain"), _("Flagged as HVD"),
               _("HVD categories"), _("Workflow state"), _("Unmet requirements")]
    rows = [[
        r["title"] or r["name"], tk.url_for("dataset.read", id=r["name"], _external=True),
        datagovernance_organization_title(r["organization"]), datagovernance_domain_title(r["domain"]),
        r["flagged"], [label("hvd-category", c) for c in r["categories"]],
        label("workflow-state", r["workflow_state"]) if r["workflow_state"] else "",
        " | ".join(in_ui_language(m) for m in r["failing"]),
    ] for r in report["datasets"]]
    return headers, rows
