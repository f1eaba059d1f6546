"""E-mail to the next responsible people, through CKAN's mailer."""
from __future__ import annotations

import logging
from collections.abc import Iterable

import ckan.lib.mailer as mailer
import ckan.model as model
from ckan.common import config

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


def send(user_ids: Iterable[str], topic: str, pkg: model.Package, actor: model.User | None, comment: str | None) -> list[str]:
    """Mail every user once; returns the addresses written to. A mail
    failure never undoes the transition (it is logged)."""
    sent = []
    url = f"{config.get('ckan.site_url')}/dataset/{pkg.name}"
    body = (
        f"{SUBJECTS.get(topic, topic)}\n\n{pkg.title or pkg.name}\n{url}\n\n"
        f"Von / By: {actor.display_name if actor else '-'}\n"
        + (f"Kommentar / Comment: {comment}\n" if comment else "")
    )
    for user_id in dict.fromkeys(user_ids):
        user = model.User.get(user_id)
        if user is None or not user.email or user.state != "active":
            continue
        try:
            mailer.mail_recipient(user.display_name, user.email, SUBJECTS.get(topic, topic), body)
            sent.append(user.email)
        except Exception as e:  # noqa: BLE001 - mail trouble never undoes a transition
            log.warning("workflow mail to %s failed: %s", user.email, e)
    return sent
