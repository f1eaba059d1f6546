"""SHACL validation of our own DCAT-AP.de / HVD output (pySHACL).

The shapes in ``shapes/`` are our own, derived from the DCAT-AP.de 3.0 and
DCAT-AP HVD 3.0.0 specifications. A dataset is serialised with the configured
profiles (the same graph the feeds publish) and validated; results carry the
message in German and English.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import multiprocessing
import re
import threading
import zlib
from importlib import metadata
from pathlib import Path
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import click
from ckan.types import Context, DataDict
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from ..search import cache as search_cache
from .serializer import serializer as dcat_serializer

log = logging.getLogger(__name__)
SHAPES_DIR = Path(__file__).with_name("shapes")
SHAPE_FILES = ("dcat-ap-de.ttl", "hvd.ttl")
RDF_FORMATS = {"ttl": "turtle", "turtle": "turtle", "rdf": "xml", "xml": "xml",
               "jsonld": "json-ld", "json-ld": "json-ld", "nt": "nt", "n3": "n3"}
SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


@functools.lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    graph = Graph()
    for name in SHAPE_FILES:
        graph.parse(SHAPES_DIR / name, format="turtle")
    return graph


@functools.lru_cache(maxsize=1)
def _prefixes() -> Graph:
    graph = Graph(bind_namespaces="core")
    for prefix, iri in (("dct", "http://purl.org/dc/terms/"), ("dcat", "http://www.w3.org/ns/dcat#"),
                        ("dcatde", "http://dcat-ap.de/def/dcatde/"),
                        ("dcatap", "http://data.europa.eu/r5r/"),
                        ("foaf", "http://xmlns.com/foaf/0.1/"),
                        ("vcard", "http://www.w3.org/2006/vcard/ns#")):
        graph.bind(prefix, iri, override=True, replace=True)
    return graph


def _short(node: Any, graph: Graph | None = None) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        try:
            short = _prefixes().namespace_manager.normalizeUri(node)
        except Exception:
            return str(node)
        return str(node) if short.startswith("<") else short
    return str(node)


_parsed = threading.local()


def _validate(data: Graph) -> tuple[bool, Graph, str]:
    """pySHACL's validate() without re-reading the shapes on every call: the
    parsed shapes are kept per thread (they were ~2/3 of a dataset's
    validation time). Same options, same report."""
    from pyshacl import Validator
    from pyshacl.graph_abstraction import DataGraph
    from pyshacl.shapes_graph import ShapesGraph

    options = {"inference": "none", "advanced": False, "allow_warnings": True}
    validator = Validator(DataGraph.from_rdflib(data), shacl_graph=shapes_graph(), options=options)
    if getattr(_parsed, "shapes", None) is None:
        _parsed.shapes = ShapesGraph(shapes_graph(), validator.debug, validator.logger)
    validator.shacl_graph = _parsed.shapes
    return validator.run()


def validate_graph(data: Graph) -> dict[str, Any]:
    """Validate an RDF graph; returns {conforms, violations, warnings, infos}."""
    _conforms, report, _text = _validate(data)
    out: dict[str, Any] = {"violations": [], "warnings": [], "infos": []}
    seen = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = SEVERITIES.get(report.value(result, SH.resultSeverity), "violation")
        messages = {m.language or "en": str(m) for m in report.objects(result, SH.resultMessage)
                    if isinstance(m, Literal)}
        path = report.value(result, SH.resultPath)
        item = {
            "severity": severity,
            "focus": str(report.value(result, SH.focusNode)),
            "path": _short(path, data) if isinstance(path, URIRef) else None,
            "value": _short(report.value(result, SH.value), data),
            "message_de": messages.get("de") or messages.get("en") or "",
            "message_en": messages.get("en") or messages.get("de") or "",
        }
        key = tuple(item.values())
        if key in seen:
            continue
        seen.add(key)
        out[{"violation": "violations", "warning": "warnings"}.get(severity, "infos")].append(item)
    for items in out.values():
        items.sort(key=lambda i: (i["focus"], i["path"] or "", i["message_en"]))
    out["conforms"] = not out["violations"]
    return out


def dataset_graph(pkg_dict: dict[str, Any]) -> Graph:
    serializer = dcat_serializer()
    serializer.graph_from_dataset(pkg_dict)
    graph = Graph()
    for triple in serializer.g:
        graph.add(triple)
    for prefix, ns in serializer.g.namespaces():
        graph.bind(prefix, ns, override=False)
    return graph


def validate_dataset_dict(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """The SHACL report of the dataset's DCAT-AP.de graph. It is kept in Redis
    under a digest of everything the graph and the report come from (the
    dataset, its organisation's fields, the DCAT settings and code, the
    shapes), as the feed pages keep their fragments (dcat/page.py): the task
    list checks every publication candidate on each view, and building and
    validating a graph costs 20-25 ms. So a kept report is never stale, and
    ``ckanext.datagovernance.dcat.cache_ttl`` (0: off) only bounds Redis."""
    from . import page, profile

    orgs = page.organizations([pkg_dict])  # read once: for the key and for the graph
    redis = search_cache.redis_for(page.cache_ttl())
    key = page.report_key(pkg_dict, orgs, _shapes_digest()) if redis is not None else None
    if key is not None:
        try:
            kept = redis.get(key)  # type: ignore[union-attr]
            if kept:
                return json.loads(zlib.decompress(kept))
        except Exception as e:  # noqa: BLE001 - no cache, same report
            log.warning("SHACL report cache: %s", e)
            key = None
    token = profile.page_organizations.set(orgs)
    try:
        report = validate_graph(dataset_graph(pkg_dict))
    finally:
        profile.page_organizations.reset(token)
    if key is not None:
        try:
            redis.set(key, zlib.compress(json.dumps(report).encode()), ex=page.cache_ttl())  # type: ignore[union-attr]
        except Exception as e:  # noqa: BLE001
            log.warning("SHACL report cache: %s", e)
    return report


@functools.cache
def _shapes_digest() -> str:
    """The shapes and the validator a report depends on (once per process)."""
    sha = hashlib.sha1()
    for name in SHAPE_FILES:
        sha.update((SHAPES_DIR / name).read_bytes())
    sha.update(metadata.version("pyshacl").encode())
    return sha.hexdigest()


_XML_DECLARATIONS = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _remote_context(node: Any) -> bool:
    """True when a JSON-LD document refers to a context by IRI (rdflib
    would fetch it: a request to any host the caller names)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import") and _has_reference(value):
                return True
            if _remote_context(value):
                return True
    elif isinstance(node, list):
        return any(_remote_context(item) for item in node)
    return False


def _has_reference(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return any(_has_reference(v) for v in value)
    if isinstance(value, dict):
        return "@import" in value or _remote_context(value)
    return False


def parse_rdf(text: str, fmt: str = "ttl") -> Graph:
    """Parse caller-supplied RDF without touching the network: JSON-LD with
    remote contexts and XML with DTDs/entities are refused before rdflib
    sees them. A clear ValidationError naming the field when it fails."""
    rdflib_format = RDF_FORMATS.get((fmt or "ttl").lower())
    if rdflib_format is None:
        raise tk.ValidationError({"format": [
            f'Unbekanntes RDF-Format "{fmt}", erlaubt: {", ".join(sorted(RDF_FORMATS))} / '
            f'unknown RDF format "{fmt}", allowed: {", ".join(sorted(RDF_FORMATS))}']})
    limit = tk.config.get("ckanext.datagovernance.dcat.validate.max_bytes")
    if len(text.encode("utf-8")) > limit:
        raise tk.ValidationError({"rdf": [
            f"RDF zu groß (höchstens {limit} Bytes) / RDF too large (at most {limit} bytes)"]})
    if rdflib_format == "json-ld":
        try:
            document = json.loads(text)
        except ValueError as e:
            raise tk.ValidationError({"rdf": [f"JSON nicht lesbar / unparsable JSON: {e}"]}) from e
        if _remote_context(document):
            raise tk.ValidationError({"rdf": [
                "JSON-LD mit entferntem @context wird nicht geladen; bitte den Kontext einbetten / "
                "JSON-LD with a remote @context is not fetched; embed the context"]})
    if rdflib_format == "xml" and _XML_DECLARATIONS.search(text):
        raise tk.ValidationError({"rdf": [
            "RDF/XML mit DOCTYPE oder ENTITY wird nicht gelesen / RDF/XML with DOCTYPE or ENTITY is refused"]})
    graph = Graph()
    try:
        graph.parse(data=text, format=rdflib_format)
    except Exception as e:  # rdflib raises many types
        raise tk.ValidationError({"rdf": [
            f"RDF nicht lesbar ({rdflib_format}) / unparsable RDF ({rdflib_format}): {e}"]}
        ) from e
    max_triples = tk.config.get("ckanext.datagovernance.dcat.validate.max_triples")
    if len(graph) > max_triples:
        raise tk.ValidationError({"rdf": [
            f"Zu viele Tripel (höchstens {max_triples}) / too many triples (at most {max_triples})"]})
    return graph


def _validate_in_child(graph: Graph, conn: Any) -> None:
    try:
        conn.send(validate_graph(graph))
    except Exception as e:  # reported to the parent, which raises
        conn.send({"error": str(e)})
    finally:
        conn.close()


def validate_bounded(graph: Graph) -> dict[str, Any]:
    """pySHACL on caller-supplied data, in a forked child killed after the
    configured timeout: an expensive graph cannot hold a web worker."""
    timeout = tk.config.get("ckanext.datagovernance.dcat.validate.timeout")
    shapes_graph()  # parsed once in the parent, inherited by the child
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_validate_in_child, args=(graph, child), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise tk.ValidationError({"rdf": [
                f"Die Prüfung dauerte länger als {timeout} s / validation took longer than {timeout} s"]})
        result = parent.recv()
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        parent.close()
    if "error" in result:
        raise tk.ValidationError({"rdf": [f"Prüfung fehlgeschlagen / validation failed: {result['error']}"]})
    return result


def publication_gate(pkg_dict: dict[str, Any]) -> list[str]:
    """Unmet conditions for publishing ``pkg_dict`` (empty list: fine).

    Only public datasets go into the DCAT feeds, so only they are checked
    against the shapes; each message is "German / English".
    """
    if pkg_dict.get("access_class") != "public":
        return []
    report = validate_dataset_dict(pkg_dict)
    return [
        f"{item['path'] or item['focus']}: {item['message_de']} / {item['message_en']}"
        for item in report["violations"]
    ]


# ------------------------------------------------------------------ action
@tk.side_effect_free
def datagovernance_dataset_validate(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Validate one dataset's DCAT-AP.de / HVD output against our SHACL shapes.

    :param id: id or name of the dataset, or
    :param rdf: RDF text to validate instead (with ``format``: ttl, rdf, jsonld)
    :returns: ``conforms``, ``violations``, ``warnings``, ``infos``; each item
        has ``severity``, ``focus``, ``path``, ``value``, ``message_de``,
        ``message_en``
    """
    tk.check_access("datagovernance_dataset_validate", context, data_dict)
    if data_dict.get("rdf"):
        if not isinstance(data_dict["rdf"], str):
            raise tk.ValidationError({"rdf": ["Text erwartet / text expected"]})
        return validate_bounded(parse_rdf(data_dict["rdf"], str(data_dict.get("format") or "ttl")))
    if not data_dict.get("id"):
        raise tk.ValidationError({"id": ["Pflichtangabe: id oder rdf / Missing value: id or rdf"]})
    pkg = tk.get_action("package_show")(
        {"user": context.get("user"), "ignore_auth": context.get("ignore_auth", False)},
        {"id": data_dict["id"]})
    report = validate_dataset_dict(pkg)
    report["id"] = pkg["id"]
    report["name"] = pkg["name"]
    return report


def datagovernance_dataset_validate_auth(context: Context, data_dict: DataDict) -> dict[str, Any]:
    # staff only: validation costs CPU, and caller-supplied RDF is untrusted
    if not context.get("user") or model.User.get(context["user"]) is None:
        return {"success": False, "msg": tk._("Please log in.")}
    if data_dict.get("id"):
        tk.check_access("package_show", context, {"id": data_dict["id"]})  # hidden: 404
    return {"success": True}


# --------------------------------------------------------------------- CLI
@click.command(name="validate")
@click.option("--dataset", "datasets", multiple=True, help="Only these datasets (id or name).")
@click.option("--all-public", is_flag=True,
              help="All public datasets, not only published ones (check before publishing).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.option("--lang", type=click.Choice(["de", "en"]), default="de")
def validate_command(datasets: tuple[str, ...], all_public: bool, as_json: bool,
                     lang: str) -> None:
    """Validate the DCAT-AP.de / HVD output of the catalog (exit 1 on violations)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"], "ignore_auth": True}
    if datasets:
        pkgs = [tk.get_action("package_show")(dict(context), {"id": d}) for d in datasets]
    else:
        fq = "+access_class:public" + ("" if all_public else " +workflow_state:published")
        pkgs, start = [], 0
        while True:
            page = tk.get_action("package_search")(dict(context), {
                "q": "*:*", "fq": fq, "rows": 500, "start": start, "include_private": True,
                "sort": "name asc"})
            pkgs.extend(page["results"])
            start += 500
            if start >= page["count"]:
                break
    reports = []
    for pkg in pkgs:
        report = validate_dataset_dict(pkg)
        report["name"] = pkg["name"]
        reports.append(report)
    violations = sum(len(r["violations"]) for r in reports)
    warnings = sum(len(r["warnings"]) for r in reports)
    if as_json:
        click.echo(json.dumps({"datasets": reports, "violations": violations,
                               "warnings": warnings}, ensure_ascii=False, indent=1))
    else:
        for report in reports:
            status = "OK" if report["conforms"] else "FEHLER" if lang == "de" else "FAILED"
            click.echo(f"{report['name']}: {status}")
            for item in report["violations"] + report["warnings"]:
                click.echo(f"  {item['severity']}: {item['path'] or '-'}: "
                           f"{item['message_' + lang]}" + (
                               f" [{item['value']}]" if item["value"] else ""))
        click.echo(f"datasets: {len(reports)}, violations: {violations}, warnings: {warnings}")
    if violations:
        raise SystemExit(1)


def get_actions() -> dict[str, Any]:
    return {"datagovernance_dataset_validate": datagovernance_dataset_validate}


def get_auth_functions() -> dict[str, Any]:
    return {"datagovernance_dataset_validate": datagovernance_dataset_validate_auth}
