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
