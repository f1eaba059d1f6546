"""Harvested datasets under governance: defaults on create, local fields kept
on re-harvest, withdrawal instead of deletion.

Which fields are local:
- the governance fields ``owner_org``, ``domain``, ``data_owner``,
  ``access_class`` and ``workflow_state`` (sign-offs live in their own table);
- every internal field of the schema (``datagovernance_internal: true``): it
  never leaves a catalog in a feed, so a harvest cannot bring it and it is
  the local office's note (legal basis, storage location, retention ...).

``license_id``, ``personal_data`` and ``hvd_category`` come from the source
when it states them (else the local value stays). When one of them changes on
a published dataset, the workflow's rule for local edits sends it back to
review (the workflow's reopen rule, ``workflow/reopen.py``).
"""
from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa
from ckan import model

from ..catalog import access
from ..translate import _
from ..workflow import service as workflow
from ..workflow import states
from . import schema

log = logging.getLogger(__name__)

GOVERNANCE_FIELDS = ("owner_org", "domain", "data_owner", "access_class", "workflow_state")
SOURCE_WHEN_STATED = ("license_id", "personal_data", "hvd_category")


def _source_defaults(harvest_object: Any) -> dict[str, Any]:
    source = getattr(harvest_object, "source", None) or harvest_object.job.source
    defaults, errors = schema.validate(source.config)
    if errors:  # a source saved before the rules existed: apply what is valid
        log.warning("harvest source %s: invalid governance defaults: %s", source.id, errors)
    return defaults


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == "[]"


def apply_defaults(harvest_object: Any, dataset: dict[str, Any]) -> dict[str, Any]:
    """Before package_create: the source's defaults. Returns what stays to
    be done after the create (the initial workflow state)."""
    defaults = _source_defaults(harvest_object)
    if defaults.get("organization"):
        dataset["owner_org"] = defaults["organization"]
    for field in ("domain", "data_owner", "access_class"):
        if defaults.get(field):
            dataset[field] = defaults[field]
    if defaults.get("hvd_category") and _empty(dataset.get("hvd_category")):
        dataset["hvd_category"] = defaults["hvd_category"]
    dataset.pop("workflow_state", None)  # new datasets start as draft
    return {"workflow_state": defaults.get("workflow_state")}


def set_initial_state(dataset_id: str, state: str | None, actor: str) -> None:
    """After package_create (same transaction): the source's initial state."""
    if not state or state == states.DRAFT:
        return
    _set_state(dataset_id, states.DRAFT, state, actor,
               _("Harvested: initial state from the harvest source"))


def keep_local(dataset: dict[str, Any]) -> None:
    """Before package_update: local governance fields and internal fields
    keep their values; licence, personal data and HVD category only change
    when the source states them. Read from the stored dataset, not from
    package_show, which hides internal fields from a harvester without a
    logged-in user."""
    from ..roles import service as roles

    pkg = model.Package.get(dataset["id"])
    extras = dict(pkg.extras or {})
    dataset["owner_org"] = pkg.owner_org
    owner = roles.owner_name(pkg.id)
    if owner:
        dataset["data_owner"] = owner
    else:
        dataset.pop("data_owner", None)
    local = ("domain", "access_class", "workflow_state", *access.internal_fields())
    for field in local:
        if field in ("data_owner", "owner_org"):
            continue
        if field in extras:
            dataset[field] = _stored(extras[field])
        else:
            dataset.pop(field, None)
    for field in SOURCE_WHEN_STATED:
        if _empty(dataset.get(field)):
            if field == "license_id" and pkg.license_id:
                dataset[field] = pkg.license_id
            elif field in extras and not _empty(extras[field]):
                dataset[field] = _stored(extras[field])


def _stored(value: Any) -> Any:
    """An extra as the schema's validators take it (lists are stored as JSON)."""
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _set_state(dataset_id: str, current: str, target: str, actor: str, comment: str) -> str:
    """The workflow's own state write and history row, in the harvester's
    transaction (no commit midway); returns the event id."""
    user = model.User.get(actor)
    pkg = model.Package.get(dataset_id)
    workflow.set_state(pkg, target, user)
    return workflow.add_event(dataset_id, current, target, user, comment).id


def ckan_import_object(dataset_id: str | None) -> Any:
    """The harvest object ckanext-harvest's CKAN harvester (source type
    ``ckan``) is importing for this dataset right now, or None. That harvester
    has no hooks like ckanext-dcat's; it keeps the remote dataset id, and the
    queue marks the object ``IMPORT`` before the create/update runs."""
    if not dataset_id:
        return None
    from ckanext.harvest.model import HarvestObject, HarvestSource

    return (model.Session.query(HarvestObject)
            .join(HarvestSource, HarvestObject.harvest_source_id == HarvestSource.id)
            .filter(HarvestObject.state == "IMPORT", HarvestSource.type == "ckan",
                    sa.or_(HarvestObject.package_id == dataset_id,
                           HarvestObject.guid == dataset_id))
            .first())


def harvester_deletes(dataset_id: str) -> bool:
    """True while a harvester imports a 'delete' object for this dataset:
    the dataset disappeared at its source."""
    from ckanext.harvest.model import HarvestObject, HarvestObjectExtra

    return model.Session.execute(
        sa.select(HarvestObject.id)
        .join(HarvestObjectExtra, HarvestObjectExtra.harvest_object_id == HarvestObject.id)
        .where(HarvestObject.package_id == dataset_id, HarvestObject.state == "IMPORT",
               HarvestObjectExtra.key == "status", HarvestObjectExtra.value == "delete")
        .limit(1)
    ).first() is not None


def withdraw_gone(dataset_id: str, actor: str) -> bool:
    """Withdraw instead of delete; the owner is told by a background job.
    False when there was nothing to do (already withdrawn or deleted)."""
    pkg = model.Package.get(dataset_id)
    if pkg is None or pkg.state != "active":
        return False
    current = workflow.current_state(pkg)
    if current in (states.WITHDRAWN, states.ARCHIVED):
        return False
    event_id = _set_state(pkg.id, current, states.WITHDRAWN, actor,
                          _("No longer offered by the harvest source: withdrawn"))
    # the owner and deputies are mailed by the workflow's job, after the commit
    from ..roles import service as roles
    from ..workflow import jobs

    jobs.notify_after_commit(event_id, {states.WITHDRAWN: [a.user_id for a in roles.dataset_owners(pkg.id)]})
    return True
