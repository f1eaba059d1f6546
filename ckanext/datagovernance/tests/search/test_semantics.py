"""Search semantics that must match Solr as CKAN uses it (issue 16), plus the
German compound words and the stray quote (issue 15).

One small catalog per module; every test only reads."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import ckan.model as model
import ckan.plugins as plugins
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..conftest import reset_and_migrate
from .conftest import SEARCH_PLUGINS

pytestmark = [pytest.mark.usefixtures("with_plugins"), pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)]


@pytest.fixture(scope="module")
def catalog() -> SimpleNamespace:
    from ckan.common import config

    saved = config.get("ckan.plugins")
    config["ckan.plugins"] = SEARCH_PLUGINS
    plugins.load_all()
    try:
        reset_and_migrate()
        sysadmin = factories.Sysadmin(name="sem_sysadmin")
        org = factories.Organization(name="sem-amt", title="Umweltamt")
        ctx = {"user": sysadmin["name"], "ignore_auth": True}

        def ds(**kw: Any) -> dict[str, Any]:
            return call_action("package_create", dict(ctx), owner_org=org["id"], **kw)

        ds(name="wetter-ok", title="Offenbach Kassel", notes="Wetter und Klima",
           tags=[{"name": "Haushalt"}, {"name": "Finanzen"}], version="2.0",
           extras=[{"key": "quelle", "value": "GIS Fachverfahren Stadt"}])
        ds(name="kassel-offenbach", title="Kassel Offenbach Pendler", notes="Pendlerströme",
           version="1.0")
        ds(name="gewaesser", title="Gewässerkarte", notes="Alle Gewässer der Stadt", version="")
        ds(name="baum-des-jahres", title="Baum des Jahres", notes="Eine Liste")
        ds(name="baumkataster", title="Baumkataster", notes="Standorte")
        ds(name="strassenbaeume", title="Straßenbäume in Offenbach", notes="Pflanzjahr")
        ds(name="radwegenetz", title="Radwegenetz", notes="Netz für den Radverkehr")
        ds(name="raumplanung", title="Raumplanung", notes="Flächen")
        model.Session.commit()
        yield SimpleNamespace(sysadmin=sysadmin)
    finally:
        plugins.unload_all()
        config["ckan.plugins"] = saved


def names(**params: Any) -> list[str]:
    result = call_action("package_search", {"user": "", "ignore_auth": False}, **params)
    return [r["name"] for r in result["results"]]


def test_phrase_matches_only_adjacent_words_in_order(catalog):
    # in order and adjacent: found; reversed order or across a boundary: not
    assert names(q='"Offenbach Kassel"') == ["wetter-ok"]
    assert names(q='"Kassel Offenbach"') == ["kassel-offenbach"]
    # the end of the title and the start of the description are not adjacent
    assert names(q='"Kassel Wetter"') == []
    # two tags are two values, not one text
    assert names(q='"Haushalt Finanzen"') == []
    assert names(q='"Finanzen Haushalt"') == []
    # fielded phrases
    assert names(q='title:"Offenbach Kassel"') == ["wetter-ok"]
    assert names(q='title:"Kassel Offenbach"') == ["kassel-offenbach"]
    assert names(q='title:"Pendler Kassel"') == []
    # extras
    assert names(q='extras_quelle:"GIS Fachverfahren"') == ["wetter-ok"]
    assert names(q='extras_quelle:"Fachverfahren GIS"') == []
    assert names(q='"Fachverfahren GIS"') == []


def test_missing_sort_values_sort_last_in_both_directions(catalog):
    asc = names(q="*:*", sort="version asc, name asc", rows=20)
    desc = names(q="*:*", sort="version desc, name asc", rows=20)
    assert asc[:2] == ["kassel-offenbach", "wetter-ok"]
    assert desc[:2] == ["wetter-ok", "kassel-offenbach"]
    # no version (none or empty): after every dataset with one, in name order
    missing = ["baum-des-jahres", "baumkataster", "gewaesser", "radwegenetz", "raumplanung", "strassenbaeume"]
    assert asc[2:] == missing
    assert desc[2:] == missing


def test_stray_quote_searches_as_if_absent(catalog):
    # as Solr's edismax: no error page, the words are searched
    assert names(q='"Gewässer') == names(q="Gewässer") == ["gewaesser"]
    assert names(q='Gewässer"') == ["gewaesser"]
    assert names(q='"Gewässer" "Stadt') == ["gewaesser"]
    # a balanced phrase keeps its meaning
    assert names(q='"Stadt Gewässer"') == []


def test_german_compounds_found_and_ranked_below_exact_matches(catalog):
    baum = names(q="Baum")
    # the exact word first, then the compounds that start or end with it
    assert baum[0] == "baum-des-jahres"
    assert set(baum) == {"baum-des-jahres", "baumkataster", "strassenbaeume"}
    # inflected forms reach the same compounds through stemming
    assert set(names(q="Bäume")) == set(baum)
    assert names(q="Radweg") == ["radwegenetz"]
    assert names(q="Kataster") == ["baumkataster"]
    # all words must still match; compounds are words, not substrings anywhere
    assert names(q="Baum Offenbach") == ["strassenbaeume"]
    assert names(q="Raum") == ["raumplanung"]
    assert names(q="aum") == []
    # fielded and phrase queries keep exact word semantics
    assert names(q='"Baum"') == ["baum-des-jahres"]
