"""Messages as the user reads them: field names instead of keys, one
language instead of "Deutsch / English" pairs."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import ckan.plugins.toolkit as tk

from ..translate import _


def _lang() -> str:
    try:
        return "de" if str(tk.h.lang() or "de").startswith("de") else "en"
    except Exception:
        return "de"


def field_label(key: str) -> str:
    """What an error's field key means to the user."""
    labels = {
        "user": _("Person"), "role": _("Role"), "domain": _("Data domain"), "dataset": _("Dataset"),
        "reason": _("Reason"), "contact": _("Contact"), "deputy": _("Deputy"), "id": _("Dataset"),
        "comment": _("Comment"), "gates": _("Publication checks"), "to": _("New state"),
        "expected_state": _("State"), "decision": _("Decision"), "legal_basis": _("Legal basis"),
    }
    return labels.get(key, key)


def in_ui_language(message: str) -> str:
    """The half of a bilingual "Deutsch / English" message in the UI
    language (the gates and the SHACL report write both)."""
    parts = message.split(" / ")
    if len(parts) != 2:
        return message
    de, en = parts
    # a DCAT violation is "path: Deutsch / English": keep the path on both
    head, sep, _rest = de.partition(": ")
    if sep and head.startswith(("http", "dcat:", "dct:", "foaf:", "vcard:")) and not en.startswith(head):
        en = f"{head}: {en}"
    return de if _lang() == "de" else en


def error_message(error_dict: dict[str, Any]) -> str:
    """One flash line per field: "<label>: <messages>"."""
    lines = []
    for key, value in error_dict.items():
        messages = value if isinstance(value, list) else [value]
        lines.append(f"{field_label(key)}: " + "; ".join(in_ui_language(str(m)) for m in messages))
    return " · ".join(lines)


def datagovernance_error_text(code: int, content: Any) -> dict[str, str]:
    """Heading and text of an error page; CKAN's and werkzeug's English
    defaults are replaced, the application's own (translated) texts kept."""
    from werkzeug.exceptions import default_exceptions

    titles = {
        400: _("Invalid request"), 403: _("Access denied"), 404: _("Page not found"),
        405: _("Not allowed"), 409: _("Conflict"), 500: _("Internal error"), 503: _("Service unavailable"),
    }
    texts = {
        400: _("The request could not be understood."),
        403: _("You may not open this page."),
        404: _("This page does not exist, or you may not see it."),
        500: _("Something went wrong on our side. Please try again later."),
    }
    exc = default_exceptions.get(code)
    text = str(content or "")
    english_default = not text or text == "Internal server error" or (exc is not None and text == exc.description)
    return {
        "title": f"{code} {titles.get(code, _('Error'))}",
        "content": texts.get(code, text) if english_default else text,
    }


def datagovernance_datetime(value: Any, with_time: bool = True) -> str:
    """A point in time in the one time zone of the site (ckan.display_timezone,
    Europe/Berlin) and the UI language's format: 29.11.2026, 14:35 Uhr /
    29 Nov 2026, 14:35. Naive values are UTC (as CKAN stores them)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y") if _lang() == "de" else value.strftime("%d %b %Y")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    zone = str(tk.config.get("ckan.display_timezone") or "Europe/Berlin")
    try:
        value = value.astimezone(ZoneInfo("Europe/Berlin" if zone in ("server", "") else zone))
    except Exception:
        value = value.astimezone(ZoneInfo("Europe/Berlin"))
    if _lang() == "de":
        return value.strftime("%d.%m.%Y, %H:%M Uhr" if with_time else "%d.%m.%Y")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    day = f"{value.day} {months[value.month - 1]} {value.year}"
    return f"{day}, {value:%H:%M}" if with_time else day


def datagovernance_role_action(action: str | None) -> str:
    """A role history entry's action in words."""
    return {
        "grant": _("granted"), "revoke": _("revoked"), "promote": _("deputy took over"),
        "handover": _("handed over"), "block": _("blocked"), "unblock": _("unblocked"),
    }.get(action or "", action or "")


def datagovernance_activity_type_label(activity_type: str) -> str:
    """The activity filter's entries in words ("Datensatz angelegt"), not
    CKAN's stored type titled ("New Package"); groups of type domain are
    data domains here."""
    labels = {
        "new package": _("Dataset created"), "changed package": _("Dataset changed"),
        "deleted package": _("Dataset deleted"), "follow dataset": _("Dataset followed"),
        "new resource view": _("View created"), "changed resource view": _("View changed"),
        "deleted resource view": _("View deleted"),
        "new user": _("User registered"), "changed user": _("User changed"), "follow user": _("User followed"),
        "new group": _("Data domain created"), "changed group": _("Data domain changed"),
        "deleted group": _("Data domain deleted"), "follow group": _("Data domain followed"),
        "new organization": _("Organization created"), "changed organization": _("Organization changed"),
        "deleted organization": _("Organization deleted"), "follow organization": _("Organization followed"),
    }
    return labels.get(activity_type, activity_type)
