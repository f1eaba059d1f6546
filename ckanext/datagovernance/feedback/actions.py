"""Feedback actions: validate with the schema, resolve references (a hidden
dataset answers like a missing one), check access, act in one transaction,
enqueue mail after the commit."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict
from flask import has_request_context

from ..roles import guard
from ..roles import service as roles
from ..translate import _
from . import jobs, policy, schema, service

_user = roles.context_user


def _not_found() -> tk.ObjectNotFound:
    return tk.ObjectNotFound(_("Request not found"))


def _item(context: Context, item_id: str) -> tuple[Any, model.Package | None]:
    """The item if the caller may see it; otherwise not found (never 403:
    an item on a hidden dataset must not reveal that the dataset exists)."""
    item = service.get(item_id)
    if item is None:
        raise _not_found()
    pkg = service.package_of(item)
    if not context.get("ignore_auth") and not policy.may_see(_user(context), item, pkg):
        raise _not_found()
    return item, pkg


def _commit(context: Context) -> bool:
    if context.get("defer_commit"):
        return False
    model.repo.commit()
    return True


def _remote_addr() -> str | None:
    return tk.request.remote_addr if has_request_context() else None


def datagovernance_feedback_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Send feedback on a dataset or a data request to the data office.

    :param kind: error (error report), wish (wish or question), access
        (access request, needs a login and a justification), data_request
        (data not in the catalog yet; no dataset)
    :param dataset: dataset name or id (error, wish, access)
    :param subject: short subject (at most 200 characters)
    :param message: the text (at most 5000 characters)
    :param justification: why access is needed (access)
    :param email: the sender's address; required without a login
    :param website: must stay empty (honeypot of the web form)
    """
    data = schema.validate(data_dict, schema.create_schema(), context)
    user = _user(context)
    kind = data["kind"]
    pkg = None
    if kind in policy.DATASET_KINDS:
        if not data.get("dataset"):
            raise tk.ValidationError({"dataset": [_("Missing value: which dataset is this about?")]})
        pkg = guard.readable_dataset(context, data["dataset"])
    elif data.get("dataset"):
        raise tk.ValidationError({"dataset": [_("A data request is about data not in the catalog: leave the dataset empty.")]})
    if kind == policy.ACCESS and not data.get("justification"):
        raise tk.ValidationError({"justification": [_("Missing value: an access request needs a justification.")]})
    tk.check_access("datagovernance_feedback_create", context, data)
    if user is None:
        if not data.get("email"):
            raise tk.ValidationError({"email": [_("Missing value: without a login we need your e-mail address to answer.")]})
        if service.rate_exceeded("email", data["email"]):
            raise tk.ValidationError({"email": [_("Too many messages from this address; please try again later.")]})
        if service.rate_exceeded("ip", _remote_addr()):
            raise tk.ValidationError({"ip": [_("Too many messages from your network; please try again later.")]})
    item = service.FeedbackItem(
        kind=kind, package_id=pkg.id if pkg else None, subject=data["subject"], message=data["message"],
        justification=data.get("justification"), requester_id=user.id if user else None,
        requester_email=None if user else data["email"], status=policy.NEW,
        assignee_id=policy.default_assignee(kind, pkg), published=False,
        created=service.now(), modified=service.now(),
    )
    model.Session.add(item)
    model.Session.flush()
    event = service.record(item, "created", user, to_status=policy.NEW)
    model.Session.flush()
    result = service.dictize(item, user, pkg)
    if not user:
        result["requester_email"] = item.requester_email  # the sender's own address
    jobs.enqueue(jobs.notify_requester, [event.id])
    jobs.enqueue(jobs.notify_handlers, item.id)
    _commit(context)
    return result


@tk.side_effect_free
def datagovernance_feedback_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One item with its history (internal notes for handlers only).

    :param id: item id
    """
    data = schema.validate({"id": (data_dict or {}).get("id")}, {"id": [schema.required, schema.text(100)]}, context)
    item, pkg = _item(context, data["id"])
    tk.check_access("datagovernance_feedback_show", context, {"id": item.id})
    return service.dictize(item, _user(context), pkg, with_events=True)


@tk.side_effect_free
def datagovernance_feedback_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Items the caller may see, newest first, with counts per status.

    :param scope: mine (own requests, default), inbox (items the caller
        handles), dataset (published answers on `dataset`), all (office)
    :param status: new, in_progress, answered, closed, declined or open
    :param kind: error, wish, access, data_request
    :param dataset: dataset name or id
    :param limit: default 50; :param offset: default 0
    """
    data = schema.validate(data_dict, schema.list_schema(), context)
    scope = data.get("scope") or "mine"
    tk.check_access("datagovernance_feedback_list", context, dict(data, scope=scope))
    user = _user(context)
    pkg = guard.readable_dataset(context, data["dataset"]) if data.get("dataset") else None
    if scope == "dataset":
        if pkg is None:
            raise tk.ValidationError({"dataset": [_("Missing value")]})
        rows = [i for i in model.Session.scalars(
            service.sa.select(service.FeedbackItem).where(service.FeedbackItem.package_id == pkg.id)
            .order_by(service.FeedbackItem.created.desc()))]
    else:
        rows = service.candidates(user, "all" if scope == "all" else scope) if user else []
    visible = []
    everything = policy.handles_everything(user)  # once, not per item
    for item in rows:
        item_pkg = pkg if pkg is not None and item.package_id == pkg.id else service.package_of(item)
        if pkg is not None and item.package_id != pkg.id:
            continue
        if scope == "dataset" and not item.published:
            continue
        if everything and scope != "dataset":
            visible.append((item, item_pkg))
            continue
        if scope in ("inbox", "all") and not policy.may_handle(user, item, item_pkg):
            continue
        if not policy.may_see(user, item, item_pkg):
            continue
        visible.append((item, item_pkg))
    counts = {s: 0 for s in policy.STATUSES}
    for item, _p in visible:
        counts[item.status] = counts.get(item.status, 0) + 1
    if data.get("kind"):
        visible = [(i, p) for i, p in visible if i.kind == data["kind"]]
    if data.get("status") == "open":
        visible = [(i, p) for i, p in visible if i.status in policy.OPEN_STATUSES]
    elif data.get("status"):
        visible = [(i, p) for i, p in visible if i.status == data["status"]]
    offset, limit = int(data.get("offset") or 0), int(data.get("limit") or 50)
    return {
        "count": len(visible),
        "counts": counts,
        "open": counts["new"] + counts["in_progress"],
        "results": [service.dictize(i, user, p) for i, p in visible[offset:offset + limit]],
    }


def datagovernance_feedback_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Work on an item: status, answer, assignee, domain, publish, grant.

    :param id: item id
    :param status: new, in_progress, answered, closed, declined
    :param reason: required when declining
    :param answer: the answer to the requester
    :param comment: a note recorded with the change (sent to the requester)
    :param assignee: user name or id of the new assignee
    :param domain: data requests: the domain the office assigns it to
    :param dataset: data requests: link a catalogued dataset (then access
        can be granted to it)
    :param published: true: the question and answer become visible to
        everybody who may read the dataset (never the sender's address)
    :param grant_until: access requests: grant read access until this date
        (YYYY-MM-DD or DD.MM.YYYY, inclusive); sets the status to answered
    """
    data = schema.validate(data_dict, schema.update_schema(), context)
    item, pkg = _item(context, data["id"])
    new_pkg = pkg
    if "dataset" in data and item.kind == policy.DATA_REQUEST:
        # the handler must be able to read what they link (else: not found)
        new_pkg = guard.readable_dataset(context, data["dataset"])
    tk.check_access("datagovernance_feedback_update", context, data)
    user = _user(context)
    errors: dict[str, list[str]] = {}
    target = data.get("status")
    if "grant_until" in data:
        if item.kind not in (policy.ACCESS, policy.DATA_REQUEST) or item.requester_id is None:
            errors["grant_until"] = [_("Only access and data requests of a logged-in user can be granted.")]
        target = target or policy.ANSWERED
        if target != policy.ANSWERED:
            errors["status"] = [_("A grant answers the request: status must be answered.")]
    if "dataset" in data and item.kind != policy.DATA_REQUEST:
        errors["dataset"] = [_("Only a data request can be linked to a dataset.")]
    domain = None
    if "domain" in data:
        domain = roles.get_domain(data["domain"])
        if domain is None or item.kind != policy.DATA_REQUEST:
            errors["domain"] = [_("Unknown data domain: {0}").format(data["domain"]) if domain is None
                                else _("Only a data request is assigned to a domain.")]
    assignee = None
    if "assignee" in data:
        assignee = roles.get_user(data["assignee"])
        if assignee is None or assignee.state != "active":
            errors["assignee"] = [_("Unknown user: {0}").format(data["assignee"])]
    if data.get("published") and not (data.get("answer") or item.answer):
        errors["published"] = [_("Only an answered request can be published: give an answer.")]
    if target:
        refusal = policy.transition_refusal(item.status, target)
        if refusal:
            errors["status"] = [refusal]
        elif target in policy.REASON_REQUIRED and not data.get("reason"):
            errors["reason"] = [_("Missing value: declining needs a reason.")]
    if errors:
        raise tk.ValidationError(errors)
    if "grant_until" in data and new_pkg is None:
        raise tk.ValidationError({"dataset": [_("Link the data request to a dataset before granting access.")]})
    if "dataset" in data and not context.get("ignore_auth") and not policy.may_decide_access(user, new_pkg):
        # linking discloses the dataset to the requester: stewards and office only
        raise tk.NotAuthorized(_("Access requests are decided by the domain's stewards and the data office, not by the data owner."))
    if "grant_until" in data and not context.get("ignore_auth") and not policy.may_decide_access(user, new_pkg):
        raise tk.NotAuthorized(_("Access requests are decided by the domain's stewards and the data office, not by the data owner."))

    recorded = []
    if domain is not None and domain.id != item.domain_id:
        item.domain_id = domain.id
        recorded.append(service.record(item, "assigned", user, text=domain.title, internal=True))
        if "assignee" not in data:
            item.assignee_id = policy.default_assignee(item.kind, None, domain.id)
    if new_pkg is not None and new_pkg is not pkg:
        item.package_id = new_pkg.id
        recorded.append(service.record(item, "linked", user, text=new_pkg.title))
    if assignee is not None and assignee.id != item.assignee_id:
        item.assignee_id = assignee.id
        recorded.append(service.record(item, "assigned", user, text=assignee.display_name, internal=True))
    if data.get("answer") and data["answer"] != item.answer:
        item.answer = data["answer"]
        recorded.append(service.record(item, "answer", user, text=data["answer"]))
    if "published" in data and data["published"] != item.published:
        item.published = data["published"]
        recorded.append(service.record(item, "published" if item.published else "unpublished", user,
                                       internal=not item.published))
    reindex = []
    if "grant_until" in data:
        service.grant_access(item, new_pkg, item.requester_id, data["grant_until"], user)  # type: ignore[arg-type]
        recorded.append(service.record(item, "grant", user, text=data["grant_until"].strftime("%d.%m.%Y")))
        reindex.append(new_pkg.id)  # type: ignore[union-attr]
    if target and target != item.status:
        if target in policy.REASON_REQUIRED:
            item.reason = data["reason"]
        recorded.append(service.record(item, "status", user, text=data.get("reason") or data.get("comment"),
                                       from_status=item.status, to_status=target))
        item.status = target
    elif data.get("comment"):
        recorded.append(service.record(item, "comment", user, text=data["comment"]))
    if not recorded:
        raise tk.ValidationError({"id": [_("Nothing to change.")]})
    if item.first_response is None and user is not None and user.id != item.requester_id \
            and any(not e.internal for e in recorded):
        item.first_response = service.now()
    service.reindex(reindex)
    model.Session.flush()
    result = service.dictize(item, user, service.package_of(item), with_events=True)
    jobs.enqueue(jobs.notify_requester, [e.id for e in recorded if not e.internal])
    _commit(context)
    return result


def datagovernance_feedback_comment(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Add a comment; `internal` notes are only for the handlers.

    :param id: item id
    :param text: the comment
    :param internal: true for a note the requester does not see
    """
    data = schema.validate(data_dict, schema.comment_schema(), context)
    item, pkg = _item(context, data["id"])
    tk.check_access("datagovernance_feedback_comment", context, data)
    user = _user(context)
    event = service.record(item, "comment", user, text=data["text"], internal=bool(data.get("internal")))
    if not event.internal and item.first_response is None and user is not None and user.id != item.requester_id:
        item.first_response = event.created
    model.Session.flush()
    result = service.event_dictize(event)
    if not event.internal:
        jobs.enqueue(jobs.notify_requester, [event.id])
    _commit(context)
    return result


@tk.side_effect_free
def datagovernance_access_grant_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Access grants the caller may see (grantee, dataset owner, stewards, office).

    :param dataset: dataset name or id
    :param user: grantee name or id
    :param state: active (default), revoked, expired, all
    """
    data = schema.validate(data_dict, schema.grant_list_schema(), context)
    tk.check_access("datagovernance_access_grant_list", context, data)
    user = _user(context)
    pkg = guard.readable_dataset(context, data["dataset"]) if data.get("dataset") else None
    grantee = None
    if data.get("user"):
        grantee = roles.get_user(data["user"])
        if grantee is None:
            raise tk.ValidationError({"user": [_("Unknown user: {0}").format(data["user"])]})
    rows = service.grants(pkg.id if pkg else None, grantee.id if grantee else None, data.get("state") or "active")
    return [service.grant_dictize(g) for g in rows
            if context.get("ignore_auth") or policy.may_see_grant(user, g, roles.get_dataset(g.package_id))]


def datagovernance_access_grant_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """End an active access grant now (stewards of the domain, office).

    :param id: grant id
    :param reason: why (required, recorded and sent to the grantee)
    """
    data = schema.validate(data_dict, schema.revoke_schema(), context)
    grant = service.get_grant(data["id"])
    user = _user(context)
    pkg = roles.get_dataset(grant.package_id) if grant else None
    if grant is None or not (context.get("ignore_auth") or policy.may_see_grant(user, grant, pkg)):
        raise tk.ObjectNotFound(_("Grant not found"))
    tk.check_access("datagovernance_access_grant_revoke", context, data)
    if grant.state != "active":
        raise tk.ValidationError({"id": [_("The grant has already ended ({0}).").format(grant.state)]})
    service.end_grant(grant, "revoked", user, data["reason"])
    item = service.get(grant.feedback_id) if grant.feedback_id else None
    event = service.record(item, "revoke", user, text=data["reason"]) if item is not None else None
    service.reindex([grant.package_id])
    model.Session.flush()
    result = service.grant_dictize(grant)
    jobs.enqueue(jobs.notify_grantee, grant.id, "revoke")
    if event is not None and item.requester_id != grant.user_id:
        jobs.enqueue(jobs.notify_requester, [event.id])
    _commit(context)
    return result


def get_actions() -> dict[str, Any]:
    return {
        "datagovernance_feedback_create": datagovernance_feedback_create,
        "datagovernance_feedback_show": datagovernance_feedback_show,
        "datagovernance_feedback_list": datagovernance_feedback_list,
        "datagovernance_feedback_update": datagovernance_feedback_update,
        "datagovernance_feedback_comment": datagovernance_feedback_comment,
        "datagovernance_access_grant_list": datagovernance_access_grant_list,
        "datagovernance_access_grant_revoke": datagovernance_access_grant_revoke,
    }
