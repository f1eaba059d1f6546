"""package_search, autocomplete and permissions answered by PostgreSQL.

All tests read one shared catalog (tests/search/conftest.py)."""
from __future__ import annotations

import datetime as dt

import ckan.logic as logic
import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
from ckan.lib.search.common import SearchQueryError
from ckan.tests.helpers import call_action

from .conftest import SEARCH_PLUGINS

pytestmark = [pytest.mark.usefixtures("with_plugins"), pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)]


def search(user: str | None = None, **params):
    ctx = {"user": user or "", "ignore_auth": False}
    return call_action("package_search", ctx, **params)


def names(result) -> list[str]:
    return [r["name"] for r in result["results"]]


def sysadmin_search(catalog, **params):
    params.setdefault("include_private", True)
    return search(catalog.sysadmin["name"], **params)


class TestFreeText:
    def test_german_stemming_finds_inflected_forms(self, catalog):
        assert "radwege-offenbach" in names(search(q="Radweg"))
        assert "kita-plaetze" in names(search(q="Kindertagesstätte"))

    def test_all_words_must_match(self, catalog):
        assert names(search(q="Haushalt Offenbach")) == ["haushaltsplan-2024"]
        assert names(search(q="Haushalt Radweg")) == []

    def test_title_outranks_description(self, catalog):
        # "Radwege" is the title of one dataset and only in the notes of another
        assert names(search(q="Radwege"))[:2] == ["radwege-offenbach", "baumkataster"]

    def test_exact_name_and_id(self, catalog):
        ds = catalog.datasets["haushalt"]
        assert names(search(q="haushaltsplan-2024"))[0] == "haushaltsplan-2024"
        assert names(search(q=f'id:"{ds["id"]}"')) == ["haushaltsplan-2024"]
        assert names(search(q="name:haushaltsplan-2024")) == ["haushaltsplan-2024"]
        assert names(search(q="name:haushaltsplan")) == []  # names are exact

    def test_phrase_and_prefix(self, catalog):
        assert names(search(q='"Haushalt der Stadt"')) == ["haushaltsplan-2024"]
        assert names(search(q='"Stadt der Haushalt"')) == []
        assert set(names(search(q="Haush*"))) == {"haushaltsplan-2024"}

    def test_extras_and_resources_are_searchable(self, catalog):
        assert names(search(q="Fachverfahren")) == ["radwege-offenbach"]
        assert names(search(q="haushalt-tabelle")) == ["haushaltsplan-2024"]

    def test_plain_words_with_stray_operators_still_search(self, catalog):
        assert names(search(q="Baumkataster !")) == ["baumkataster"]


class TestLuceneSyntax:
    @pytest.mark.parametrize(
        "q, expected",
        [
            ("tags:Verkehr", {"radwege-offenbach", "kita-plaetze"}),
            ('tags:"Radverkehr"', {"radwege-offenbach"}),
            ("tags:(Finanzen OR Umwelt)", {"haushaltsplan-2024", "baumkataster"}),
            ("tags:Verkehr AND NOT tags:Bildung", {"radwege-offenbach"}),
            ("tags:Verkehr -tags:Bildung", {"radwege-offenbach"}),
            ("+tags:Verkehr +organization:finanzen", {"kita-plaetze"}),
            ("organization:finanzen OR groups:umwelt", {"haushaltsplan-2024", "kita-plaetze", "baumkataster"}),
            ("(tags:Umwelt OR tags:Finanzen) AND res_format:CSV", {"haushaltsplan-2024"}),
            ("res_format:GeoJSON", {"radwege-offenbach"}),
            ("num_resources:[2 TO *]", {"radwege-offenbach", "haushaltsplan-2024"}),
            ("num_resources:{2 TO 3]", {"haushaltsplan-2024"}),
            ("num_tags:[* TO 1}", set()),
            ("name:kita*", {"kita-plaetze"}),
            ("name:*-2024", {"haushaltsplan-2024"}),
            ("name:kita-pl?etze", {"kita-plaetze"}),
            ("title:Baumkataster", {"baumkataster"}),
            ("title:radw*", {"radwege-offenbach"}),
            ("notes:Straßenbäume", {"baumkataster"}),
            ("quelle:*", {"radwege-offenbach"}),
            ("extras_quelle:GIS", {"radwege-offenbach"}),
            ("-tags:*", set()),
            ("license_id:cc-by", {"radwege-offenbach", "baumkataster"}),
            ("text:Kindertagesstätten", {"kita-plaetze"}),
            ("text:finanzen", {"haushaltsplan-2024", "kita-plaetze"}),
        ],
    )
    def test_query(self, catalog, q, expected):
        assert set(names(search(q=q, rows=100))) == expected

    def test_match_all_counts_public_active_only(self, catalog):
        assert search(q="*:*")["count"] == 4

    def test_date_ranges_with_now(self, catalog):
        assert search(q="metadata_modified:[NOW-1DAY TO NOW+1DAY]")["count"] == 4
        assert search(q="metadata_modified:[* TO NOW-1YEAR]")["count"] == 0
        created = catalog.datasets["kita"]["metadata_created"]
        stamp = dt.datetime.fromisoformat(created).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert search(q=f"metadata_created:[{stamp} TO *]")["count"] >= 1
        assert search(q="metadata_created:[2000-01-01T00:00:00Z TO 2001-01-01T00:00:00Z]")["count"] == 0

    def test_fq_and_fq_list_combine(self, catalog):
        r = search(q="*:*", fq="organization:stadtplanung", fq_list=["tags:Umwelt"])
        assert names(r) == ["baumkataster"]
        r = search(q="Radwege", fq_list=["-organization:finanzen", "-dataset_type:harvest"])
        assert set(names(r)) == {"radwege-offenbach", "baumkataster"}


class TestResultShape:
    def test_fl_returns_only_requested_fields(self, catalog):
        r = search(q="name:baumkataster", fl="id,name")
        assert r["results"] == [{"id": catalog.datasets["baeume"]["id"], "name": "baumkataster"}]

    def test_results_are_full_dataset_dicts(self, catalog):
        r = search(q="name:radwege-offenbach")
        ds = r["results"][0]
        assert ds["title"] == "Radwege in Offenbach"
        assert ds["organization"]["name"] == "stadtplanung"
        assert {res["format"] for res in ds["resources"]} == {"CSV", "GeoJSON"}

    def test_paging_is_stable_and_complete(self, catalog):
        seen = []
        for start in range(0, 4):
            seen += names(search(q="*:*", rows=1, start=start, sort="title_string asc"))
        assert seen == ["baumkataster", "haushaltsplan-2024", "kita-plaetze", "radwege-offenbach"]
        r = search(q="*:*", rows=10, start=50)
        assert r["count"] == 4 and r["results"] == []

    def test_index_walk_for_large_results_keeps_the_order(self, catalog, monkeypatch):
        from ckanext.datagovernance.search import backend

        expected = names(search(q="*:*", sort="metadata_modified desc"))
        monkeypatch.setattr(backend, "INDEX_WALK_MIN", 0)
        assert names(search(q="*:*", sort="metadata_modified desc")) == expected
        assert search(q="*:*")["count"] == 4  # the setting is back: later statements may sort

    @pytest.mark.parametrize(
        "sort, first",
        [
            ("title_string desc", "radwege-offenbach"),
            ("name asc", "baumkataster"),
            ("num_resources desc, name asc", "haushaltsplan-2024"),
            ("metadata_modified desc", "kita-plaetze"),
            ("metadata_created asc", "radwege-offenbach"),
        ],
    )
    def test_sort_on_indexed_fields(self, catalog, sort, first):
        assert names(search(q="*:*", sort=sort))[0] == first


class TestFacets:
    FACETS = ["organization", "groups", "tags", "res_format", "license_id"]

    def test_counts_for_match_all(self, catalog):
        r = search(q="*:*", **{"facet.field": self.FACETS})
        f = r["facets"]
        assert f["organization"] == {"stadtplanung": 2, "finanzen": 2}
        assert f["tags"] == {"Verkehr": 2, "Radverkehr": 1, "Finanzen": 1, "Umwelt": 1, "Bildung": 1}
        # res_format counts datasets, not resources
        assert f["res_format"] == {"CSV": 2, "GeoJSON": 1, "PDF": 1, "JSON": 1}
        assert f["groups"] == {"verkehr": 1, "umwelt": 1}

    def test_counts_follow_every_filter(self, catalog):
        r = search(q="Radwege", fq="organization:stadtplanung", **{"facet.field": self.FACETS})
        assert r["facets"]["tags"] == {"Radverkehr": 1, "Verkehr": 1, "Umwelt": 1}
        r = search(q="tags:Verkehr", **{"facet.field": ["organization"]})
        assert r["facets"]["organization"] == {"stadtplanung": 1, "finanzen": 1}

    def test_limit_and_mincount(self, catalog):
        r = search(q="*:*", **{"facet.field": ["tags"], "facet.limit": 1})
        assert r["facets"]["tags"] == {"Verkehr": 2}
        r = search(q="*:*", **{"facet.field": ["tags"], "facet.mincount": 2})
        assert r["facets"]["tags"] == {"Verkehr": 2}
        r = search(q="*:*", **{"facet.field": ["tags"], "facet.limit": -1})
        assert len(r["facets"]["tags"]) == 5

    def test_search_facets_have_display_names(self, catalog):
        r = search(q="*:*", **{"facet.field": ["organization"]})
        items = {i["name"]: i for i in r["search_facets"]["organization"]["items"]}
        assert items["finanzen"]["display_name"] == "Kämmerei"


class TestPermissions:
    def test_private_dataset_hidden_from_anonymous_and_outsiders(self, catalog):
        for user in ("", catalog.outsider["name"]):
            r = search(user, q="Radwege", include_private=True, **{"facet.field": ["tags"]})
            assert "interne-radwegeplanung" not in names(r)
            assert r["facets"]["tags"].get("Radverkehr") == 1  # not 2: no leak in counts

    def test_private_dataset_visible_to_org_member(self, catalog):
        r = search(catalog.editor["name"], q="Radwege", include_private=True)
        assert "interne-radwegeplanung" in names(r)
        r = search(catalog.editor["name"], q="Radwege", include_private=False)
        assert "interne-radwegeplanung" not in names(r)

    def test_drafts_only_for_their_creator_or_sysadmin(self, catalog):
        assert "entwurf-parkplaetze" not in names(search(q="Parkplätze", include_drafts=True))
        r = sysadmin_search(catalog, q="Parkplätze", include_drafts=True)
        assert "entwurf-parkplaetze" in names(r)

    def test_deleted_dataset_not_found(self, catalog):
        assert names(sysadmin_search(catalog, q="Gelöschte")) == []

    def test_autocomplete(self, catalog):
        found = call_action("package_autocomplete", {"user": "", "ignore_auth": False}, q="radw")
        assert [d["name"] for d in found] == ["radwege-offenbach"]
        found = call_action("package_autocomplete", {"user": catalog.editor["name"], "ignore_auth": False}, q="radw")
        assert {d["name"] for d in found} == {"radwege-offenbach", "interne-radwegeplanung"}
        found = call_action("package_autocomplete", {"user": "", "ignore_auth": False}, q="plätze")
        assert [d["name"] for d in found] == ["kita-plaetze"]

    def test_organization_and_group_counts(self, catalog):
        org = call_action("organization_show", {"user": "", "ignore_auth": False}, id="stadtplanung", include_datasets=True)
        assert org["package_count"] == 2
        editor_view = call_action(
            "organization_show", {"user": catalog.editor["name"], "ignore_auth": False}, id="stadtplanung",
            include_datasets=True,
        )
        assert editor_view["package_count"] == 3
        groups = {g["name"]: g["package_count"] for g in call_action("group_list", {}, all_fields=True)}
        assert groups == {"verkehr": 1, "umwelt": 1}


class TestBadInput:
    @pytest.mark.parametrize(
        "params",
        [
            {"q": "title:("},
            {"q": "[1 TO"},
            {"q": 'tags:"unclosed'},
            {"q": "*:*", "fq": "metadata_modified:[yesterday TO NOW]"},
            {"q": "*:*", "sort": "title_string sideways"},
            {"q": "*:*", "fq": "/regex/"},
        ],
    )
    def test_malformed_query_is_a_clear_error_and_session_stays_usable(self, catalog, params):
        with pytest.raises((logic.ValidationError, SearchQueryError)):
            search(**params)
        # the transaction is still usable afterwards
        assert search(q="*:*")["count"] == 4
        assert model.Session.execute(model.Package.__table__.select().limit(1)).first()

    def test_unknown_local_params_rejected(self, catalog):
        with pytest.raises(Exception) as err:
            search(q="{!xmlparser v='x'}")
        assert "not supported" in str(err.value)

    def test_api_answers_400_or_409_never_500(self, catalog, app):
        for q in ["title:(", "[1 TO", "{!lucene}x", "tags:(a OR", "x:[1 TO 2"]:
            res = app.get("/api/3/action/package_search", query_string={"q": q}, status=None)
            assert res.status_code in (400, 409), (q, res.status_code)
            assert res.json["success"] is False
        res = app.get("/api/3/action/package_search", query_string={"q": "Radweg"})
        assert res.json["result"]["count"] == 2

    def test_dataset_page_shows_error_not_500(self, catalog, app):
        res = app.get("/dataset/", query_string={"q": "title:("}, status=None)
        assert res.status_code == 400

    def test_rows_must_be_integer(self, catalog):
        with pytest.raises(tk.ValidationError):
            search(q="*:*", rows="many")
