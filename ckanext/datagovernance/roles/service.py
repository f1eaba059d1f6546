"""Role lookups and changes: the one place that reads and writes role rows.

Actions, auth functions, permission labels and the schema's `data_owner`
field all go through these functions, so API, UI and CLI share one rule set.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import ckan.model as model
import sqlalchemy as sa
from flask import has_request_context

from .. import page_facts, prefetch, prepared, request_memo
from ..translate import _
from .definitions import DATASET, DOMAIN, ROLES, SITE
from .model import RoleAssignment, RoleEvent

DOMAIN_GROUP_TYPE = "domain"
# CKAN 2.12 knows active/pending/deleted users; a blocked account is one more
# non-active state: CKAN logs it out and refuses login and API tokens, and
# unlike "pending" a password reset does not activate it.
BLOCKED = "blocked"
MAX_DOMAIN_DEPTH = 20  # guards the recursive look-up against a cycle of parents


class RoleError(Exception):
    """A refused role change; `field` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# -- resolving references ----------------------------------------------------
def context_user(context: Any) -> model.User | None:
    """The user an action runs for (auth_user_obj when CKAN set it; the
    request's logged-in user object when the context names that user)."""
    user = context.get("auth_user_obj") or request_user(context.get("user")) or model.User.get(
        context.get("user") or "")
    return user if isinstance(user, model.User) else None


def request_user(ref: str | None) -> model.User | None:
    """The user object flask-login loaded for this request if `ref` (name or
    id) is that user, else None: the same row, without reading it again."""
    if not ref or not has_request_context():
        return None
    import ckan.plugins.toolkit as tk

    user = tk.current_user._get_current_object()
    return user if isinstance(user, model.User) and ref in (user.name, user.id) else None


def get_user(ref: str | None) -> model.User | None:
    if not ref:
        return None
    return model.User.get(ref)


def get_domain(ref: str | None) -> model.Group | None:
    if not ref:
        return None

    def lookup() -> model.Group | None:
        # Group.get's order (the id first, then the name) in one statement:
        # by name, Group.get asks twice
        group = model.Session.scalars(
            sa.select(model.Group).where(sa.or_(model.Group.id == ref, model.Group.name == ref))
            .order_by((model.Group.id == ref).desc()).limit(1)).first()
        if group is None or group.type != DOMAIN_GROUP_TYPE or group.state != "active":
            return None
        return group

    return request_memo.remembered("domain", ref, lookup)


def get_domains(refs: Iterable[str]) -> dict[str, model.Group]:
    """get_domain for many names or ids in one query (facets, lists)."""
    refs = [r for r in set(refs) if r]
    if not refs:
        return {}
    groups = model.Session.scalars(sa.select(model.Group).where(
        sa.or_(model.Group.id.in_(refs), model.Group.name.in_(refs)),
        model.Group.type == DOMAIN_GROUP_TYPE, model.Group.state == "active")).all()
    # Group.get tries the id first, then the name
    found = {g.name: g for g in groups} | {g.id: g for g in groups}
    result = {r: found[r] for r in refs if r in found}
    for ref, group in result.items():  # get_domain of these asks no second time in this request
        request_memo.remembered("domain", ref, lambda group=group: group)
    return result


def get_dataset(ref: str | None) -> model.Package | None:
    if not ref:
        return None
    pkg = model.Package.get(ref)
    if pkg is None or pkg.state == "deleted":
        return None
    return pkg


def dataset_domain(pkg: model.Package) -> model.Group | None:
    """The primary domain of a dataset (schema field `domain`, name or id)."""
    return get_domain(pkg.extras.get("domain"))


def domain_lineage(group: model.Group | None) -> list[str]:
    """The domain's id and those of its parents, nearest first (the one walk
    up the domain tree: the same recursive query the permission labels use)."""
    if group is None:
        return []

    def walk() -> list[str]:
        ids: list[str] = []
        for (domain_id,) in model.Session.execute(_LINEAGE, {"domain": group.id}):
            if domain_id not in ids:  # a cycle of parents stops at MAX_DOMAIN_DEPTH
                ids.append(domain_id)
        return ids

    return list(request_memo.remembered("domain_lineage", group.id, walk))


def domain_subtree(domain_ids: Iterable[str]) -> set[str]:
    """Domains and all their sub-domains."""
    all_domains = model.Session.scalars(
        sa.select(model.Group).where(model.Group.type == DOMAIN_GROUP_TYPE, model.Group.state == "active")
    ).all()
    return _subtree(all_domains, domain_ids)


def _subtree(all_domains: list[model.Group], domain_ids: Iterable[str]) -> set[str]:
    children: dict[str, list[str]] = {}
    by_ref = {g.id: g.id for g in all_domains} | {g.name: g.id for g in all_domains}
    for g in all_domains:
        parent = by_ref.get(g.extras.get("parent_domain") or "")
        if parent:
            children.setdefault(parent, []).append(g.id)
    result: set[str] = set()
    stack = [d for d in domain_ids]
    while stack:
        d = stack.pop()
        if d in result:
            continue
        result.add(d)
        stack.extend(children.get(d, []))
    return result


# -- reading roles -----------------------------------------------------------
def assignments(
    user_id: str | None = None,
    role: str | None = None,
    scope_type: str | None = None,
    scope_ids: Iterable[str] | None = None,
) -> list[RoleAssignment]:
    q = sa.select(RoleAssignment)
    if user_id:
        q = q.where(RoleAssignment.user_id == user_id)
    if role:
        q = q.where(RoleAssignment.role == role)
    if scope_type:
        q = q.where(RoleAssignment.scope_type == scope_type)
    if scope_ids is not None:
        q = q.where(RoleAssignment.scope_id.in_(list(scope_ids)))
    q = q.order_by(RoleAssignment.role, RoleAssignment.scope_id, RoleAssignment.deputy, RoleAssignment.granted_at)
    return list(model.Session.scalars(q))


_WITHOUT_OWNER = sa.text("""
    SELECT count(*) FROM unnest(CAST(:ids AS text[])) AS d(id)
     WHERE NOT EXISTS (SELECT 1 FROM datagovernance_role r
                        WHERE r.role = 'owner' AND r.scope_type = :dataset AND r.scope_id = d.id AND NOT r.deputy)
""").bindparams(dataset=DATASET)


def count_without_owner(pkg_ids: Iterable[str]) -> int:
    """How many of these datasets have no (non-deputy) data owner, counted
    in the database: no assignment rows loaded."""
    return int(prepared.execute(_WITHOUT_OWNER, {"ids": list(pkg_ids)}).scalar_one())


def role_scopes(user_id: str, role: str) -> set[str]:
    """The scopes (domain or dataset ids) in which a user holds `role`, as
    deputy too (from the request's memo of the user's roles)."""
    return {scope for held, _type, scope in user_roles(user_id) if held == role}


def site_roles(user_id: str) -> set[str]:
    return {role for role, scope_type, _scope in user_roles(user_id) if scope_type == SITE}


def has_site_role(user_id: str | None, *roles: str) -> bool:
    return bool(user_id) and bool(site_roles(user_id) & set(roles))  # type: ignore[arg-type]


def stewarded_domains(user_id: str) -> set[str]:
    """Domains a user stewards (as steward or deputy), with their sub-domains."""
    direct = {scope for role, _type, scope in user_roles(user_id) if role == "steward"}
    return domain_subtree(direct) if direct else set()


def is_domain_steward(user_id: str | None, pkg: model.Package) -> bool:
    if not user_id:
        return False
    lineage = current_label_facts(pkg)[1]  # = domain_lineage(dataset_domain(pkg)), read with the owners
    if not lineage:
        return False
    return any(role == "steward" and scope in lineage for role, _type, scope in user_roles(user_id))


def dataset_owners(pkg_id: str) -> list[RoleAssignment]:
    return assignments(role="owner", scope_type=DATASET, scope_ids=[pkg_id])


# Read on every package_show and index write: plain SQL built once, so no
# statement construction per call (the same query as SQLAlchemy constructs
# cost 5x as much here, mostly building and compiling the recursive CTE).
_LINEAGE_CTE = """
    WITH RECURSIVE lineage(id, parent, depth) AS (
        SELECT g.id, g.extras ->> 'parent_domain', 0 FROM "group" g
         WHERE (g.id = :domain OR g.name = :domain) AND g.type = :type AND g.state = 'active'
        UNION ALL
        SELECT up.id, up.extras ->> 'parent_domain', l.depth + 1
          FROM "group" up JOIN lineage l ON up.id = l.parent OR up.name = l.parent
         WHERE up.type = :type AND up.state = 'active' AND l.depth < :max_depth)
"""
# The domains in :domains (ids) and all their active sub-domains, as the
# rows of `subtree(id, name)`: domain_subtree in SQL, for statements that
# need it inside (the header's requests count).
DOMAIN_SUBTREE_CTE = f"""
    WITH RECURSIVE subtree(id, name, depth) AS (
        SELECT g.id, g.name, 0 FROM "group" g
         WHERE g.id = ANY(CAST(:domains AS text[])) AND g.type = '{DOMAIN_GROUP_TYPE}' AND g.state = 'active'
        UNION ALL
        SELECT down.id, down.name, s.depth + 1
          FROM "group" down JOIN subtree s
            ON down.extras ->> 'parent_domain' = s.id OR down.extras ->> 'parent_domain' = s.name
         WHERE down.type = '{DOMAIN_GROUP_TYPE}' AND down.state = 'active' AND s.depth < {MAX_DOMAIN_DEPTH})
"""
_LINEAGE = sa.text(_LINEAGE_CTE + "SELECT id FROM lineage ORDER BY depth").bindparams(
    type=DOMAIN_GROUP_TYPE, max_depth=MAX_DOMAIN_DEPTH)
_OWNER_NAME = sa.text("""
    SELECT u.name FROM datagovernance_role r JOIN "user" u ON u.id = r.user_id
     WHERE r.role = 'owner' AND r.scope_type = :dataset AND r.scope_id = :pkg AND NOT r.deputy
     ORDER BY r.granted_at LIMIT 1
""").bindparams(dataset=DATASET)


_USER_ROLES = sa.text("SELECT role, scope_type, scope_id FROM datagovernance_role WHERE user_id = :user")


def user_roles(user_id: str) -> list[tuple[str, str, str]]:
    """(role, scope_type, scope_id) of every role a user holds: one query,
    once per request (labels, site roles, badges and menus all ask)."""
    def read() -> list[tuple[str, str, str]]:
        return [tuple(r) for r in model.Session.execute(_USER_ROLES, {"user": user_id})]  # type: ignore[misc]

    return list(request_memo.remembered("user_roles", user_id, read))


def remember_user_roles(user_id: str, held: list[tuple[str, str, str]]) -> None:
    """The roles of `user_id` read by another statement of this request
    (the permission labels read them with the user's memberships)."""
    request_memo.remembered("user_roles", user_id, lambda: held)


def label_facts(pkg: model.Package) -> tuple[list[str], list[str]]:
    """Owner/deputy user ids and the primary domain's lineage (own id first),
    in one round trip: a recursive CTE up the domain tree plus the owner rows
    (from a prefetch.scope() when one holds them)."""
    owners, lineage = prefetch.known("label_facts", pkg.id, lambda: current_label_facts(pkg))
    return list(owners), list(lineage)


# a dataset's owner/deputy user ids and its primary domain's lineage (own id
# first) as one JSON value: read alone by ``current_label_facts`` or with the
# dataset page's other facts (a cycle of parents stops at MAX_DOMAIN_DEPTH;
# the ids come once each)
_LABEL_FACTS_JSON = f"""json_build_object(
    'owners', (SELECT coalesce(json_agg(r.user_id), '[]') FROM datagovernance_role r
                WHERE r.role = 'owner' AND r.scope_type = '{DATASET}' AND r.scope_id = :pkg),
    'lineage', (SELECT coalesce(json_agg(id ORDER BY depth), '[]') FROM ({_LINEAGE_CTE} SELECT id, depth FROM lineage) l))"""


def _label_facts_key(pkg: model.Package) -> str:
    return f"{pkg.id} {pkg.extras.get('domain') or ''}"


def _remember_label_facts(pkg: model.Package, value: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    found = (list(dict.fromkeys(value["owners"])), list(dict.fromkeys(value["lineage"])))
    request_memo.put("label_facts", _label_facts_key(pkg), found)
    return found


LABEL_FACTS = page_facts.Part(_LABEL_FACTS_JSON, _remember_label_facts, lambda pkg: {
    "domain": pkg.extras.get("domain") or "", "type": DOMAIN_GROUP_TYPE, "max_depth": MAX_DOMAIN_DEPTH},
    lambda pkg: ("label_facts", _label_facts_key(pkg)))


def current_label_facts(pkg: model.Package) -> tuple[list[str], list[str]]:
    """``label_facts`` as the database has them now, once per request (a
    dataset page's every panel asks in its read check, and the edit checks;
    per domain too, should the request change it; any write drops it)."""
    def read() -> tuple[list[str], list[str]]:
        return page_facts.read_together(pkg, [LABEL_FACTS])[0]  # type: ignore[no-any-return]

    owners, lineage = request_memo.remembered("label_facts", _label_facts_key(pkg), read)
    return list(owners), list(lineage)


def owner_name(pkg_id: str) -> str:
    """User name of the dataset's (non-deputy) owner, or ""."""
    return prefetch.known("owner_name", pkg_id, lambda: request_memo.remembered(
        "owner_name", pkg_id, lambda: prepared.execute(_OWNER_NAME, {"pkg": pkg_id}).scalar() or ""))


_OWNERS_OF = sa.text("""
    SELECT r.scope_id, r.user_id, r.deputy, u.name FROM datagovernance_role r LEFT JOIN "user" u ON u.id = r.user_id
     WHERE r.role = 'owner' AND r.scope_type = :dataset AND r.scope_id = ANY(:ids)
     ORDER BY r.scope_id, r.granted_at
""").bindparams(dataset=DATASET)


def prefetch_dataset_facts(pkgs: Iterable[model.Package]) -> None:
    """label_facts and owner_name of many datasets for a prefetch.scope():
    the owner rows in one query, the lineage once per domain (the queries
    of _LABEL_FACTS and _OWNER_NAME, for many datasets)."""
    pkgs = list(pkgs)
    if not prefetch.active() or not pkgs:
        return
    owners: dict[str, list[str]] = {p.id: [] for p in pkgs}
    names: dict[str, str] = {p.id: "" for p in pkgs}
    for pkg_id, user_id, deputy, name in model.Session.execute(_OWNERS_OF, {"ids": list(owners)}):
        if user_id not in owners[pkg_id]:
            owners[pkg_id].append(user_id)
        if not deputy and name is not None and not names[pkg_id]:
            names[pkg_id] = name
    lineages: dict[str, list[str]] = {}
    for ref in {p.extras.get("domain") or "" for p in pkgs}:
        ids: list[str] = []
        for (domain_id,) in model.Session.execute(_LINEAGE, {"domain": ref}):
            if domain_id not in ids:
                ids.append(domain_id)
        lineages[ref] = ids
    prefetch.put("label_facts", {p.id: (owners[p.id], lineages[p.extras.get("domain") or ""]) for p in pkgs})
    prefetch.put("owner_name", names)


def owner_user_id(pkg_id: str) -> str | None:
    for a in dataset_owners(pkg_id):
        if not a.deputy:
            return a.user_id
    return None


def is_dataset_owner(user_id: str | None, pkg_id: str) -> bool:
    if not user_id:
        return False
    pkg = model.Package.get(pkg_id)  # by id: the session's copy, no query
    return pkg is not None and user_id in current_label_facts(pkg)[0]  # owners and deputies, with the lineage


def domain_subtree_groups(domain_id: str) -> list[model.Group]:
    """The active domain `domain_id` and all its sub-domains (once per
    request: the domain page lists their datasets and sums them up)."""
    def read() -> list[model.Group]:
        all_domains = model.Session.scalars(
            sa.select(model.Group).where(model.Group.type == DOMAIN_GROUP_TYPE, model.Group.state == "active")
        ).all()
        ids = _subtree(all_domains, [domain_id])
        return [g for g in all_domains if g.id in ids]

    return list(request_memo.remembered("domain_subtree_groups", domain_id, read))


def _dictized_assignments(where: Any) -> list[Any]:
    """(assignment, user, domain) rows of the assignments matching `where`, one statement."""
    return model.Session.execute(
        sa.select(RoleAssignment, model.User, model.Group)
        .select_from(RoleAssignment)
        .outerjoin(model.User, model.User.id == RoleAssignment.user_id)
        .outerjoin(model.Group, sa.and_(RoleAssignment.scope_type == DOMAIN, model.Group.id == RoleAssignment.scope_id))
        .where(where)
        .order_by(RoleAssignment.role, RoleAssignment.scope_id, RoleAssignment.deputy, RoleAssignment.granted_at)
    ).all()


def _dictize_rows(rows: list[Any]) -> list[dict[str, Any]]:
    out = []
    for a, user, group in rows:
        out.append(dictize(a, {user.id: user} if user is not None else {},
                           {group.id: group} if group is not None else {}))
        if user is not None:
            remember_user_names(user.id, user.name, user.display_name)
    return out


def domain_stewards_dictized(domain_id: str) -> list[dict[str, Any]]:
    """``dictize`` of ``domain_stewards(domain_id)``, users and domains in one statement."""
    return _dictize_rows(_dictized_assignments(sa.and_(
        RoleAssignment.role == "steward", RoleAssignment.scope_type == DOMAIN, RoleAssignment.scope_id == domain_id)))


# the dataset's owners (deputies too) and the stewards of its domain and the
# domain's parents (the walk up the domain tree as the labels do it), in the
# order of the assignments, as one JSON value of the columns shown: no user,
# group or assignment rows loaded (the dataset page's roles box)
_RESPONSIBLE = f"""(SELECT coalesce(json_agg(json_build_object(
        'id', r.id, 'user_id', r.user_id, 'user_name', u.name, 'user_fullname', u.fullname,
        'role', r.role, 'scope_type', r.scope_type, 'scope_id', r.scope_id,
        'scope_name', CASE r.scope_type WHEN '{DOMAIN}' THEN g.name WHEN '{DATASET}' THEN p.name END,
        'deputy', r.deputy, 'contact', r.contact, 'granted_by', r.granted_by, 'granted_at', r.granted_at)
        ORDER BY r.role, r.scope_id, r.deputy, r.granted_at), '[]')
      FROM {RoleAssignment.__table__.name} r
      LEFT JOIN "user" u ON u.id = r.user_id
      LEFT JOIN "group" g ON r.scope_type = '{DOMAIN}' AND g.id = r.scope_id
      LEFT JOIN package p ON r.scope_type = '{DATASET}' AND p.id = r.scope_id
     WHERE (r.role = 'owner' AND r.scope_type = '{DATASET}' AND r.scope_id = :pkg)
        OR (r.role = 'steward' AND r.scope_type = '{DOMAIN}'  -- stewards hold domains: the scope index
            AND r.scope_id IN ({_LINEAGE_CTE} SELECT id FROM lineage)))"""


def _remember_responsible(pkg: model.Package, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in value:
        name = r["user_name"]
        display = display_name(name, r["user_fullname"]) if name else None
        granted = page_facts.time(r["granted_at"])
        rows.append({
            "id": r["id"], "user_id": r["user_id"], "user_name": name, "user_display_name": display,
            "role": r["role"], "scope_type": r["scope_type"], "scope_id": r["scope_id"] or None,
            "scope_name": r["scope_name"], "deputy": r["deputy"], "contact": r["contact"],
            "granted_by": r["granted_by"], "granted_at": granted.isoformat() if granted else None,
        })
        if name:
            remember_user_names(r["user_id"], name, display)
    request_memo.put("dataset_responsible", pkg.id, rows)
    return rows


RESPONSIBLE = page_facts.Part(_RESPONSIBLE, _remember_responsible, LABEL_FACTS.params,
                              lambda pkg: ("dataset_responsible", pkg.id))


def dataset_responsible(pkg: model.Package) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The dataset's owners (deputies too) and the stewards of its domain
    and the domain's parents, as ``dictize`` gives them, in the order of
    their assignments (the dataset page's roles box), once per request. The
    users' display names stay in the request's memo for the page's other
    mentions of them (the data owner field)."""
    rows = request_memo.remembered("dataset_responsible", pkg.id,
                                   lambda: page_facts.read_together(pkg, [RESPONSIBLE])[0])
    return [r for r in rows if r["role"] == "owner"], [r for r in rows if r["role"] == "steward"]


def remember_user_names(user_id: str, name: str, display_name: str) -> None:
    """A user's names read with other facts (for ``user_names``)."""
    for ref in (user_id, name):
        request_memo.put("user_names", ref, (name, display_name))


def display_name(name: str, fullname: str | None) -> str:
    """CKAN's own rule for the name shown (User.display_name), on the two
    columns a statement read instead of the user's row."""
    return model.User.display_name.fget(SimpleNamespace(name=name, fullname=fullname))  # type: ignore[no-any-return]


def user_names(ref: str) -> tuple[str, str] | None:
    """A user's name and display name by name or id (None: no such user),
    once per request and reference: a page names the same people in
    several places (roles box, data owner field, timeline, portals)."""
    def read() -> tuple[str, str] | None:
        user = model.User.get(ref)
        return (user.name, user.display_name) if user else None

    return request_memo.remembered("user_names", ref, read)


def user_display_name(ref: str) -> str | None:
    names = user_names(ref)
    return names[1] if names else None


def domain_stewards(domain_id: str) -> list[RoleAssignment]:
    return assignments(role="steward", scope_type=DOMAIN, scope_ids=[domain_id])


# -- changing roles ----------------------------------------------------------
def _scope(role: str, domain: str | None, dataset: str | None) -> tuple[str, str]:
    definition = ROLES[role]
    if definition.scope == DOMAIN:
        group = get_domain(domain)
        if group is None:
            raise RoleError("domain", _("Unknown data domain: {0}").format(domain or ""))
        return DOMAIN, group.id
    if definition.scope == DATASET:
        pkg = get_dataset(dataset)
        if pkg is None:
            raise RoleError("dataset", _("Unknown dataset: {0}").format(dataset or ""))
        return DATASET, pkg.id
    if domain or dataset:
        raise RoleError("role", _("The role {0} is site-wide: give neither domain nor dataset.").format(role))
    return SITE, ""


def _record(action: str, a: RoleAssignment, actor_id: str | None, reason: str | None) -> RoleEvent:
    event = RoleEvent(
        action=action, user_id=a.user_id, role=a.role, scope_type=a.scope_type, scope_id=a.scope_id,
        deputy=a.deputy, actor_id=actor_id, reason=reason, created=dt.datetime.now(dt.timezone.utc),
    )
    model.Session.add(event)
    return event


def validate_request(
    role: str, user: str | None, domain: str | None = None, dataset: str | None = None, deputy: bool = False,
) -> tuple[model.User, str, str]:
    """The target user and the scope of a grant/revoke (roles/guard.py
    role_request hides the datasets the caller may not read)."""
    if role not in ROLES:
        raise RoleError(
            "role",
            _("Unknown role {0}. Allowed: {1}").format(role, ", ".join(ROLES)),
        )
    target = get_user(user)
    if target is None or target.state == "deleted":
        raise RoleError("user", _("Unknown user: {0}").format(user or ""))
    if deputy and not ROLES[role].deputy:
        raise RoleError("deputy", _("The role {0} has no deputies.").format(role))
    scope_type, scope_id = _scope(role, domain, dataset)
    return target, scope_type, scope_id


def find(user_id: str, role: str, scope_type: str, scope_id: str, deputy: bool) -> RoleAssignment | None:
    return model.Session.scalars(
        sa.select(RoleAssignment).where(
            RoleAssignment.user_id == user_id, RoleAssignment.role == role,
            RoleAssignment.scope_type == scope_type, RoleAssignment.scope_id == scope_id,
            RoleAssignment.deputy == deputy,
        )
    ).first()


def grant(
    actor_id: str | None, target: model.User, role: str, scope_type: str, scope_id: str,
    deputy: bool = False, contact: str | None = None, reason: str | None = None,
) -> RoleAssignment:
    if find(target.id, role, scope_type, scope_id, deputy) is not None:
        raise RoleError("user", _("{0} already holds this role.").format(target.name))
    if role == "owner" and not deputy:
        # one owner per dataset: granting hands the duty over
        for previous in dataset_owners(scope_id):
            if not previous.deputy:
                _record("revoke", previous, actor_id, reason or "handed over")
                model.Session.delete(previous)
    a = RoleAssignment(
        user_id=target.id, role=role, scope_type=scope_type, scope_id=scope_id, deputy=deputy,
        contact=contact, granted_by=actor_id, granted_at=dt.datetime.now(dt.timezone.utc),
    )
    model.Session.add(a)
    _record("grant", a, actor_id, reason)
    model.Session.flush()
    return a


def grant_on_new_datasets(actor_id: str | None, grants: list[tuple[str, str, str]], reason: str | None) -> None:
    """`grant` for datasets created in this transaction, in two statements:
    (user id, role, dataset id) each. A new dataset has no holder of any
    role to find or hand over, so only the rows `grant` adds are written."""
    if not grants:
        return
    now = dt.datetime.now(dt.timezone.utc)
    common = {"scope_type": DATASET, "deputy": False}
    model.Session.execute(sa.insert(RoleAssignment.__table__), [
        dict(common, id=model.types.make_uuid(), user_id=user_id, role=role, scope_id=pkg_id, contact=None,
             granted_by=actor_id, granted_at=now) for user_id, role, pkg_id in grants])
    model.Session.execute(sa.insert(RoleEvent.__table__), [
        dict(common, id=model.types.make_uuid(), action="grant", user_id=user_id, role=role, scope_id=pkg_id,
             actor_id=actor_id, reason=reason, created=now) for user_id, role, pkg_id in grants])


def revoke(actor_id: str | None, a: RoleAssignment, reason: str | None = None, action: str = "revoke") -> None:
    _record(action, a, actor_id, reason)
    model.Session.delete(a)
    model.Session.flush()


def history(
    user_id: str | None = None, scope_type: str | None = None, scope_id: str | None = None, limit: int = 100
) -> list[RoleEvent]:
    q = sa.select(RoleEvent)
    if user_id:
        q = q.where(RoleEvent.user_id == user_id)
    if scope_type:
        q = q.where(RoleEvent.scope_type == scope_type)
    if scope_id:
        q = q.where(RoleEvent.scope_id == scope_id)
    return list(model.Session.scalars(q.order_by(RoleEvent.created.desc()).limit(limit)))


def dictize_all(rows: list[RoleAssignment]) -> list[dict[str, Any]]:
    """``dictize`` for many assignments: their users and domains read in one
    query each (the dataset page's roles box, the role list), not per row."""
    user_ids = sorted({a.user_id for a in rows})
    domain_ids = sorted({a.scope_id for a in rows if a.scope_type == DOMAIN and a.scope_id})
    users = {u.id: u for u in model.Session.query(model.User).filter(model.User.id.in_(user_ids))} if user_ids else {}
    groups = {g.id: g for g in model.Session.query(model.Group).filter(model.Group.id.in_(domain_ids))} \
        if domain_ids else {}
    return [dictize(a, users, groups) for a in rows]


def dictize(a: RoleAssignment, users: dict[str, model.User] | None = None,
            groups: dict[str, model.Group] | None = None) -> dict[str, Any]:
    user = users.get(a.user_id) if users is not None else model.User.get(a.user_id)
    scope_name = None
    if a.scope_type == DOMAIN:
        g = groups.get(a.scope_id) if groups is not None else model.Group.get(a.scope_id)
        scope_name = g.name if g else None
    elif a.scope_type == DATASET:
        p = model.Package.get(a.scope_id)
        scope_name = p.name if p else None
    return {
        "id": a.id, "user_id": a.user_id, "user_name": user.name if user else None,
        "user_display_name": user.display_name if user else None,
        "role": a.role, "scope_type": a.scope_type, "scope_id": a.scope_id or None,
        "scope_name": scope_name, "deputy": a.deputy, "contact": a.contact,
        "granted_by": a.granted_by, "granted_at": a.granted_at.isoformat() if a.granted_at else None,
    }


def dictize_event(e: RoleEvent) -> dict[str, Any]:
    user = model.User.get(e.user_id)
    actor = model.User.get(e.actor_id) if e.actor_id else None
    return {
        "id": e.id, "action": e.action, "user_id": e.user_id, "user_name": user.name if user else None,
        "role": e.role, "scope_type": e.scope_type, "scope_id": e.scope_id or None, "deputy": e.deputy,
        "actor_id": e.actor_id, "actor_name": actor.name if actor else None, "reason": e.reason,
        "created": e.created.isoformat(),
    }


def forget_dataset(pkg_id: str) -> None:
    """A purged dataset's role rows go; the audit trail keeps one event per
    removed row (the dataset's name is gone with it)."""
    for a in assignments(scope_type=DATASET, scope_ids=[pkg_id]):
        revoke(None, a, "dataset purged")


# -- users leaving -----------------------------------------------------------
def hand_over_duties(user_id: str, actor_id: str | None, reason: str) -> list[dict[str, Any]]:
    """A deleted/blocked user's owner and steward duties fall to the deputy;
    without a deputy the scope becomes orphaned (visible to the office)."""
    outcomes = []
    for a in assignments(user_id=user_id):
        if a.role in ("owner", "steward") and not a.deputy:
            deputies = [d for d in assignments(role=a.role, scope_type=a.scope_type, scope_ids=[a.scope_id]) if d.deputy]
            if not deputies:
                _record("orphaned", a, actor_id, reason)
            revoke(actor_id, a, reason, action="revoke")
            if deputies:
                successor = deputies[0]
                revoke(actor_id, successor, reason, action="promote")
                grant(actor_id, model.User.get(successor.user_id), a.role, a.scope_type, a.scope_id,
                      reason=_("Deputy takes over: {0}").format(reason))
                outcomes.append({"role": a.role, "scope_id": a.scope_id, "successor": successor.user_id})
            else:
                outcomes.append({"role": a.role, "scope_id": a.scope_id, "successor": None})
        else:
            revoke(actor_id, a, reason)
    model.Session.flush()
    return outcomes


def orphaned_datasets(limit: int = 500) -> list[model.Package]:
    """Active datasets without an active owner (the office's work list); an
    owner account blocked or deactivated by any path counts as missing."""
    owned = sa.select(RoleAssignment.scope_id).join(model.User, model.User.id == RoleAssignment.user_id).where(
        RoleAssignment.role == "owner", RoleAssignment.deputy.is_(False), model.User.state == "active"
    )
    q = (
        sa.select(model.Package)
        .where(model.Package.state == "active", model.Package.type != "harvest", model.Package.id.not_in(owned))
        .order_by(model.Package.metadata_modified.desc())
        .limit(limit)
    )
    return list(model.Session.scalars(q))


def orphaned_domains() -> list[model.Group]:
    """Active domains with no active steward, neither their own nor one of a
    parent domain."""
    stewarded = sa.select(RoleAssignment.scope_id).join(model.User, model.User.id == RoleAssignment.user_id).where(
        RoleAssignment.role == "steward", RoleAssignment.deputy.is_(False), model.User.state == "active"
    )
    q = sa.select(model.Group).where(
        model.Group.type == DOMAIN_GROUP_TYPE, model.Group.state == "active", model.Group.id.not_in(stewarded)
    ).order_by(model.Group.title)
    covered = set(model.Session.scalars(stewarded))
    # a parent's steward covers the sub-domains (is_domain_steward walks the
    # same lineage), so only domains with no steward up the tree are orphaned
    return [g for g in model.Session.scalars(q) if not covered.intersection(domain_lineage(g))]
