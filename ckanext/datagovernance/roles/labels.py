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
import sqlalchemy as sa
from ckan import authz
from ckan.lib.plugins import DefaultPermissionLabels

from .. import request_memo
from . import service

OFFICE = "dg-office"
OFFICER = "dg-officer"
DPO = "dg-dpo"
INTERNAL = "dg-internal"
ACCESS_CLASSES = ("public", "internal", "restricted", "confidential")
# Extension point: functions returning ids of users who may read a dataset
# beyond its access class (feedback: granted access requests).
extra_readers: list[Callable[[model.Package], Iterable[str]]] = []


def ckan_user_labels(user: model.User) -> list[str]:
    """CKAN's own labels of a logged-in user (DefaultPermissionLabels: public,
    creator, member of each organisation the user may read, collaborator),
    from the ids alone: CKAN gets them through organization_list_for_user,
    which dictizes every organisation (all of them for a sysadmin) on every
    page that searches. The same rules: the roles with the "read" permission,
    cascading to sub-organisations for the roles that cascade, active
    organisations only."""
    labels = ["public", f"creator-{user.id}"]
    orgs = sa.select(model.Group.id).where(model.Group.is_organization.is_(True), model.Group.state == "active")
    if not authz.is_sysadmin(user.name):
        memberships = model.Session.execute(sa.select(model.Member.group_id, model.Member.capacity).where(
            model.Member.table_name == "user", model.Member.table_id == user.id, model.Member.state == "active",
            model.Member.capacity.in_(authz.get_roles_with_permission("read")))).all()
        cascade = authz.check_config_permission("roles_that_cascade_to_sub_groups") or []
        group_ids = {group_id for group_id, _capacity in memberships}
        cascading = {group_id for group_id, capacity in memberships if capacity in cascade}
        if cascading:  # CKAN walks down from each; only those with sub-groups need it
            parents = model.Session.scalars(sa.select(model.Member.table_id).distinct().where(
                model.Member.table_id.in_(cascading), model.Member.table_name == "group",
                model.Member.state == "active")).all()
            for group in filter(None, map(model.Group.get, parents)):
                group_ids |= {row[0] for row in group.get_children_group_hierarchy(type="organization")}
        if not group_ids:
            orgs = None
        else:
            orgs = orgs.where(model.Group.id.in_(group_ids))
    if orgs is not None:
        labels += [f"member-{org_id}" for org_id in model.Session.scalars(orgs)]
    if authz.check_config_permission("allow_dataset_collaborators"):
        labels += [f"collaborator-{pkg_id}" for pkg_id in model.Session.scalars(
            sa.select(model.PackageMember.package_id).where(model.PackageMember.user_id == user.id))]
    return labels


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
        key = getattr(user_obj, "id", None) or ""
        return list(request_memo.remembered("user_labels", key, lambda: self._user_labels(user_obj)))

    def _user_labels(self, user_obj: Any) -> list[str]:
        if not user_obj or getattr(user_obj, "is_anonymous", False) or not getattr(user_obj, "id", None):
            return super().get_user_dataset_labels(user_obj)
        labels = ckan_user_labels(user_obj)
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
