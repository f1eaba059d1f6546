"""Chained CKAN core actions: only what the caller may read.

- activity: ``activity_show``/``activity_data_show``/``activity_diff`` of a
  dataset the caller may not read now answer exactly like an unknown
  activity; the streams drop dataset activities CKAN does not filter by
  labels (resource views) and anything the caller may not read now;
  anonymous callers never get internal field values from activity data.
- tags: ``tag_list``/``tag_search``/``tag_autocomplete``/``tag_show`` know
  only tags of datasets the caller can find (the caller's own search).
- formats: ``format_autocomplete`` knows only formats of datasets the caller
  can find.
- members and counts: ``member_list`` lists only readable datasets;
  ``package_count`` of groups and organisations (show and lists) is the
  count of the caller's own search.

Internal calls (``ignore_auth``) and sysadmins see everything.
"""
from __future__ import annotations

import copy
import difflib
import json
import re
from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan.types import Action, Context, DataDict

from .. import prepared, request_memo
from ..catalog import access
from ..roles import policy, service
from . import activity

_MAX_TAGS = 100000


def _user(context: Context) -> model.User | None:
    return service.context_user(context)


def _sees_everything(context: Context) -> bool:
    if context.get("ignore_auth"):
        return True
    user = _user(context)
    return bool(user and user.sysadmin)


def _search(context: Context, **params: Any) -> dict[str, Any]:
    """package_search as the caller (their permission labels apply)."""
    search_context = tk.fresh_context(context)
    search_context.pop("ignore_auth", None)
    return tk.get_action("package_search")(search_context, params)


# -- activity ------------------------------------------------------------------
def _refuse_hidden_activity(context: Context, data_dict: DataDict) -> None:
    """An activity about a dataset the caller may not read now does not exist."""
    if _sees_everything(context):
        return
    from ckanext.activity.model import Activity

    ref = (data_dict or {}).get("id")
    act = model.Session.get(Activity, ref) if isinstance(ref, str) and ref else None
    if act is None or not activity.is_dataset_activity(act):
        return  # CKAN answers (unknown activity: the same ObjectNotFound)
    if not policy.may_read(_user(context), model.Package.get(act.object_id)):
        raise tk.ObjectNotFound()


def _stripped_activity(item: dict[str, Any]) -> dict[str, Any]:
    data = item.get("data")
    if isinstance(data, dict) and isinstance(data.get("package"), dict):
        # a copy: the dict may be the ORM row's own value
        item = dict(item, data=dict(data, package=access.strip_internal(copy.deepcopy(data["package"]))))
    return item


def _stream(context: Context, activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not _sees_everything(context):
        # CKAN filters "* package" rows by their labels (kept current, see
        # activity.py); resource view rows carry none, and a row recorded in
        # this very transaction may be newer than its labels
        readable = policy.readable_dataset_ids(_user(context), activity.dataset_ids(activities))
        activities = [
            a for a in activities if not activity.is_dataset_activity(a) or a.get("object_id") in readable
        ]
    if access.anonymous_context(context):
        activities = [_stripped_activity(a) for a in activities]
    return activities


def _stream_action(name: str) -> Action:
    @tk.side_effect_free
    def chained(next_action: Action, context: Context, data_dict: DataDict) -> Any:
        return _stream(context, next_action(context, data_dict))

    chained.__name__ = name
    chained.__doc__ = f"{name}: only activities of datasets the caller may read now."
    return tk.chained_action(chained)


@tk.chained_action
@tk.side_effect_free
def activity_show(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    _refuse_hidden_activity(context, data_dict)
    # CKAN's auth function reads it unconditionally (a KeyError, 500, without)
    data_dict = dict(data_dict or {}, include_data=tk.asbool((data_dict or {}).get("include_data", False)))
    result = next_action(context, data_dict)
    return _stripped_activity(result) if access.anonymous_context(context) else result


@tk.chained_action
@tk.side_effect_free
def activity_data_show(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    _refuse_hidden_activity(context, data_dict)
    result = next_action(context, data_dict)
    if access.anonymous_context(context) and isinstance(result, dict):
        if (data_dict or {}).get("object_type") == "package":
            return access.strip_internal(copy.deepcopy(result))
        return _stripped_activity({"data": result})["data"]
    return result


def _diff(objs: list[Any], diff_type: str) -> str:
    """CKAN's activity_diff over the given (stripped) objects."""
    lines = [json.dumps(obj, indent=2, sort_keys=True).split("\n") for obj in objs]
    if diff_type == "unified":
        return "\n".join(difflib.unified_diff(*lines))
    if diff_type == "context":
        return "\n".join(difflib.context_diff(*lines))
    wrapped = [[part for line in side for part in re.findall(r".{1,70}(?:\s+|$)", line)] for side in lines]
    return difflib.HtmlDiff().make_table(*wrapped)


@tk.chained_action
@tk.side_effect_free
def activity_diff(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    _refuse_hidden_activity(context, data_dict)
    result = next_action(context, data_dict)
    if not access.anonymous_context(context) or (data_dict or {}).get("object_type") != "package":
        return result
    activities = [_stripped_activity(a) for a in result["activities"]]
    objs = [a["data"]["package"] for a in activities]
    return {"diff": _diff(objs, (data_dict or {}).get("diff_type", "unified")), "activities": activities}


@tk.chained_action
@tk.side_effect_free
def dashboard_new_activities_count(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    """The header badge on every logged-in page: only the new rows, not the
    dashboard's whole first page (see activity.new_dashboard_count)."""
    if not context.get("auth_user_obj"):  # the request's user: CKAN's check reads it again by name
        context["auth_user_obj"] = service.request_user(context.get("user") or tk.g.get("user"))
    tk.check_access("dashboard_new_activities_count", context, data_dict)
    user = _user(context)
    if user is None or set(data_dict or {}) & {"limit", "offset", "before", "after"}:
        return next_action(context, data_dict)  # paging the count: CKAN's way
    count = activity.new_dashboard_count(user)
    return next_action(context, data_dict) if count is None else count


STREAMS = (
    "user_activity_list",
    "package_activity_list",
    "group_activity_list",
    "organization_activity_list",
    "recently_changed_packages_activity_list",
    "dashboard_activity_list",
)


# -- tags ----------------------------------------------------------------------
def _readable_tags(context: Context) -> set[str] | None:
    """Free tags of the datasets the caller can find (None: all)."""
    if _sees_everything(context):
        return None
    result = _search(context, rows=0, include_private=True, include_drafts=True,
                     **{"facet.field": ["tags"], "facet.limit": -1})
    return set(result["facets"].get("tags", {}))


def _tag_name(tag: Any) -> str:
    return tag.get("name", "") if isinstance(tag, dict) else str(tag)


@tk.chained_action
@tk.side_effect_free
def tag_list(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    result = next_action(context, data_dict)
    if (data_dict or {}).get("vocabulary_id"):
        return result  # a vocabulary's terms are its definition, not data
    readable = _readable_tags(context)
    return result if readable is None else [t for t in result if _tag_name(t) in readable]


@tk.chained_action
@tk.side_effect_free
def tag_search(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    data_dict = dict(data_dict or {})
    if data_dict.get("vocabulary_id") or _sees_everything(context):
        return next_action(context, data_dict)
    readable = _readable_tags(context) or set()
    try:
        offset, limit = int(data_dict.get("offset") or 0), int(data_dict.get("limit") or 10)
    except (TypeError, ValueError) as e:
        raise tk.ValidationError({"limit": [tk._("Must be a whole number")]}) from e
    result = next_action(context, dict(data_dict, offset=0, limit=_MAX_TAGS))
    tags = [t for t in result["results"] if _tag_name(t) in readable]
    return {"count": len(tags), "results": tags[offset:offset + limit]}


@tk.chained_action
@tk.side_effect_free
def tag_autocomplete(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    data_dict = dict(data_dict or {})
    if data_dict.get("vocabulary_id") or _sees_everything(context):
        return next_action(context, data_dict)
    readable = _readable_tags(context) or set()
    try:
        limit = int(data_dict.get("limit") or 10)
    except (TypeError, ValueError) as e:
        raise tk.ValidationError({"limit": [tk._("Must be a whole number")]}) from e
    names = next_action(context, dict(data_dict, limit=_MAX_TAGS))
    return [n for n in names if n in readable][:limit]


@tk.chained_action
@tk.side_effect_free
def tag_show(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    data_dict = data_dict or {}
    if not data_dict.get("vocabulary_id") and not _sees_everything(context):
        tag = model.Tag.get(str(data_dict.get("id") or ""))
        if tag is not None and tag.name not in (_readable_tags(context) or set()):
            raise tk.ObjectNotFound()
    result = next_action(context, data_dict)
    if access.anonymous_context(context) and isinstance(result, dict):
        result["packages"] = [access.strip_internal(pkg) for pkg in result.get("packages", [])]
    return result


@tk.chained_action
@tk.side_effect_free
def format_autocomplete(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    """CKAN lists the formats of every active resource, private datasets'
    included: only formats of datasets the caller can find, most used first."""
    data_dict = dict(data_dict or {})
    if _sees_everything(context):
        return next_action(context, data_dict)
    tk.check_access("format_autocomplete", context, data_dict)
    try:
        limit = int(data_dict.get("limit") or 5)
    except (TypeError, ValueError) as e:
        raise tk.ValidationError({"limit": [tk._("Must be a whole number")]}) from e
    needle = str(data_dict.get("q") or "").lower()
    result = _search(context, rows=0, include_private=True, include_drafts=True,
                     **{"facet.field": ["res_format"], "facet.limit": -1})
    counts = result["facets"].get("res_format", {})
    found = sorted((f for f in counts if needle in f.lower()), key=lambda f: (-counts[f], f))
    return [f.lower() for f in found[:limit]]  # lower case, as CKAN answers


# -- members and counts --------------------------------------------------------
@tk.chained_action
@tk.side_effect_free
def member_list(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    _use_request_user(context)
    result = next_action(context, data_dict)
    pkg_ids = {m[0] for m in result if m[1] == "package"}
    if not pkg_ids or _sees_everything(context):
        return result
    readable = policy.readable_dataset_ids(_user(context), pkg_ids)
    return [m for m in result if m[1] != "package" or m[0] in readable]


def _with_caller_counts(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    """CKAN counts groups' datasets without the caller's labels (private
    ones included); the counts of the caller's own search replace them."""
    data_dict = data_dict or {}
    wants = tk.asbool(data_dict.get("all_fields")) or tk.asbool(data_dict.get("include_dataset_count"))
    if wants and not context.get("ignore_auth"):
        facets = _search(context, rows=0, include_private=True,
                         **{"facet.field": ["groups", "owner_org"], "facet.limit": -1})["facets"]
        context["dataset_counts"] = {"groups": facets.get("groups", {}), "owner_org": facets.get("owner_org", {})}
    return next_action(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def group_list(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    return _with_caller_counts(next_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def organization_list(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    return _with_caller_counts(next_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def organization_list_for_user(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    return _with_caller_counts(next_action, context, data_dict)


def _show_with_caller_count(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    _use_request_user(context)
    # the follower number as the page's info box counts it (CKAN's count:
    # a compiled three-table join, after a look-up of the group by id)
    followers = tk.asbool(data_dict.get("include_followers", True))
    result = next_action(context, dict(data_dict, include_followers=False) if followers else data_dict)
    if followers and isinstance(result, dict) and "num_followers" in result:
        result["num_followers"] = (_followers("user_following_group", result["id"])
                                   if result.get("state") != "deleted" else 0)
    if isinstance(result, dict) and "package_count" in result and not context.get("ignore_auth"):
        field, value = ("owner_org", result["id"]) if result.get("is_organization") else ("groups", result["name"])
        fq = f'+{field}:"{value}"'
        result["package_count"] = _search(context, rows=0, include_private=True, fq=fq)["count"]
    return result


@tk.chained_action
@tk.side_effect_free
def group_show(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    return _show_with_caller_count(next_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def organization_show(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    return _show_with_caller_count(next_action, context, data_dict)


# CKAN's own views and helpers call these on logged-in pages with only the
# user's name in the context, and CKAN's check_access then reads the user
# again by name (a query each); they get the request's user object instead.
# (organization_show, group_show and member_list, chained below, and the
# follow actions further down, too)
REQUEST_USER_ACTIONS = ("organization_follower_count", "package_search")


def _use_request_user(context: Context) -> None:
    if not context.get("auth_user_obj"):
        context["auth_user_obj"] = service.request_user(context.get("user"))


def _with_request_user(name: str) -> Action:
    @tk.chained_action
    @tk.side_effect_free
    def action(next_action: Action, context: Context, data_dict: DataDict) -> Any:
        _use_request_user(context)
        return next_action(context, data_dict)

    action.__name__ = name
    return action


def _page_dataset_id(ref: Any) -> str | None:
    """The id of the dataset the request's page shows (CKAN's dataset view
    keeps it on ``g.pkg``) when `ref` (name or id) is that dataset."""
    from flask import g, has_request_context

    pkg = getattr(g, "pkg", None) if has_request_context() else None
    return pkg.id if isinstance(pkg, model.Package) and ref and ref in (pkg.id, pkg.name) else None


def _am_following(next_action: Action, context: Context, data_dict: DataDict, auth: str,
                  follow_model: Any, object_id: str | None) -> Any:
    """A follow button's question for the page's own dataset or group
    (`object_id`, None: another object, CKAN answers): the page's object and
    the request's user are loaded already, CKAN would read both again and
    build (and compile) a three-table join; here one primary-key look-up.
    CKAN's is_following also asks that neither the follower nor the object
    is deleted: a logged-in user is not, and the callers checked the object."""
    user = service.request_user(context.get("user"))
    if not context.get("auth_user_obj"):
        context["auth_user_obj"] = user
    if user is None or object_id is None or "schema" in context:
        return next_action(context, data_dict)
    tk.check_access(auth, context, data_dict)
    return model.Session.get(follow_model, (user.id, object_id)) is not None


@tk.chained_action
@tk.side_effect_free
def am_following_dataset(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    return _am_following(next_action, context, data_dict, "am_following_dataset", model.UserFollowingDataset,
                         _live_page_dataset_id(data_dict.get("id")))


def page_group(ref: Any) -> dict[str, Any] | None:
    """The group or organisation the request's page shows (CKAN's group
    view keeps it on ``g.group_dict``) when `ref` (name or id) is that group."""
    from flask import g, has_request_context

    group = getattr(g, "group_dict", None) if has_request_context() else None
    return group if isinstance(group, dict) and ref and ref in (group.get("id"), group.get("name")) else None


def _live_page_dataset_id(ref: Any) -> str | None:
    """The page's own dataset (see _page_dataset_id) unless it is deleted:
    the follow questions the suite answers itself (CKAN's exclude deleted objects)."""
    pkg_id = _page_dataset_id(ref)
    if pkg_id is not None and model.Package.get(pkg_id).state == "deleted":  # by id: the session's copy
        return None
    return pkg_id


def _live_page_group_id(ref: Any) -> str | None:
    """The page's own group or organisation (page_group) unless it is deleted."""
    group = page_group(ref)
    return group["id"] if group is not None and group.get("state") != "deleted" else None


@tk.chained_action
@tk.side_effect_free
def am_following_group(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    # the follow button of a domain's or organisation's page, as for datasets
    return _am_following(next_action, context, data_dict, "am_following_group", model.UserFollowingGroup,
                         _live_page_group_id(data_dict.get("id")))


# CKAN counts followers with a three-table join of aliased classes, which
# SQLAlchemy compiles anew on every call (3-5 ms of CPU per dataset page, for
# every visitor), after validating the id with another look-up
_FOLLOWER_COUNT = {
    table: sa.text(f'SELECT count(*) FROM {table} f JOIN "user" u ON u.id = f.follower_id '
                   "WHERE f.object_id = :object AND u.state <> 'deleted'")
    for table in ("user_following_dataset", "user_following_group")
}


def _follower_count(next_action: Action, context: Context, data_dict: DataDict, auth: str, table: str,
                    object_id: str | None) -> Any:
    """The follower number of the page's own dataset or group (`object_id`,
    None: another object, CKAN answers), as CKAN counts it: followers that are
    not deleted (the caller checked the object is not)."""
    _use_request_user(context)
    if object_id is None or "schema" in context:
        return next_action(context, data_dict)
    tk.check_access(auth, context, data_dict)
    return _followers(table, object_id)


def _followers(table: str, object_id: str) -> int:
    # once per page: the organisation page's show and its info box both ask
    return request_memo.remembered("datagovernance_followers", f"{table}:{object_id}", lambda: int(
        prepared.execute(_FOLLOWER_COUNT[table], {"object": object_id}).scalar_one()))


@tk.chained_action
@tk.side_effect_free
def dataset_follower_count(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    return _follower_count(next_action, context, data_dict, "dataset_follower_count", "user_following_dataset",
                           _live_page_dataset_id(data_dict.get("id")))


@tk.chained_action
@tk.side_effect_free
def group_follower_count(next_action: Action, context: Context, data_dict: DataDict) -> Any:
    # the organisation's or domain's page (CKAN's info snippet asks the group count for both)
    return _follower_count(next_action, context, data_dict, "group_follower_count", "user_following_group",
                           _live_page_group_id(data_dict.get("id")))


def get_actions() -> dict[str, Action]:
    actions: dict[str, Action] = {
        **{name: _with_request_user(name) for name in REQUEST_USER_ACTIONS},
        "am_following_dataset": am_following_dataset,
        "am_following_group": am_following_group,
        "dataset_follower_count": dataset_follower_count,
        "group_follower_count": group_follower_count,
        "tag_list": tag_list,
        "tag_search": tag_search,
        "tag_autocomplete": tag_autocomplete,
        "tag_show": tag_show,
        "format_autocomplete": format_autocomplete,
        "member_list": member_list,
        "group_list": group_list,
        "organization_list": organization_list,
        "organization_list_for_user": organization_list_for_user,
        "group_show": group_show,
        "organization_show": organization_show,
    }
    if p.plugin_loaded("activity"):
        actions.update(activity_show=activity_show, activity_data_show=activity_data_show,
                       activity_diff=activity_diff, dashboard_new_activities_count=dashboard_new_activities_count)
        actions.update({name: _stream_action(name) for name in STREAMS})
    return actions
