"""The "Rollen" page and the role snippets on user, dataset and domain pages.

Views only call actions and render; every rule is in the actions/auth."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from flask import Blueprint, request

from ..search import paging
from ..translate import _
from ..ui import panels
from ..views import context as _ctx
from ..views import current_user as _request_user
from ..views import run_and_flash
from . import guard, policy, service
from .definitions import ROLES, role_label

roles = Blueprint("datagovernance_roles", __name__, url_prefix="/rollen")


def _listed_assignments() -> list[dict[str, Any]]:
    """The role list with the page's filters (the page and its CSV)."""
    try:
        return tk.get_action("datagovernance_role_list")(_ctx(), {
            "role": request.args.get("role") or None, "user": request.args.get("user") or None,
        })
    except tk.NotAuthorized:
        return tk.abort(403, _("Only logged-in users can see roles."))
    except tk.ValidationError as e:
        return tk.abort(400, str(e.error_dict))


@roles.route("/")
def index() -> str:
    assignments = _listed_assignments()
    extra: dict[str, Any] = {"assignments": assignments, "roles": ROLES, "role_filter": request.args.get("role")}
    try:
        extra["orphaned"] = tk.get_action("datagovernance_role_orphaned")(_ctx(), {})
        extra["history"] = tk.get_action("datagovernance_role_history")(_ctx(), {"limit": 30})
    except tk.NotAuthorized:
        extra["orphaned"] = extra["history"] = None
    counts: dict[str, int] = {}
    for a in assignments:
        counts[a["role"]] = counts.get(a["role"], 0) + 1
    extra["counts"] = counts
    return tk.render("datagovernance/roles/index.html", extra_vars=extra)


@roles.route("/rollen.csv")
def download() -> Any:
    """The role list as shown (same filters), for German Excel."""
    import datetime as dt

    from ..ui import export
    from ..ui.helpers import datagovernance_scope_title

    assignments = _listed_assignments()
    headers = [_("Person"), _("Role"), _("Deputy"), _("For"), _("Contact"), _("Since")]
    rows = [[
        a["user_display_name"] or a["user_name"], role_label(a["role"]), a["deputy"],
        datagovernance_scope_title(a["scope_type"], a["scope_id"]) if a["scope_type"] in ("domain", "dataset")
        else _("whole administration"),
        a["contact"], dt.datetime.fromisoformat(a["granted_at"]) if a["granted_at"] else None,
    ] for a in assignments]
    return export.csv_response("rollen", headers, rows)


def _change(action: str) -> Any:
    form = request.form
    data = {k: (form.get(k) or None) for k in ("user", "role", "domain", "dataset", "contact", "reason")}
    data["deputy"] = form.get("deputy") in ("on", "true", "1")
    done = _("Role granted.") if action.endswith("grant") else _("Role revoked.")
    return run_and_flash(action, data, done, form.get("came_from") or tk.h.url_for("datagovernance_roles.index"))


@roles.route("/grant", methods=["POST"])
def grant() -> Any:
    return _change("datagovernance_role_grant")


@roles.route("/revoke", methods=["POST"])
def revoke() -> Any:
    return _change("datagovernance_role_revoke")


@roles.route("/sperren", methods=["POST"])
def block() -> Any:
    return _account("datagovernance_user_block", _("User blocked; duties handed over: {0}"))


@roles.route("/entsperren", methods=["POST"])
def unblock() -> Any:
    return _account("datagovernance_user_unblock", _("User unblocked."))


def _account(action: str, done: str) -> Any:
    form = request.form
    return run_and_flash(action, {"id": form.get("id"), "reason": form.get("reason")},
                         lambda result: done.format(len(result.get("duties", []))),
                         form.get("came_from") or tk.h.url_for("datagovernance_roles.index"))


mine = Blueprint("datagovernance_mine", __name__)


@mine.route("/meine-datensaetze")
def my_datasets() -> str:
    """The datasets the current user owns (or is deputy owner of)."""
    user = tk.current_user if tk.current_user.is_authenticated else None
    if user is None:
        return tk.abort(403, _("Please log in."))
    return tk.render("datagovernance/roles/mine.html", extra_vars={"datasets": owned_datasets(user)})


def owned_datasets(user: model.User) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    deputy = {a.scope_id: a.deputy for a in service.assignments(user_id=user.id, role="owner")}
    readable = policy.readable_dataset_ids(user, set(deputy))
    pkgs = model.Session.scalars(sa.select(model.Package).where(model.Package.id.in_(list(readable)))
                                 .order_by(model.Package.title)).all()
    return [{"name": p.name, "title": p.title or p.name, "deputy": deputy[p.id],
             "workflow_state": p.extras.get("workflow_state") or "draft",
             "access_class": p.extras.get("access_class") or "", "modified": p.metadata_modified,
             "draft": p.state == "draft"} for p in pkgs]


def get_blueprints() -> list[Blueprint]:
    return [roles, mine]


def datagovernance_organizations_for_create() -> list[dict[str, Any]]:
    """Organisations the create form offers: all of them to whoever
    roles/policy lets create anywhere (the data office), else CKAN's."""
    user = tk.current_user if tk.current_user.is_authenticated else None
    if policy.may_create_anywhere(user):
        orgs = model.Session.query(model.Group).filter(model.Group.is_organization.is_(True),
                                                       model.Group.state == "active")
        return [{"id": g.id, "name": g.name, "display_name": g.display_name}
                for g in sorted(orgs, key=lambda g: g.display_name.casefold())]
    return tk.h.organizations_available("create_dataset")


# -- template helpers ------------------------------------------------------------
def datagovernance_role_label(name: str) -> str:
    return role_label(name)


def datagovernance_user_roles(user_id: str) -> list[dict[str, Any]]:
    """The roles on a user page: what the role list shows the viewer (roles
    on datasets the viewer may not read are left out)."""
    try:
        return tk.get_action("datagovernance_role_list")(_ctx(), {"user": user_id})
    except (tk.NotAuthorized, tk.ValidationError):
        return []


def datagovernance_dataset_roles(pkg_id: str) -> dict[str, Any]:
    pkg = model.Package.get(pkg_id)
    if pkg is None:
        return {"owners": [], "stewards": []}
    if guard.readable_by(_request_user(), pkg_id) is not None:
        panels.read_facts(pkg)  # every panel's facts in one statement (whichever panel comes first)
    owners, stewards = service.dataset_responsible(pkg)
    return {"owners": owners, "stewards": stewards}


def datagovernance_domain_overview(group_id: str) -> dict[str, Any]:
    """Stewards, sub-domains and counts a domain page shows (counts follow
    what the current user may see)."""
    group = service.get_domain(group_id)
    if group is None:
        return {}
    subtree = service.domain_subtree_groups(group.id)  # the page's dataset list read them already
    fq = "domain:(" + " OR ".join(f'"{g.name}"' for g in subtree) + ")"
    query = {"fq": fq, "include_private": True, "facet.field": ["access_class", "workflow_state"],
             "facet.limit": -1}
    # every visible dataset of the domain, not just a first page of them;
    # only staff see the figure (group/read.html), visitors skip the walk.
    # The figures' search brings the first page of ids along.
    without_owner = 0
    if tk.current_user.is_authenticated:
        result = tk.get_action("package_search")(_ctx(), dict(
            query, fl="id", rows=paging.page_size(), sort="metadata_created asc"))
        ids = [r["id"] for r in result["results"]]
        if len(ids) < result["count"]:
            ids = [r["id"] for r in paging.search_all(_ctx(), {"fq": fq, "fl": "id", "include_private": True})]
        without_owner = service.count_without_owner(ids)
    else:
        result = tk.get_action("package_search")(_ctx(), dict(query, rows=0))
    # direct sub-domains: their parent reference names this domain (by name or id)
    children = [g for g in subtree if g.id != group.id
                and (g.extras or {}).get("parent_domain") in (group.id, group.name)]
    return {
        "stewards": service.domain_stewards_dictized(group.id),
        "sub_domains": [{"name": g.name, "title": g.title} for g in children],
        "dataset_count": result["count"],
        "without_owner": without_owner,
        "by_access_class": result["facets"].get("access_class", {}),
        "by_workflow_state": result["facets"].get("workflow_state", {}),
    }


def _only_visible_packages(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CKAN's home page lists featured groups' datasets with ignore_auth; show
    only what the visitor may read (permission labels), counts included."""
    for group in groups:
        field = "owner_org" if group.get("is_organization") else "groups"
        value = group["id"] if field == "owner_org" else group["name"]
        visible = tk.get_action("package_search")(_ctx(), {
            "fq": f'{field}:"{value}"', "rows": 2, "include_private": True,
        })
        group["packages"] = visible["results"]
        group["package_count"] = visible["count"]
    return groups


@tk.chained_helper
def get_featured_organizations(next_helper: Any, count: int = 1) -> list[dict[str, Any]]:
    return _only_visible_packages(next_helper(count=count))


@tk.chained_helper
def get_featured_groups(next_helper: Any, count: int = 1) -> list[dict[str, Any]]:
    return _only_visible_packages(next_helper(count=count))


def _current_user() -> model.User | None:
    return tk.current_user if tk.current_user.is_authenticated else None  # type: ignore[return-value]


def datagovernance_may_manage_roles() -> bool:
    from . import policy

    return policy.may_manage_roles(_current_user())


def datagovernance_may_revoke(assignment: dict[str, Any]) -> bool:
    """Offer "revoke" only where the action would allow it (roles/policy)."""
    from . import policy

    return policy.grant_refusal(_current_user(), assignment["role"], assignment["scope_id"] or "",
                                assignment["user_id"]) is None


def get_helpers() -> dict[str, Any]:
    return {
        "get_featured_organizations": get_featured_organizations,
        "get_featured_groups": get_featured_groups,
        "datagovernance_role_label": datagovernance_role_label,
        "datagovernance_user_roles": datagovernance_user_roles,
        "datagovernance_dataset_roles": datagovernance_dataset_roles,
        "datagovernance_domain_overview": datagovernance_domain_overview,
        "datagovernance_organizations_for_create": datagovernance_organizations_for_create,
        "datagovernance_may_manage_roles": datagovernance_may_manage_roles,
        "datagovernance_may_revoke": datagovernance_may_revoke,
    }
