"""Validators of the municipal catalog schema (registered through IValidators).

Vocabulary validators are scheming validators: the field names its vocabulary
in ``datagovernance_vocab`` and the validator normalises what users type (a
code such as ``ENVI``, the full IRI, for file types also ``.csv`` or
``text/csv``) to the stored value. A wrong value is a per-field error that
names the allowed values; CKAN then writes nothing.
"""
from __future__ import annotations

import json
import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey, Validator
from ckanext.scheming.validation import scheming_validator

from . import vocab as v

missing = tk.missing
Invalid = tk.Invalid

# Error messages list at most this many allowed values; the rest is referred
# to the datagovernance_vocabulary_show action.
_MAX_LISTED = 25
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_MEDIA_TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$", re.I)
_KEY_BASE = "http://dcat-ap.de/def/politicalGeocoding/"
_CONTRIBUTOR_BASE = "http://dcat-ap.de/def/contributors/"


def _empty(value: Any) -> bool:
    return value is missing or value is None or value == "" or value == []


def _allowed_text(vocab: v.Vocabulary) -> str:
    shown = [vocab.short(value) for value in vocab.values[:_MAX_LISTED]]
    text = ", ".join(shown)
    rest = len(vocab.values) - len(shown)
    if rest > 0:
        text += " " + tk._(
            "… and {count} more (action datagovernance_vocabulary_show, id={name})"
        ).format(count=rest, name=vocab.name)
    return text


def _not_allowed(value: Any, vocab: v.Vocabulary) -> str:
    return tk._('Value "{value}" is not allowed. Allowed values: {allowed}').format(
        value=value, allowed=_allowed_text(vocab)
    )


def _as_list(value: Any) -> list[Any]:
    """A list from a list, a JSON list string or a comma/newline separated string."""
    if _empty(value):
        return []
    if isinstance(value, (list, tuple)):
        return [x for x in value if not _empty(x)]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                loaded = None
            if isinstance(loaded, list):
                return [x for x in loaded if not _empty(x)]
        return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]
    return [value]


def _vocab_of(field: dict[str, Any]) -> v.Vocabulary:
    return v.get_vocabulary(field["datagovernance_vocab"])


@scheming_validator
def datagovernance_choice(field: dict[str, Any], schema: dict[str, Any]) -> Validator:
    """One value of the field's vocabulary (empty values pass; use
    ``scheming_required``/``not_empty`` before it for required fields)."""
    vocab = _vocab_of(field)

    def validator(value: Any) -> Any:
        if _empty(value):
            return value
        normalized = vocab.normalize(value) if isinstance(value, str) else None
        if normalized is None:
            raise Invalid(_not_allowed(value, vocab))
        return normalized

    return validator


@scheming_validator
def datagovernance_multiple_choice(
    field: dict[str, Any], schema: dict[str, Any]
) -> Validator:
    """Several values of the field's vocabulary, stored as a JSON list (read
    back by ``scheming_multiple_choice_output``)."""
    vocab = _vocab_of(field)
    leaf_only = bool(field.get("datagovernance_most_specific"))

    def validator(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                  context: Context) -> None:
        value = data.get(key, missing)
        items = _as_list(value)
        out: list[str] = []
        for item in items:
            normalized = vocab.normalize(item) if isinstance(item, str) else None
            if normalized is None:
                errors[key].append(_not_allowed(item, vocab))
                continue
            if leaf_only and isinstance(vocab, v.HvdVocabulary) and not vocab.is_leaf(normalized):
                concept = vocab.get(normalized) or {}
                lang = _lang()
                narrower = ", ".join(
                    f"{vocab.short(n)} ({vocab.label(n, lang)})" for n in concept.get("narrower", [])
                )
                errors[key].append(tk._(
                    '"{value}" is a broad category; choose its most specific '
                    "sub-category: {narrower}"
                ).format(value=vocab.label(normalized, lang), narrower=narrower))
                continue
            if normalized not in out:
                out.append(normalized)
        if errors[key]:
            return
        if not out:
            if field.get("required"):
                errors[key].append(tk._("Missing value"))
                return
            data.pop(key, None)
            raise tk.StopOnError
        data[key] = json.dumps(out)

    return validator


def _lang() -> str:
    try:
        lang = tk.h.lang() or "de"
    except Exception:  # outside a request
        lang = tk.config.get("ckan.locale_default") or "de"
    return "de" if str(lang).startswith("de") else "en"


def datagovernance_url(value: Any) -> Any:
    """An absolute http(s) URL."""
    if _empty(value):
        return value
    if not isinstance(value, str) or not _URL_RE.match(value.strip()):
        raise Invalid(tk._('"{value}" is not a valid http(s) URL').format(value=value))
    return value.strip()


def datagovernance_url_list(value: Any) -> Any:
    """A list of absolute http(s) URLs (a single string is accepted)."""
    items = _as_list(value)
    for item in items:
        datagovernance_url(item)
    return [item.strip() for item in items]


def datagovernance_positive_number(value: Any) -> Any:
    """A number greater than zero (decimal point or comma)."""
    if _empty(value):
        return value
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        number = -1.0
    if number <= 0:
        raise Invalid(tk._('"{value}" is not a positive number').format(value=value))
    return number


def datagovernance_applicable_legislation(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """IRIs of legal acts (ELI); the HVD regulation is added automatically when
    the dataset has an HVD category."""
    items = _as_list(data.get(key, missing))
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or not _URL_RE.match(item.strip()):
            errors[key].append(
                tk._('"{value}" is not an IRI of a legal act (e.g. {example})').format(
                    value=item, example=v.HVD_LEGISLATION
                )
            )
            continue
        if item.strip() not in out:
            out.append(item.strip())
    if errors[key]:
        return
    if _as_list(data.get(key[:-1] + ("hvd_category",), missing)) and v.HVD_LEGISLATION not in out:
        out.append(v.HVD_LEGISLATION)
    if out:
        data[key] = json.dumps(out)
    else:
        data.pop(key, None)
        raise tk.StopOnError


def datagovernance_access_rights(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Derived, not user-editable: the EU access right of the access class."""
    access_class = v.get_vocabulary("access-class").get(
        data.get(key[:-1] + ("access_class",), missing)
    )
    if access_class:
        data[key] = access_class["access_right"]
    else:
        data.pop(key, None)
        raise tk.StopOnError


def datagovernance_title(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> Any:
    """A dataset needs a title: CKAN falls back to the URL name, so an empty
    form would only flag the URL; with neither, the title is what is missing."""
    if _empty(data.get(key)) and _empty(data.get(("name",))):
        errors[key].append(tk._("Missing value"))
        raise tk.StopOnError


def datagovernance_user(value: Any, context: Context) -> Any:
    """An active CKAN user given by name or id; stored as the user id."""
    if _empty(value):
        return value
    user = model.User.get(str(value).strip())
    if user is None or user.state != "active":
        raise Invalid(tk._('User "{value}" does not exist').format(value=value))
    return user.id


def _domain(value: str) -> model.Group | None:
    group = model.Group.get(value)
    if group is None or group.is_organization or group.type != "domain" or group.state != "active":
        return None
    return group


def datagovernance_domain(value: Any, context: Context) -> Any:
    """An existing data domain (group of type ``domain``); stored as its name."""
    if _empty(value):
        return value
    group = _domain(str(value).strip())
    if group is None:
        raise Invalid(tk._('Data domain "{value}" does not exist').format(value=value))
    return group.name


def datagovernance_parent_domain(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Parent of a domain: another domain, never the domain itself or one of
    its sub-domains."""
    value = data.get(key, missing)
    if _empty(value):
        data.pop(key, None)
        raise tk.StopOnError
    parent = _domain(str(value).strip())
    if parent is None:
        errors[key].append(tk._('Data domain "{value}" does not exist').format(value=value))
        return
    own = {data.get(("id",)), data.get(("name",))} - {None, missing, ""}
    group = context.get("group")
    if group is not None:
        own |= {group.id, group.name}
    from ..roles import service as roles

    lineage = set(roles.domain_lineage(parent))
    lineage |= {g.name for g in model.Session.query(model.Group).filter(model.Group.id.in_(lineage))}
    if own & lineage:
        errors[key].append(tk._("A data domain cannot be its own parent or sub-domain"))
        return
    data[key] = parent.name


# CKAN's default licence ids and the dcat-ap.de 1.0 forms, upgraded to the
# current dcat-ap.de ids (harvested or migrated data).
LEGACY_LICENSES = {
    "odc-odbl": "odbl", "odc-by": "odby", "odc-pddl": "odcpddl", "cc-nc": "cc-by-nc",
    "other-at": "other-open", "other-pd": "other-open", "uk-ogl": "other-open",
    "other-nc": "other-closed", "official-work": "officialWork", "od-bl": "odbl",
    "od-bc": "odby", "odc-pddl-1.0": "odcpddl", "dl-by-de/2_0": "dl-by-de/2.0",
    "dl-zero-de/2_0": "dl-zero-de/2.0", "cc-by/4_0": "cc-by/4.0", "cc-by-sa/4_0": "cc-by-sa/4.0",
    "cc-by-nd/4_0": "cc-by-nd/4.0", "cc-by-nc/4_0": "cc-by-nc/4.0", "dl-by-de/1_0": "dl-by-de/1.0",
    "dl-by-nc-de/1_0": "dl-by-nc-de/1.0",
}
_LICENSE_IRI = "http://dcat-ap.de/def/licenses/"


def datagovernance_license(value: Any, context: Context) -> Any:
    """A licence of CKAN's licence register (the dcat-ap.de list). Its IRI,
    CKAN's default ids and legacy dcat-ap.de 1.0 ids are upgraded to the id."""
    if _empty(value):
        return value
    register = model.Package.get_license_register()
    text = str(value).strip()
    if register.get(text) is None:
        if text.startswith(_LICENSE_IRI):
            text = text[len(_LICENSE_IRI):]
        text = LEGACY_LICENSES.get(text, text)
        if register.get(text) is not None:
            return text
    else:
        return text
    if register.get(value) is None:
        ids = [lic.id for lic in register.values()]
        raise Invalid(
            tk._('Value "{value}" is not allowed. Allowed values: {allowed}').format(
                value=value, allowed=", ".join(ids)
            )
        )
    return value


def datagovernance_political_geocoding_key(value: Any) -> Any:
    """A dcat-ap.de political geocoding key IRI. Known Hessian keys and every
    well-formed key of the dcat-ap.de key lists are accepted; a bare number is
    expanded by its length (12 digits = regionalKey, 8 = municipalityKey, ...)."""
    if _empty(value):
        return value
    keys = v.get_vocabulary("political-geocoding-key")
    patterns: dict[str, str] = keys.meta["patterns"]
    text = str(value).strip()
    known = keys.normalize(text)
    if known:
        return known
    if text.isdigit():
        for kind, pattern in patterns.items():
            if re.fullmatch(pattern, text):
                return f"{_KEY_BASE}{kind}/{text}"
    if text.startswith(_KEY_BASE):
        kind, _sep, key = text[len(_KEY_BASE):].partition("/")
        if kind in patterns and re.fullmatch(patterns[kind], key):
            return text
    raise Invalid(tk._(
        'Value "{value}" is not a political geocoding key. Use an IRI like '
        "{example} or one of: {allowed}"
    ).format(value=value, example=f"{_KEY_BASE}regionalKey/064130000000",
             allowed=_allowed_text(keys)))


def datagovernance_contributor_id(value: Any) -> Any:
    """GovData contributor ID: a listed dcat-ap.de contributor or an IRI in a
    local scheme (never an unlisted dcat-ap.de/def/contributors IRI)."""
    if _empty(value):
        return value
    contributors = v.get_vocabulary("contributor")
    known = contributors.normalize(str(value))
    if known:
        return known
    text = str(value).strip()
    if _URL_RE.match(text) and not text.startswith(_CONTRIBUTOR_BASE):
        return text
    raise Invalid(_not_allowed(value, contributors))


def datagovernance_file_type(value: Any) -> Any:
    """Resource format as EU file-type code (accepts code, IRI, extension, media type)."""
    if _empty(value):
        return value
    file_types = v.get_vocabulary("file-type")
    normalized = file_types.normalize(str(value))
    if normalized is None:
        raise Invalid(_not_allowed(value, file_types))
    return normalized


def datagovernance_media_type(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """IANA media type; filled in from the EU file type when empty."""
    value = data.get(key, missing)
    if _empty(value):
        concept = v.get_vocabulary("file-type").get(data.get(key[:-1] + ("format",)))
        # the EU list has parameters on some (PDF: "application/pdf;type=pdf1x"),
        # which are no IANA media type: keep type/subtype only
        plain = [m.split(";")[0].strip() for m in (concept or {}).get("media_types") or []]
        if plain:
            data[key] = plain[0]
        else:
            data.pop(key, None)
            raise tk.StopOnError
        return
    if not isinstance(value, str) or not _MEDIA_TYPE_RE.match(value.strip()):
        errors[key].append(
            tk._('"{value}" is not a media type (e.g. text/csv)').format(value=value)
        )
        return
    data[key] = value.strip().lower()


def datagovernance_workflow_state(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Read-only outside the approval workflow: new datasets start as
    ``draft``; an update keeps the stored state. Only a caller that sets
    ``context["datagovernance_workflow_transition"]`` may change it."""
    states = v.get_vocabulary("workflow-state")
    value = data.get(key, missing)
    pkg = context.get("package")
    current = None
    if pkg is not None and data.get(("id",)) in (pkg.id, missing, None):
        current = (pkg.extras or {}).get("workflow_state")
    current = current or "draft"
    if context.get("datagovernance_workflow_transition"):
        normalized = states.normalize(value) if not _empty(value) else current
        if normalized is None:
            errors[key].append(_not_allowed(value, states))
            return
        data[key] = normalized
        return
    if not _empty(value) and states.normalize(value) != current:
        errors[key].append(tk._(
            'The workflow state is read-only here (current: "{current}"); it only '
            "changes through the approval workflow"
        ).format(current=current))
        return
    data[key] = current


def _get(data: FlattenDataDict, name: str) -> Any:
    value = data.get((name,), missing)
    return None if _empty(value) else value


def _add(errors: FlattenErrorDict, name: str, message: str) -> None:
    errors.setdefault((name,), []).append(message)


def datagovernance_dataset_rules(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Rules across fields (scheming ``after_validators``), each reported on
    the field the user has to fix."""
    # Contact point: DCAT-AP.de K01, e-mail or URL.
    if (_get(data, "contact_name") or _get(data, "contact_email") or _get(data, "contact_url")) \
            and not (_get(data, "contact_email") or _get(data, "contact_url")):
        _add(errors, "contact_email", tk._("A contact point needs an e-mail address or a URL"))

    # Personal data needs its legal basis and a retention rule.
    personal = v.get_vocabulary("personal-data").get(_get(data, "personal_data"))
    if personal and personal.get("needs_details"):
        if not _get(data, "personal_data_legal_basis"):
            _add(errors, "personal_data_legal_basis", tk._(
                "Required when the dataset contains personal or pseudonymised data"))
        if not (_get(data, "retention_period") or _get(data, "deletion_date")):
            _add(errors, "retention_period", tk._(
                "Give a retention period or a deletion date for personal data"))

    # Master data follows a quality standard.
    master = _get(data, "master_data")
    if master in (True, "true", "True") and not _get(data, "quality_standard"):
        _add(errors, "quality_standard", tk._("Master data needs the quality standard it follows"))

    start, end = _get(data, "temporal_start"), _get(data, "temporal_end")
    if start and end and str(end) < str(start):
        _add(errors, "temporal_end", tk._("The end of the temporal coverage is before its start"))

    # Political geocoding: the key must belong to the chosen level.
    level, key_iri = _get(data, "political_geocoding_level"), _get(data, "political_geocoding_uri")
    if level and key_iri and not errors.get(("political_geocoding_uri",)):
        keys = v.get_vocabulary("political-geocoding-key")
        concept = keys.get(key_iri)
        kind = str(key_iri)[len(_KEY_BASE):].split("/", 1)[0]
        key_level = concept["level"] if concept else (
            "http://dcat-ap.de/def/politicalGeocoding/Level/"
            + keys.meta["pattern_levels"].get(kind, "")
        )
        if key_level != level:
            levels = v.get_vocabulary("political-geocoding-level")
            _add(errors, "political_geocoding_uri", tk._(
                'The key does not belong to the level "{level}" (it is a key of level "{key_level}")'
            ).format(level=levels.short(level), key_level=levels.short(key_level)))


def get_validators() -> dict[str, Validator]:
    return {
        "datagovernance_choice": datagovernance_choice,
        "datagovernance_multiple_choice": datagovernance_multiple_choice,
        "datagovernance_url": datagovernance_url,
        "datagovernance_url_list": datagovernance_url_list,
        "datagovernance_positive_number": datagovernance_positive_number,
        "datagovernance_applicable_legislation": datagovernance_applicable_legislation,
        "datagovernance_access_rights": datagovernance_access_rights,
        "datagovernance_user": datagovernance_user,
        "datagovernance_title": datagovernance_title,
        "datagovernance_domain": datagovernance_domain,
        "datagovernance_parent_domain": datagovernance_parent_domain,
        "datagovernance_license": datagovernance_license,
        "datagovernance_political_geocoding_key": datagovernance_political_geocoding_key,
        "datagovernance_contributor_id": datagovernance_contributor_id,
        "datagovernance_file_type": datagovernance_file_type,
        "datagovernance_media_type": datagovernance_media_type,
        "datagovernance_workflow_state": datagovernance_workflow_state,
        "datagovernance_dataset_rules": datagovernance_dataset_rules,
    }
