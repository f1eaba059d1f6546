"""The templates' gettext with the request's translations looked up once.

Flask-Babel's template callables ask for the translations on every `_()`:
the per-request namespace, the domain, the locale and its identifier, then
the domain's cache (~20 µs a call on this machine; a logged-in dataset page
translates ~120 texts). The translations belong to the request's locale
object, which Flask-Babel keeps in that namespace (and swaps in
``force_locale``), so they are kept beside it on ``flask.g`` and asked anew
whenever the locale object is another one."""
from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from flask_babel import get_translations

_MEMO = "_datagovernance_translations"


def _locale() -> Any:
    return getattr(g.get("_flask_babel"), "babel_locale", None)  # Flask-Babel's per-request namespace


def current() -> Any:
    """Flask-Babel's translations for the request's locale."""
    if not has_app_context():
        return get_translations()
    memo = g.get(_MEMO)
    locale = _locale()
    if memo is not None and locale is not None and memo[0] is locale:
        return memo[1]
    translations = get_translations()  # sets the request's locale when first asked
    setattr(g, _MEMO, (_locale(), translations))
    return translations


def install(app: Flask) -> None:
    """Flask-Babel's callables (newstyle, as Flask-Babel installs them)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: current().ugettext(s),
        ngettext=lambda s, p, n: current().ungettext(s, p, n),
        pgettext=lambda c, s: current().upgettext(c, s),
        npgettext=lambda c, s, p, n: current().unpgettext(c, s, p, n),
        newstyle=True,
    )
