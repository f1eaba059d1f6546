"""The official DCAT-AP.de 3.0, Konventionen (2.0) and DCAT-AP HVD 3.0.0
SHACL shapes, run offline with pySHACL over a feed graph.

The shape and vocabulary files under ``official/`` are vendored unchanged
(three DCAT-AP.de files with the ``dcatap:`` prefix fixed, see
``official/LICENSES.md``); this loader is our own. Like GovData's ITB
validator it mixes the imported vocabularies into the data graph, but only
the descriptions of IRIs the data mentions (plus the class hierarchy), and it
adds the RDFS axiom ``x a rdfs:Resource`` for every IRI/blank-node object,
without which the SEMIC ``sh:class rdfs:Resource`` ranges fail for every IRI.
"""
from __future__ import annotations

import functools
from collections import defaultdict
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

ROOT = Path(__file__).with_name("official")

DE = [
    "shapes/dcat-ap-3.0.0/dcat-ap-SHACL.ttl",
    "shapes/dcat-ap-de-3.0/dcat-ap-de-imports.ttl",
    "shapes/dcat-ap-de-3.0/dcat-ap-SHACL-DE.ttl",
    "shapes/dcat-ap-de-3.0/dcat-ap-de-deprecated.ttl",
    "shapes/dcat-ap-de-3.0/dcat-ap-spec-german-additions.ttl",
    "shapes/dcat-ap-de-3.0/dcat-ap-de-controlledvocabularies.ttl",
]
HVD = ["shapes/dcat-ap-hvd-3.0.0/hvd-SHACL.ttl", "shapes/dcat-ap-hvd-3.0.0/hvd-SHACL-usagenotes.ttl"]
ONTOLOGIES = ["vocab/ontologies/foaf_0_1.rdf", "vocab/ontologies/vcard.ttl",
              "vocab/ontologies/org.ttl"]
# profile -> (shape files, vocabularies loaded besides the shapes' imports)
PROFILES: dict[str, tuple[list[str], list[str]]] = {
    "de": (DE, []),
    "conventions": (DE + ["shapes/dcat-ap-de-2.0-konventionen/dcat-ap-konventionen.ttl"], []),
    "hvd": (HVD, ONTOLOGIES + ["vocab/eu-nal/licence-20220928-0.ttl"]),
}

# owl:imports of the shapes -> vendored copy, matched on the end of the IRI;
# imports not listed are not needed by any check (e.g. the euvoc ontology)
_BY_IRI_END = (
    ("foaf_0_1.rdf", "vocab/ontologies/foaf_0_1.rdf"),
    ("foaf/spec/index.rdf", "vocab/ontologies/foaf_0_1.rdf"),
    ("vcard.ttl", "vocab/ontologies/vcard.ttl"),
    ("vcard/ns.ttl", "vocab/ontologies/vcard.ttl"),
    ("org.ttl", "vocab/ontologies/org.ttl"),
    ("authority/language", "vocab/eu-nal/language-20220928-0.trimmed.ttl"),
    ("authority/planned-availability", "vocab/eu-nal/planned-availability-20211208-0.ttl"),
    ("authority/frequency", "vocab/eu-nal/frequency-20220615-0.ttl"),
    ("authority/dataset-type", "vocab/eu-nal/dataset-type-20220316-0.ttl"),
    ("authority/data-theme", "vocab/eu-nal/data-theme-20200923-0.ttl"),
    ("authority/access-right", "vocab/eu-nal/access-right-20220316-0.ttl"),
    ("authority/file-type", "vocab/eu-nal/file-type-20220928-0.ttl"),
    ("authority/distribution-status", "vocab/eu-nal/distribution-status-20220615-0.ttl"),
    ("authority/licence", "vocab/eu-nal/licence-20220928-0.ttl"),
    ("bna/asd487ae75", "vocab/eu-nal/high-value-dataset-category-2.1.trimmed.ttl"),
    ("def/contributors/20240606.rdf", "vocab/dcat-ap-de/contributors-20251021.rdf"),
    ("def/licenses/20210721.rdf", "vocab/dcat-ap-de/licenses-20210721.rdf"),
    ("politicalGeocoding/Level/1_0.rdf", "vocab/dcat-ap-de/politicalGeocoding-Level-1_0.derived.ttl"),
    ("spdx-ontology.owl.xml", "vocab/ontologies/spdx-ontology.owl.xml"),
    ("ADMS_SKOS_v1.00.rdf", "vocab/ontologies/ADMS_SKOS_v1.00.rdf"),
)
_SYNTAX = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml"}


def _local_copy(iri: str) -> str | None:
    for end, rel in _BY_IRI_END:
        if iri.endswith(end):
            return rel
    return None


@functools.cache
def _parse(rel: str) -> Graph:
    # cached: the profiles share most files (the language list alone is 1.7 MB);
    # callers only read the graph
    return Graph().parse(ROOT / rel, format=_SYNTAX[Path(rel).suffix])


@functools.cache
def _bundle(profile: str) -> tuple[Graph, dict[Any, list[tuple[Any, Any]]], list[tuple]]:
    shape_files, extra = PROFILES[profile]
    shapes = Graph()
    vocab_files = list(extra)
    for rel in shape_files:
        shapes += _parse(rel)
    pending = [str(o) for o in shapes.objects(None, OWL.imports)]
    vocab = Graph()
    seen: set[str] = set()
    while pending or vocab_files:
        if pending:
            rel = _local_copy(pending.pop())
            if rel and rel not in vocab_files and rel not in seen:
                vocab_files.append(rel)
            continue
        rel = vocab_files.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        graph = _parse(rel)
        pending += [str(o) for o in graph.objects(None, OWL.imports)]
        vocab += graph
    by_subject: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
    for s, p, o in vocab:
        by_subject[s].append((p, o))
    hierarchy = [t for t in vocab if t[1] in (RDFS.subClassOf, RDFS.subPropertyOf)]
    return shapes, dict(by_subject), hierarchy


def validate(data: Graph, profile: str) -> dict[str, list[str]]:
    """Violations/warnings/infos of ``data`` under one profile, as readable lines."""
    from pyshacl import validate as shacl

    shapes, vocab, hierarchy = _bundle(profile)
    work = Graph()
    work += data
    for triple in hierarchy:
        work.add(triple)
    todo = {n for s, _p, o in data for n in (s, o) if isinstance(n, URIRef)}
    done: set[Any] = set()
    while todo:
        node = todo.pop()
        done.add(node)
        for p, o in vocab.get(node, ()):
            work.add((node, p, o))
            if isinstance(o, BNode) and o not in done:
                todo.add(o)
    for obj in set(data.objects()):
        if not isinstance(obj, Literal):
            work.add((obj, RDF.type, RDFS.Resource))
    _ok, report, _text = shacl(work, shacl_graph=shapes, inference="none", inplace=True,
                               allow_warnings=True, allow_infos=True, advanced=False,
                               do_owl_imports=False)
    out: dict[str, set[str]] = {"violations": set(), "warnings": set(), "infos": set()}
    names = {SH.Violation: "violations", SH.Warning: "warnings", SH.Info: "infos"}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = names.get(report.value(result, SH.resultSeverity), "warnings")
        shape = report.value(result, SH.sourceShape)
        messages = [str(m) for m in shapes.objects(shape, SH.message)] or [
            str(m) for m in report.objects(result, SH.resultMessage)]
        out[severity].add(" | ".join(str(x) for x in (
            report.value(result, SH.focusNode), report.value(result, SH.resultPath),
            report.value(result, SH.value), messages[0] if messages else "")))
    return {k: sorted(v) for k, v in out.items()}
