"""The data.europa.eu MQA indicators and their points, evaluated on RDF.

Pure: a DCAT graph, the SHACL verdict and the link-check results in, the
breakdown out. The points are those of the MQA methodology
(``/work/shared/governance-anchors.md`` §3.2, 405 in all). Distribution
indicators are scored proportionally (passing distributions / all
distributions x points), the convention of mqa-config.json's
``useProportionalEvaluation``; docs/quality.md documents where that can
differ from data.europa.eu.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from ..catalog import vocab as v
from ..translate import _
from . import formats

MAX_SCORE = 405
DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
DIMENSION_MAX = {"findability": 100, "accessibility": 100, "interoperability": 110,
                 "reusability": 75, "contextuality": 20}
# lower bounds of the bands (data.europa.eu: excellent > 350, good > 220, sufficient > 120)
BANDS = (("excellent", 351), ("good", 221), ("sufficient", 121), ("bad", 0))

EU_LICENCE_BASE = "http://publications.europa.eu/resource/authority/licence/"
ACCESS_RIGHT_BASE = "http://publications.europa.eu/resource/authority/access-right/"
FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"


def band(score: float) -> str:
    for name, lower in BANDS:
        if score >= lower:
            return name
    return "bad"


# labels as functions: a page translates the one it shows, not every one
_BAND_LABELS: dict[str, Callable[[], str]] = {
    "excellent": lambda: _("Excellent"), "good": lambda: _("Good"), "sufficient": lambda: _("Sufficient"),
    "bad": lambda: _("Bad")}
_DIMENSION_LABELS: dict[str, Callable[[], str]] = {
    "findability": lambda: _("Findability"), "accessibility": lambda: _("Accessibility"),
    "interoperability": lambda: _("Interoperability"), "reusability": lambda: _("Reusability"),
    "contextuality": lambda: _("Contextuality")}


def band_label(name: str) -> str:
    label = _BAND_LABELS.get(name)
    return label() if label else name


def dimension_label(name: str) -> str:
    label = _DIMENSION_LABELS.get(name)
    return label() if label else name


@dataclass(frozen=True)
class Indicator:
    key: str
    dimension: str
    points: int
    level: str  # "dataset", "distribution" or "record"
    # the fix this indicator asks for; `requires`: the indicator whose fix comes first
    fix: Callable[[], str]
    requires: str | None = None


INDICATORS: tuple[Indicator, ...] = (
    Indicator("keyword", "findability", 30, "dataset", lambda: _("Add keywords")),
    Indicator("theme", "findability", 30, "dataset", lambda: _("Choose a category (EU data theme)")),
    Indicator("spatial", "findability", 20, "dataset", lambda: _("Add the spatial coverage")),
    Indicator("temporal", "findability", 20, "dataset", lambda: _("Add the temporal coverage")),
    Indicator("access_url_ok", "accessibility", 50, "distribution",
              lambda: _("Make the access URLs reachable")),
    Indicator("download_url", "accessibility", 20, "distribution",
              lambda: _("Add a download URL to every resource")),
    Indicator("download_url_ok", "accessibility", 30, "distribution",
              lambda: _("Make the download URLs reachable"), requires="download_url"),
    Indicator("format", "interoperability", 20, "distribution",
              lambda: _("Give every resource a format")),
    Indicator("media_type", "interoperability", 10, "distribution",
              lambda: _("Give every resource a media type")),
    Indicator("format_vocabulary", "interoperability", 10, "distribution",
              lambda: _("Use formats and media types from the EU and IANA lists"), requires="format"),
    Indicator("non_proprietary", "interoperability", 20, "distribution",
              lambda: _("Offer a non-proprietary format (e.g. CSV instead of XLSX)"), requires="format"),
    Indicator("machine_readable", "interoperability", 20, "distribution",
              lambda: _("Offer a machine-readable format (e.g. CSV, JSON instead of PDF)"),
              requires="format"),
    Indicator("dcat_ap_compliance", "interoperability", 30, "record",
              lambda: _("Fix the DCAT-AP.de validation errors")),
    Indicator("license", "reusability", 20, "distribution", lambda: _("Choose a licence")),
    Indicator("license_vocabulary", "reusability", 10, "distribution",
              lambda: _("Choose a licence from the licence list"), requires="license"),
    Indicator("access_rights", "reusability", 10, "dataset", lambda: _("Set the access rights")),
    Indicator("access_rights_vocabulary", "reusability", 5, "dataset",
              lambda: _("Use access rights from the EU vocabulary"), requires="access_rights"),
    Indicator("contact_point", "reusability", 20, "dataset", lambda: _("Add a contact point")),
    Indicator("publisher", "reusability", 10, "dataset", lambda: _("Name the publisher")),
    Indicator("rights", "contextuality", 5, "distribution", lambda: _("Add a rights statement to every resource")),
    Indicator("byte_size", "contextuality", 5, "distribution", lambda: _("Give every resource its file size")),
    Indicator("issued", "contextuality", 5, "dataset", lambda: _("Add the date of issue")),
    Indicator("modified", "contextuality", 5, "dataset", lambda: _("Add the modification date")),
)
BY_KEY = {i.key: i for i in INDICATORS}
assert sum(i.points for i in INDICATORS) == MAX_SCORE


def dataset_node(graph: Graph, ref: Any = None) -> Any:
    if ref is not None:
        return URIRef(str(ref)) if not isinstance(ref, URIRef) else ref
    for node in graph.subjects(RDF.type, DCAT.Dataset):
        return node
    raise ValueError("no dcat:Dataset in the graph")


def _licence_known(graph: Graph, iri: Any) -> bool:
    text = str(iri)
    if text.startswith(EU_LICENCE_BASE):
        return True
    # GovData's dcat-ap.de licence IRIs are mapped onto the EU table (vocab/licenses.json)
    return any(lic.get("url") == text and lic.get("eu_licence") for lic in v.get_licenses())


def _file_type_known(iri: Any) -> bool:
    text = str(iri)
    return text.startswith(FILE_TYPE_BASE) and v.get_vocabulary("file-type").get(text) is not None


def evaluate(graph: Graph, ref: Any = None, *, shacl_conforms: bool | None,
             links: Mapping[str, bool | None]) -> dict[str, Any]:
    """Score one dataset of `graph`.

    :param shacl_conforms: the SHACL verdict of the record (None: not validated, no points)
    :param links: URL -> reachable (True/False) or unknown (None, no points)
    :returns: ``score``, ``band``, ``dimensions`` and ``indicators`` (each with
        ``key``, ``dimension``, ``points``, ``max``, ``passed``, ``details``)
    """
    d = dataset_node(graph, ref)
    dists = list(graph.objects(d, DCAT.distribution))

    def has(node: Any, pred: Any) -> bool:
        return graph.value(node, pred) is not None

    def share(test: Callable[[Any], bool]) -> tuple[float, dict[str, Any]]:
        if not dists:
            return 0.0, {"distributions": 0, "passing": 0}
        passing = sum(1 for dist in dists if test(dist))
        return passing / len(dists), {"distributions": len(dists), "passing": passing}

    def urls_ok(pred: Any) -> Callable[[Any], bool]:
        def test(dist: Any) -> bool:
            urls = [str(u) for u in graph.objects(dist, pred)]
            return bool(urls) and all(links.get(u) is True for u in urls)
        return test

    def vocab_format(dist: Any) -> bool:
        fmts = list(graph.objects(dist, DCTERMS["format"]))
        types = list(graph.objects(dist, DCAT.mediaType))
        return bool(fmts) and all(_file_type_known(f) for f in fmts) and (
            not types or all(formats.is_iana_media_type(t) for t in types))

    def format_in(codes: frozenset[str]) -> Callable[[Any], bool]:
        def test(dist: Any) -> bool:
            return any(formats.code(f) in codes for f in graph.objects(dist, DCTERMS["format"]))
        return test

    def dated(pred: Any) -> bool:
        return has(d, pred) or any(has(dist, pred) for dist in dists)

    rights = [graph.value(d, DCTERMS.accessRights)]
    dataset_checks: dict[str, bool] = {
        "keyword": has(d, DCAT.keyword),
        "theme": has(d, DCAT.theme),
        "spatial": has(d, DCTERMS.spatial),
        "temporal": has(d, DCTERMS.temporal),
        "access_rights": rights[0] is not None,
        "access_rights_vocabulary": rights[0] is not None and str(rights[0]).startswith(ACCESS_RIGHT_BASE),
        "contact_point": has(d, DCAT.contactPoint),
        "publisher": has(d, DCTERMS.publisher),
        "issued": dated(DCTERMS.issued),
        "modified": dated(DCTERMS.modified),
    }
    dist_checks: dict[str, Callable[[Any], bool]] = {
        "access_url_ok": urls_ok(DCAT.accessURL),
        "download_url": lambda dist: has(dist, DCAT.downloadURL),
        "download_url_ok": urls_ok(DCAT.downloadURL),
        "format": lambda dist: has(dist, DCTERMS["format"]),
        "media_type": lambda dist: has(dist, DCAT.mediaType),
        "format_vocabulary": vocab_format,
        "non_proprietary": format_in(formats.NON_PROPRIETARY),
        "machine_readable": format_in(formats.MACHINE_READABLE),
        "license": lambda dist: has(dist, DCTERMS.license),
        "license_vocabulary": lambda dist: any(_licence_known(graph, lic)
                                               for lic in graph.objects(dist, DCTERMS.license)),
        "rights": lambda dist: has(dist, DCTERMS.rights),
        "byte_size": lambda dist: has(dist, DCAT.byteSize),
    }
    results = []
    for ind in INDICATORS:
        details: dict[str, Any] = {}
        if ind.level == "distribution":
            fraction, details = share(dist_checks[ind.key])
        elif ind.key == "dcat_ap_compliance":
            fraction = 1.0 if shacl_conforms else 0.0
            details = {"validated": shacl_conforms is not None}
        else:
            fraction = 1.0 if dataset_checks[ind.key] else 0.0
        if ind.key in ("access_url_ok", "download_url_ok"):
            pred = DCAT.accessURL if ind.key == "access_url_ok" else DCAT.downloadURL
            urls = sorted({str(u) for dist in dists for u in graph.objects(dist, pred)})
            details["unchecked"] = sum(1 for u in urls if links.get(u) is None)
            details["unreachable"] = sum(1 for u in urls if links.get(u) is False)
        results.append({
            "key": ind.key, "dimension": ind.dimension, "max": ind.points,
            "points": round(ind.points * fraction, 1), "passed": fraction >= 1.0, "details": details,
        })
    dimensions = {dim: round(sum(r["points"] for r in results if r["dimension"] == dim), 1)
                  for dim in DIMENSIONS}
    score = round(sum(r["points"] for r in results))
    return {"score": score, "max": MAX_SCORE, "band": band(score), "dimensions": dimensions,
            "indicators": results}


def fix_list(indicators: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What to fix, most points first ("Add keywords: +30"). An indicator
    whose prerequisite is missing too (licence vocabulary without licence)
    adds its points to that fix instead of appearing twice."""
    missing = {r["key"]: r["max"] - r["points"] for r in indicators if r["points"] < r["max"]}
    no_resources = any(BY_KEY[r["key"]].level == "distribution" and r["details"].get("distributions") == 0
                       for r in indicators)
    stakes: dict[str, float] = {}
    for key, stake in missing.items():
        parent = BY_KEY[key].requires
        target = parent if parent in missing else key
        if no_resources and BY_KEY[key].level == "distribution":
            target = "distribution"  # one fix: there is nothing to improve yet
        stakes[target] = stakes.get(target, 0) + stake
    fixes = [{"key": key, "label": _("Add a resource (file or API)") if key == "distribution" else BY_KEY[key].fix(),
              "points": round(stake, 1), "dimension": "accessibility" if key == "distribution" else BY_KEY[key].dimension}
             for key, stake in stakes.items()]
    # ties: the methodology's order
    order = {"distribution": -1} | {i.key: n for n, i in enumerate(INDICATORS)}
    fixes.sort(key=lambda f: (-f["points"], order[f["key"]]))
    return fixes
