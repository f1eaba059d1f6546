"""Schema validation: good and bad values for every vocabulary field."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import call_action

from ckanext.datagovernance.catalog import vocab as v

from .conftest import THEME, create, create_error, unique

pytestmark = pytest.mark.usefixtures("with_plugins")

EU = "http://publications.europa.eu/resource/authority/"
GEO = "http://dcat-ap.de/def/politicalGeocoding/"

# field, good input, stored value, bad input, an allowed value the error names
SINGLE = [
    ("frequency", "monthly", EU + "frequency/MONTHLY", "every-now-and-then", "MONTHLY"),
    ("publisher_type", "LocalAuthority", "http://purl.org/adms/publishertype/LocalAuthority",
     "Mayor", "LocalAuthority"),
    ("political_geocoding_level", "municipality", GEO + "Level/municipality", "city",
     "municipality"),
    ("access_class", "Confidential", "confidential", "secret", "restricted"),
    ("personal_data", "pseudonymised", "pseudonymised", "maybe", "anonymised"),
    ("reason_not_open", "trade_secret", "trade_secret", "lazy", "third_party_rights"),
]
MULTIPLE = [
    ("theme", ["envi", THEME + "TRAN"], [THEME + "ENVI", THEME + "TRAN"], ["ENVIRONMENT"], "ENVI"),
    ("language", "DEU, eng", [EU + "language/DEU", EU + "language/ENG"], ["german"], "DEU"),
    ("hvd_category", ["c_60182062"], ["http://data.europa.eu/bna/c_60182062"], ["buildings"],
     "c_ac64a52d"),
]


def _extra_fields(field: str, value) -> dict:
    # personal data needs its details, so good values stay valid
    if field == "personal_data":
        return {"personal_data_legal_basis": "Art. 6 DSGVO", "retention_period": "1 Jahr"}
    return {}


@pytest.mark.parametrize("field,good,stored,bad,allowed", SINGLE + MULTIPLE)
def test_vocabulary_field_good_value_is_normalised(catalog, field, good, stored, bad, allowed):
    dataset = create(catalog, **{field: good}, **_extra_fields(field, good))
    assert dataset[field] == stored


@pytest.mark.parametrize("field,good,stored,bad,allowed", SINGLE + MULTIPLE)
def test_vocabulary_field_bad_value_names_allowed_values(catalog, field, good, stored, bad,
                                                         allowed):
    errors = create_error(catalog, **{field: bad})
    assert list(errors) == [field]
    message = " ".join(errors[field])
    assert "is not allowed" in message and allowed in message


def test_hvd_category_must_be_most_specific(catalog):
    errors = create_error(catalog, hvd_category=["http://data.europa.eu/bna/c_ac64a52d"])
    message = errors["hvd_category"][0]
    assert "most specific" in message and "c_60182062" in message


def test_hvd_adds_applicable_legislation(catalog):
    dataset = create(catalog, hvd_category=["c_4b74ea13"],
                     applicable_legislation=["http://data.europa.eu/eli/dir/2007/2/oj"])
    assert dataset["applicable_legislation"] == [
        "http://data.europa.eu/eli/dir/2007/2/oj", v.HVD_LEGISLATION]
    assert "applicable_legislation" in create_error(catalog, applicable_legislation=["not an iri"])


def test_hvd_full_scheme_is_shipped():
    hvd = v.get_vocabulary("hvd-category")
    top = [c for c in hvd.concepts if not c["broader"]]
    assert len(top) == 6 and len(hvd.concepts) > 90
    assert hvd.top_concept("c_60182062")["code"] == "c_ac64a52d"


def test_political_geocoding_key(catalog):
    dataset = create(catalog, political_geocoding_level="municipality",
                     political_geocoding_uri="064130000000")
    assert dataset["political_geocoding_uri"] == GEO + "regionalKey/064130000000"
    district = create(catalog, political_geocoding_uri=GEO + "districtKey/06532")
    assert district["political_geocoding_uri"] == GEO + "districtKey/06532"
    assert "political_geocoding_uri" in create_error(catalog, political_geocoding_uri="Offenbach")
    errors = create_error(catalog, political_geocoding_level="state",
                          political_geocoding_uri="064130000000")
    assert "municipality" in errors["political_geocoding_uri"][0]


def test_access_rights_derived_from_access_class(catalog):
    dataset = create(catalog, access_class="public", access_rights=EU + "access-right/SENSITIVE")
    assert dataset["access_rights"] == EU + "access-right/PUBLIC"
    assert create(catalog)["access_rights"] == EU + "access-right/NON_PUBLIC"


def test_minimal_inventory_entry_defaults(catalog):
    data = {"name": unique(), "owner_org": catalog["org"]["id"]}
    dataset = call_action("package_create", {"user": catalog["sysadmin"]["name"]}, **data)
    assert dataset["title"] == data["name"]
    assert dataset["access_class"] == "internal"
    assert dataset["workflow_state"] == "draft"
    assert "personal_data" not in dataset  # not yet classified


def test_personal_data_needs_legal_basis_and_retention(catalog):
    errors = create_error(catalog, personal_data="personal")
    assert set(errors) == {"personal_data_legal_basis", "retention_period"}
    dataset = create(catalog, personal_data="personal", personal_data_legal_basis="§ 34 BMG",
                     deletion_date="2030-12-31")
    assert dataset["deletion_date"] == "2030-12-31"


def test_master_data_needs_quality_standard(catalog):
    assert "quality_standard" in create_error(catalog, master_data=True)
    dataset = create(catalog, master_data="true", quality_standard="XPlanung 6.0")
    assert dataset["master_data"] is True


def test_contact_point_needs_email_or_url(catalog):
    assert "contact_email" in create_error(catalog, contact_name="Team Open Data")
    assert "contact_email" in create_error(catalog, contact_email="no-mail")
    assert "contact_url" in create_error(catalog, contact_url="ftp://x")
    create(catalog, contact_name="Team Open Data", contact_url="https://www.offenbach.de")


def test_temporal_coverage_order(catalog):
    errors = create_error(catalog, temporal_start="2025-01-01", temporal_end="2024-01-01")
    assert "temporal_end" in errors


def test_license_from_dcat_ap_de_list(catalog):
    dataset = create(catalog, license_id="dl-by-de/2.0")
    assert dataset["license_url"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert dataset["isopen"] is True
    message = create_error(catalog, license_id="cc-by-4.0")["license_id"][0]
    assert "dl-zero-de/2.0" in message
    # IRIs, CKAN default ids and dcat-ap.de 1.0 ids are upgraded
    assert create(catalog, license_id="odc-odbl")["license_id"] == "odbl"
    assert create(catalog, license_id="dl-by-de/2_0")["license_id"] == "dl-by-de/2.0"
    assert create(catalog, license_id="http://dcat-ap.de/def/licenses/cc-zero")["license_id"] == "cc-zero"


def test_domain_and_data_owner(catalog):
    dataset = create(catalog, domain=catalog["sub"]["id"], data_owner=catalog["owner"]["name"])
    assert dataset["domain"] == "gebaeudedaten-standorte"
    assert dataset["data_owner"] == catalog["owner"]["name"]
    assert "domain" in create_error(catalog, domain="test-amt")  # an organisation
    assert "data_owner" in create_error(catalog, data_owner="nobody-here")


def test_workflow_state_is_read_only(catalog):
    dataset = create(catalog)
    assert dataset["workflow_state"] == "draft"
    assert "workflow_state" in create_error(catalog, workflow_state="published")
    context = {"user": catalog["sysadmin"]["name"]}
    with pytest.raises(tk.ValidationError):
        call_action("package_patch", context, id=dataset["id"], workflow_state="published")
    patched = call_action("package_patch", context, id=dataset["id"], title="Neu")
    assert patched["workflow_state"] == "draft"
    moved = call_action("package_patch", dict(context, datagovernance_workflow_transition=True),
                        id=dataset["id"], workflow_state="in_review")
    assert moved["workflow_state"] == "in_review"
    assert call_action("package_patch", context, id=dataset["id"],
                       notes="x")["workflow_state"] == "in_review"


def test_resource_fields(catalog):
    dataset = create(catalog, license_id="cc-by/4.0", resources=[
        {"url": "https://x.example/a.csv", "format": "text/csv", "size": "1024",
         "access_services": [{"title": "API", "endpoint_url": "https://x.example/api",
                              "documentation": "https://x.example/doc"}]},
        {"url": "https://x.example/wms", "format": "WMS_SRVC", "mimetype": "application/xml",
         "license": "dl-zero-de/2.0"},
        {"url": "https://x.example/b.pdf", "format": "PDF"},
    ])
    csv, wms, pdf = dataset["resources"]
    assert pdf["mimetype"] == "application/pdf"  # the EU list says "application/pdf;type=pdf1x"
    assert (csv["format"], csv["mimetype"], csv["size"]) == ("CSV", "text/csv", 1024)
    assert csv["access_services"][0]["endpoint_url"] == ["https://x.example/api"]
    assert (wms["format"], wms["license"]) == ("WMS_SRVC", "dl-zero-de/2.0")
    for bad in ({"format": "EXCEL-ISH"}, {"license": "cc-by-4.0"}, {"mimetype": "csv"},
                {"size": "-3"}, {"access_services": [{"endpoint_url": "not a url"}]}):
        errors = create_error(catalog, resources=[dict({"url": "https://x.example/a"}, **bad)])
        assert list(errors) == ["resources"], errors
        assert list(errors["resources"][0]) == list(bad)
    message = create_error(catalog, resources=[{"url": "https://x", "format": "EXCEL-ISH"}])
    assert "CSV" in message["resources"][0]["format"][0]


def test_geodataset_extends_base_schema(catalog):
    schema = call_action("scheming_dataset_schema_show", type="geodataset")
    base = call_action("scheming_dataset_schema_show", type="dataset")
    geo_names = [f["field_name"] for f in schema["dataset_fields"]]
    base_names = [f["field_name"] for f in base["dataset_fields"]]
    assert [n for n in geo_names if n in base_names] == base_names
    assert {"reference_system", "scale_denominator", "inspire_theme", "service_type"} <= set(geo_names)
    dataset = create(catalog, type="geodataset", reference_system="EPSG:25832",
                     scale_denominator="1000", inspire_theme=["bu"], service_type="WMS, WFS",
                     theme=["REGI"])
    assert dataset["reference_system"] == "http://www.opengis.net/def/crs/EPSG/0/25832"
    assert dataset["inspire_theme"] == ["http://inspire.ec.europa.eu/theme/bu"]
    assert dataset["service_type"] == ["WMS", "WFS"]
    assert dataset["theme"] == [THEME + "REGI"]
    errors = create_error(catalog, type="geodataset", reference_system="EPSG:9999",
                          inspire_theme=["houses"], service_type=["FTP"])
    assert set(errors) == {"reference_system", "inspire_theme", "service_type"}
    assert "reference_system" in create_error(catalog, type="geodataset")


def test_organization_schema(catalog):
    org = catalog["org"]
    assert org["political_geocoding_uri"] == GEO + "regionalKey/064130000000"
    assert org["contributor_id"] == "http://dcat-ap.de/def/contributors/hessen"
    assert org["publisher_type"] == "http://purl.org/adms/publishertype/LocalAuthority"
    context = {"user": catalog["sysadmin"]["name"]}
    with pytest.raises(tk.ValidationError) as exc:
        call_action("organization_create", context, name="bad-org",
                    contributor_id="http://dcat-ap.de/def/contributors/offenbach",
                    publisher_type="Mayor")
    assert set(exc.value.error_dict) == {"contributor_id", "publisher_type"}
    local = call_action("organization_create", context, name="local-org",
                        contributor_id="https://opendata.offenbach.example/def/contributors/amt60")
    assert local["contributor_id"].startswith("https://opendata.offenbach")


def test_domain_group_schema(catalog):
    assert catalog["sub"]["parent_domain"] == "gebaeudedaten"
    context = {"user": catalog["sysadmin"]["name"]}
    for parent in ("test-amt", "unknown-domain"):
        with pytest.raises(tk.ValidationError) as exc:
            call_action("group_create", context, name=unique("dom"), type="domain",
                        parent_domain=parent)
        assert list(exc.value.error_dict) == ["parent_domain"]
    with pytest.raises(tk.ValidationError):  # a cycle
        call_action("group_patch", context, id="gebaeudedaten",
                    parent_domain="gebaeudedaten-standorte")
