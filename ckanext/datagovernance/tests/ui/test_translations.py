"""The templates' gettext (ui/translations.py) keeps the request's
translations beside its locale: it must still follow the locale when a
request switches it (Flask-Babel's force_locale, as mails to other users
do), for CKAN's texts and the suite's."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask import g, render_template_string
from flask_babel import force_locale


@pytest.mark.usefixtures("with_plugins", "clean_db")  # the pages below list what the database holds
@pytest.mark.ckan_config("ckan.locales_offered", "de en")
def test_templates_translate_in_the_locale_of_the_moment(app):
    template = "{{ _('Datasets') }}|{{ _('Data domains') }}|{{ ungettext('{n} dataset', '{n} datasets', 2).format(n=2) }}"
    german, english = "Datensätze|Datendomänen|2 Datensätze", "Datasets|Data domains|2 datasets"
    with app.flask_app.test_request_context("/"):
        app.flask_app.preprocess_request()
        for locale, expected in (("de", german), ("en", english), ("de", german), ("en", english)):
            with force_locale(locale):
                assert render_template_string(template) == expected, locale
        assert g.get("_datagovernance_translations")  # the suite's callables did the work
    for path, expected in (("/de/dataset", "Datensatz -"), ("/en/dataset", "Dataset -")):
        title = BeautifulSoup(app.get(path).body, "html.parser").title.get_text(" ", strip=True)
        assert title.startswith(expected), title


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("ckan.locales_offered", "de en")
def test_the_templates_and_the_suites_gettext_answer_as_jinjas_and_ckans(app):
    """The templates' `_()` is one call (ui/translations.py) and the suite's
    Python `_` keeps the translations (translate.py): both must give what
    Jinja's newstyle gettext and CKAN's `_` give, formatting included (`%%`,
    escaped arguments, no arguments), with and without autoescaping."""
    from ckan.common import _ as ckans
    from flask_babel import get_translations
    from jinja2 import Environment

    from ckanext.datagovernance.translate import _ as suites

    cases = ["{{ _('Datasets') }}", "{{ _('100%% sure') }}", "{{ _('%(n)s of them', n='<b>2</b>') }}",
             "{{ _('Not found') }}|{{ _('%%') }}|{{ _('a % b') }}"]
    with app.flask_app.test_request_context("/"):
        app.flask_app.preprocess_request()
        for locale in ("de", "en", "de"):
            with force_locale(locale):
                for autoescape in (True, False):
                    jinjas = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)
                    jinjas.install_gettext_callables(  # type: ignore[attr-defined]
                        lambda s: get_translations().ugettext(s), lambda s, p, n: get_translations().ungettext(s, p, n),
                        newstyle=True)
                    ours = app.flask_app.jinja_env.overlay(autoescape=autoescape)
                    for case in cases:
                        expected = jinjas.from_string(case).render() if "a % b" not in case else None
                        if expected is None:  # Jinja raises for a lone % after no arguments, and so must we
                            with pytest.raises((ValueError, TypeError)):
                                jinjas.from_string(case).render()
                            with pytest.raises((ValueError, TypeError)):
                                ours.from_string(case).render()
                            continue
                        assert ours.from_string(case).render() == expected, (locale, autoescape, case)
                for text, kw in (("Datasets", {}), ("Not found", {}), ("%(n)s datasets", {"n": 3}), ("100%", {})):
                    assert suites(text, **kw) == ckans(text, **kw), (locale, text)
