"""Points on the quality panel in the reader's locale: the panel's shortcut
for whole points gives what CKAN's number formatting gives."""
from __future__ import annotations

import pytest
from ckan.lib.formatters import localised_number
from flask_babel import force_locale

from ckanext.datagovernance.quality import views


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("ckan.locales_offered", "de en")
def test_points_are_ckans_localised_numbers(app):
    expected = {"de": {12.5: "12,5", 1234.5: "1.234,5", 405: "405", 1234: "1.234"},
                "en": {12.5: "12.5", 1234.5: "1,234.5", 405: "405", 1234: "1,234"}}
    with app.flask_app.test_request_context("/"):
        app.flask_app.preprocess_request()
        for locale, samples in expected.items():
            with force_locale(locale):
                for points in (0, 5, 5.0, 12.5, 80, 110.0, 405, 999, 1000, 1234, 1234.5, -3, 0.25):
                    normal = int(points) if float(points).is_integer() else round(float(points), 1)
                    assert views.datagovernance_quality_points(points) == localised_number(normal), (locale, points)
                for points, text in samples.items():
                    assert views.datagovernance_quality_points(points) == text, (locale, points)
