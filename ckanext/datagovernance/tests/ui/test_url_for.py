"""Links: the suite keeps each link it built with the app's routes
(ui/helpers.url_for, chained to CKAN's url_for). A kept link must be the one
CKAN builds now: in every language, for full URLs after ckan.site_url
changed, and for values that are equal but print differently."""
from __future__ import annotations

import ckan.lib.helpers as core_helpers
import ckan.plugins.toolkit as tk
import pytest

CALLS = [
    (("dataset.search",), {}),
    (("dataset.read",), {"id": "baeume"}),
    (("dataset.search",), {"q": "Bäume & Alleen", "page": 2}),
    (("dataset.search",), {"page": True}),  # equal to page=1, printed "True"
    (("dataset.search",), {"page": 1}),
    (("dataset.read",), {"id": "baeume", "qualified": True}),
    (("api.action",), {"ver": 3, "logic_function": "status_show", "_external": True}),
    (("dataset.search",), {"tags": ["a", "b"]}),  # a list: CKAN's own call
    (("home.index",), {"locale": "default"}),
    (("/dataset/baeume",), {}),
]


def _both(args: tuple, kw: dict) -> tuple[str, str]:
    return tk.h.url_for(*args, **dict(kw)), core_helpers.url_for(*args, **dict(kw))


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("ckan.locales_offered", "de en")
def test_a_kept_link_is_the_link_ckan_builds_now(app):
    assert tk.h.url_for is not core_helpers.url_for  # the suite's is in place
    for lang, default in (("de", True), ("en", False)):
        environ = {"CKAN_LANG": lang, "CKAN_LANG_IS_DEFAULT": default}
        with app.flask_app.test_request_context("/", environ_overrides=environ):
            for _round in range(2):  # built, then kept
                for args, kw in CALLS:
                    ours, ckans = _both(args, kw)
                    assert ours == ckans, (lang, args, kw)
            assert tk.h.url_for("dataset.search", page=True) != tk.h.url_for("dataset.search", page=1)
            if lang == "en":
                assert tk.h.url_for("dataset.read", id="x").startswith("/en/")

    # a full URL follows the setting it is built from (read once per request)
    with app.flask_app.test_request_context("/"):
        before = tk.h.url_for("dataset.read", id="baeume", qualified=True)
    old = tk.config["ckan.site_url"]
    tk.config["ckan.site_url"] = "https://daten.offenbach.example"
    try:
        with app.flask_app.test_request_context("/"):
            after, ckans = _both(("dataset.read",), {"id": "baeume", "qualified": True})
    finally:
        tk.config["ckan.site_url"] = old
    assert after == ckans == "https://daten.offenbach.example/dataset/baeume" != before


MENUS = [
    (("dataset.search", "Datensätze", ["dataset", "resource"]), ("organization.index", "Organisationen", ["organization"]),
     ("home.about", "Über")),
    (("dataset.search", "Datasets"), ("home.about", "About", None)),
]


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("ckan.locales_offered", "de en")
def test_a_kept_menu_item_is_the_one_ckan_builds_on_this_page(app):
    """Menu items (build_nav_main, build_nav_icon) are kept per page kind:
    the item of the page's own section is marked active, on no other page."""
    assert tk.h.build_nav_main is not core_helpers.build_nav_main
    for path in ("/dataset/", "/about", "/organization/"):
        for lang, default in (("de", True), ("en", False)):
            environ = {"CKAN_LANG": lang, "CKAN_LANG_IS_DEFAULT": default}
            with app.flask_app.test_request_context(path, environ_overrides=environ):
                for _round in range(2):  # built, then kept
                    for menu in MENUS:
                        ours, ckans = tk.h.build_nav_main(*menu), core_helpers.build_nav_main(*menu)
                        assert ours == ckans, (path, lang, menu)
                    icon = tk.h.build_nav_icon("dataset.read", "Datensatz", id="baeume", icon="sitemap")
                    assert icon == core_helpers.build_nav_icon("dataset.read", "Datensatz", id="baeume", icon="sitemap")
                menu = str(tk.h.build_nav_main(*MENUS[0]))
                assert menu.count('class="active"') == 1, (path, menu)
                assert f'<li class="active"><a href="{"/en" if lang == "en" else ""}{path}"' in menu, (path, menu)
    # an item with an auth function is decided per user: CKAN's own call
    with app.flask_app.test_request_context("/"):
        item = ("datagovernance_kpi.index", "Steuerung", None, "sysadmin")
        assert tk.h.build_nav_main(item) == core_helpers.build_nav_main(item) == ""
