"""Background jobs: e-mail to requesters and handlers, grant expiry.

Job functions take ids and re-read the database in the worker; they are
enqueued when the change commits (``aftercommit``), never for a rollback."""
from __future__ import annotations

import logging
from typing import Any

import ckan.lib.mailer as mailer
import ckan.model as model
import ckan.plugins.toolkit as tk

from ..aftercommit import enqueue_after_commit
from ..roles import service as roles
from . import service
from .model import FeedbackEvent

log = logging.getLogger(__name__)

STATUS_LABELS = {
    "new": "Neu / New",
    "in_progress": "In Bearbeitung / In progress",
    "answered": "Beantwortet / Answered",
    "closed": "Abgeschlossen / Closed",
    "declined": "Abgelehnt / Declined",
}
ACTION_LABELS = {
    "created": "Ihre Anfrage ist eingegangen / Your request was received",
    "status": "Neuer Status / New status",
    "comment": "Neuer Kommentar / New comment",
    "answer": "Antwort / Answer",
    "assigned": "Zuständigkeit geändert / Now handled by someone else",
    "grant": "Zugriff gewährt / Access granted",
    "revoke": "Zugriff entzogen / Access revoked",
    "expire": "Zugriff abgelaufen / Access expired",
    "published": "Antwort veröffentlicht / Answer published",
    "linked": "Mit einem Datensatz verknüpft / Linked to a dataset",
}


def enqueue(fn: Any, *args: Any) -> None:
    """Queued with the current transaction: sent once it commits (also when a
    caller defers the commit), dropped if it rolls back."""
    enqueue_after_commit(fn, list(args), title=f"datagovernance feedback: {fn.__name__}")


def _url(path: str) -> str:
    return f"{tk.config.get('ckan.site_url')}{path}"


def _send(name: str, address: str | None, subject: str, body: str) -> bool:
    if not address:
        return False
    try:
        mailer.mail_recipient(name, address, subject, body)
        return True
    except Exception as e:  # noqa: BLE001 - mail trouble is logged, the item stands
        log.warning("feedback mail to %s failed: %s", address, e)
        return False


def notify_requester(event_ids: list[str]) -> int:
    """Mail the requester what changed (one mail per action call)."""
    events = [e for e in (model.Session.get(FeedbackEvent, i) for i in event_ids) if e and not e.internal]
    if not events:
        return 0
    item = service.get(events[0].feedback_id)
    if item is None:
        return 0
    user = model.User.get(item.requester_id) if item.requester_id else None
    if user is not None and user.state != "active":
        return 0
    address = user.email if user else item.requester_email
    if events[0].actor_id and item.requester_id and events[0].actor_id == item.requester_id \
            and all(e.action != "created" for e in events):
        return 0  # the requester's own comment or withdrawal
    lines = [f"„{item.subject}“", ""]
    for e in events:
        line = ACTION_LABELS.get(e.action, e.action)
        if e.to_status:
            line += f": {STATUS_LABELS.get(e.to_status, e.to_status)}"
        lines.append(line)
        if e.text:
            lines += [e.text, ""]
    lines.append(f"Status: {STATUS_LABELS.get(item.status, item.status)}")
    if user is not None:
        lines.append(_url(f"/meine-anfragen/{item.id}"))
    subject = f"Ihre Anfrage / Your request: {item.subject[:80]}"
    return int(_send(user.display_name if user else item.requester_email or "", address, subject, "\n".join(lines)))


def notify_handlers(item_id: str) -> int:
    """A new item: mail the assignee, or the data office when nobody is assigned."""
    item = service.get(item_id)
    if item is None:
        return 0
    if item.assignee_id:
        user_ids = [item.assignee_id]
    else:
        user_ids = [a.user_id for a in roles.assignments(role="data_office")]
    sent = 0
    body = (f"Neue Rückmeldung / New feedback: „{item.subject}“\n\n{item.message}\n\n"
            + _url(f"/anfragen/{item.id}"))
    for user_id in dict.fromkeys(user_ids):
        user = model.User.get(user_id)
        if user is not None and user.state == "active":
            sent += _send(user.display_name, user.email, f"Neue Rückmeldung / New feedback: {item.subject[:80]}", body)
    return sent


def notify_grantee(grant_id: str, action: str) -> int:
    grant = service.get_grant(grant_id)
    user = model.User.get(grant.user_id) if grant else None
    if grant is None or user is None or user.state != "active":
        return 0
    pkg = model.Package.get(grant.package_id)
    body = (f"{ACTION_LABELS.get(action, action)}\n\n{pkg.title if pkg else ''}\n"
            + (_url(f"/dataset/{pkg.name}") if pkg and action == "grant" else ""))
    return int(_send(user.display_name, user.email, ACTION_LABELS.get(action, action), body))


def expire_grants() -> int:
    """End every grant whose period is over, re-index the datasets (search
    follows show and files) and tell the grantees. Run it regularly (cron:
    `ckan datagovernance feedback expire-grants`)."""
    due = service.due_grants()
    for grant in due:
        service.end_grant(grant, "expired", None, None)
        item = service.get(grant.feedback_id) if grant.feedback_id else None
        if item is not None:
            service.record(item, "expire", None, text=service.grant_dictize(grant)["until"])
    service.reindex(g.package_id for g in due)
    for grant in due:
        enqueue(notify_grantee, grant.id, "expire")
    model.repo.commit()
    return len(due)
