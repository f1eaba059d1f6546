"""SHACL validation: action, publication gate, CLI, bad input."""
from __future__ import annotations

import json

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import call_action

from ckanext.datagovernance.catalog import cli as catalog_cli
from ckanext.datagovernance.dcat import validation

from .conftest import MARKS, dataset_fields, publish

pytestmark = MARKS


def test_action_conforming_dataset(dcat_catalog):
    report = call_action("datagovernance_dataset_validate", id=dcat_catalog["hvd"]["name"])
    assert report["conforms"] is True and report["violations"] == []
    assert report["name"] == "hvd-gebaeude"


def test_action_reports_violations_in_german_and_english(dcat_catalog):
    pkg = call_action("package_show", id=dcat_catalog["public"]["id"])
    pkg["license_id"] = None
    for res in pkg["resources"]:
        res["license"] = None
    report = validation.validate_dataset_dict(pkg)
    assert not report["conforms"]
    [item] = [i for i in report["violations"] if i["path"] == "dct:license"]
    assert "Lizenz" in item["message_de"] and "licence" in item["message_en"]
    gate = validation.publication_gate(pkg)
    assert gate and "dct:license" in gate[0]
    # not public: not checked against the DCAT shapes
    assert validation.publication_gate({**pkg, "access_class": "internal"}) == []
    assert validation.publication_gate(call_action("package_show",
                                                   id=dcat_catalog["hvd"]["id"])) == []


def test_hvd_api_rule_lives_once_in_python(dcat_catalog):
    from ckanext.datagovernance.workflow import gates

    pkg = call_action("package_show", id=dcat_catalog["hvd"]["id"])
    for res in pkg["resources"]:
        res.pop("access_services", None)
    # the regulation's API rule: the Python gate reports it ...
    assert any("API" in problem for problem in gates.hvd(pkg))
    # ... and the shapes do not repeat it (one message per unmet rule)
    report = validation.validate_dataset_dict(pkg)
    assert not any("API" in i["message_en"] for i in report["violations"])


def test_action_validates_rdf_text_and_rejects_unparsable_rdf(dcat_catalog):
    with pytest.raises(tk.ValidationError) as exc:
        call_action("datagovernance_dataset_validate", rdf="<<< das ist kein RDF", format="ttl")
    assert "rdf" in exc.value.error_dict
    assert "unparsable RDF" in exc.value.error_dict["rdf"][0]
    with pytest.raises(tk.ValidationError) as exc:
        call_action("datagovernance_dataset_validate", rdf="x", format="docx")
    assert "format" in exc.value.error_dict
    report = call_action("datagovernance_dataset_validate", format="ttl", rdf="""
        @prefix dcat: <http://www.w3.org/ns/dcat#> .
        <https://example.org/ds/1> a dcat:Dataset .""")
    paths = {i["path"] for i in report["violations"]}
    assert {"dct:title", "dct:description", "dct:publisher"} <= paths


def _token(user: dict) -> dict[str, str]:
    token = call_action("api_token_create", {"user": user["name"]}, user=user["name"], name="v")["token"]
    return {"Authorization": token}


def test_action_needs_login_id_and_read_access(dcat_catalog, app):
    with pytest.raises(tk.ValidationError):
        call_action("datagovernance_dataset_validate")
    url = "/api/3/action/datagovernance_dataset_validate"
    # anonymous callers validate nothing, neither a dataset nor their own RDF
    app.get(url, query_string={"id": dcat_catalog["public"]["id"]}, status=403)
    app.post(url, json={"rdf": "<urn:a> <urn:b> <urn:c> ."}, status=403)
    staff = _token(dcat_catalog["sysadmin"])
    ok = app.get(url, query_string={"id": dcat_catalog["public"]["id"]}, headers=staff)
    assert ok.json["result"]["conforms"] is True


def test_hidden_dataset_answers_like_a_missing_one(dcat_catalog, app):
    plain = call_action("user_create", name="validate-plain", email="vp@example.org", password="Passwort-12345")
    headers = _token(plain)
    url = "/api/3/action/datagovernance_dataset_validate"
    missing = app.get(url, query_string={"id": "gibt-es-nicht"}, headers=headers, status=404)
    # restricted: only the organisation's members and the governance roles read it
    hidden = app.get(url, query_string={"id": dcat_catalog["restricted"]["id"]}, headers=headers, status=404)
    assert hidden.json["error"] == missing.json["error"]
    assert dcat_catalog["restricted"]["id"] not in hidden.body


def test_caller_rdf_never_reaches_the_network(dcat_catalog):
    """A JSON-LD @context naming a URL would make rdflib fetch it (SSRF): it
    is refused before parsing, and the listening server sees no request."""
    import http.server
    import threading

    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.end_headers()
            self.wfile.write(b'{"@context": {}}')

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/context.jsonld"
        for document in ({"@context": url, "@id": "urn:x", "title": "t"},
                         {"@context": [url], "@id": "urn:x"},
                         {"@graph": [{"@context": {"@import": url}, "@id": "urn:y"}]}):
            with pytest.raises(tk.ValidationError) as exc:
                call_action("datagovernance_dataset_validate", rdf=json.dumps(document), format="jsonld")
            assert "@context" in exc.value.error_dict["rdf"][0]
        xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "' + url + '">]>'
               '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&e;</rdf:RDF>')
        with pytest.raises(tk.ValidationError) as exc:
            call_action("datagovernance_dataset_validate", rdf=xxe, format="rdf")
        assert "DOCTYPE" in exc.value.error_dict["rdf"][0]
    finally:
        server.shutdown()
    assert seen == []
    # an embedded context is fine
    report = call_action("datagovernance_dataset_validate", format="jsonld", rdf=json.dumps(
        {"@context": {"dcat": "http://www.w3.org/ns/dcat#"}, "@id": "urn:x", "@type": "dcat:Dataset"}))
    assert report["conforms"] is False


@pytest.mark.ckan_config("ckanext.datagovernance.dcat.validate.max_bytes", 200)
def test_caller_rdf_is_capped(dcat_catalog):
    big = "".join(f"<urn:s{i}> <urn:p> <urn:o> .\n" for i in range(50))
    with pytest.raises(tk.ValidationError) as exc:
        call_action("datagovernance_dataset_validate", rdf=big, format="ttl")
    assert "200" in exc.value.error_dict["rdf"][0]


@pytest.mark.ckan_config("ckanext.datagovernance.dcat.validate.timeout", 0)
def test_caller_rdf_validation_is_bounded_in_time(dcat_catalog):
    with pytest.raises(tk.ValidationError) as exc:
        call_action("datagovernance_dataset_validate", format="ttl", rdf="""
            @prefix dcat: <http://www.w3.org/ns/dcat#> .
            <https://example.org/ds/1> a dcat:Dataset .""")
    assert "0 s" in exc.value.error_dict["rdf"][0]


def test_bad_input_names_the_field(dcat_catalog):
    ctx = {"user": dcat_catalog["sysadmin"]["name"]}
    org = dcat_catalog["org"]
    with pytest.raises(tk.ValidationError) as exc:
        call_action("package_create", ctx, **dataset_fields(
            org, "falsche-hvd", hvd_category=["http://data.europa.eu/bna/c_nonsense"]))
    assert "hvd_category" in exc.value.error_dict
    with pytest.raises(tk.ValidationError) as exc:
        call_action("package_create", ctx, **dataset_fields(org, "falsche-lizenz",
                                                            license_id="meine-lizenz"))
    assert "license_id" in exc.value.error_dict
    with pytest.raises(tk.ObjectNotFound):
        call_action("package_show", id="falsche-lizenz")


def test_cli_registered_and_exit_codes(dcat_catalog, cli):
    assert "validate" in catalog_cli.datagovernance.commands
    ok = cli.invoke(catalog_cli.datagovernance, ["validate"])
    assert ok.exit_code == 0, ok.output
    assert "violations: 0" in ok.output
    one = cli.invoke(catalog_cli.datagovernance,
                     ["validate", "--dataset", "hvd-gebaeude", "--json"])
    assert one.exit_code == 0 and json.loads(one.output)["violations"] == 0

    ctx = {"user": dcat_catalog["sysadmin"]["name"]}
    bad = publish(dcat_catalog["sysadmin"], call_action(
        "package_create", ctx, **dataset_fields(dcat_catalog["org"], "ohne-lizenz",
                                                license_id="")))
    failed = cli.invoke(catalog_cli.datagovernance, ["validate", "--lang", "en"])
    assert failed.exit_code == 1
    assert "ohne-lizenz: FAILED" in failed.output and "licence" in failed.output
    call_action("package_delete", ctx, id=bad["id"])


def test_reports_are_kept_by_what_they_are_built_from(dcat_catalog):
    """The task list asks every publication candidate's report on each view:
    reports are kept in Redis under a digest of the dataset, its organisation,
    the DCAT settings, the code and the shapes, so a kept report is always the
    report of what is there now."""
    from ckan.lib.redis import connect_to_redis

    from ckanext.datagovernance.dcat import page

    redis = connect_to_redis()
    pkg = call_action("package_show", id=dcat_catalog["public"]["id"])
    first = validation.validate_dataset_dict(pkg)
    orgs = page.organizations([pkg])
    key = page.report_key(pkg, orgs, validation._shapes_digest())
    assert redis.exists(key)
    assert validation.validate_dataset_dict(pkg) == first  # the kept report, the same as computed
    # the dataset changes: another key, and the new report names the missing licence
    changed = {**pkg, "license_id": None, "resources": [{**r, "license": None} for r in pkg["resources"]]}
    assert page.report_key(changed, orgs, validation._shapes_digest()) != key
    assert any(i["path"] == "dct:license" for i in validation.validate_dataset_dict(changed)["violations"])
    assert not any(i["path"] == "dct:license" for i in validation.validate_dataset_dict(pkg)["violations"])
    # the organisation's fields, the shapes and the settings are part of the key too
    [org_id] = orgs
    renamed = {org_id: {**orgs[org_id], "title": "Anderes Amt"}}
    assert page.report_key(pkg, renamed, validation._shapes_digest()) != key
    assert page.report_key(pkg, orgs, "other shapes") != key
    base_uri = tk.config["ckanext.dcat.base_uri"]
    tk.config["ckanext.dcat.base_uri"] = "https://anders.example"
    try:
        assert page.report_key(pkg, orgs, validation._shapes_digest()) != key
    finally:
        tk.config["ckanext.dcat.base_uri"] = base_uri


@pytest.mark.ckan_config("ckanext.datagovernance.dcat.cache_ttl", "0")
def test_without_the_cache_every_report_is_computed(dcat_catalog):
    from ckan.lib.redis import connect_to_redis

    from ckanext.datagovernance.dcat import page

    pkg = call_action("package_show", id=dcat_catalog["hvd"]["id"])
    assert validation.validate_dataset_dict(pkg)["conforms"] is True
    key = page.report_key(pkg, page.organizations([pkg]), validation._shapes_digest())
    assert not connect_to_redis().exists(key)
