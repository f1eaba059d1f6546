"""Format lists of the MQA interoperability indicators.

data.europa.eu checks ``dct:format`` against two lists of EU file-type codes
kept in piveau-vocabularies (non-proprietary and machine-readable formats).
They are not shipped as data files here; these sets hold the codes of the EU
File-Type table (``vocab/file-type.json``) that the two lists contain for the
formats a municipality publishes, transcribed by hand (docs/quality.md). A
code missing here costs a dataset at most the 20 points of one indicator.
"""
from __future__ import annotations

# open specifications: anyone may implement them without a licence fee
NON_PROPRIETARY = frozenset({
    "CSV", "TSV", "TXT", "JSON", "JSON_LD", "GEOJSON", "XML", "RDF", "RDF_XML", "RDF_TURTLE",
    "TURTLE", "N3", "NQUADS", "N_TRIPLES", "TRIG", "HTML", "XHTML", "ODS", "ODT", "ODP", "ODF",
    "ODG", "PDFA1A", "PDFA1B", "PDFA2A", "PDFA2B", "PDFA3", "PNG", "SVG", "TIFF", "GML",
    "KML", "KMZ", "GPX", "GPKG", "NETCDF", "ATOM", "RSS", "ICAL", "YAML", "SPARQLQ",
    "WMS_SRVC", "WFS_SRVC", "WCS_SRVC", "WMTS_SRVC", "ZIP", "GZIP", "TAR", "7Z", "MARC",
    "METS", "MOP", "XSLFO", "SHP", "CityGML", "GTFS", "OWL", "SKOS_XML", "JPEG2000",
    "GRID_ASCII", "DBF", "MD", "PARQUET", "LAS", "LAZ", "WARC", "EPUB",
})

# structured data a program can read without human interpretation
MACHINE_READABLE = frozenset({
    "CSV", "TSV", "JSON", "JSON_LD", "GEOJSON", "XML", "RDF", "RDF_XML", "RDF_TURTLE",
    "TURTLE", "N3", "NQUADS", "N_TRIPLES", "TRIG", "ODS", "XLS", "XLSX", "GML", "KML",
    "KMZ", "GPX", "GPKG", "NETCDF", "ATOM", "RSS", "ICAL", "YAML", "SPARQLQ", "WMS_SRVC",
    "WFS_SRVC", "WCS_SRVC", "WMTS_SRVC", "SHP", "CityGML", "GTFS", "OWL", "SKOS_XML",
    "DBF", "PARQUET", "MDB", "ACCDB", "XSD", "LAS", "LAZ", "GRID_ASCII", "HDF",
    "SQL", "MARC",
})

IANA_BASE = ("https://www.iana.org/assignments/media-types/", "http://www.iana.org/assignments/media-types/")
IANA_TOP_LEVEL = frozenset({"application", "audio", "font", "image", "message", "model",
                            "multipart", "text", "video"})


def code(iri: str) -> str:
    """EU file-type IRI -> its code (``.../file-type/CSV`` -> ``CSV``)."""
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def is_iana_media_type(iri: str) -> bool:
    text = str(iri)
    for base in IANA_BASE:
        if text.startswith(base):
            parts = text[len(base):].split("/")
            return len(parts) == 2 and parts[0] in IANA_TOP_LEVEL and bool(parts[1])
    return False
