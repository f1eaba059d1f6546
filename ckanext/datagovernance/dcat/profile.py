"""``dcat_ap_de``: DCAT-AP.de 3.0 + DCAT-AP HVD on top of ckanext-dcat's
``euro_dcat_ap_3`` (``ckan.rdf.profiles = euro_dcat_ap_3 dcat_ap_de``).

The parent profile builds the DCAT-AP 3 graph from a copy of the dataset
without internal fields and without the fields this profile owns; this
profile then adds what DCAT-AP.de, GovData and HVD expect: IRIs (not
literals) for format, media type, language, themes, frequency, access rights
and licence, exactly one ``dct:license`` per distribution, contributor ID,
political geocoding, publisher and contact point, HVD properties and the API
as ``dcat:DataService`` (also under the catalog's ``dcat:service``).
``parse_dataset`` maps DCAT-AP.de back onto the datagovernance schema.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import json
import re
import weakref
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.dcat.profiles import DCAT, DCATAP, DCT, FOAF, VCARD
from ckanext.dcat.profiles.euro_dcat_ap_3 import EuropeanDCATAP3Profile
from ckanext.dcat.utils import catalog_uri, resource_uri
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from ckanext.datagovernance.catalog import access
from ckanext.datagovernance.catalog import vocab as v

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
GEODCATAP = Namespace("http://data.europa.eu/930/")

LICENSE_BASE = "http://dcat-ap.de/def/licenses/"
IANA_BASE = "https://www.iana.org/assignments/media-types/"
FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"
LANG_DEU = "http://publications.europa.eu/resource/authority/language/DEU"
THEME_SCHEME = "http://publications.europa.eu/resource/authority/data-theme"
LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"
KEY_BASE = "http://dcat-ap.de/def/politicalGeocoding/"
# a timestamp as CKAN writes it (no zone): datetime.fromisoformat reads it
_CKAN_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\Z")
# IANA types for EU file types whose NAL entry names none
MEDIA_TYPE_FALLBACK = {"JSON": "application/json"}

# Fields this profile writes itself; the parent profile never sees them.
OWN_DATASET_FIELDS = (
    "language", "frequency", "theme", "access_rights", "contact_name", "contact_email",
    "contact_url", "contact", "publisher", "publisher_name", "publisher_uri",
    "publisher_type", "hvd_category", "applicable_legislation", "identifier",
    "political_geocoding_uri", "political_geocoding_level", "spatial_uri",
    "spatial_resolution_in_meters",
)
OWN_RESOURCE_FIELDS = (
    "format", "mimetype", "license", "access_services", "applicable_legislation",
    "rights", "status",
)

# Set by the feeds: the contributor ID of the target portal (None: per organisation).
target_contributor: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "datagovernance_dcat_target_contributor", default=None
)
# Set by a catalog page (page.py): the fields of the page's organisations,
# read with one query for all its datasets.
page_organizations: contextvars.ContextVar[dict[str, dict[str, Any]] | None] = contextvars.ContextVar(
    "datagovernance_dcat_page_organizations", default=None
)
# Set by the HVD feed (kept for callers; licences of HVD datasets are typed
# dct:LicenseDocument in every feed, see _distributions_de).
hvd_feed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "datagovernance_dcat_hvd_feed", default=False
)


def deprecated_enabled() -> bool:
    return bool(tk.config.get("ckanext.datagovernance.dcat.deprecated_properties"))


def organization_id(dataset_dict: dict[str, Any]) -> str | None:
    return dataset_dict.get("owner_org") or (dataset_dict.get("organization") or {}).get("id")


def group_fields(group: model.Group) -> dict[str, Any]:
    return {"title": group.title, "name": group.name, **(group.extras or {})}


def organization_fields(dataset_dict: dict[str, Any]) -> dict[str, Any]:
    """Title and schema fields (extras) of the dataset's organisation."""
    org_id = organization_id(dataset_dict)
    if not org_id:
        return {}
    page = page_organizations.get()
    if page is not None and org_id in page:
        return page[org_id]
    group = model.Group.get(org_id)
    if group is None:
        return {}
    return group_fields(group)


# organisation fields per graph, i.e. per serialisation: a feed page asks for
# the same few organisations a hundred times (one query each otherwise)
_graph_orgs: weakref.WeakKeyDictionary[Any, dict[Any, dict[str, Any]]] = weakref.WeakKeyDictionary()


def contributor_id(dataset_dict: dict[str, Any], org: dict[str, Any] | None = None) -> str:
    override = target_contributor.get()
    if override:
        return override
    org = organization_fields(dataset_dict) if org is None else org
    return (org.get("contributor_id")
            or tk.config.get("ckanext.datagovernance.dcat.contributor_id") or "")


def license_info(license_id: str | None) -> dict[str, Any] | None:
    """The licence of the shipped dcat-ap.de list (by id or IRI)."""
    if not license_id:
        return None
    text = str(license_id).strip()
    if text.startswith(LICENSE_BASE):
        text = text[len(LICENSE_BASE):]
    for lic in v.get_licenses():
        if lic["id"] == text:
            return lic
    return None


def needs_attribution(license_id: str) -> bool:
    head = license_id.split("/")[0]
    return "by" in head.split("-")


def _list(value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return [str(x) for x in json.loads(text) if x]
            except ValueError:
                pass
        return [text] if text else []
    return [str(x) for x in value if x]


def _decimal(value: Any) -> str | None:
    """A number as a plain decimal string (no float artefacts), or None."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return _plain(number) if number.is_finite() else None


def _plain(number: Any) -> str:
    text = format(Decimal(str(number)).normalize(), "f")
    return text


def dataset_page(name: str) -> str:
    return f"{str(tk.config.get('ckan.site_url') or catalog_uri()).rstrip('/')}/dataset/{name}"


def is_direct_file(res: dict[str, Any], concept: dict[str, Any] | None) -> bool:
    """An upload, or a link whose path ends in a file extension of its format
    (not a service endpoint): GovData offers it as dcat:downloadURL."""
    if res.get("url_type") == "upload":
        return True
    if not concept or str(concept.get("code") or "").endswith("_SRVC"):
        return False
    path = urlparse(str(res.get("url") or "")).path.lower()
    return any(path.endswith("." + ext) for ext in concept.get("extensions") or [])


def is_hvd(dataset_dict: dict[str, Any]) -> bool:
    return bool(_list(dataset_dict.get("hvd_category")))


class DcatApDeProfile(EuropeanDCATAP3Profile):
    """DCAT-AP.de 3.0 and DCAT-AP HVD 3.0 for the datagovernance schema."""

    # ------------------------------------------------------------------ output
    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        # new dicts for what gets changed (top level, extras, resources) and
        # no deep copies (~7 % of a feed page): neither this profile nor the
        # parent's output path changes nested values, only keys of the
        # resource dicts, which are new dicts here
        full = access.strip_internal(dict(dataset_dict))
        reduced = {k: v for k, v in full.items() if k not in OWN_DATASET_FIELDS}
        reduced["extras"] = [
            e for e in reduced.get("extras") or []
            if isinstance(e, dict) and e.get("key") not in OWN_DATASET_FIELDS
        ]
        if reduced.get("resources"):
            reduced["resources"] = [
                {k: v for k, v in res.items() if k not in OWN_RESOURCE_FIELDS}
                for res in reduced["resources"]
            ]
        # a profile earlier in the chain may have written the parent output
        # already: this profile owns the dataset's triples.
        self._remove_subject(dataset_ref)
        super().graph_from_dataset(reduced, dataset_ref)
        self._dataset_de(full, dataset_ref)

    def _add_date_triple(self, subject: Any, predicate: Any, value: Any, _type: Any = Literal) -> None:
        # CKAN's own timestamps (naive ISO 8601, e.g. metadata_modified) without
        # dateutil, which took a fifth of the parent's graph time; the same
        # literal as the parent's parse(value).isoformat()
        if isinstance(value, str) and _CKAN_TIMESTAMP.match(value):
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:  # e.g. month 13: the parent's literal fallback
                parsed = None
            if parsed is not None:
                self.g.add((subject, predicate, _type(parsed.isoformat(), datatype=XSD.dateTime)))
                return
        super()._add_date_triple(subject, predicate, value, _type)

    def _organization(self, d: dict[str, Any]) -> dict[str, Any]:
        cache = _graph_orgs.setdefault(self.g, {})
        key = organization_id(d)
        if key not in cache:
            cache[key] = organization_fields(d)
        return cache[key]

    def _remove_subject(self, ref: Any) -> None:
        """Remove what an earlier profile of the chain wrote about ``ref`` and
        the nodes only it reaches (agents, distributions, services, literals
        used as licences), keeping nodes other resources share."""
        g = self.g
        closure: set[Any] = set()
        todo = [ref]
        while todo:
            node = todo.pop()
            for obj in g.objects(node, None):
                if obj in closure or obj == ref:
                    continue
                if (obj, RDF.type, DCAT.Dataset) in g or (obj, RDF.type, DCAT.Catalog) in g:
                    continue
                closure.add(obj)
                todo.append(obj)
        owned = {ref} | closure
        for node in closure:
            if any(subj not in owned for subj in g.subjects(None, node)):
                continue
            for triple in list(g.triples((node, None, None))):
                g.remove(triple)
        for triple in list(g.triples((ref, None, None))):
            g.remove(triple)

    def _remove(self, subject: Any, predicate: Any) -> None:
        g = self.g
        for obj in list(g.objects(subject, predicate)):
            g.remove((subject, predicate, obj))
            if isinstance(obj, BNode):
                self._remove_subject(obj)
            elif (obj, RDF.type, FOAF.Agent) in g and next(g.subjects(None, obj), None) is None:
                # e.g. the organisation agent the parent profile wrote: an
                # agent nothing references any more is dropped
                self._remove_subject(obj)

    def _dataset_de(self, d: dict[str, Any], ref: URIRef) -> None:
        g = self.g
        for prefix, ns in (("dcatde", DCATDE), ("dcatap", DCATAP), ("eli", ELI)):
            g.bind(prefix, ns)
        org = self._organization(d)
        hvd = is_hvd(d)

        # stable identifier: the dataset URI (base_uri + id), never regenerated
        self._remove(ref, DCT.identifier)
        g.add((ref, DCT.identifier, Literal(str(ref))))
        # the dataset's page in this catalog (recommended by the Konventionen)
        if not list(g.objects(ref, DCAT.landingPage)) and d.get("name"):
            page = URIRef(dataset_page(d["name"]))
            g.add((ref, DCAT.landingPage, page))
            g.add((page, RDF.type, FOAF.Document))
        # titles and descriptions in German
        for pred in (DCT.title, DCT.description):
            for obj in list(g.objects(ref, pred)):
                if isinstance(obj, Literal) and not obj.language:
                    g.remove((ref, pred, obj))
                    g.add((ref, pred, Literal(str(obj), lang="de")))
        if not d.get("notes"):
            g.add((ref, DCT.description, Literal(d.get("title") or d.get("name"), lang="de")))

        for lang in _list(d.get("language")) or [LANG_DEU]:
            g.add((ref, DCT.language, URIRef(lang)))
        for theme in _list(d.get("theme")):
            g.add((ref, DCAT.theme, URIRef(theme)))
        if d.get("frequency"):
            g.add((ref, DCT.accrualPeriodicity, URIRef(d["frequency"])))
        if d.get("access_rights"):
            g.add((ref, DCT.accessRights, URIRef(d["access_rights"])))

        publisher = self._publisher(d, org)
        self._remove(ref, DCT.publisher)
        g.add((ref, DCT.publisher, publisher))
        contact = self._contact(d, org)
        self._remove(ref, DCAT.contactPoint)
        if contact is not None:
            g.add((ref, DCAT.contactPoint, contact))
            if deprecated_enabled():
                # ckanext-dcatde fills GovData's maintainer ("Ansprechpartner")
                # only from dcatde:maintainer, not from dcat:contactPoint
                g.add((ref, DCATDE.maintainer, self._maintainer(contact, d, org)))

        contributor = contributor_id(d, org)
        if contributor:
            g.add((ref, DCATDE.contributorID, URIRef(contributor)))

        key = d.get("political_geocoding_uri") or org.get("political_geocoding_uri")
        level = d.get("political_geocoding_level") or org.get("political_geocoding_level")
        if not level and key:
            concept = v.get_vocabulary("political-geocoding-key").get(key)
            level = (concept or {}).get("level")
        if key:
            self._remove(ref, DCT.spatial)
            g.add((ref, DCT.spatial, URIRef(key)))
            # a geocoding key IRI is a place (range of dct:spatial)
            g.add((URIRef(key), RDF.type, DCT.Location))
            if deprecated_enabled():
                g.add((ref, DCATDE.politicalGeocodingURI, URIRef(key)))
        if level:
            g.add((ref, DCATDE.politicalGeocodingLevelURI, URIRef(level)))
        if d.get("legal_basis") and deprecated_enabled():
            g.add((ref, DCATDE.legalBasis, Literal(d["legal_basis"], lang="de")))

        legislation = _list(d.get("applicable_legislation"))
        if hvd and v.HVD_LEGISLATION not in legislation:
            legislation.append(v.HVD_LEGISLATION)
        self._legislation(ref, legislation)
        for category in _list(d.get("hvd_category")):
            g.add((ref, DCATAP.hvdCategory, URIRef(category)))

        self._geodata(d, ref)
        self._distributions_de(d, ref, publisher, contact, legislation if hvd else [])
        if not d.get("resources"):
            # no distribution to carry it: the licence stays on the dataset
            # (dct:license applies to any dcat:Resource in DCAT 3)
            lic = license_info(d.get("license_id"))
            if lic:
                g.add((ref, DCT.license, URIRef(lic["url"])))

    def _geodata(self, d: dict[str, Any], ref: URIRef) -> None:
        """Geodata fields as GeoDCAT-AP/DCAT-AP.de write them: reference
        system and quality standard as dct:conformsTo, scale and resolution
        as spatial resolution, INSPIRE themes as dct:subject (dcat:theme is
        reserved for the EU data themes in DCAT-AP.de)."""
        g = self.g
        g.bind("dqv", DQV)
        g.bind("geodcatap", GEODCATAP)
        crs = d.get("reference_system")
        if crs:
            concept = v.get_vocabulary("reference-system").get(crs)
            iri = concept["value"] if concept else str(crs)
            if iri.startswith(("http://", "https://")):
                node = URIRef(iri)
                g.add((ref, DCT.conformsTo, node))
                g.add((node, RDF.type, DCT.Standard))
                if concept:
                    g.add((node, RDFS.label, Literal(
                        v.get_vocabulary("reference-system").label(iri, "de"), lang="de")))
        standard = d.get("quality_standard")
        if standard:
            # an IRI of its own (the DCAT-AP.de 2.0 Konventionen warn about a
            # blank node); stable because it hangs off the dataset URI
            node = URIRef(f"{ref}#quality-standard")
            g.add((ref, DCT.conformsTo, node))
            g.add((node, RDF.type, DCT.Standard))
            g.add((node, DCT.title, Literal(str(standard), lang="de")))
        meters = _decimal(d.get("spatial_resolution_in_meters"))
        if meters is not None:
            g.add((ref, DCAT.spatialResolutionInMeters, Literal(meters, datatype=XSD.decimal)))
        scale = _decimal(d.get("scale_denominator"))
        if scale:
            measurement = BNode()
            g.add((ref, DQV.hasQualityMeasurement, measurement))
            g.add((measurement, RDF.type, DQV.QualityMeasurement))
            g.add((measurement, DQV.isMeasurementOf, GEODCATAP.spatialResolutionAsScale))
            g.add((measurement, DQV.value, Literal(
                _plain(Decimal(1) / Decimal(scale)), datatype=XSD.decimal)))
            g.add((measurement, RDFS.comment, Literal(f"1:{_plain(scale)}", lang="de")))
        themes = v.get_vocabulary("inspire-theme")
        for value in _list(d.get("inspire_theme")):
            concept = themes.get(value)
            if not concept:
                continue
            node = URIRef(concept["value"])
            g.add((ref, DCT.subject, node))
            g.add((node, RDF.type, SKOS.Concept))
            g.add((node, SKOS.inScheme, URIRef("http://inspire.ec.europa.eu/theme")))
            g.add((node, SKOS.prefLabel, Literal(themes.label(value, "de"), lang="de")))

    def _legislation(self, ref: Any, iris: list[str]) -> None:
        self._remove(ref, DCATAP.applicableLegislation)
        for iri in iris:
            self.g.add((ref, DCATAP.applicableLegislation, URIRef(iri)))
            self.g.add((URIRef(iri), RDF.type, ELI.LegalResource))

    def _publisher(self, d: dict[str, Any], org: dict[str, Any]) -> Any:
        g = self.g
        uri = d.get("publisher_uri") or org.get("publisher_uri")
        agent = URIRef(uri) if uri else BNode()
        g.add((agent, RDF.type, FOAF.Agent))
        g.add((agent, RDF.type, FOAF.Organization))
        name = d.get("publisher_name") or org.get("title") or tk.config.get("ckan.site_title")
        if not list(g.objects(agent, FOAF.name)):
            g.add((agent, FOAF.name, Literal(name, lang="de")))
        kind = d.get("publisher_type") or org.get("publisher_type") or LOCAL_AUTHORITY
        if not list(g.objects(agent, DCT.type)):
            g.add((agent, DCT.type, URIRef(kind)))
        return agent

    def _contact(self, d: dict[str, Any], org: dict[str, Any]) -> Any:
        email = d.get("contact_email") or org.get("email")
        url = d.get("contact_url") or (None if email else org.get("homepage"))
        if not (email or url):
            return None
        g = self.g
        node = BNode()
        g.add((node, RDF.type, VCARD.Organization))
        g.add((node, VCARD.fn, Literal(d.get("contact_name") or org.get("title")
                                       or tk.config.get("ckan.site_title"))))
        if email:
            email = str(email)
            g.add((node, VCARD.hasEmail, URIRef(email if email.startswith("mailto:")
                                                else "mailto:" + email)))
        if url:
            g.add((node, VCARD.hasURL, URIRef(url)))
        return node

    def _maintainer(self, contact: Any, d: dict[str, Any], org: dict[str, Any]) -> BNode:
        """The contact point again as a foaf:Organization (DCAT-AP.de 2.0)."""
        g = self.g
        node = BNode()
        g.add((node, RDF.type, FOAF.Agent))
        g.add((node, RDF.type, FOAF.Organization))
        g.add((node, FOAF.name, Literal(str(g.value(contact, VCARD.fn)), lang="de")))
        for src, pred in ((VCARD.hasEmail, FOAF.mbox), (VCARD.hasURL, FOAF.homepage)):
            for value in g.objects(contact, src):
                g.add((node, pred, value))
        kind = d.get("publisher_type") or org.get("publisher_type") or LOCAL_AUTHORITY
        g.add((node, DCT.type, URIRef(kind)))
        return node

    def _distributions_de(self, d: dict[str, Any], dataset_ref: URIRef, publisher: Any,
                          contact: Any, legislation: list[str]) -> None:
        g = self.g
        file_types = v.get_vocabulary("file-type")
        for res in d.get("resources") or []:
            dist = URIRef(resource_uri(res))
            self._remove(dist, DCT["format"])
            self._remove(dist, DCAT.mediaType)
            self._remove(dist, DCT.license)
            self._remove(dist, DCT.rights)
            self._remove(dist, DCAT.accessService)
            concept = file_types.get(res.get("format"))
            if concept:
                g.add((dist, DCT["format"], URIRef(concept["iri"])))
            mimetype = res.get("mimetype") or (
                (concept or {}).get("media_types") or [None])[0] or MEDIA_TYPE_FALLBACK.get(
                (concept or {}).get("code") or "")
            if mimetype:
                # IANA registry IRIs name type/subtype only: the EU file-type
                # list gives e.g. "application/pdf;type=pdf1x" for PDF
                mimetype = mimetype.split(";")[0].strip()
                g.add((dist, DCAT.mediaType, URIRef(IANA_BASE + mimetype)))
            if not list(g.objects(dist, DCAT.accessURL)) and res.get("url"):
                g.add((dist, DCAT.accessURL, URIRef(res["url"])))
            if res.get("url") and not list(g.objects(dist, DCAT.downloadURL)) and \
                    is_direct_file(res, concept):
                g.add((dist, DCAT.downloadURL, URIRef(res["url"])))
            self._dates(dist)
            lic = license_info(res.get("license") or d.get("license_id"))
            if lic:
                lic_ref = URIRef(lic["url"])
                g.add((dist, DCT.license, lic_ref))
                if legislation:
                    # DCAT-AP HVD: the licence of an HVD distribution is a
                    # dct:LicenseDocument, in every feed
                    g.add((lic_ref, RDF.type, DCT.LicenseDocument))
                if lic.get("eu_licence"):
                    g.add((lic_ref, SKOS.exactMatch, URIRef(lic["eu_licence"])))
                if needs_attribution(lic["id"]):
                    g.add((dist, DCATDE.licenseAttributionByText,
                           Literal(self._attribution(d), lang="de")))
            if res.get("rights"):
                statement = BNode()
                g.add((dist, DCT.rights, statement))
                g.add((statement, RDF.type, DCT.RightsStatement))
                g.add((statement, RDFS.label, Literal(res["rights"], lang="de")))
            if not list(g.objects(dist, DCT.title)) and (res.get("name") or d.get("title")):
                g.add((dist, DCT.title, Literal(res.get("name") or d.get("title"), lang="de")))
            self._legislation(dist, legislation)
            for index, service in enumerate(res.get("access_services") or []):
                svc = self._data_service(d, dataset_ref, dist, index, service, publisher,
                                         contact, legislation, lic)
                g.add((dist, DCAT.accessService, svc))

    def _dates(self, dist: URIRef) -> None:
        """dct:modified never before dct:issued: CKAN's resource "created"
        is set after the dataset's last metadata change it is derived from."""
        g = self.g
        issued = g.value(dist, DCT.issued)
        modified = g.value(dist, DCT.modified)
        if issued is None or modified is None:
            return
        try:
            if modified.toPython() < issued.toPython():
                g.remove((dist, DCT.modified, modified))
                g.add((dist, DCT.modified, issued))
        except TypeError:  # date vs datetime: leave both as they are
            return

    @staticmethod
    def _attribution(d: dict[str, Any]) -> str:
        org = d.get("organization") or {}
        holder = d.get("publisher_name") or org.get("title") or tk.config.get("ckan.site_title")
        year = (d.get("metadata_modified") or str(dt.date.today()))[:4]
        return f"{holder} ({year}): {d.get('title') or d.get('name')}"

    def _data_service(self, d: dict[str, Any], dataset_ref: URIRef, dist: URIRef, index: int,
                      service: dict[str, Any], publisher: Any, contact: Any,
                      legislation: list[str], lic: dict[str, Any] | None) -> URIRef:
        g = self.g
        svc = URIRef(f"{dist}/service/{index + 1}")
        g.add((svc, RDF.type, DCAT.DataService))
        g.add((svc, DCT.title, Literal(service.get("title") or f"API: {d.get('title')}",
                                       lang="de")))
        if service.get("description"):
            g.add((svc, DCT.description, Literal(service["description"], lang="de")))
        for url in _list(service.get("endpoint_url")):
            g.add((svc, DCAT.endpointURL, URIRef(url)))
        if service.get("endpoint_description"):
            g.add((svc, DCAT.endpointDescription, URIRef(service["endpoint_description"])))
        if service.get("documentation"):
            g.add((svc, FOAF.page, URIRef(service["documentation"])))
            g.add((URIRef(service["documentation"]), RDF.type, FOAF.Document))
        g.add((svc, DCAT.servesDataset, dataset_ref))
        # own nodes: RDF/XML (pretty-xml) loses the description of blank
        # nodes that are shared between resources
        org = self._organization(d)
        g.add((svc, DCT.publisher, self._publisher(d, org)))
        service_contact = self._contact(d, org)
        if service_contact is not None:
            g.add((svc, DCAT.contactPoint, service_contact))
        if lic:
            # legal information as a rights statement: typing the dcat-ap.de
            # licence IRI as dct:LicenseDocument (HVD range) clashes with the
            # licence list's literal dct:type in the DCAT-AP.de shapes
            rights = BNode()
            g.add((svc, DCT.rights, rights))
            g.add((rights, RDF.type, DCT.RightsStatement))
            g.add((rights, RDFS.label, Literal(
                f"{lic.get('title') or lic['id']} ({lic['url']})", lang="de")))
        if d.get("access_rights"):
            g.add((svc, DCT.accessRights, URIRef(d["access_rights"])))
        for iri in legislation:
            g.add((svc, DCATAP.applicableLegislation, URIRef(iri)))
        for category in _list(d.get("hvd_category")) if legislation else []:
            g.add((svc, DCATAP.hvdCategory, URIRef(category)))
        catalog_ref = URIRef(catalog_uri())
        if (catalog_ref, RDF.type, DCAT.Catalog) in g:
            g.add((catalog_ref, DCAT.service, svc))
        return svc

    def graph_from_catalog(self, catalog_dict: dict[str, Any] | None, catalog_ref: URIRef) -> None:
        g = self.g
        if (catalog_ref, RDF.type, DCAT.Catalog) not in g:
            super().graph_from_catalog(catalog_dict, catalog_ref)
        for prefix, ns in (("dcatde", DCATDE), ("dcatap", DCATAP)):
            g.bind(prefix, ns)
        for pred in (DCT.title, DCT.description):
            for obj in list(g.objects(catalog_ref, pred)):
                if isinstance(obj, Literal) and not obj.language:
                    g.remove((catalog_ref, pred, obj))
                    g.add((catalog_ref, pred, Literal(str(obj), lang="de")))
        if not list(g.objects(catalog_ref, DCT.description)):
            g.add((catalog_ref, DCT.description,
                   Literal(tk.config.get("ckan.site_description")
                           or tk.config.get("ckan.site_title"), lang="de")))
        self._remove(catalog_ref, DCT.language)
        g.add((catalog_ref, DCT.language, URIRef(LANG_DEU)))
        g.add((catalog_ref, DCAT.themeTaxonomy, URIRef(THEME_SCHEME)))
        spatial = tk.config.get("ckanext.datagovernance.dcat.catalog_spatial")
        if spatial:
            g.add((catalog_ref, DCT.spatial, URIRef(spatial)))
            g.add((URIRef(spatial), RDF.type, DCT.Location))
        self._remove(catalog_ref, DCT.publisher)
        # an IRI, never a blank node: every page of a feed names the same
        # publisher, so the merged pages still have exactly one
        uri = tk.config.get("ckanext.datagovernance.dcat.catalog_publisher_uri")
        agent = URIRef(uri or f"{str(catalog_ref).rstrip('/')}/#publisher")
        g.add((catalog_ref, DCT.publisher, agent))
        g.add((agent, RDF.type, FOAF.Agent))
        g.add((agent, FOAF.name, Literal(
            tk.config.get("ckanext.datagovernance.dcat.catalog_publisher_name")
            or tk.config.get("ckan.site_title"), lang="de")))
        g.add((agent, DCT.type, URIRef(
            tk.config.get("ckanext.datagovernance.dcat.catalog_publisher_type")
            or LOCAL_AUTHORITY)))

    # ------------------------------------------------------------------- input
    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> dict[str, Any]:
        super().parse_dataset(dataset_dict, dataset_ref)
        g = self.g

        def iris(subject: Any, pred: Any) -> list[str]:
            return [str(o) for o in g.objects(subject, pred) if isinstance(o, URIRef)]

        for key, pred in (("theme", DCAT.theme), ("language", DCT.language),
                          ("hvd_category", DCATAP.hvdCategory),
                          ("applicable_legislation", DCATAP.applicableLegislation)):
            values = iris(dataset_ref, pred)
            if values:
                dataset_dict[key] = values
            else:
                dataset_dict.pop(key, None)
        for key, pred in (("frequency", DCT.accrualPeriodicity),
                          ("access_rights", DCT.accessRights)):
            values = iris(dataset_ref, pred)
            if values:
                dataset_dict[key] = values[0]
        # publisher
        for agent in g.objects(dataset_ref, DCT.publisher):
            name = next(iter(g.objects(agent, FOAF.name)), None)
            if name:
                dataset_dict["publisher_name"] = str(name)
            if isinstance(agent, URIRef):
                dataset_dict["publisher_uri"] = str(agent)
            kind = next(iter(iris(agent, DCT.type)), None)
            if kind:
                dataset_dict["publisher_type"] = kind
            break
        # contact point
        for node in g.objects(dataset_ref, DCAT.contactPoint):
            name = next(iter(g.objects(node, VCARD.fn)), None)
            email = next(iter(g.objects(node, VCARD.hasEmail)), None)
            url = next(iter(g.objects(node, VCARD.hasURL)), None)
            if name:
                dataset_dict["contact_name"] = str(name)
            if email:
                dataset_dict["contact_email"] = str(email).removeprefix("mailto:")
            if url:
                dataset_dict["contact_url"] = str(url)
            break
        dataset_dict.pop("contact", None)
        dataset_dict.pop("publisher", None)
        # political geocoding: dcatde property, else a key IRI in dct:spatial
        keys = iris(dataset_ref, DCATDE.politicalGeocodingURI) or [
            s for s in iris(dataset_ref, DCT.spatial) if s.startswith(KEY_BASE)]
        if keys:
            dataset_dict["political_geocoding_uri"] = keys[0]
            if dataset_dict.get("spatial_uri") == keys[0]:
                dataset_dict.pop("spatial_uri")
        level = iris(dataset_ref, DCATDE.politicalGeocodingLevelURI)
        if level:
            dataset_dict["political_geocoding_level"] = level[0]
        contributors = iris(dataset_ref, DCATDE.contributorID)
        if contributors:
            dataset_dict["contributor_id"] = contributors[0]
        legal = next(iter(g.objects(dataset_ref, DCATDE.legalBasis)), None)
        if legal:
            dataset_dict["legal_basis"] = str(legal)

        # geodata fields (see _geodata)
        crs_vocab = v.get_vocabulary("reference-system")
        for node in g.objects(dataset_ref, DCT.conformsTo):
            if isinstance(node, URIRef) and crs_vocab.get(str(node)):
                dataset_dict["reference_system"] = crs_vocab.normalize(str(node))
            elif str(node).endswith("#quality-standard"):
                title = next(iter(g.objects(node, DCT.title)), None)
                if title:
                    dataset_dict["quality_standard"] = str(title)
        inspire = [t for t in iris(dataset_ref, DCT.subject)
                   if v.get_vocabulary("inspire-theme").get(t)]
        if inspire:
            dataset_dict["inspire_theme"] = inspire
        for measurement in g.objects(dataset_ref, DQV.hasQualityMeasurement):
            if (measurement, DQV.isMeasurementOf, GEODCATAP.spatialResolutionAsScale) in g:
                value = _decimal(g.value(measurement, DQV.value))
                if value and Decimal(value) > 0:
                    dataset_dict["scale_denominator"] = int(round(1 / Decimal(value)))
        resolution = _decimal(g.value(dataset_ref, DCAT.spatialResolutionInMeters))
        if resolution is not None:
            dataset_dict["spatial_resolution_in_meters"] = resolution

        # distributions, in the parent's order
        file_types = v.get_vocabulary("file-type")
        licences: list[str] = []
        for res, dist in zip(dataset_dict.get("resources") or [],
                             self._distributions(dataset_ref), strict=False):
            fmt = next(iter(iris(dist, DCT["format"])), None) or res.get("format")
            concept = file_types.get(fmt) if fmt else None
            if concept:
                res["format"] = concept["code"]
            media = next(iter(iris(dist, DCAT.mediaType)), None)
            if media:
                res["mimetype"] = media.removeprefix(IANA_BASE)
            lic = next(iter(iris(dist, DCT.license)), None) or res.get("license")
            info = license_info(lic)
            if info:
                res["license"] = info["id"]
                licences.append(info["id"])
            elif lic:
                res["license"] = lic
            res.pop("applicable_legislation", None)
            services = []
            for svc in g.objects(dist, DCAT.accessService):
                title = next(iter(g.objects(svc, DCT.title)), None)
                desc = next(iter(g.objects(svc, DCT.description)), None)
                endpoint_description = next(iter(iris(svc, DCAT.endpointDescription)), None)
                page = next(iter(iris(svc, FOAF.page)), None)
                services.append({k: val for k, val in {
                    "title": str(title) if title else None,
                    "description": str(desc) if desc else None,
                    "endpoint_url": iris(svc, DCAT.endpointURL),
                    "endpoint_description": endpoint_description,
                    "documentation": page,
                }.items() if val})
            if services:
                res["access_services"] = services
            else:
                res.pop("access_services", None)
        if licences and not dataset_dict.get("license_id"):
            dataset_dict["license_id"] = licences[0]
        if not dataset_dict.get("license_id"):
            own = next(iter(iris(dataset_ref, DCT.license)), None)
            if own:
                dataset_dict["license_id"] = own
        if dataset_dict.get("license_id"):
            info = license_info(dataset_dict["license_id"])
            if info:
                dataset_dict["license_id"] = info["id"]
        return dataset_dict


__all__ = ["DcatApDeProfile", "DCATDE", "XSD"]
