"""Permission labels: who may read a dataset, by its access class.

CKAN stores a dataset's labels in the search index and compares them with the
reading user's labels in package_search, package_show and everything built on
them, so search results, counts, facets and pages agree.

  public        everyone, once published (not `private`) and active in CKAN;
                before that (and as a CKAN draft) like restricted
  internal      every logged-in member of the administration
  restricted    members of the owning organisation, the domain's stewards,
                the owner and deputy, the data office, the governance officer
  confidential  owner and deputy, the domain's stewards, the data office,
                the governance officer

Datasets with personal data are also readable by the data protection officer,
who signs off their publication. A deleted dataset has no labels: only
sysadmins read it (as ``policy.may_read`` says), in search and in the activity
streams, whose rows carry the labels too (``visibility.activity``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import ckan.model as model
from ckan.lib.plugins import DefaultPermissionLabels
from flask import g, has_request_context

from ..search import replica
from . import service

OFFICE = "dg-office"
OFFICER = "dg-officer"
DPO = "dg-dpo"
INTERNAL = "dg-internal"
ACCESS_CLASSES = ("public", "internal", "restricted", "confidential")
# Extension point: functions returning ids of users who may read a dataset
# beyond its access class (feedback: granted access requests).
extra_readers: list[Callable[[model.Package], Iterable[str]]] = []


def _request_memo() -> dict[str, list[str]] | None:
    """Per-request memo of users' labels; none once the request wrote (a
    role or membership may have changed) or outside a request."""
    if not has_request_context() or replica.session_wrote():
        return None
    return g.setdefault("datagovernance_user_labels", {})


def user_label(user_id: str) -> str:
    return f"dg-user-{user_id}"


def steward_label(domain_id: str) -> str:
    return f"dg-steward-{domain_id}"


def access_class(pkg: model.Package) -> str:
    value = pkg.extras.get("access_class") or "internal"
    return value if value in ACCESS_CLASSES else "confidential"


class DataGovernanceLabels(DefaultPermissionLabels):
    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        if "access_class" not in dataset_obj.extras:
            # not governed by the suite's schemas (harvest sources, ...)
            return super().get_dataset_labels(dataset_obj)
        if dataset_obj.state == "deleted":
            return []
        cls = access_class(dataset_obj)
        if cls == "public" and not dataset_obj.private and dataset_obj.state == "active":
            return ["public"]
        labels = [OFFICE, OFFICER]
        if dataset_obj.extras.get("personal_data") not in (None, "", "none"):
            # the data protection officer reviews everything with personal data
            labels.append(DPO)
        owners, lineage = service.label_facts(dataset_obj)
        labels += [user_label(u) for u in owners]
        labels += [steward_label(d) for d in lineage]
        if cls in ("public", "restricted", "internal"):
            # CKAN's own labels: organisation members, collaborators, creator
            labels += [lb for lb in super().get_dataset_labels(dataset_obj) if lb != "public"]
            if dataset_obj.owner_org:
                labels.append(f"member-{dataset_obj.owner_org}")
        if cls == "internal":
            labels.append(INTERNAL)
        labels += [user_label(u) for source in extra_readers for u in source(dataset_obj)]
        return sorted(set(labels))

    def get_user_dataset_labels(self, user_obj: Any) -> list[str]:
        # CKAN asks several times per page (search, activity, counts); a
        # request that has not written gets the same answer each time
        memo = _request_memo()
        key = getattr(user_obj, "id", None) or ""
        if memo is not None and key in memo:
            return list(memo[key])
        labels = self._user_labels(user_obj)
        if memo is not None:
            memo[key] = list(labels)
        return labels

    def _user_labels(self, user_obj: Any) -> list[str]:
        labels = super().get_user_dataset_labels(user_obj)
        if not user_obj or getattr(user_obj, "is_anonymous", False) or not getattr(user_obj, "id", None):
            return labels
        labels += [INTERNAL, user_label(user_obj.id)]
        held = service.user_roles(user_obj.id)  # one query for all of the user's roles
        roles = {role for role, scope_type, _scope in held if scope_type == "site"}
        if "data_office" in roles:
            labels.append(OFFICE)
        if "governance_officer" in roles:
            labels.append(OFFICER)
        if "dpo" in roles:
            labels.append(DPO)
        # a dataset carries its domain's lineage, so direct domains suffice
        labels += [steward_label(scope) for role, _type, scope in held if role == "steward"]
        return labels
