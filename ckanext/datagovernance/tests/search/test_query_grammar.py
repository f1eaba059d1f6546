"""The Lucene grammar: unit tests of the compiler and property-based tests
that random queries never raise anything but the documented errors."""
from __future__ import annotations

import datetime as dt

import ckan.logic as logic
import ckan.model as model
import pytest
from ckan.lib.search.common import SearchError, SearchQueryError
from ckan.tests.helpers import call_action
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ckanext.datagovernance.search import query as lucene
from ckanext.datagovernance.search.backend import PostgresSolr

from .conftest import SEARCH_PLUGINS


def compile_(q: str) -> tuple[str, dict]:
    c = lucene.QueryCompiler("german")
    return c.compile(q), c.params


class TestCompiler:
    def test_match_all_and_empty(self):
        assert compile_("*:*")[0] == "TRUE"
        assert compile_("")[0] == "TRUE"

    def test_string_field_is_exact_containment(self):
        sql, params = compile_('extras_x:"a" OR quelle:"Öffentlicher Verkehr"')
        assert "fields @>" in sql
        assert '{"quelle": ["\\u00d6ffentlicher Verkehr"]}' in params.values()

    def test_standard_facets_use_native_columns(self):
        sql, params = compile_('tags:"Öffentlicher Verkehr" organization:x')
        # organization is single-valued (CKAN's Solr schema): an equality
        # the covering btree answers (migration 010)
        assert "f_tags @> ARRAY" in sql and "f_organization = ARRAY" in sql
        assert "Öffentlicher Verkehr" in params.values()

    def test_values_are_bound_never_inlined(self):
        sql, params = compile_("name:\"x' OR 1=1 --\"")
        assert "1=1" not in sql and any("1=1" in str(v) for v in params.values())

    def test_implicit_operator_and_prohibition(self):
        sql, _ = compile_("a b -c")
        assert sql.count(" AND ") == 2 and "NOT (" in sql

    def test_or_default_operator_keeps_required_clauses(self):
        c = lucene.QueryCompiler("german", default_operator="OR")
        sql = c.compile("+tags:a tags:b")
        assert "OR" not in sql  # the optional clause only ranks when something is required

    @pytest.mark.parametrize("bad", ["title:(", "[1 TO", "a)", '"open', "x:[a TO", "/re/", "_query_:x", "Radweg^."])
    def test_malformed_raises_search_query_error(self, bad):
        with pytest.raises(SearchQueryError):
            compile_(bad)

    def test_free_text_tolerates_stray_operators(self):
        c = lucene.QueryCompiler("german")
        assert "tsv @@" in c.compile_free_text("Radwege AND")
        with pytest.raises(SearchQueryError):
            c.compile_free_text("Radwege [1 TO")

    def test_too_many_clauses(self):
        with pytest.raises(SearchQueryError):
            compile_(" OR ".join(f"tags:t{i}" for i in range(2000)))

    def test_solr_date_math(self):
        now = dt.datetime(2026, 11, 24, 15, 30, tzinfo=dt.timezone.utc)
        assert lucene.parse_solr_date("NOW-1DAY/DAY", now) == dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)
        assert lucene.parse_solr_date("NOW+2MONTHS", now).month == 1
        assert lucene.parse_solr_date("2024-01-01T00:00:00Z").year == 2024
        assert lucene.parse_solr_date("2024-01-01T00:00:00+00:00Z").year == 2024
        with pytest.raises(SearchQueryError):
            lucene.parse_solr_date("NOW-1FORTNIGHT")
        with pytest.raises(SearchQueryError):
            lucene.parse_solr_date("yesterday")

    def test_dcat_range_bound_with_offset(self):
        sql, params = compile_("metadata_modified:[2024-01-01T00:00:00+00:00Z TO NOW]")
        assert "metadata_modified >=" in sql and "<= now()" in sql and len(params) == 1


# -- property-based ----------------------------------------------------------
SYNTAX = st.sampled_from(
    list('():"[]{}*?+-!^~\\/ ') + ["AND", "OR", "NOT", "TO", " AND ", " OR ", "NOW", "*:*"]
)
WORDS = st.sampled_from(["Radweg", "tags", "title", "name", "x", "1", "2024-01-01T00:00:00Z", "ä", "ß", "_"])
ANY_TEXT = st.lists(st.one_of(SYNTAX, WORDS, st.text(max_size=3)), max_size=12).map("".join)

FIELD = st.sampled_from(
    ["tags", "title", "notes", "text", "name", "res_format", "metadata_modified", "num_resources",
     "extras_quelle", "name_ngram", "organization", "custom_field"]
)
TERM = st.one_of(
    st.from_regex(r"[A-Za-zÄÖÜäöüß0-9]{1,8}\*?", fullmatch=True),
    st.from_regex(r'"[A-Za-z äöü]{0,12}"', fullmatch=True),
    st.sampled_from(["*", "NOW", "[1 TO 5]", "[* TO NOW]", "{a TO z}", "[2020-01-01T00:00:00Z TO NOW-1DAY]"]),
)
CLAUSE = st.builds(lambda f, t: f"{f}:{t}", FIELD, TERM) | TERM
QUERY = st.recursive(
    CLAUSE,
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["AND", "OR", ""]), inner),
        st.builds(lambda p, a: f"{p}{a}", st.sampled_from(["-", "+", "NOT "]), inner),
        st.builds(lambda a: f"({a})", inner),
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_random_text_compiles_or_raises_query_error(text):
    try:
        compile_(text)
    except SearchQueryError:
        pass
    try:
        lucene.QueryCompiler("german").compile_free_text(text)
    except SearchQueryError:
        pass


@settings(max_examples=300, deadline=None)
@given(QUERY)
def test_well_formed_queries_always_compile(q):
    try:
        compile_(q)
    except SearchQueryError as e:
        # only value-level problems (e.g. a non-date in a date range) may fail
        assert "date" in str(e).lower() or "Wildcards" in str(e), (q, e)


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("ckan.plugins", SEARCH_PLUGINS)
class TestAgainstTheDatabase:
    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(q=QUERY, fq=st.one_of(st.none(), QUERY))
    def test_generated_queries_run_or_fail_cleanly(self, catalog, q, fq):
        try:
            result = PostgresSolr(decode_dates=False).search(
                q=q, fq=[fq] if fq else [], rows=5, sort="score desc, metadata_modified desc",
                facet="true", **{"facet.field": ["tags", "organization"], "defType": "lucene"},
            )
            assert result.hits >= len(result.docs)
        except SearchQueryError:
            pass
        # never a broken transaction
        assert model.Session.execute(model.Package.__table__.select().limit(1)).first()

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text=ANY_TEXT)
    @example(text="<\x00")  # NUL reached the driver (found by this test)
    def test_package_search_only_raises_documented_errors(self, catalog, text):
        for params in ({"q": text}, {"q": "*:*", "fq": text}, {"q": "*:*", "sort": text or "x"}):
            try:
                call_action("package_search", {"user": ""}, **params)
            except (logic.ValidationError, SearchQueryError, SearchError):
                pass
        assert call_action("package_search", {"user": ""}, q="*:*")["count"] == 4
