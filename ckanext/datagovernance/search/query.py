"""Lucene/Solr query syntax -> SQL over the search index table.

The grammar is parsed by `luqum` (a maintained Lucene query parser); this
module only walks its syntax tree and emits a SQL boolean expression with bound
parameters. Field semantics follow CKAN's Solr schema:

* text fields (tokenised, German stemming + exact tokens): ``text`` (all text),
  ``title``, ``notes`` and the other free-text fields listed in ``TEXT_FIELDS``;
* ``name_ngram``/``title_ngram``: substring match (autocomplete);
* ``metadata_modified``/``metadata_created``: timestamps (ranges, date math);
* everything else is a string field: exact, case-sensitive values, wildcards,
  ranges (numeric when both bounds are numbers, else lexicographic).

Anything the grammar or these rules cannot express raises
``SearchQueryError`` with a message naming the problem; no SQL is run then.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading
from collections.abc import Iterable
from typing import Any

from ckan.lib.search.common import SearchQueryError
from dateutil.parser import ParserError, isoparse
from dateutil.relativedelta import relativedelta
from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser as _lucene_parser

# Free-text fields as CKAN's Solr schema tokenises them. `text` is the catch-all
# copy field; title/notes have their own weights in the tsvector.
# `text` is the public text: internal values (see backend.INTERNAL_KEY) are
# in a vector of their own, matched only through STAFF_TEXT_FIELD, which the
# suite sets as the default field for logged-in users.
STAFF_TEXT_FIELD = "text_with_internal"
TEXT_FIELDS = frozenset(
    {"text", STAFF_TEXT_FIELD, "title", "notes", "author", "maintainer", "res_name", "res_description", "urls"}
)
TEXT_PREFIXES = ("extras_", "res_extras_")
NGRAM_FIELDS = {"name_ngram": "name", "title_ngram": "title"}
TIMESTAMP_FIELDS = frozenset({"metadata_modified", "metadata_created"})
# Filters CKAN adds to every query, answered from plain columns.
COLUMN_FIELDS = frozenset({"site_id", "state", "capacity", "entity_type", "dataset_type", "name", "id"})
ARRAY_COLUMN_FIELDS = frozenset({"permission_labels"})
# Visibility filters of CKAN's searches: every dataset is in one class of
# these values, and facet counts are kept per class (migration 007).
CLASS_FIELDS = frozenset({"site_id", "state", "capacity", "entity_type", "dataset_type", "permission_labels"})
# CKAN's standard facets, kept as native arrays in columns f_<field>.
FACET_COLUMN_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")
# Facet columns CKAN's Solr schema declares single-valued (multiValued="false"):
# the index holds at most one value (a CHECK constraint, migration 010), so a
# value filter is an array equality, which a btree answers (the covering
# organisation index: counts without heap visits).
SINGLE_VALUED_FACETS = frozenset({"organization"})
# tsvector weights (see backend.build_row): C holds notes.
WEIGHT_OF_FIELD = {"notes": "C"}

# Joins the values of a field before tokenising; the search vector deletes the
# word again, leaving a position gap (Solr's positionIncrementGap): a phrase
# never spans two values or two fields (migration 006).
GAP_WORD = "qqjqq"
GAP_JOIN = f" {GAP_WORD} "
# Free-text fields whose single words also find German compounds starting or
# ending with them (ranked below exact matches).
COMPOUND_FIELDS = frozenset({"text", STAFF_TEXT_FIELD})
MIN_COMPOUND_WORD = 4

_FIELD_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_DATE_MATH_RE = re.compile(r"([+-])(\d+)(YEARS?|MONTHS?|DAYS?|HOURS?|MINUTES?|SECONDS?)|/(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)")
_STRUCTURE_CHARS = re.compile(r"[\[\]{}()\":]")
_RANGE_RE = re.compile(r"([\[{])\s*([^\s\[\]{}]+)\s+TO\s+([^\s\[\]{}]+)\s*([\]}])")
_MAX_QUERY_LENGTH = 20000
_MAX_CLAUSES = 1024

# PLY parsers keep state while parsing: one parse at a time per process.
_parse_lock = threading.Lock()


def is_text_field(name: str) -> bool:
    return name in TEXT_FIELDS or name.startswith(TEXT_PREFIXES)


def _escape_range_bounds(query: str) -> str:
    """Lucene lets range bounds hold any character but space and brackets
    (ckanext-dcat sends ``[2024-01-01T00:00:00+00:00Z TO NOW]``); luqum's lexer
    does not, so such characters are escaped before parsing."""

    def esc(bound: str) -> str:
        return re.sub(r'(?<!\\)([+\-!():^"~?/&|])', r"\\\1", bound) if bound != "*" else bound

    return _RANGE_RE.sub(lambda m: f"{m[1]}{esc(m[2])} TO {esc(m[3])}{m[4]}", query)


def parse(query: str) -> tree.Item:
    """Parse Lucene syntax; any syntax problem is a SearchQueryError.

    Trees are cached: CKAN sends the same filter strings on every search (a
    logged-in user's permission labels are one OR of dozens of values) and the
    PLY parser is slow and serialised. The compiler only reads the trees."""
    return _parse_cached(query)


@functools.lru_cache(maxsize=2048)
def _parse_cached(query: str) -> tree.Item:
    if len(query) > _MAX_QUERY_LENGTH:
        raise SearchQueryError(f"Query too long ({len(query)} characters, at most {_MAX_QUERY_LENGTH})")
    query = _escape_range_bounds(query)
    try:
        with _parse_lock:
            return _lucene_parser.parse(query)
    except (ParseError, TypeError, ValueError, IndexError, AttributeError, ArithmeticError) as e:
        raise SearchQueryError(f"Cannot parse query {query!r}: {e}") from e
    except RecursionError as e:
        raise SearchQueryError("Query is nested too deeply") from e


def unescape(value: str) -> str:
    """Drop Lucene backslash escapes (``abc\\-d`` -> ``abc-d``)."""
    return re.sub(r"\\(.)", r"\1", value)


def _has_wildcard(value: str) -> bool:
    return bool(re.search(r"(?<!\\)[*?]", value))


def to_tsquery_text(value: str, prefix: bool = False) -> str | None:
    """Turn user text into to_tsquery() input: adjacent tokens as a phrase.

    Tokens are reduced to word characters, so the result cannot carry tsquery
    operators of its own. Returns None when the text has no word at all.
    """
    tokens = _TOKEN_RE.findall(value)
    if not tokens:
        return None
    parts = [f"'{t.lower()}'" for t in tokens]
    if prefix:
        parts[-1] += ":*"
    return " <-> ".join(parts)


def parse_solr_date(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """Solr date syntax: ISO timestamps and date math (``NOW-1DAY/DAY``)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    v = value.strip()
    if v.upper().startswith("NOW"):
        result = now
        for m in _DATE_MATH_RE.finditer(v.upper()[3:]):
            if m.group(4):
                unit = m.group(4).lower()
                trunc = {"year": dict(month=1, day=1, hour=0, minute=0, second=0, microsecond=0),
                         "month": dict(day=1, hour=0, minute=0, second=0, microsecond=0),
                         "day": dict(hour=0, minute=0, second=0, microsecond=0),
                         "hour": dict(minute=0, second=0, microsecond=0),
                         "minute": dict(second=0, microsecond=0),
                         "second": dict(microsecond=0)}[unit]
                result = result.replace(**trunc)
            else:
                n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
                unit = m.group(3).lower().rstrip("s") + "s"
                result = result + relativedelta(**{unit: n})
        rest = _DATE_MATH_RE.sub("", v.upper()[3:])
        if rest:
            raise SearchQueryError(f"Invalid date math {value!r}")
        return result
    if re.search(r"[+-]\d\d:?\d\dZ$", v):
        v = v[:-1]  # "+00:00Z": an offset and a Z, as ckanext-dcat sends it
    try:
        parsed = isoparse(v)
    except (ParserError, ValueError, OverflowError) as e:
        raise SearchQueryError(f"Invalid date {value!r}: expected ISO 8601 or NOW") from e
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def normalise_date_string(value: Any) -> str | None:
    """The one string form dates take in the index (sortable as text)."""
    if isinstance(value, dt.datetime):
        d = value
    else:
        try:
            d = isoparse(str(value).strip())
        except (ParserError, ValueError, OverflowError):
            return None
    if d.tzinfo is not None:
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


class QueryCompiler:
    """Compiles one or more Lucene strings into SQL; parameters are numbered
    across all of them so they can be combined into one statement."""

    def __init__(self, text_config: str, default_operator: str = "AND", default_field: str = "text",
                 keyword_fields: Iterable[str] = ()):
        self.text_config = text_config
        # keyword fields the rows also hold in the small `f_keywords` column
        # (migration 011): filtering on them needs no wide index row
        self.keyword_fields = frozenset(keyword_fields)
        self.default_and = default_operator.upper() != "OR"
        self.default_field = default_field
        self.params: dict[str, Any] = {}
        # (tsvector column, tsquery text) of the free-text terms that rank
        self.rank_terms: list[tuple[str, str]] = []
        # (parameter, word): single words also matched as parts of compounds
        # (rank below exact); the parameter gets the compounds' tsquery text
        self.compound_words: list[tuple[str, str]] = []
        # fields the compiled conditions read ("<field>[range]" for ranges)
        self.fields_used: set[str] = set()
        # the timestamps that date ranges compare with (NOW is SQL's now())
        self.date_bounds: list[dt.datetime] = []
        # how many clauses read each field, and the facet-value clauses every
        # match must satisfy (a top-level required `field:value`):
        # (field, value, its SQL), see `one_required_facet_value`
        self.field_clauses: dict[str, int] = {}
        self.required_facet_values: list[tuple[str, str, str]] = []
        self._required_nodes: set[int] = set()
        self._clauses = 0

    # -- public -----------------------------------------------------------
    def only_visibility_filters(self) -> bool:
        """True when everything compiled so far filters on visibility columns
        only (no text, no facet value): such a search is one set of classes."""
        return self.fields_used <= CLASS_FIELDS and not self.rank_terms

    def only_visibility_and_modified(self) -> bool:
        """True when everything compiled so far filters on visibility columns
        and `metadata_modified` ranges only (the DCAT `modified_since` feed):
        such a search is a set of classes and a set of months, whole except
        the months a range bound falls in (see `date_bounds`)."""
        return (
            "metadata_modified[range]" in self.fields_used
            and self.fields_used <= CLASS_FIELDS | {"metadata_modified[range]"}
            and not self.rank_terms
        )

    def only_visibility_and_organization(self) -> bool:
        """True when everything compiled so far filters on visibility columns
        and the (single-valued) organisation only: such a search is a set of
        (class, organisation) pairs, counted on write (migration 010)."""
        return self.fields_used <= CLASS_FIELDS | {"organization"} and not self.rank_terms

    def one_required_facet_value(self) -> tuple[str, str, str] | None:
        """(field, value, SQL) when the search is visibility + organisation
        filters AND one required value of one other facet column that no
        other clause reads (`fq=organization:x +res_format:CSV`): its count is
        that value's facet count among the rest."""
        rest = self.fields_used - CLASS_FIELDS - {"organization"}
        if len(rest) != 1 or self.rank_terms:
            return None
        (field,) = rest
        terms = [t for t in self.required_facet_values if t[0] == field]
        if len(terms) != 1 or self.field_clauses.get(field) != 1:
            return None
        return terms[0]

    def compile(self, query: str) -> str:
        query = (query or "").strip()
        if not query or query in ('""', "''"):
            return "TRUE"
        root = parse(query)
        self._mark_required(root)
        return self._node(root, None)

    def _mark_required(self, node: tree.Item) -> None:
        """Remembers the top-level clauses every match must satisfy."""
        while isinstance(node, tree.Group):
            node = node.expr
        if isinstance(node, tree.AndOperation):
            for child in node.children:
                self._mark_required(child)
        elif isinstance(node, tree.UnknownOperation):
            kinds = [self._clause_kind(c) for c in node.children]
            required = [c for kind, c in kinds if kind == "required"]
            optional = [c for kind, c in kinds if kind == "optional"]
            if not required and len(optional) == 1:  # a lone optional clause must match
                required = optional
            for child in required:
                self._mark_required(child)
        elif isinstance(node, tree.Plus):
            self._mark_required(node.a)
        elif isinstance(node, tree.SearchField):
            self._required_nodes.add(id(node))

    def compile_free_text(self, query: str) -> str:
        """dismax-style user text (no field syntax): never a syntax error.

        Lucene syntax (quotes, +/-) is honoured when it parses; otherwise the
        words are searched as plain terms, as Solr's dismax does."""
        query = (query or "").strip()
        if not query:
            return "TRUE"
        candidates = [query]
        if _unbalanced_quotes(query):
            # edismax: a stray quote is searched as if it were not there
            candidates.append(_drop_stray_quote(query))
        for candidate in candidates:
            try:
                return self._node(parse(candidate), None)
            except SearchQueryError:
                continue
        # Broken structure (brackets, field syntax) is an error the user must
        # see; stray operators in plain words are not.
        if _STRUCTURE_CHARS.search(candidates[-1]):
            return self._node(parse(candidates[-1]), None)  # raises the parse error
        words = _TOKEN_RE.findall(query)
        if not words:
            return "TRUE"
        return self._and([self._text_term(self.default_field, w, phrase=False) for w in words])

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    # -- tree walking -----------------------------------------------------
    def _use(self, field: str) -> None:
        self.fields_used.add(field)
        self.field_clauses[field] = self.field_clauses.get(field, 0) + 1

    def _count(self) -> None:
        self._clauses += 1
        if self._clauses > _MAX_CLAUSES:
            raise SearchQueryError(f"Too many clauses in query (at most {_MAX_CLAUSES})")

    def _node(self, node: tree.Item, fname: str | None) -> str:
        self._count()
        if isinstance(node, tree.SearchField):
            name = node.name
            if name == "*" and isinstance(node.expr, tree.Word) and node.expr.value == "*":
                return "TRUE"
            if fname is not None:
                raise SearchQueryError(f"Nested field {name!r} inside field {fname!r}")
            if not _FIELD_NAME_RE.match(name):
                raise SearchQueryError(f"Invalid field name {name!r}")
            if name.startswith("_") and name.endswith("_"):
                raise SearchQueryError(f"Magic field {name!r} is not supported")
            sql = self._node(node.expr, name)
            expr = node.expr
            if (id(node) in self._required_nodes and name in FACET_COLUMN_FIELDS
                    and (isinstance(expr, tree.Phrase)
                         or (isinstance(expr, tree.Word) and expr.value != "*" and not _has_wildcard(expr.value)))):
                value = unescape(expr.value[1:-1]) if isinstance(expr, tree.Phrase) else unescape(expr.value)
                self.required_facet_values.append((name, value, sql))
            return sql
        if isinstance(node, (tree.Group, tree.FieldGroup)):
            return self._node(node.expr, fname)
        if isinstance(node, tree.AndOperation):
            return self._and([self._operand(c, fname) for c in node.children])
        if isinstance(node, tree.OrOperation):
            overlap = self._array_overlap(node.children, fname)
            if overlap is not None:
                return overlap
            return self._or([self._operand(c, fname) for c in node.children])
        if isinstance(node, tree.UnknownOperation):
            return self._boolean_clauses(node.children, fname)
        if isinstance(node, (tree.Not, tree.Prohibit)):
            return f"NOT ({self._node(node.a, fname)})"
        if isinstance(node, tree.Plus):
            return self._node(node.a, fname)
        if isinstance(node, tree.Boost):
            return self._node(node.expr, fname)
        if isinstance(node, tree.Fuzzy):
            return self._node(node.term, fname)
        if isinstance(node, tree.Proximity):
            # "a b"~N: all words, any distance (no positional slop in SQL)
            self._use(fname or self.default_field)
            words = _TOKEN_RE.findall(node.term.value)
            return self._and([self._term(fname, w, phrase=False) for w in words]) if words else "FALSE"
        if isinstance(node, tree.Phrase):
            return self._term(fname, unescape(node.value[1:-1]), phrase=True)
        if isinstance(node, tree.Word):
            return self._term(fname, node.value, phrase=False)
        if isinstance(node, tree.Range):
            return self._range(fname, node.low.value, node.high.value, node.include_low, node.include_high)
        if isinstance(node, tree.From):
            return self._range(fname, node.a.value, "*", node.include, True)
        if isinstance(node, tree.To):
            return self._range(fname, "*", node.a.value, True, node.include)
        if isinstance(node, tree.Regex):
            raise SearchQueryError("Regular expression queries are not supported")
        raise SearchQueryError(f"Unsupported query element {node!s}")

    def _array_overlap(self, children: list[tree.Item], fname: str | None) -> str | None:
        """``labels:(a OR b OR …)`` on an array column as one ``&&``: CKAN's
        permission-label filter (one OR of dozens of labels for staff) is
        then one GIN condition and one array test per row, not dozens."""
        column = (fname if fname in ARRAY_COLUMN_FIELDS
                  else f"f_{fname}" if fname in FACET_COLUMN_FIELDS else None)
        if column is None or len(children) < 2:
            return None
        values = []
        for child in children:
            if isinstance(child, tree.Phrase):
                values.append(unescape(child.value[1:-1]))
            elif isinstance(child, tree.Word) and not _has_wildcard(child.value) and child.value != "*":
                values.append(unescape(child.value))
            else:
                return None
        for _child in children:
            self._count()
        self._use(fname)
        return f"{column} && CAST({self.bind(values)} AS text[])"

    def _operand(self, child: tree.Item, fname: str | None) -> str:
        return self._node(child, fname)

    def _clause_kind(self, c: tree.Item) -> tuple[str, tree.Item]:
        """A clause of the implicit operator and what it holds: +required,
        -prohibited, plain clauses follow q.op."""
        if isinstance(c, (tree.Prohibit, tree.Not)):
            return "prohibited", c.a
        if isinstance(c, tree.Plus):
            return "required", c.a
        return ("required" if self.default_and else "optional"), c

    def _boolean_clauses(self, children: list[tree.Item], fname: str | None) -> str:
        """Implicit operator: +required, -prohibited, plain clauses follow q.op."""
        compiled: dict[str, list[str]] = {"required": [], "optional": [], "prohibited": []}
        for c in children:  # in order: bind parameters are numbered as they come
            kind, item = self._clause_kind(c)
            compiled[kind].append(self._node(item, fname))
        required, optional, prohibited = compiled["required"], compiled["optional"], compiled["prohibited"]
        parts = list(required)
        if optional and not required:
            parts.append(self._or(optional))
        parts += [f"NOT ({p})" for p in prohibited]
        return self._and(parts) if parts else "TRUE"

    @staticmethod
    def _and(parts: list[str]) -> str:
        return "(" + " AND ".join(parts) + ")" if parts else "TRUE"

    @staticmethod
    def _or(parts: list[str]) -> str:
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"

    # -- leaves -----------------------------------------------------------
    def _term(self, fname: str | None, raw: str, phrase: bool) -> str:
        fname = fname or self.default_field
        self._use(fname)
        if fname in NGRAM_FIELDS:
            value = unescape(raw)
            return f"{NGRAM_FIELDS[fname]} ILIKE {self.bind('%' + _like_escape(value) + '%')}"
        if not phrase and raw == "*":
            return self._exists(fname)
        if fname in TIMESTAMP_FIELDS:
            if not phrase and _has_wildcard(raw):
                raise SearchQueryError(f"Wildcards are not allowed on date field {fname!r}")
            return f"{fname} = {self.bind(parse_solr_date(unescape(raw)))}"
        if is_text_field(fname):
            return self._text_term(fname, raw, phrase)
        return self._string_term(fname, raw, phrase)

    def _exists(self, fname: str) -> str:
        if fname in NGRAM_FIELDS:
            fname = NGRAM_FIELDS[fname]
        if fname in TIMESTAMP_FIELDS or fname in COLUMN_FIELDS:
            return f"{fname} IS NOT NULL"
        if fname in ARRAY_COLUMN_FIELDS:
            return f"cardinality({fname}) > 0"
        if fname in ("text", STAFF_TEXT_FIELD):
            return "TRUE"
        if is_text_field(fname):
            return f"doc ? {self.bind(fname)}"
        return f"{self._keywords(fname)} ? {self.bind(fname)}"

    def _keywords(self, fname: str) -> str:
        """The jsonb column holding keyword field `fname`."""
        return "f_keywords" if fname in self.keyword_fields else "fields"

    def _string_term(self, fname: str, raw: str, phrase: bool) -> str:
        wildcard = not phrase and _has_wildcard(raw)
        if fname in COLUMN_FIELDS:
            if wildcard:
                return f"{fname} LIKE {self.bind(_wildcard_to_like(raw))}"
            return f"{fname} = {self.bind(raw if phrase else unescape(raw))}"
        if fname in ARRAY_COLUMN_FIELDS and not wildcard:
            return f"{fname} @> ARRAY[CAST({self.bind(raw if phrase else unescape(raw))} AS text)]"
        if fname in FACET_COLUMN_FIELDS and not wildcard:
            op = "=" if fname in SINGLE_VALUED_FACETS else "@>"
            return f"f_{fname} {op} ARRAY[CAST({self.bind(raw if phrase else unescape(raw))} AS text)]"
        if wildcard:
            pattern = _wildcard_to_like(raw)
            return (
                f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({self._keywords(fname)} -> {self.bind(fname)}) "
                f"AS v WHERE v LIKE {self.bind(pattern)})"
            )
        value = raw if phrase else unescape(raw)
        return f"{self._keywords(fname)} @> CAST({self.bind(_jsonb_contains(fname, value))} AS jsonb)"

    def _text_term(self, fname: str, raw: str, phrase: bool) -> str:
        prefix = False
        value = raw
        if not phrase and _has_wildcard(raw):
            stripped = raw.rstrip("*")
            if _has_wildcard(stripped) or stripped == raw:
                # leading/inner wildcards: the token before the first wildcard
                stripped = re.split(r"(?<!\\)[*?]", raw)[0]
            if not _TOKEN_RE.search(stripped):
                return self._exists(fname)
            value, prefix = stripped, True
        else:
            value = unescape(raw)
        text = to_tsquery_text(value, prefix=prefix)
        if text is None:
            # only punctuation: the analyser drops such a term, as Solr does
            return "TRUE"
        cfg = self.bind(self.text_config)
        p = self.bind(text)
        tsq = f"(to_tsquery(CAST({cfg} AS regconfig), {p}) || to_tsquery('simple', {p}))"
        word = value.strip()
        if (fname in COMPOUND_FIELDS and not phrase and not prefix and len(word) >= MIN_COMPOUND_WORD
                and _TOKEN_RE.fullmatch(word)):
            # the compounds are looked up before the search (backend); until
            # then the parameter holds the word itself
            c = self.bind(text)
            self.compound_words.append((c[1:], word))
            tsq = f"({tsq[1:-1]} || CAST({c} AS tsquery))"
        if fname == "text":
            self.rank_terms.append(("tsv", text))
            return f"tsv @@ {tsq}"
        if fname == STAFF_TEXT_FIELD:
            # both vectors have a GIN index: a bitmap OR, and ranking stays
            # on the public text
            self.rank_terms.append(("tsv", text))
            return f"(tsv @@ {tsq} OR tsv_internal @@ {tsq})"
        if fname == "title":
            self.rank_terms.append(("title_tsv", text))
            return f"title_tsv @@ {tsq}"
        if fname in WEIGHT_OF_FIELD:
            w = WEIGHT_OF_FIELD[fname]
            return f"ts_filter(tsv, '{{{w}}}') @@ {tsq}"
        # other text fields: tokenised on the fly from the stored document
        f = self.bind(fname)
        value = (
            f"coalesce(CASE WHEN jsonb_typeof(doc -> {f}) = 'array' THEN "
            f"(SELECT string_agg(v, '{GAP_JOIN}') FROM jsonb_array_elements_text(doc -> {f}) AS v) "
            f"ELSE doc ->> {f} END, '')"
        )
        return f"datagovernance_search_vector(CAST({cfg} AS regconfig), {value}) @@ {tsq}"

    def _timestamp(self, value: str) -> str:
        # a bare NOW stays SQL's now(): the statement (and its cache key)
        # then does not change every second
        if value.strip().upper() == "NOW":
            return "now()"
        moment = parse_solr_date(value)
        self.date_bounds.append(moment)
        return self.bind(moment)

    def _range(self, fname: str | None, low: str, high: str, inc_low: bool, inc_high: bool) -> str:
        fname = fname or self.default_field
        self._use(f"{fname}[range]")
        lo = None if low == "*" else unescape(low)
        hi = None if high == "*" else unescape(high)
        if fname in TIMESTAMP_FIELDS:
            conds = []
            if lo is not None:
                conds.append(f"{fname} {'>=' if inc_low else '>'} {self._timestamp(lo)}")
            if hi is not None:
                conds.append(f"{fname} {'<=' if inc_high else '<'} {self._timestamp(hi)}")
            return self._and(conds) if conds else f"{fname} IS NOT NULL"
        f = self.bind(fname)
        numeric = all(b is None or _NUMBER_RE.match(b) for b in (lo, hi)) and (lo or hi) is not None
        conds = []
        if numeric:
            val = "v::numeric"
            where = [r"v ~ '^-?[0-9]+(\.[0-9]+)?$'"]
            for b, op in ((lo, ">=" if inc_low else ">"), (hi, "<=" if inc_high else "<")):
                if b is not None:
                    conds.append(f"{val} {op} {self.bind(float(b))}")
            where += conds
        else:
            where = []
            for b, op in ((lo, ">=" if inc_low else ">"), (hi, "<=" if inc_high else "<")):
                if b is None:
                    continue
                if fname.endswith("_date") or b.upper().startswith("NOW"):
                    b = normalise_date_string(parse_solr_date(b)) or b
                where.append(f"v COLLATE \"C\" {op} {self.bind(b)}")
            if not where:
                return self._exists(fname)
        return (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({self._keywords(fname)} -> {f}) AS v "
            f"WHERE {' AND '.join(where)})"
        )


def _unbalanced_quotes(query: str) -> bool:
    return len(re.findall(r'(?<!\\)"', query)) % 2 == 1


def _drop_stray_quote(query: str) -> str:
    """Removes the last unescaped quote (the one without a partner)."""
    quotes = [m.start() for m in re.finditer(r'(?<!\\)"', query)]
    i = quotes[-1]
    return query[:i] + " " + query[i + 1:]


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _wildcard_to_like(raw: str) -> str:
    out = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            out.append(_like_escape(raw[i + 1]))
            i += 2
            continue
        out.append("%" if ch == "*" else "_" if ch == "?" else _like_escape(ch))
        i += 1
    return "".join(out)


def _jsonb_contains(fname: str, value: str) -> str:
    return json.dumps({fname: [value]})
