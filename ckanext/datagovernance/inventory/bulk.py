"""Bulk work from a search result (issue 11): assign an owner, a domain or an
access class to many datasets at once, or submit them for review.

Each dataset goes through the same actions as one at a time
(``package_patch`` with its auth, validators and the owner/access-class
rules; ``datagovernance_workflow_transition``), as the caller and in one transaction per dataset (patch and submit
together: a refused submit leaves the patch unwritten): what one may not do
to one dataset is refused for that one, the others go on, and one report
lists them all."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import logic as ckan_logic
from ckan.types import Context, DataDict, Schema

from ..catalog import helpers as catalog_helpers
from ..catalog import vocab as v
from ..roles import guard, policy
from ..roles import service as roles
from ..translate import _
from ..workflow import service as wf_service
from ..workflow import states

MAX_DATASETS = 1000
FIELDS = ("data_owner", "domain", "access_class")


def _access_class(value: Any, context: Context) -> Any:
    if value in (None, "", tk.missing):
        return value
    vocab = v.get_vocabulary("access-class")
    found = vocab.normalize(value)
    if found is None:
        raise tk.Invalid(_("Value \"{value}\" is not allowed; allowed: {allowed}").format(
            value=value, allowed=", ".join(f"{c} ({vocab.label(c, 'de')} / {vocab.label(c, 'en')})"
                                           for c in vocab.values)))
    return found


def _ids(value: Any, context: Context) -> Any:
    if isinstance(value, str):
        value = [x for x in value.replace(",", " ").split() if x]
    if not isinstance(value, list) or not value:
        raise tk.Invalid(_("Missing value"))
    if len(value) > MAX_DATASETS:
        raise tk.Invalid(_("At most {0} datasets at once.").format(MAX_DATASETS))
    return [str(x) for x in dict.fromkeys(value)]


def bulk_schema() -> Schema:
    g = tk.get_validator
    return {
        "ids": [g("not_missing"), _ids],
        "data_owner": [g("ignore_missing"), g("unicode_safe"), g("datagovernance_user")],
        "domain": [g("ignore_missing"), g("unicode_safe"), g("datagovernance_domain")],
        "access_class": [g("ignore_missing"), g("unicode_safe"), _access_class],
        "submit": [g("default")(False), g("boolean_validator")],
        "comment": [g("ignore_missing"), g("unicode_safe")],
        "__extras": [g("ignore")],
    }


def _message(e: Exception) -> str:
    # the messages name what is wrong; the keys are field codes, not for the page
    if isinstance(e, tk.ValidationError):
        return "; ".join(" ".join(map(str, m)) if isinstance(m, list) else str(m)
                         for m in (e.error_dict or {}).values())
    return str(e) or e.__class__.__name__


def datagovernance_bulk_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Apply one change to many datasets (the data office and the stewards).

    :param ids: dataset ids or names (a list, or one string separated by
        spaces/commas), at most 1000
    :param data_owner: user name or id to make the data owner
    :param domain: data domain (name or id)
    :param access_class: public, internal, restricted or confidential
    :param submit: submit each dataset for review (draft → in_review)
    :param comment: comment for the workflow event
    :returns: ``counts`` (ok, error) and per dataset ``id``, ``name``,
        ``title``, ``ok``, ``message`` and ``done`` (``changed``,
        ``submitted``); each dataset in one transaction of its own: patch
        and submit both or neither
    """
    data, errors = tk.navl_validate(dict(data_dict), bulk_schema(), context)
    if not errors and not any(data.get(f) for f in FIELDS) and not data.get("submit"):
        errors = {"data_owner": [_("Nothing to do: name an owner, a domain, an access class or submit.")]}
    if errors:
        raise tk.ValidationError(errors)
    tk.check_access("datagovernance_bulk_update", context, data)
    user = roles.context_user(context)
    changes = {f: data[f] for f in FIELDS if data.get(f)}
    if "data_owner" in changes:
        changes["data_owner"] = model.User.get(changes["data_owner"]).name
    results = []
    for ref in data["ids"]:
        results.append(_one(user, ref, changes, data))
    ok = sum(1 for r in results if r["ok"])
    return {"counts": {"ok": ok, "error": len(results) - ok}, "results": results}


def _one(user: model.User, ref: str, changes: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Patch and submit one dataset in one transaction: a refused submit
    leaves the patch unwritten too (``done`` says what was written)."""
    ctx: Context = {"user": user.name, "auth_user_obj": user, "defer_commit": True}
    entry: dict[str, Any] = {"id": ref, "name": ref, "title": "", "ok": True, "message": "", "done": []}
    try:
        pkg = guard.readable_dataset(dict(ctx), ref)  # a hidden dataset is a missing one
        entry.update(id=pkg.id, name=pkg.name, title=pkg.title or pkg.name)
        if changes:
            # under defer_commit package_update neither commits nor indexes
            tk.get_action("package_patch")(dict(ctx, return_id_only=True), dict(changes, id=pkg.id))
        if data.get("submit"):
            state = wf_service.current_state(pkg)
            if states.who(state, states.IN_REVIEW) is None:  # the workflow's rule, said in words
                raise tk.ValidationError({"to": [_("Cannot be submitted for review: the dataset is \"{0}\".").format(
                    catalog_helpers.datagovernance_vocab_label("workflow-state", state))]})
            tk.get_action("datagovernance_workflow_transition")(dict(ctx), {
                "id": pkg.id, "to": "in_review", "comment": data.get("comment") or _("Submitted in bulk.")})
        elif changes:
            ckan_logic.index_update_package({"ignore_auth": True}, pkg.id, defer_commit=True)
        model.repo.commit()
    except (tk.ValidationError, tk.NotAuthorized, tk.ObjectNotFound) as e:
        model.Session.rollback()  # this dataset's patch and submit, nothing else
        entry.update(ok=False, message=_message(e) if not isinstance(e, tk.ObjectNotFound)
                     else _("Dataset not found"))
        return entry
    entry["done"] = (["changed"] if changes else []) + (["submitted"] if data.get("submit") else [])
    return entry


def bulk_auth(context: Context, data_dict: DataDict) -> dict[str, Any]:
    user = roles.context_user(context)
    return {"success": policy.may_work_in_bulk(user),
            "msg": _("Bulk work is for the data office and the stewards.")}
