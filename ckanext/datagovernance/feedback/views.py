"""Pages: feedback form on a dataset, data request, "Meine Anfragen", the
handlers' list and an item page. Views call actions and render; the rules
are in the actions and feedback/policy.py."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, redirect, request

from ..translate import _
from ..views import context as _ctx
from ..views import current_user as _user
from . import policy, service
from .service import BERLIN

feedback = Blueprint("datagovernance_feedback", __name__)

FORM_FIELDS = ("kind", "subject", "message", "justification", "email", "website")


def _errors(e: tk.ValidationError) -> dict[str, str]:
    return {k: " ".join(map(str, v)) for k, v in e.error_dict.items()}


def _published(pkg_id: str) -> list[dict[str, Any]]:
    try:
        return tk.get_action("datagovernance_feedback_list")(_ctx(), {"scope": "dataset", "dataset": pkg_id})["results"]
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return []


@feedback.route("/dataset/<id>/rueckmeldung", methods=["GET", "POST"])
def dataset_form(id: str) -> Any:
    try:
        pkg = tk.get_action("package_show")(_ctx(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, _("Dataset not found"))
    values: dict[str, Any] = {"kind": request.args.get("kind") or "error"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in FORM_FIELDS}
        try:
            item = tk.get_action("datagovernance_feedback_create")(_ctx(), dict(values, dataset=pkg["id"]))
            return _created(item)
        except tk.NotAuthorized as e:
            errors = {"kind": str(e)}
        except tk.ValidationError as e:
            errors = _errors(e)
    return tk.render("datagovernance/feedback/dataset_form.html", extra_vars={
        "pkg": pkg, "pkg_dict": pkg, "values": values, "errors": errors, "published": _published(pkg["id"])})


def _created(item: dict[str, Any]) -> Any:
    if tk.current_user.is_authenticated:
        tk.h.flash_success(_("Thank you. Your request was sent; you can follow it here."))
        return redirect(tk.h.url_for("datagovernance_feedback.item", id=item["id"]))
    tk.h.flash_success(_("Thank you. Your message was sent; we answer by e-mail to {0}.").format(
        item.get("requester_email") or ""))
    if item.get("package_name"):
        return redirect(tk.h.url_for("dataset.read", id=item["package_name"]))
    return redirect(tk.h.url_for("datagovernance_feedback.data_request"))


@feedback.route("/datenwunsch", methods=["GET", "POST"])
def data_request() -> Any:
    values: dict[str, Any] = {"kind": "data_request"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in FORM_FIELDS}
        try:
            item = tk.get_action("datagovernance_feedback_create")(_ctx(), dict(values, kind="data_request"))
            return _created(item)
        except tk.ValidationError as e:
            errors = _errors(e)
    return tk.render("datagovernance/feedback/data_request.html", extra_vars={"values": values, "errors": errors})


def _list(scope: str, template: str) -> Any:
    status = request.args.get("status") or None
    try:
        result = tk.get_action("datagovernance_feedback_list")(_ctx(), {
            "scope": scope, "status": status, "kind": request.args.get("kind") or None, "limit": 500})
    except tk.NotAuthorized:
        return tk.abort(403, _("Please log in to see your requests."))
    except tk.ValidationError as e:
        return tk.abort(400, "; ".join(_errors(e).values()))
    return tk.render(template, extra_vars=dict(result, scope=scope, status_filter=status))


@feedback.route("/meine-anfragen")
def mine() -> Any:
    return _list("mine", "datagovernance/feedback/mine.html")


@feedback.route("/anfragen")
def inbox() -> Any:
    return _list("inbox", "datagovernance/feedback/inbox.html")


@feedback.route("/anfragen/<id>")
def item(id: str) -> Any:
    try:
        found = tk.get_action("datagovernance_feedback_show")(_ctx(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, _("Request not found"))
    user = tk.current_user if tk.current_user.is_authenticated else None
    handler = "requester_email" in found
    return tk.render("datagovernance/feedback/item.html", extra_vars={
        "item": found, "handler": handler, "own": bool(user) and found.get("requester_id") == user.id,
        "is_office": handler and tk.h.check_access("datagovernance_feedback_list", {"scope": "all"}),
    })


def _post(id: str, action: str, data: dict[str, Any], done: str) -> Any:
    try:
        tk.get_action(action)(_ctx(), data)
        tk.h.flash_success(done)
    except tk.NotAuthorized as e:
        tk.h.flash_error(str(e) or _("Not allowed."))
    except tk.ObjectNotFound:
        return tk.abort(404, _("Request not found"))
    except tk.ValidationError as e:
        tk.h.flash_error("; ".join(f"{_field_label(k)}: {v}" for k, v in _errors(e).items()))
    return redirect(tk.h.url_for("datagovernance_feedback.item", id=id))


@feedback.route("/anfragen/<id>/bearbeiten", methods=["POST"])
def update(id: str) -> Any:
    form = request.form
    data: dict[str, Any] = {"id": id}
    for field in ("status", "reason", "answer", "comment", "domain", "dataset", "grant_until"):
        if form.get(field):
            data[field] = form[field]
    if "published" in form:
        data["published"] = "true" in form.getlist("published")
    return _post(id, "datagovernance_feedback_update", data, _("Request updated."))


@feedback.route("/anfragen/<id>/kommentar", methods=["POST"])
def comment(id: str) -> Any:
    return _post(id, "datagovernance_feedback_comment", {
        "id": id, "text": request.form.get("text"), "internal": request.form.get("internal") == "on"},
        _("Comment added."))


@feedback.route("/zugriffe/<grant_id>/entziehen", methods=["POST"])
def revoke(grant_id: str) -> Any:
    item_id = request.form.get("came_from_item") or ""
    try:
        tk.get_action("datagovernance_access_grant_revoke")(_ctx(), {"id": grant_id, "reason": request.form.get("reason")})
        tk.h.flash_success(_("Access revoked."))
    except tk.NotAuthorized as e:
        tk.h.flash_error(str(e))
    except tk.ObjectNotFound:
        return tk.abort(404, _("Grant not found"))
    except tk.ValidationError as e:
        tk.h.flash_error("; ".join(f"{_field_label(k)}: {v}" for k, v in _errors(e).items()))
    return redirect(tk.h.url_for("datagovernance_feedback.item", id=item_id) if item_id
                    else tk.h.url_for("datagovernance_feedback.inbox"))


def get_blueprints() -> list[Blueprint]:
    return [feedback]


# -- template helpers --------------------------------------------------------
def _kind_labels() -> dict[str, str]:
    return {"error": _("Error report"), "wish": _("Wish or question"), "access": _("Access request"),
            "data_request": _("Data request")}


def _status_labels() -> dict[str, str]:
    return {"new": _("New"), "in_progress": _("In progress"), "answered": _("Answered"),
            "closed": _("Closed"), "declined": _("Declined")}


def _event_labels() -> dict[str, str]:
    return {"created": _("Request received"), "status": _("Status changed"), "comment": _("Comment"),
            "answer": _("Answer"), "assigned": _("Assigned"), "grant": _("Access granted until"),
            "revoke": _("Access revoked"), "expire": _("Access expired"), "published": _("Answer published"),
            "unpublished": _("Answer no longer published"), "linked": _("Linked to dataset")}


def _field_label(field: str) -> str:
    return {"kind": _("Kind"), "subject": _("Subject"), "message": _("Message"),
            "justification": _("Justification"), "email": _("E-mail address"), "website": _("Website"),
            "status": _("Status"), "reason": _("Reason"), "answer": _("Answer"), "comment": _("Comment"),
            "domain": _("Data domain"), "dataset": _("Dataset"), "grant_until": _("Access until"),
            "published": _("Publish answer"), "ip": _("Network"), "id": _("Request"),
            "text": _("Comment")}.get(field, field)


def datagovernance_feedback_label(group: str, code: str | None) -> str:
    table = {"kind": _kind_labels, "status": _status_labels, "event": _event_labels, "field": _field_label}[group]
    if group == "field":
        return _field_label(code or "")
    return table().get(code or "", code or "")  # type: ignore[operator]


def datagovernance_feedback_date(iso: str | None, with_time: bool = True) -> str:
    """German date (and time) in Europe/Berlin."""
    if not iso:
        return ""
    value = dt.datetime.fromisoformat(iso)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


def datagovernance_feedback_inbox_count() -> int:
    """Open items the current user handles (header badge)."""
    user = _user()  # the request's user object: no query
    return service.open_inbox_count(user) if user is not None else 0


def datagovernance_feedback_open_items(limit: int = 20) -> dict[str, Any]:
    """Open items the current user handles ("Meine Aufgaben")."""
    if not tk.current_user.is_authenticated:
        return {"open": 0, "results": []}
    try:
        return tk.get_action("datagovernance_feedback_list")(
            _ctx(), {"scope": "inbox", "status": "open", "limit": limit})
    except (tk.NotAuthorized, tk.ValidationError):
        return {"open": 0, "results": []}


def datagovernance_feedback_targets(status: str) -> tuple[str, ...]:
    return policy.TRANSITIONS.get(status, ())


def datagovernance_feedback_domains() -> list[dict[str, Any]]:
    return tk.get_action("group_list")({"ignore_auth": True}, {"type": "domain", "all_fields": True, "sort": "title asc"})


def get_helpers() -> dict[str, Any]:
    return {
        "datagovernance_feedback_targets": datagovernance_feedback_targets,
        "datagovernance_feedback_domains": datagovernance_feedback_domains,
        "datagovernance_feedback_label": datagovernance_feedback_label,
        "datagovernance_feedback_date": datagovernance_feedback_date,
        "datagovernance_feedback_inbox_count": datagovernance_feedback_inbox_count,
        "datagovernance_feedback_open_items": datagovernance_feedback_open_items,
    }
