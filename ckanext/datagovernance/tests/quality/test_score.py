"""The MQA score: worked examples computed by hand from the methodology's
table (governance-anchors §3.2, data.europa.eu/mqa/methodology) and the
score of real datasets computed from their own DCAT-AP.de output.

Documented margin (docs/quality.md): for a record whose distributions all
pass or all fail an indicator, our score equals the methodology's exactly
(margin 0). With mixed distributions we score proportionally; the
methodology's per-dataset reading lies between "all must pass" and "one
suffices", and our value lies between those two by construction.
"""
from __future__ import annotations

import pytest
from ckan.tests.helpers import call_action
from rdflib import Graph

from ckanext.datagovernance.quality import indicators, score

from .conftest import MARKS

pytestmark = MARKS

PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ft: <http://publications.europa.eu/resource/authority/file-type/> .
@prefix iana: <https://www.iana.org/assignments/media-types/> .
"""
DS = "https://example.org/dataset/1"
CSV = "https://example.org/files/1.csv"

# Every indicator present: 405 points, "excellent".
COMPLETE = PREFIXES + f"""
<{DS}> a dcat:Dataset ; dct:title "Baumkataster"@de ; dct:description "Alle Bäume"@de ;
  dcat:keyword "Bäume" ; dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> ;
  dct:spatial <http://dcat-ap.de/def/politicalGeocoding/regionalKey/064130000000> ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ] ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Open Data" ] ;
  dct:publisher [ a foaf:Agent ; foaf:name "Stadt" ] ;
  dct:issued "2024-01-01"^^xsd:date ; dct:modified "2025-01-01"^^xsd:date ;
  dcat:distribution <{DS}/d1> .
<{DS}/d1> a dcat:Distribution ; dcat:accessURL <{CSV}> ; dcat:downloadURL <{CSV}> ;
  dct:format ft:CSV ; dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
  dct:rights [ a dct:RightsStatement ] ; dcat:byteSize "1024"^^xsd:nonNegativeInteger .
"""

# Only a reachable access URL: 50 points (AccessURL accessibility), "bad".
MINIMAL = PREFIXES + f"""
<{DS}> a dcat:Dataset ; dct:title "Liste"@de ; dct:description "Eine Liste"@de ;
  dcat:distribution <{DS}/d1> .
<{DS}/d1> a dcat:Distribution ; dcat:accessURL <{CSV}> .
"""

# A typical municipal record: no spatial/temporal (-40), no download URL
# (-50), no rights statement and size (-10); dl-de licence mapped onto the
# EU table. 405 - 100 = 305, "good".
TYPICAL = PREFIXES + f"""
<{DS}> a dcat:Dataset ; dct:title "Haushalt"@de ; dct:description "Haushaltsplan"@de ;
  dcat:keyword "Haushalt" ; dcat:theme <http://publications.europa.eu/resource/authority/data-theme/GOVE> ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Kämmerei" ] ;
  dct:publisher [ a foaf:Agent ; foaf:name "Stadt" ] ;
  dct:issued "2024-01-01"^^xsd:date ; dct:modified "2025-01-01"^^xsd:date ;
  dcat:distribution <{DS}/d1> .
<{DS}/d1> a dcat:Distribution ; dcat:accessURL <{CSV}> ;
  dct:format ft:CSV ; dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
  dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> .
"""

# Two distributions, CSV and XLSX: XLSX is machine-readable but proprietary.
TWO_FORMATS = TYPICAL.replace(f"dcat:distribution <{DS}/d1> .", f"dcat:distribution <{DS}/d1>, <{DS}/d2> .") + f"""
<{DS}/d2> a dcat:Distribution ; dcat:accessURL <https://example.org/files/1.xlsx> ;
  dct:format ft:XLSX ;
  dcat:mediaType <https://www.iana.org/assignments/media-types/application/vnd.openxmlformats-officedocument.spreadsheetml.sheet> ;
  dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> .
"""


def _score(ttl: str, conforms: bool, links: dict[str, bool | None]) -> dict:
    graph = Graph().parse(data=ttl, format="turtle")
    return indicators.evaluate(graph, DS, shacl_conforms=conforms, links=links)


@pytest.mark.parametrize(("ttl", "conforms", "links", "expected", "band"), [
    (COMPLETE, True, {CSV: True}, 405, "excellent"),
    (MINIMAL, False, {CSV: True}, 50, "bad"),
    (TYPICAL, True, {CSV: True}, 305, "good"),
    # the same record before the link check: no accessibility points
    (TYPICAL, True, {}, 255, "good"),
    # an unreachable URL and failing SHACL: -50 and -30
    (TYPICAL, False, {CSV: False}, 225, "good"),
])
def test_worked_examples(ttl, conforms, links, expected, band):
    result = _score(ttl, conforms, links)
    assert result["score"] == expected
    assert result["band"] == band
    assert sum(result["dimensions"].values()) == pytest.approx(expected)
    assert result["max"] == 405


def test_dimensions_of_the_typical_example():
    result = _score(TYPICAL, True, {CSV: True})
    assert result["dimensions"] == {"findability": 60, "accessibility": 50, "interoperability": 110,
                                    "reusability": 75, "contextuality": 10}


def test_mixed_distributions_lie_within_the_documented_margin():
    links = {CSV: True, "https://example.org/files/1.xlsx": True}
    result = _score(TWO_FORMATS, True, links)
    # by hand: all must pass -> non-proprietary 0 of 20: 285;
    # one suffices -> 20 of 20: 305; proportional: 10 of 20
    non_prop = next(r for r in result["indicators"] if r["key"] == "non_proprietary")
    assert non_prop["points"] == 10 and non_prop["details"] == {"distributions": 2, "passing": 1}
    assert 285 <= result["score"] <= 305
    assert result["score"] == 295


def test_bands_follow_the_methodology():
    assert [indicators.band(s) for s in (405, 351, 350, 221, 220, 121, 120, 0)] == [
        "excellent", "excellent", "good", "good", "sufficient", "sufficient", "bad", "bad"]
    assert sum(i.points for i in indicators.INDICATORS) == 405
    assert {d: sum(i.points for i in indicators.INDICATORS if i.dimension == d)
            for d in indicators.DIMENSIONS} == indicators.DIMENSION_MAX


def test_fix_list_is_ordered_by_points_and_merges_prerequisites():
    result = _score(MINIMAL, False, {CSV: True})
    fixes = indicators.fix_list(result["indicators"])
    points = [f["points"] for f in fixes]
    assert points == sorted(points, reverse=True)
    by_key = {f["key"]: f["points"] for f in fixes}
    # licence (20) + licence from the list (10) are one fix
    assert by_key["license"] == 30 and "license_vocabulary" not in by_key
    # format + vocabulary + non-proprietary + machine-readable
    assert by_key["format"] == 70
    assert by_key["download_url"] == 50
    assert sum(by_key.values()) == 405 - 50
    assert "access_url_ok" not in by_key


def test_score_of_a_dataset_comes_from_its_own_dcat_ap_de_graph(qcat):
    pkg = call_action("package_show", id=qcat["good"]["id"])
    graph, ref = score.dataset_graph(pkg)
    result = score.compute(pkg)
    assert result == dict(indicators.evaluate(graph, ref, shacl_conforms=True, links={}),
                          shacl_conforms=True)
    by_key = {r["key"]: r for r in result["indicators"]}
    # DCAT-AP.de conformant output: the 30 compliance points
    assert by_key["dcat_ap_compliance"]["points"] == 30
    # dl-by-de/2.0 is mapped onto the EU licence table
    assert by_key["license_vocabulary"]["passed"]
    # never checked: accessibility earns nothing yet, and says so
    assert by_key["access_url_ok"]["points"] == 0 and by_key["access_url_ok"]["details"]["unchecked"] == 1


def test_shacl_violation_costs_the_compliance_points(qcat):
    pkg = call_action("package_show", id=qcat["good"]["id"])
    pkg["license_id"] = None  # DCAT-AP.de requires a licence per distribution
    result = score.compute(pkg)
    by_key = {r["key"]: r for r in result["indicators"]}
    assert result["shacl_conforms"] is False
    assert by_key["dcat_ap_compliance"]["points"] == 0
    assert by_key["license"]["points"] == 0


def test_download_url_and_rights_reach_the_score(qcat):
    pkg = call_action("package_show", id=qcat["good"]["id"])
    before = score.compute(pkg)
    was = {r["key"]: r for r in before["indicators"]}
    assert not was["rights"]["passed"] and not was["byte_size"]["passed"]
    pkg["resources"][0].update(download_url="https://opendata.offenbach.example/direkt.csv",
                               rights="Namensnennung: Stadt Offenbach", size=2048)
    after = score.compute(pkg)
    by_key = {r["key"]: r for r in after["indicators"]}
    assert by_key["download_url"]["passed"] and by_key["rights"]["passed"] and by_key["byte_size"]["passed"]
    # rights 5 + size 5, and the download URL's 20 unless the feed already
    # gave the direct file link one (dcat profile: file links are downloadURLs)
    gained = sum(was[k]["max"] - was[k]["points"] for k in ("download_url", "rights", "byte_size"))
    assert gained >= 10 and after["score"] == before["score"] + gained
    assert after["shacl_conforms"] is True


def test_a_record_without_resources_gets_one_fix_for_them():
    graph = Graph().parse(data=PREFIXES + f'<{DS}> a dcat:Dataset ; dcat:keyword "x" .', format="turtle")
    fixes = indicators.fix_list(indicators.evaluate(graph, DS, shacl_conforms=False, links={})["indicators"])
    by_key = {f["key"]: f["points"] for f in fixes}
    # every distribution indicator: 100 + 80 + 30 + 10 = 220 points
    assert fixes[0]["key"] == "distribution" and by_key["distribution"] == 220
    assert "format" not in by_key and "license" not in by_key
