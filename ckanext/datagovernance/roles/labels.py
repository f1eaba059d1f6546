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
from typing import Any, NamedTuple

import ckan.model as model
import sqlalchemy as sa
from ckan import authz
from ckan.lib.plugins import DefaultPermissionLabels
from ckan.model.group import MAX_RECURSES

from .. import prepared, request_memo
from . import service

OFFICE = "dg-office"
OFFICER = "dg-officer"
DPO = "dg-dpo"
INTERNAL = "dg-internal"
ACCESS_CLASSES = ("public", "internal", "restricted", "confidential")
# Extension point: functions returning ids of users who may read a dataset
# beyond its access class (feedback: granted access requests).
extra_readers: list[Callable[[model.Package], Iterable[str]]] = []


# A user's label facts in one statement: the organisations whose datasets
# the user reads as a member (CKAN's rules below), the datasets they
# collaborate on, and every role of the suite they hold. Built once per
# variant (sysadmin or not, collaborators on or off), not per request.
# The same statement gives what CKAN's organisation-role checks ask
# (has_user_permission_for_group_or_org: edit a dataset, add one, manage an
# organisation): each of the user's memberships with its capacity (whatever
# the group's state, as CKAN asks; whether it is an active organisation),
# and the groups a cascading role reaches below (the walk above: at least
# what CKAN's walk up from a group finds).
_MEMBER_ORGS = """
    WITH RECURSIVE mine AS (
        SELECT group_id, capacity FROM member
         WHERE table_name = 'user' AND table_id = :user AND state = 'active'),
    m AS (SELECT group_id, capacity FROM mine WHERE capacity = ANY(CAST(:read_roles AS text[]))),
    child(depth, group_id, capacity) AS (
        SELECT 0, s.group_id, mine.capacity FROM member s JOIN mine ON s.table_id = mine.group_id
         WHERE mine.capacity = ANY(CAST(:cascade AS text[])) AND s.table_name = 'group' AND s.state = 'active'
        UNION ALL
        SELECT c.depth + 1, s.group_id, c.capacity FROM member s JOIN child c ON s.table_id = c.group_id
         WHERE s.table_name = 'group' AND s.state = 'active' AND c.depth < :max_depth)
    SELECT 'org', g.id, NULL, NULL FROM "group" g
     WHERE g.is_organization AND g.state = 'active'
       AND (g.id IN (SELECT group_id FROM m)
            OR (g.type = 'organization'
                AND g.id IN (SELECT group_id FROM child WHERE capacity = ANY(CAST(:read_roles AS text[])))))
    UNION ALL SELECT 'membership', mine.group_id, mine.capacity,
                     CASE WHEN g.is_organization AND g.state = 'active' THEN 'active_org' END
      FROM mine LEFT JOIN "group" g ON g.id = mine.group_id
    UNION ALL SELECT DISTINCT 'below', group_id, capacity, NULL FROM child
"""
_ALL_ORGS = """
    SELECT 'org', g.id, NULL, NULL FROM "group" g WHERE g.is_organization AND g.state = 'active'
"""
_COLLABORATIONS = """
    UNION ALL SELECT 'collaborator', package_id, capacity, NULL FROM package_member WHERE user_id = :user
"""
_ROLES = """
    UNION ALL SELECT 'role', role, scope_type, scope_id FROM datagovernance_role WHERE user_id = :user
"""
_FACTS = {(sysadmin, collaborators): sa.text((_ALL_ORGS if sysadmin else _MEMBER_ORGS)
                                             + (_COLLABORATIONS if collaborators else "") + _ROLES)
          for sysadmin in (False, True) for collaborators in (False, True)}


class CkanRoleFacts(NamedTuple):
    """A user's organisation roles as CKAN's checks ask them (ckan_role_facts)."""
    memberships: dict[str, frozenset[str]]  # group id -> the user's capacities in it
    below: dict[str, frozenset[str]]  # group id -> cascading capacities held above it
    active_orgs: frozenset[str]  # those of `memberships` that are active organisations
    datasets: frozenset[str]  # an editing collaboration
    sysadmin: bool  # CKAN lets sysadmins do anything (their facts list no roles)


def _facts(user: model.User) -> tuple[list[str], list[tuple[str, str, str]], CkanRoleFacts]:
    """CKAN's labels of a logged-in user (DefaultPermissionLabels: public,
    creator, member of each organisation the user may read, collaborator)
    and the suite's roles of the user, in one statement. CKAN gets its
    labels through organization_list_for_user, which dictizes every
    organisation (all of them for a sysadmin) on every page that searches.
    The same rules: the roles with the "read" permission, cascading to
    sub-organisations (at any depth CKAN walks, through active group
    memberships) for the roles that cascade, active organisations only.
    The roles go into the request's memo, where badges and menus read them,
    and so do the organisation roles CKAN's checks ask about (``ckan_role_facts``)."""
    collaborators = bool(authz.check_config_permission("allow_dataset_collaborators"))
    params = {"user": user.id, "read_roles": list(authz.get_roles_with_permission("read")),
              "cascade": list(authz.check_config_permission("roles_that_cascade_to_sub_groups") or []),
              "max_depth": MAX_RECURSES}
    labels = ["public", f"creator-{user.id}"]
    held: list[tuple[str, str, str]] = []
    memberships: dict[str, set[str]] = {}
    below: dict[str, set[str]] = {}
    active_orgs: set[str] = set()
    edit_datasets: set[str] = set()
    for kind, value, scope_type, scope_id in prepared.execute(
            _FACTS[(bool(user.sysadmin), collaborators)], params):
        if kind == "org":
            labels.append(f"member-{value}")
        elif kind == "membership":
            memberships.setdefault(value, set()).add(scope_type)
            if scope_id == "active_org":
                active_orgs.add(value)
        elif kind == "below":
            below.setdefault(value, set()).add(scope_type)
        elif kind == "collaborator":
            labels.append(f"collaborator-{value}")
            if scope_type in COLLABORATORS_WHO_EDIT:
                edit_datasets.add(value)
        else:
            held.append((value, scope_type, scope_id))
    service.remember_user_roles(user.id, held)
    role_facts = CkanRoleFacts({k: frozenset(v) for k, v in memberships.items()},
                               {k: frozenset(v) for k, v in below.items()},
                               frozenset(active_orgs), frozenset(edit_datasets), bool(user.sysadmin))
    request_memo.put("ckan_role_facts", user.id, role_facts)
    return labels, held, role_facts


# the collaborator capacities CKAN's package_update accepts
COLLABORATORS_WHO_EDIT = ("admin", "editor")


def ckan_role_facts(user: model.User) -> CkanRoleFacts:
    """What CKAN's organisation-role checks (edit, add a dataset, manage an
    organisation) ask about `user`'s roles and collaborations, read with the
    user's labels (one statement, once per request; collaborations only where
    CKAN allows them)."""
    return request_memo.remembered("ckan_role_facts", user.id, lambda: _facts(user)[2])


def ckan_user_labels(user: model.User) -> list[str]:
    """CKAN's own labels of a logged-in user (see _facts)."""
    return _facts(user)[0]


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
        # CKAN passes flask-login's proxy: every attribute read through it costs a context look-up
        user_obj = getattr(user_obj, "_get_current_object", lambda: user_obj)()
        if not user_obj or getattr(user_obj, "is_anonymous", False) or not getattr(user_obj, "id", None):
            return super().get_user_dataset_labels(user_obj)
        labels, held, _role_facts = _facts(user_obj)  # one statement
        labels += [INTERNAL, user_label(user_obj.id)]
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
