"""What citizens and staff rely on when they open the catalog: the city's
home page, German texts, names instead of slugs and codes, domain pages that
list their datasets, and no empty rows for anonymous visitors (read-only)."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from ckan.tests.helpers import call_action

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    pytest.mark.ckan_config("ckanext.datagovernance.ui.city_name", "Stadt Offenbach am Main"),
    pytest.mark.ckan_config("ckanext.datagovernance.ui.color_primary", "#a6192e"),
]


def get(app, url: str, user: str | None = None, status: int = 200) -> BeautifulSoup:
    headers = {}
    if user:
        headers["Authorization"] = call_action("api_token_create", {}, user=user, name="page")["token"]
    res = app.get(url, headers=headers, status=status)
    return BeautifulSoup(res.body, "html.parser")


def text(page: BeautifulSoup, selector: str = "body") -> str:
    node = page.select_one(selector)
    assert node is not None, selector
    return node.get_text(" ", strip=True)


def test_home_page_is_the_city_catalog_in_german(city, app):
    page = get(app, "/de/")
    body = text(page)
    assert "Datenkatalog der Stadt Offenbach am Main" in body
    assert page.select_one("form[role=search] input[name=q]")
    assert "So kommen Sie an Daten" in body and "Hochwertige Datensätze" in body
    for placeholder in ("Willkommen bei CKAN", "hervorgehobener Abschnitt", "CKAN Association", "Welcome"):
        assert placeholder not in body
    assert not page.select("img[src*='ckan-logo']")
    assert "--dg-primary: #a6192e" in str(page.select_one("style"))
    assert page.select_one("html")["lang"] == "de"


def test_home_domain_tiles_count_only_what_the_visitor_may_see(city, app):
    def tile(page: BeautifulSoup) -> str:
        for a in page.select(".datagovernance-tile"):
            if "Gebäudedaten" in a.get_text():
                return a.select_one(".datagovernance-tile-count").get_text(strip=True)
        raise AssertionError("no Gebäudedaten tile")

    # the four datasets sit in the sub-domain Mietobjekte; only the public
    # one is open to everybody, all four to the domain's steward
    assert tile(get(app, "/de/")) == "1 Datensatz"
    assert tile(get(app, "/de/", "dg_steward")) == "4 Datensätze"
    latest = text(get(app, "/de/"), ".datagovernance-latest")
    assert "Mietverträge public" in latest and "Mietverträge internal" not in latest


def test_home_page_in_english(city, app):
    body = text(get(app, "/en/"))
    assert "Data catalog of Stadt Offenbach am Main" in body and "How to get data" in body
    assert "Datendomänen" not in body


def test_about_page_explains_the_catalog(city, app):
    body = text(get(app, "/de/about"))
    assert "Über den Datenkatalog" in body and "Wie Daten veröffentlicht werden" in body
    assert "CKAN is the world" not in body and "CKAN ist" not in body


def test_menu_has_domains_not_empty_groups(city, app):
    nav = get(app, "/de/").select_one(".masthead .navbar-nav")
    labels = [a.get_text(strip=True) for a in nav.select("a")]
    assert "Datendomänen" in labels and "Gruppen" not in labels


def test_domain_page_lists_the_datasets_the_visitor_may_see(city, app):
    anonymous = get(app, "/de/domain/gebaeude")
    assert text(anonymous, ".datagovernance-domain").startswith("Datendomäne Gebäudedaten")
    listed = [a.get_text(strip=True) for a in anonymous.select(".datagovernance-domain .dataset-heading a")]
    assert listed == ["Mietverträge public"]  # from the sub-domain, nothing internal
    subs = text(anonymous, ".datagovernance-sub-domains")
    assert "Mietobjekte" in subs and "mietobjekte" not in subs
    assert not anonymous.select(".datagovernance-domain-overview")  # governance figures are for staff
    steward = get(app, "/de/domain/gebaeude", "dg_steward")
    assert len(steward.select(".datagovernance-domain .dataset-heading")) == 4
    overview = text(steward, ".datagovernance-domain-overview")
    assert "Freigegeben" in overview or "Veröffentlicht" in overview
    assert "published" not in overview and "approved" not in overview


def test_domain_index_shows_top_domains_with_sub_domains(city, app):
    page = get(app, "/de/domain/")
    tiles = text(page, ".datagovernance-domain-index")
    assert "Gebäudedaten" in tiles and "Mietobjekte" in tiles and "1 Datensatz" in tiles
    assert "domains found" not in text(page) and "Gruppen" not in text(page)


def test_search_facets_show_labels_not_codes(city, app):
    page = get(app, "/de/dataset/?workflow_state=published", "dg_steward")
    facets = text(page, ".secondary")
    assert "Datendomäne" in facets and "Mietobjekte" in facets
    assert "Veröffentlicht (Open Data)" in facets
    for code in ("published", "approved", "public", "internal", "mietobjekte"):
        assert code not in facets.split(), code
    pill = text(page, ".filter-list")
    assert "Veröffentlicht (Open Data)" in pill and "published" not in pill
    english_page = get(app, "/en/dataset/", "dg_steward")
    english = text(english_page, ".secondary")
    assert "Data domain" in english and "Published (open data)" in english
    # one word for organisations in each language: the menu says what the facet and pages say
    assert "Organizations" in english and "Organizations" in text(english_page, "nav")
    assert "Organisationen" in facets and "Organisationen" in text(page, "nav")


def test_dataset_page_for_anonymous_shows_only_filled_fields_in_groups(city, app):
    page = get(app, f"/de/dataset/{city.datasets['public']['name']}")
    info = page.select_one(".datagovernance-fields")
    headings = [h.get_text(strip=True) for h in info.select("h3")]
    assert headings[0] == "Inhalt" and "Zugang und Lizenz" in headings
    rows = info.select("tr")
    assert rows, "no metadata rows"
    for row in rows:
        assert row.select_one("td").get_text(strip=True), row.get_text(" ", strip=True)
    labels = " ".join(th.get_text(" ", strip=True) for th in info.select("th"))
    assert "(intern)" not in labels and "Data Owner" not in labels  # internal fields stay hidden
    values = text(page, ".datagovernance-fields")
    assert "Mietobjekte" in values and "mietobjekte" not in values  # domain by title
    assert "public" not in values.split() and "published" not in values.split()
    assert "Gruppen" not in text(page, ".page_primary_action, .nav-tabs, .content_action, body")
    # each resource's menu in the administration's German (CKAN's own says "Entdecke")
    menus = [a.get_text(" ", strip=True) for a in page.select(".resource-item .dropdown-toggle")]
    assert menus and all(m == "Öffnen" for m in menus), menus


def test_error_pages_speak_german(city, app):
    page = get(app, "/de/dataset/gibt-es-nicht", status=404)
    body = text(page, "#error-content")
    assert body.startswith("404 Seite nicht gefunden") and "Not Found" not in body


def test_roles_page_names_not_slugs_and_revoke_needs_a_reason(city, app):
    page = get(app, "/de/rollen/", "dg_office")
    table = text(page, "table.datagovernance-roles")
    assert "Gebäudedaten" in table and "gebaeude" not in table.split()
    assert "dg_steward" not in table
    reason = page.select_one("details.datagovernance-revoke form input[name=reason]")
    assert reason is not None and reason.has_attr("required")
    history = page.select("h2 + table.table-sm tbody tr")
    assert history, "no role history"
    first = [td.get_text(" ", strip=True) for td in history[-1].select("td")]
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr", first[0]), first[0]
    assert first[1] == "vergeben" and not first[2].startswith("dg_")


def test_messages_name_fields_and_use_one_language(app):
    from ckan.lib.i18n import set_lang

    from ckanext.datagovernance.ui import text as ui_text

    gate = {"gates": ["Die Zugriffsklasse ist nicht „öffentlich“ / The access class is not public"]}
    with app.flask_app.test_request_context("/", environ_base={"CKAN_LANG": "de"}):
        set_lang("de")
        assert ui_text.error_message(gate) == "Veröffentlichungsprüfung: Die Zugriffsklasse ist nicht „öffentlich“"
    with app.flask_app.test_request_context("/", environ_base={"CKAN_LANG": "en"}):
        set_lang("en")
        assert ui_text.error_message(gate) == "Publication checks: The access class is not public"


def test_forms_offer_searchable_pickers_that_show_only_what_the_caller_may_see(city, app):
    """Users, datasets and domains are picked by name, not typed as slugs;
    the dataset picker's source answers only with readable datasets."""
    form = get(app, "/de/rollen/", "dg_office").select_one("form.datagovernance-grant")
    user, dataset = form.select_one("input[name=user]"), form.select_one("input[name=dataset]")
    assert user["data-module"] == "datagovernance-picker" and "/api/2/util/user/autocomplete" in user["data-module-source"]
    assert user["data-module-label"] == "fullname" and user["data-module-key"] == "name"
    assert dataset["data-module"] == "datagovernance-picker" and dataset["data-module-label"] == "title"
    domains = [o.get_text(strip=True) for o in form.select("select[name=domain] option")]
    assert "Gebäudedaten" in domains and "— Mietobjekte" in domains and "gebaeude" not in domains

    source = dataset["data-module-source"].replace("?incomplete=?", "?incomplete=mietvertr")

    def titles(user: str | None) -> list[str]:
        headers = {}
        if user:
            headers["Authorization"] = call_action("api_token_create", {}, user=user, name="p")["token"]
        return sorted(r["title"] for r in app.get(source, headers=headers).json["ResultSet"]["Result"])

    assert titles(None) == ["Mietverträge public"]
    assert titles("dg_plain") == ["Mietverträge internal", "Mietverträge public"]
    assert len(titles("dg_steward")) == 4
    found = app.get("/api/2/util/user/autocomplete?q=steward",
                    headers={"Authorization": call_action("api_token_create", {}, user="dg_office",
                                                          name="p")["token"]}).json
    assert "Steward" in [u["fullname"] for u in found]

    owner_field = get(app, "/de/dataset/edit/mietvertraege-public", "dg_steward").select_one("input[name=data_owner]")
    assert owner_field["data-module"] == "datagovernance-picker" and owner_field["data-module-label"] == "fullname"
    # shown again with a value: the person's name, the login name stays the value
    from ckan import model

    assert owner_field["data-module-text"] == model.User.get(owner_field["value"]).display_name


def test_role_list_export_opens_in_german_excel(city, app):
    import csv
    import io

    token = call_action("api_token_create", {}, user="dg_office", name="csv")["token"]
    res = app.get("/de/rollen/rollen.csv?role=steward", headers={"Authorization": token})
    assert res.headers["Content-Type"].startswith("text/csv")
    assert res.data.startswith("\ufeffPerson;Rolle;".encode())
    rows = list(csv.DictReader(io.StringIO(res.data.decode("utf-8-sig")), delimiter=";"))
    by_person = {r["Person"]: r for r in rows}
    assert by_person["Steward"]["Für"] == "Gebäudedaten" and by_person["Steward"]["Stellvertretung"] == "Nein"
    assert by_person["Steward Deputy"]["Stellvertretung"] == "Ja"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", by_person["Steward"]["Seit"])
    assert "steward" not in res.data.decode("utf-8-sig").split("\r\n", 1)[1]  # no codes or slugs
    app.get("/rollen/rollen.csv", status=403)


def test_role_page_offers_grant_and_revoke_only_to_who_may(city, app):
    plain = get(app, "/de/rollen/", "dg_plain")
    assert plain.select_one("form.datagovernance-grant") is None and not plain.select(".datagovernance-revoke")
    office = get(app, "/de/rollen/", "dg_office")
    assert office.select_one("form.datagovernance-grant")
    rows = {r.select_one("td:nth-of-type(2)").get_text(" ", strip=True): bool(r.select(".datagovernance-revoke"))
            for r in office.select("table.datagovernance-roles tbody tr") if r.select("td")}
    assert rows["Data Steward"] is True  # the office manages stewards ...
    assert rows.get("Datenschutzbeauftragte:r", rows.get("Datenschutzbeauftragte")) is False  # ... not the DPO


def test_activity_tabs_and_german_activity_filter(city, app):
    """The suite's templates come before the activity plugin's: its tabs stay,
    and its type filter speaks German."""
    name = city.datasets["public"]["name"]
    assert get(app, f"/de/dataset/{name}").select_one(f"a[href$='/dataset/activity/{name}']")
    activity = get(app, f"/de/dataset/activity/{name}")
    options = [o.get_text(strip=True) for o in activity.select("#activity_types_filter_select option")]
    assert "Datensatz angelegt" in options and "Alle Aktivitätstypen" in options
    assert not [o for o in options if "Package" in o]
    assert get(app, "/de/user/dg_owner", "dg_owner").select_one("a[href$='/user/activity/dg_owner']")


def test_dashboard_tabs_without_empty_groups(city, app):
    """The dashboard offers no "My Groups" tab on a site without groups, and
    says what its dataset tab lists (the account bar's "My datasets" is the
    list the user answers for)."""
    page = get(app, "/de/dashboard/datasets", "dg_steward")
    tabs = [a.get_text(strip=True) for a in page.select(".page-header .nav-tabs a")]
    assert "Von mir angelegt" in tabs and "Meine Organisationen" in tabs
    assert "Meine Gruppen" not in tabs and "Meine Datensätze" not in tabs
    assert text(page, "title").startswith("Übersicht")


@pytest.mark.usefixtures("clean_db")
def test_asset_bundles_are_built_at_start_and_served(app):
    """Pages name the bundles built when the app started (no time-stamp
    checks per page, ui/assets.py) and every named file is there."""
    from ckan.lib import webassets_tools

    assert webassets_tools.env.auto_build is False
    html = app.get("/about").body
    urls = set(re.findall(r'(?:src|href)="(/webassets/[^"?]+)', html))
    assert any(u.endswith(".css") for u in urls) and any(u.endswith(".js") for u in urls)
    for url in urls:
        assert app.get(url).status_code == 200, url


@pytest.mark.ckan_config("ckanext.datagovernance.webassets.build_at_start", "false")
def test_asset_checks_per_page_can_be_kept(app):
    from ckan.lib import webassets_tools

    assert webassets_tools.env.auto_build is True


def test_geodatasets_are_named_in_the_ui_language(city, app):
    """The geodataset type in words of the UI language (CKAN words types
    other than its own in English: "Geodataset suchen", "3 geodatasets found")."""
    german = get(app, "/de/geodataset/")
    body = text(german)
    assert "Datensätze gefunden" in body or "Datensatz gefunden" in body or "Keine Datensätze gefunden" in body
    assert "geodatasets found" not in body and "Geodataset" not in body.replace("Geodatensätze", "")
    placeholder = german.select_one("#dataset-search-form input[name=q]")
    assert placeholder is not None and placeholder.get("placeholder", "").startswith("Geodatensätze durchsuchen")
    english = get(app, "/en/geodataset/")
    assert "Search geodatasets" in english.select_one("#dataset-search-form input[name=q]").get("placeholder", "")
    assert "Geodatensätze" not in text(english)
