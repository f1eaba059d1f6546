"""Developer tool: regenerate the vocabulary JSON files of this folder from the
official RDF snapshots of the conformance kit (needs rdflib, which ckanext-dcat
brings along). Not used at runtime.

    python -m ckanext.datagovernance.vocab._build /work/shared/conformance/vocab

Vocabularies that have no RDF source (our own codes, the Hessian political
geocoding keys, INSPIRE themes, reference systems) are maintained by hand in
this folder and are not touched by this script.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent

# A curated subset of the EU language NAL (8000+ codes) that a German
# municipality actually catalogues: the 24 official EU languages plus the
# languages most used in German municipal information.
LANGUAGE_SUBSET = (
    "DEU ENG FRA ITA SPA POL NLD DAN SWE FIN EST LAV LIT CES SLK SLV HUN RON BUL "
    "HRV ELL POR MLT GLE TUR ARA RUS UKR FAS KUR SQI SRP BOS NOR ISL LTZ DSB HSB "
    "FRY NDS ROM YID HEB ZHO JPN VIE MUL"
).split()


def _g(path: Path):
    import rdflib

    g = rdflib.Graph()
    g.parse(str(path))
    return g


def _labels(g, s, pred=None) -> dict[str, str]:
    from rdflib.namespace import SKOS

    out: dict[str, str] = {}
    for lit in g.objects(s, pred or SKOS.prefLabel):
        lang = getattr(lit, "language", None)
        if lang in ("de", "en") and lang not in out:
            out[lang] = " ".join(str(lit).split())
    return out


def _write(name: str, meta: dict, concepts: list[dict]) -> None:
    data = dict(meta, concepts=concepts)
    (HERE / f"{name}.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{name}: {len(concepts)} concepts")


def _nal(src: Path, fname: str, name: str, title: dict, version: str, keep=None,
         extra=None) -> None:
    from rdflib import URIRef
    from rdflib.namespace import DC, RDF, SKOS

    g = _g(src / "eu-nal" / fname)
    at = "http://publications.europa.eu/ontology/authority/"
    concepts = []
    for s in g.subjects(RDF.type, SKOS.Concept):
        code = str(g.value(s, DC.identifier) or str(s).rsplit("/", 1)[-1])
        if keep and code not in keep:
            continue
        if str(g.value(s, URIRef(at + "deprecated")) or "false") == "true":
            continue
        c = {"value": str(s), "code": code, "label": _labels(g, s)}
        c["label"].setdefault("en", code)
        c["label"].setdefault("de", c["label"]["en"])
        if extra:
            c.update(extra(g, s))
        concepts.append(c)
    concepts.sort(key=lambda c: c["code"])
    _write(name, {
        "name": name, "title": title, "version": version,
        "source": f"EU Publications Office NAL, snapshot {fname} "
                  "(conformance kit vocab/eu-nal, mirror ioggstream/dati-eu-authority-tables)",
        "licence": "EU NAL, open (Publications Office of the EU)",
    }, concepts)


def _file_type_extra(g, s):
    from rdflib import URIRef

    at = "http://publications.europa.eu/ontology/authority/"
    out: dict = {"extensions": [], "media_types": []}
    for m in g.objects(s, URIRef(at + "op-mapped-code")):
        kind = str(g.value(m, URIRef("http://purl.org/dc/elements/1.1/source")))
        code = str(g.value(m, URIRef(at + "legacy-code")))
        if kind == "file-extension":
            out["extensions"].append(code.lstrip(".").lower())
        elif kind == "mime-type-cellar":
            out["media_types"].append(code)
        elif kind == "is-machine-readable":
            out["machine_readable"] = code == "true"
    out["extensions"].sort()
    out["media_types"].sort()
    return out


def build(src: Path) -> None:
    from rdflib import URIRef
    from rdflib.namespace import DC, DCTERMS, FOAF, RDF, SKOS

    _nal(src, "data-theme-20200923-0.ttl", "data-theme",
         {"de": "Datenthemen (EU)", "en": "Data themes (EU)"}, "20200923-0")
    _nal(src, "frequency-20220615-0.ttl", "frequency",
         {"de": "Aktualisierungsfrequenz (EU)", "en": "Frequency (EU)"}, "20220615-0")
    _nal(src, "access-right-20220316-0.ttl", "access-right",
         {"de": "Zugriffsrechte (EU)", "en": "Access rights (EU)"}, "20220316-0")
    _nal(src, "file-type-20220928-0.ttl", "file-type",
         {"de": "Dateitypen (EU)", "en": "File types (EU)"}, "20220928-0",
         extra=_file_type_extra)
    _nal(src, "language-20220928-0.trimmed.ttl", "language",
         {"de": "Sprachen (EU, Auswahl)", "en": "Languages (EU, subset)"}, "20220928-0",
         keep=set(LANGUAGE_SUBSET))

    # HVD categories: the full scheme with its hierarchy.
    g = _g(src / "eu-nal" / "high-value-dataset-category-2.1.trimmed.ttl")
    concepts = []
    for s in g.subjects(RDF.type, SKOS.Concept):
        concepts.append({
            "value": str(s),
            "code": str(g.value(s, DC.identifier) or str(s).rsplit("/", 1)[-1]),
            "label": _labels(g, s),
            "broader": sorted(str(b) for b in g.objects(s, SKOS.broader)),
            "narrower": sorted(str(n) for n in g.objects(s, SKOS.narrower)),
        })
    top = {c["value"] for c in concepts if not c["broader"]}
    concepts.sort(key=lambda c: (c["broader"][:1] or [c["value"]], c["value"] not in top,
                                 c["label"].get("en", "")))
    _write("hvd-category", {
        "name": "hvd-category",
        "title": {"de": "HVD-Kategorien (EU)", "en": "High-value dataset categories (EU)"},
        "version": "2.1 (issued 2024-10-02)",
        "scheme": "http://data.europa.eu/bna/asd487ae75",
        "source": "EU vocabulary high-value-dataset-category, conformance kit "
                  "vocab/eu-nal/high-value-dataset-category-2.1.trimmed.ttl",
        "licence": "EU vocabulary, open",
    }, concepts)

    # dcat-ap.de licences -> CKAN licence register (a plain JSON list, the
    # format CKAN's licenses_group_url expects).
    g = _g(src / "dcat-ap-de" / "licenses-20210721.rdf")
    recommended = {"dl-zero-de/2.0", "dl-by-de/2.0", "cc-by/4.0"}
    eu = {"dl-zero-de/2.0": "DLDE_ZERO_2_0", "dl-by-de/2.0": "DLDE_BY_2_0",
          "dl-by-de/1.0": "DLDE_BY_1_0", "dl-by-nc-de/1.0": "DLDE_BYNC_1_0",
          "cc-by/4.0": "CC_BY_4_0", "cc-zero": "CC0", "cc-by-sa/4.0": "CC_BYSA_4_0",
          "cc-by-nd/4.0": "CC_BYND_4_0", "cc-by-nc/4.0": "CC_BYNC_4_0",
          "odbl": "ODC_BL", "odby": "ODC_BY", "odcpddl": "ODC_PDDL"}
    en_titles = json.loads((HERE / "licenses-en.json").read_text(encoding="utf-8"))
    eu_nal = _g(src / "eu-nal" / "licence-20220928-0.ttl")
    licences = []
    for s in g.subjects(RDF.type, SKOS.Concept):
        ident = str(g.value(s, DC.identifier))
        kind = str(g.value(s, DCTERMS.type) or "")
        is_open = kind == "Freie Nutzung"
        title = _labels(g, s).get("de", ident)
        lic = {
            "id": ident,
            "title": title,
            "title_en": en_titles.get(ident, title),
            "url": str(s),
            "homepage": str(g.value(s, FOAF.homepage) or ""),
            "od_conformance": "approved" if is_open else "not reviewed",
            "osd_conformance": "not reviewed",
            "status": "active",
            "is_open": is_open,
            "usage": kind,
            "govdata_recommended": ident in recommended,
        }
        nal = eu.get(ident)
        if nal and (URIRef(f"http://publications.europa.eu/resource/authority/licence/{nal}"),
                    None, None) in eu_nal:
            lic["eu_licence"] = f"http://publications.europa.eu/resource/authority/licence/{nal}"
        licences.append(lic)
    order = ["dl-zero-de/2.0", "dl-by-de/2.0", "cc-by/4.0", "cc-zero"]
    licences.sort(key=lambda x: (x["id"] not in order,
                                 order.index(x["id"]) if x["id"] in order else 0,
                                 not x["is_open"], x["title"]))
    (HERE / "licenses.json").write_text(
        json.dumps(licences, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"licenses: {len(licences)}")

    # contributor IDs (for the organisation schema)
    g = _g(src / "dcat-ap-de" / "contributors-20251021.rdf")
    concepts = [{"value": str(s), "code": str(g.value(s, DC.identifier)),
                 "label": _labels(g, s)} for s in g.subjects(RDF.type, SKOS.Concept)]
    for c in concepts:
        c["label"].setdefault("de", c["code"])
        c["label"].setdefault("en", c["label"]["de"])
    concepts.sort(key=lambda c: c["label"]["de"].lower())
    _write("contributor", {
        "name": "contributor",
        "title": {"de": "GovData-Datenbereitsteller (contributorID)",
                  "en": "GovData contributor IDs"},
        "version": "20251021",
        "scheme": "http://dcat-ap.de/def/contributors",
        "source": "dcat-ap.de contributors, conformance kit "
                  "vocab/dcat-ap-de/contributors-20251021.rdf",
        "licence": "dcat-ap.de / GovData",
    }, concepts)

    # ADMS publisher types
    g = _g(src / "ontologies" / "ADMS_SKOS_v1.00.rdf")
    de = {"Academia": "Wissenschaft/Forschung", "Company": "Unternehmen",
          "IndustryConsortium": "Industriekonsortium", "LocalAuthority": "Kommunalverwaltung",
          "NationalAuthority": "Bundesbehörde", "NonGovernmentalOrganisation":
          "Nichtregierungsorganisation", "NonProfitOrganisation": "Gemeinnützige Organisation",
          "PrivateIndividual": "Privatperson", "RegionalAuthority": "Landesbehörde",
          "StandardisationBody": "Normungsorganisation",
          "SupraNationalAuthority": "Supranationale Behörde"}
    concepts = []
    for s in sorted(set(g.subjects(RDF.type, SKOS.Concept))):
        if not str(s).startswith("http://purl.org/adms/publishertype/"):
            continue
        code = str(s).rsplit("/", 1)[-1]
        en = _labels(g, s).get("en") or code
        concepts.append({"value": str(s), "code": code,
                         "label": {"de": de.get(code, en), "en": en}})
    _write("publisher-type", {
        "name": "publisher-type",
        "title": {"de": "Art des Herausgebers (ADMS)", "en": "Publisher type (ADMS)"},
        "version": "ADMS SKOS 1.00",
        "source": "SEMICeu/ADMS-AP purl.org/ADMS_SKOS_v1.00.rdf (conformance kit "
                  "vocab/ontologies); German labels translated by ckanext-datagovernance",
        "licence": "ISA Open Metadata Licence v1.1",
    }, concepts)


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/conformance/vocab"))
