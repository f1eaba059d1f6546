"""E-mail to the next responsible people, as background jobs after the commit.

A transition (or a reopen) registers its mail with ``notify_after_commit``.
Nothing is sent inside the request: when the transaction commits, the mail is
enqueued as a CKAN background job (RQ, ``ckan jobs worker`` runs it); when it
is rolled back, the mail is dropped.
"""
from __future__ import annotations

import logging

import ckan.lib.mailer as mailer
import ckan.model as model
import ckan.plugins.toolkit as tk

from ..aftercommit import enqueue_after_commit

log = logging.getLogger(__name__)


SUBJECTS = {
    "in_review": "Datensatz zur Prüfung eingereicht / Dataset submitted for review",
    "approved": "Datensatz freigegeben / Dataset approved",
    "draft": "Datensatz zurückgewiesen / Dataset rejected",
    "published": "Datensatz veröffentlicht / Dataset published",
    "withdrawn": "Datensatz zurückgezogen / Dataset withdrawn",
    "archived": "Datensatz archiviert / Dataset archived",
    "signoff": "Datenschutz-Freigabe benötigt / Data protection sign-off needed",
}


def notify_after_commit(event_id: str, recipients: dict[str, list[str]]) -> list[str]:
    """Queue the mail of workflow event `event_id` (topic -> user ids) for
    when the current transaction commits (dropped on rollback, see
    aftercommit.py); returns the user names told."""
    recipients = {topic: list(dict.fromkeys(ids)) for topic, ids in recipients.items() if ids}
    if not recipients:
        return []
    enqueue_after_commit(send_mail, [event_id, recipients], title=f"workflow mail {event_id}")
    users = [model.User.get(i) for ids in recipients.values() for i in ids]
    return list(dict.fromkeys(u.name for u in users if u is not None))


def send_mail(event_id: str, recipients: dict[str, list[str]]) -> list[str]:
    """The job: mail every user once per topic; returns the addresses
    written to. A failing address is logged and the others still get theirs."""
    from .model import WorkflowEvent

    found = model.Session.get(WorkflowEvent, event_id)
    if found is None:
        return []
    pkg = model.Package.get(found.package_id)
    if pkg is None:
        return []
    actor = model.User.get(found.actor_id) if found.actor_id else None
    url = f"{tk.config.get('ckan.site_url')}/dataset/{pkg.name}"
    sent = []
    for topic, user_ids in recipients.items():
        subject = SUBJECTS.get(topic, topic)
        body = (
            f"{subject}\n\n{pkg.title or pkg.name}\n{url}\n\n"
            f"Von / By: {actor.display_name if actor else '-'}\n"
            + (f"Kommentar / Comment: {found.comment}\n" if found.comment else "")
        )
        for user_id in user_ids:
            user = model.User.get(user_id)
            if user is None or not user.email or user.state != "active":
                continue
            try:
                mailer.mail_recipient(user.display_name, user.email, subject, body)
                sent.append(user.email)
            except mailer.MailerException as e:
                log.warning("workflow mail to %s failed: %s", user.email, e)
    return sent
