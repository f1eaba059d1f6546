"""The templates' gettext with the request's translations looked up once
(``translate.current``).

The templates' ``_()`` is Jinja's alias of ``gettext``: three nested
``Context.call``s per text (~70 Python calls). It is replaced by one
function doing what the alias and Jinja's newstyle ``gettext`` do together:
translate, mark safe where the template autoescapes, and always format with
the keyword arguments (escaped), so ``%%`` and ``%(name)s`` behave as
before."""
from __future__ import annotations

from typing import Any

from flask import Flask
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from ..translate import current


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, __string: str, **variables: Any) -> str:
    text = current().ugettext(__string)
    if eval_ctx.autoescape:
        text = Markup(text)
    if variables or "%" in text:  # without either, formatting changes nothing
        text = text % variables
    return text


def install(app: Flask) -> None:
    """Flask-Babel's callables (newstyle, as Flask-Babel installs them)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: current().ugettext(s),
        ngettext=lambda s, p, n: current().ungettext(s, p, n),
        pgettext=lambda c, s: current().upgettext(c, s),
        npgettext=lambda c, s, p, n: current().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = _template_gettext
