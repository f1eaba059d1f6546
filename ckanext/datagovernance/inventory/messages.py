"""Report messages in German and English at once.

The import report carries both languages whatever the UI language is (the
office forwards it to departments), so a message is kept as its msgid plus
parameters and rendered per language from the shipped catalogue. The msgids
are in the German catalogue like every ``_()`` string.
"""
from __future__ import annotations

import functools
import gettext
from pathlib import Path
from typing import Any

I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"
DOMAIN = "ckanext-datagovernance"


@functools.cache
def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=str(I18N_DIR), languages=[lang], fallback=True)


def translate(msgid: str, lang: str) -> str:
    return _catalog(lang).gettext(msgid)


class Msg:
    """A translatable message with named parameters (which may be Msgs)."""

    def __init__(self, msgid: str, **params: Any):
        self.msgid = msgid
        self.params = params

    @classmethod
    def noun(cls, word: str) -> Msg:
        return cls(word)

    @classmethod
    def text(cls, de: str, en: str | None = None) -> Msg:
        """A message that is already rendered (e.g. a CKAN validation error)."""
        m = cls(en or de)
        m._fixed = {"de": de, "en": en or de}  # type: ignore[attr-defined]
        return m

    def render(self, lang: str) -> str:
        fixed = getattr(self, "_fixed", None)
        if fixed:
            return fixed[lang]
        params = {k: (p.render(lang) if isinstance(p, Msg) else p) for k, p in self.params.items()}
        return translate(self.msgid, lang).format(**params)

    @property
    def de(self) -> str:
        return self.render("de")

    @property
    def en(self) -> str:
        return self.render("en")

    def __str__(self) -> str:
        return self.en
