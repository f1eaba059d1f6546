"""The governance defaults of a harvest source: its config's ``datagovernance`` block.

A harvest source's ``config`` (JSON) may carry::

    {"datagovernance": {"organization": "umweltamt", "domain": "geodaten",
                        "data_owner": "owner-wagner", "steward": "steward-becker",
                        "access_class": "public", "workflow_state": "approved",
                        "hvd_category": ["http://data.europa.eu/bna/c_ac64a52d"]}}

Every key is optional. Harvested datasets get these values when they are
created (see ``service.py``).
"""
from __future__ import annotations

import json
from typing import Any

from ckan import model

from ..catalog import vocab as v
from ..roles import service as roles
from ..translate import _

KEY = "datagovernance"
FIELDS = ("organization", "domain", "data_owner", "steward", "access_class",
          "workflow_state", "hvd_category")
# Harvested datasets never enter as published: publishing runs the gates
# (licence, DCAT-AP.de validation, HVD) through the workflow.
INITIAL_STATES = ("draft", "in_review", "approved")


def defaults_of(config: str | dict[str, Any] | None) -> dict[str, Any]:
    """The (validated) defaults of a source config, {} when none."""
    if not config:
        return {}
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return {}
    block = config.get(KEY) if isinstance(config, dict) else None
    return dict(block) if isinstance(block, dict) else {}


def validate(config: str | None) -> tuple[dict[str, Any], list[str]]:
    """(normalised defaults, error messages). Names are resolved to ids."""
    if not config or not config.strip():
        return {}, []
    try:
        parsed = json.loads(config)
    except ValueError as e:
        return {}, [_("The configuration is not valid JSON: {0}").format(e)]
    if not isinstance(parsed, dict):
        return {}, [_("The configuration must be a JSON object.")]
    if KEY not in parsed:
        return {}, []
    block = parsed[KEY]
    if not isinstance(block, dict):
        return {}, [_('"{0}" must be a JSON object with the keys: {1}').format(KEY, ", ".join(FIELDS))]
    errors: list[str] = []
    out: dict[str, Any] = {}
    unknown = sorted(set(block) - set(FIELDS))
    if unknown:
        errors.append(_("{0}: unknown key(s) {1}. Allowed keys: {2}").format(
            KEY, ", ".join(unknown), ", ".join(FIELDS)))
    if block.get("organization"):
        org = model.Group.get(str(block["organization"]))
        if org is None or not org.is_organization or org.state != "active":
            errors.append(_('{0}.organization: organisation "{1}" does not exist').format(
                KEY, block["organization"]))
        else:
            out["organization"] = org.id
    domain = None
    if block.get("domain"):
        domain = roles.get_domain(str(block["domain"]))
        if domain is None:
            errors.append(_('{0}.domain: data domain "{1}" does not exist').format(KEY, block["domain"]))
        else:
            out["domain"] = domain.name
    for field in ("data_owner", "steward"):
        if block.get(field):
            user = roles.get_user(str(block[field]))
            if user is None or user.state != "active":
                errors.append(_('{0}.{1}: user "{2}" does not exist or is not active').format(
                    KEY, field, block[field]))
            else:
                out[field] = user.name
    if out.get("steward"):
        if domain is None:
            errors.append(_("{0}.steward: a steward needs a domain ({0}.domain)").format(KEY))
        else:
            steward = roles.get_user(out["steward"])
            stewards = {a.user_id for a in roles.domain_stewards(domain.id)}
            if steward is None or steward.id not in stewards:
                errors.append(_('{0}.steward: "{1}" is not a steward of the domain "{2}"').format(
                    KEY, out["steward"], domain.display_name))
    for field, vocab_name, allowed in (("access_class", "access-class", None),
                                       ("workflow_state", "workflow-state", INITIAL_STATES)):
        if block.get(field):
            vocab = v.get_vocabulary(vocab_name)
            value = vocab.normalize(block[field])
            if value is None or (allowed and value not in allowed):
                errors.append(_('{0}.{1}: value "{2}" is not allowed. Allowed values: {3}').format(
                    KEY, field, block[field], ", ".join(allowed or vocab.values)))
            else:
                out[field] = value
    if block.get("hvd_category"):
        vocab = v.get_vocabulary("hvd-category")
        values = block["hvd_category"]
        values = values if isinstance(values, list) else [values]
        normalised = [vocab.normalize(x) for x in values]
        if None in normalised:
            errors.append(_('{0}.hvd_category: value "{1}" is not allowed. Allowed values: {2}').format(
                KEY, ", ".join(str(x) for x, n in zip(values, normalised, strict=True) if n is None),
                ", ".join(vocab.values)))
        else:
            out["hvd_category"] = normalised
    return out, errors
