"""The suite's ``_``: Flask-Babel's gettext with the request's translations
looked up once.

Flask-Babel asks for the translations on every text: the per-request
namespace, the domain, the locale and its identifier, then the domain's
cache (~45 Python calls, ~20 µs a text here; a logged-in dataset page
translates ~120 texts in its templates and ~20 in the suite's code). The
translations belong to the request's locale object, which Flask-Babel keeps
in that namespace (and swaps in ``force_locale``), so they are kept beside
it on ``flask.g`` and asked anew whenever the locale object is another one.
Without an app context it is Flask-Babel's own fallback."""
from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import get_translations

_MEMO = "_datagovernance_translations"


def current() -> Any:
    """Flask-Babel's translations for the request's locale."""
    try:
        store = g._get_current_object()  # one lookup of the app context's `g`
    except RuntimeError:  # no app context: Flask-Babel's fallback
        return get_translations()
    memo = getattr(store, _MEMO, None)
    locale = getattr(getattr(store, "_flask_babel", None), "babel_locale", None)  # Flask-Babel's per-request namespace
    if memo is not None and locale is not None and memo[0] is locale:
        return memo[1]
    translations = get_translations()  # sets the request's locale when first asked
    setattr(store, _MEMO, (getattr(getattr(store, "_flask_babel", None), "babel_locale", None), translations))
    return translations


def _(string: str, **variables: Any) -> str:
    """``ckan.common._`` (Flask-Babel's gettext): the translation, formatted
    with the keyword arguments if any are given."""
    text = current().ugettext(string)
    return text % variables if variables else text
