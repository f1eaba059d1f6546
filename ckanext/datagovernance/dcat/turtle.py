"""A fast Turtle writer for the feed pages.

rdflib's Turtle serializer spent about half of a feed page's CPU time
(bench/feed.py), mostly finding prefixes: it splits every IRI and searches a
trie of every namespace it has seen, which grows with each dataset and
distribution IRI of the page. The feeds need less: a fixed prefix table,
blank nodes nested as ``[ … ]``, one block per subject. Terms are written by
rdflib itself (``n3()``: IRI checks, literal escaping, datatypes), so only the
layout is ours. The output of a graph parses back to the same graph
(tests/dcat/test_feed_page.py).

A block's text depends only on the graph it was written from, so the
fragments of several graphs (one per dataset) joined under one prefix
header are one valid Turtle document of the union of those graphs, as long
as no blank node is shared between them (rdflib's blank-node ids are unique).
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

# the prefixes of every page (unused ones cost a line each, nothing else)
PREFIXES: tuple[tuple[str, str], ...] = (
    ("adms", "http://www.w3.org/ns/adms#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dcatap", "http://data.europa.eu/r5r/"),
    ("dcatde", "http://dcat-ap.de/def/dcatde/"),
    ("dct", "http://purl.org/dc/terms/"),
    ("dqv", "http://www.w3.org/ns/dqv#"),
    ("eli", "http://data.europa.eu/eli/ontology#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("geodcatap", "http://data.europa.eu/930/"),
    ("hydra", "http://www.w3.org/ns/hydra/core#"),
    ("locn", "http://www.w3.org/ns/locn#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("schema", "http://schema.org/"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("spdx", "http://spdx.org/rdf/terms#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
)
_BY_NAMESPACE = {ns: prefix for prefix, ns in PREFIXES}
# a conservative subset of Turtle's PN_LOCAL: anything else is written as <IRI>
_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_INDENT = "    "


def header() -> str:
    return "".join(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in PREFIXES) + "\n"


class _Names:
    """Prefixed names of IRIs (also rdflib's callback for literal datatypes)."""

    def __init__(self) -> None:
        self.cache: dict[URIRef, str] = {}

    def normalizeUri(self, iri: str) -> str:  # noqa: N802 - rdflib's name
        return self.iri(URIRef(iri))

    def iri(self, node: URIRef) -> str:
        text = self.cache.get(node)
        if text is None:
            cut = max(node.rfind("#"), node.rfind("/")) + 1
            prefix = _BY_NAMESPACE.get(node[:cut]) if cut else None
            local = node[cut:]
            text = f"{prefix}:{local}" if prefix and _LOCAL.match(local) else node.n3()
            self.cache[node] = text
        return text


class _Writer:
    def __init__(self, graph: Graph, names: _Names) -> None:
        self.names = names
        self.props: dict[object, dict[object, list[object]]] = defaultdict(lambda: defaultdict(list))
        self.refs: dict[BNode, int] = defaultdict(int)
        for s, p, o in graph:
            self.props[s][p].append(o)
            if isinstance(o, BNode):
                self.refs[o] += 1
        self.done: set[object] = set()
        self.out: list[str] = []

    def term(self, node: object, depth: int) -> str:
        if isinstance(node, URIRef):
            return self.names.iri(node)
        if isinstance(node, Literal):
            return node.n3(self.names)  # type: ignore[arg-type]
        if isinstance(node, BNode) and self.refs[node] == 1 and node not in self.done:
            self.done.add(node)
            if not self.props.get(node):
                return "[]"
            return "[\n" + self.predicates(node, depth + 1) + "\n" + _INDENT * depth + "]"
        return node.n3()  # type: ignore[attr-defined]

    def predicates(self, subject: object, depth: int) -> str:
        pad = _INDENT * depth
        lines = []
        by_predicate = self.props[subject]
        for p in sorted(by_predicate, key=lambda x: (x != RDF.type, x)):
            verb = "a" if p == RDF.type else self.term(p, depth)
            objs = ", ".join(self.term(o, depth) for o in sorted(by_predicate[p], key=_order))
            lines.append(f"{pad}{verb} {objs}")
        return " ;\n".join(lines)

    def block(self, subject: object) -> None:
        if subject in self.done:
            return
        self.done.add(subject)
        name = subject.n3() if isinstance(subject, BNode) else self.term(subject, 0)
        body = self.predicates(subject, 1)
        self.out.append(f"{name}\n{body} .\n" if body else "")

    def write(self, first: Iterable[object]) -> str:
        for subject in first:
            if subject in self.props:
                self.block(subject)
        # IRIs and blank nodes that cannot be nested, then any blank-node
        # cycle nothing else reaches (written with its label)
        rest = sorted((s for s in self.props if s not in self.done), key=_order)
        for subject in rest:
            if not (isinstance(subject, BNode) and self.refs[subject] == 1):
                self.block(subject)
        for subject in rest:
            self.block(subject)
        return "\n".join(x for x in self.out if x)


def _order(node: object) -> tuple[int, str]:
    # IRIs, then literals, then blank nodes; stable within each kind
    kind = 0 if isinstance(node, URIRef) else 1 if isinstance(node, Literal) else 2
    return (kind, str(node) if kind != 1 else f"{node}\x00{getattr(node, 'language', '')}"
            f"\x00{getattr(node, 'datatype', '')}")


def serialize(graph: Graph, first: Iterable[object] = ()) -> str:
    """The triples of ``graph`` as Turtle statements (no prefix header):
    the subjects in ``first`` first, then the others."""
    return _Writer(graph, _Names()).write(first)
